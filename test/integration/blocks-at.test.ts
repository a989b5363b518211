/**
 * `hbr restore blocks --at T` by what a manifest holds (review finding 9; docs/blocks.md, "Which
 * manifest --at picks"): a manifest is named by its run's plan time, but its files are the manifest
 * step's walk, later in the run. With --at between the two, the manifest holds the tree as it was
 * after T, so the older one is the answer. On the real test bed: run 1 at T0, a file rewritten, run
 * 2 at T1; `--at T1` picks run 1's manifest (its walk ended before T1), `--at` a minute later run 2's.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { manifestKey } from '../../src/systems/blocks/names.js';
import { blocksCase, clusters } from '../helpers/hbr.js';

const { primary } = clusters();

const T0 = Date.parse('2030-07-01T00:00:00Z');
const T1 = T0 + 86_400_000;
const iso = (t: number) => new Date(t).toISOString();
const { id, root, dir, store, run, cleanup } = blocksCase('at', 'every: 1d, keep: { last: 5 }');

test.after(cleanup);

test('--at between a run\'s plan time and the end of its walk picks the manifest before it', async () => {
  await primary.mkdirs(root);
  await primary.create(`${root}/a.txt`, Buffer.from('version 1'));
  // files that stay (a rewrite of the only file would be held as a mass change)
  for (let i = 0; i < 4; i++) await primary.create(`${root}/keep${i}.txt`, Buffer.alloc(1000, i));
  const r1 = await run(['apply', '--auto-approve'], T0);
  assert.is(r1.code, 0, r1.stdout + r1.stderr);
  await primary.create(`${root}/a.txt`, Buffer.from('version 2, longer'), { overwrite: true });
  const r2 = await run(['apply', '--auto-approve'], T1);
  assert.is(r2.code, 0, r2.stdout + r2.stderr);
  const m1 = manifestKey('bk', T0);
  const m2 = manifestKey('bk', T1);
  assert.equal((await store.list('manifests/bk/')).map((o) => o.key).sort(), [m1, m2]);

  const at = await run(['restore', 'blocks', '--policy', 'bk', '--path', 'a.txt', '--at', iso(T1), '--to', `/it/${id}-out`, '--out', join(dir, 'plan.json')], T1 + 3_600_000);
  const out = at.stdout + at.stderr;
  assert.is(at.code, 0, out);
  assert.match(out, new RegExp(`# manifest ${m1.replace(/[.]/g, '\\.')}`), `--at T1 holds run 2's walk, which ended after T1:\n${out}`);

  const later = await run(['restore', 'blocks', '--policy', 'bk', '--path', 'a.txt', '--at', iso(T1 + 60_000), '--to', `/it/${id}-out`, '--out', join(dir, 'plan2.json')], T1 + 3_600_000);
  assert.is(later.code, 0, later.stdout + later.stderr);
  assert.match(later.stdout + later.stderr, new RegExp(`# manifest ${m2.replace(/[.]/g, '\\.')}`), later.stdout + later.stderr);
});

test.run();
