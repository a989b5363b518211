/**
 * `gc_grace` counts from when a block became unreferenced (docs/blocks.md, "Garbage collection"),
 * not from its upload: on the real test bed a file is backed up, deleted, and the next run's
 * retention deletes the last manifest that referenced its block. Its upload is long past the
 * grace, yet the block stays until gc_grace after that manifest's deletion (recorded by the
 * manifest delete as released/<policy>/…), then goes, and the record with it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getBlockLocations } from '../../src/hadoop/webhdfs-blocks.js';
import { blocksCase, clusters } from '../helpers/hbr.js';

const { primary } = clusters();

const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.parse('2030-09-01T00:00:00Z');
const { root, store, run, cleanup } = blocksCase('release', 'every: 1d, keep: { last: 1 }, gc_grace: 1d');

test.after(cleanup);

test('a block unreferenced just now survives gc_grace from that moment, though its upload is older', async () => {
  await primary.mkdirs(root);
  for (let i = 0; i < 4; i++) await primary.create(`${root}/keep${i}.bin`, Buffer.alloc(2000, i));
  await primary.create(`${root}/gone.bin`, Buffer.alloc(3000, 9));
  const lb = (await getBlockLocations(primary, `${root}/gone.bin`)).locatedBlocks[0]!.block;
  const key = `blocks/${lb.blockPoolId}/${lb.blockId}_${lb.generationStamp}`;
  const r0 = await run(['apply', '--auto-approve'], T0);
  assert.is(r0.code, 0, r0.stdout + r0.stderr);
  assert.ok(await store.head(key), 'the block is backed up');

  // five days on (the upload is 5 days old, gc_grace 1d): the file is deleted; this run's manifest
  // lacks it; the next plan's retention (keep last 1) deletes the T0 manifest, the last that
  // referenced the block
  await primary.delete(`${root}/gone.bin`);
  const r1 = await run(['apply', '--auto-approve'], T0 + 5 * DAY);
  assert.is(r1.code, 0, r1.stdout + r1.stderr);
  const r2 = await run(['apply', '--auto-approve'], T0 + 5 * DAY + HOUR);
  assert.is(r2.code, 0, r2.stdout + r2.stderr);
  assert.match(r2.stdout + r2.stderr, /blocks\.manifest\.delete/, r2.stdout);

  const soon = await run(['apply', '--auto-approve'], T0 + 5 * DAY + 2 * HOUR);
  assert.is(soon.code, 0, soon.stdout + soon.stderr);
  assert.ok(await store.head(key), `an hour after it became unreferenced the block is kept (gc_grace 1d counts from then):\n${soon.stdout}`);

  // past gc_grace from the release: a due run (its manifest first, gc held meanwhile), then the
  // next plan collects the block
  const due = await run(['apply', '--auto-approve'], T0 + 6 * DAY + 2 * HOUR);
  assert.is(due.code, 0, due.stdout + due.stderr);
  const late = await run(['apply', '--auto-approve'], T0 + 6 * DAY + 3 * HOUR);
  assert.is(late.code, 0, late.stdout + late.stderr);
  assert.is(await store.head(key), undefined, `past gc_grace from its release the block is collected:\n${late.stdout}`);
  // the record of the T0 manifest's delete is past gc_grace and swept; later deletes have their own
  const records = (await store.list('released/')).map((o) => o.key);
  assert.equal(records.filter((k) => k.endsWith('.2030-09-01T00-00-00Z.json')), [], `the release record past gc_grace is removed: ${records.join(', ')}`);
  assert.ok(records.every((k) => /^released\/bk\/2030-09-07T/.test(k)), records.join(', '));
});

test.run();
