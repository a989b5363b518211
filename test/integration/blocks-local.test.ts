/**
 * A block backup into a local store (docs/blocks.md), on the real primary HDFS: each block once with
 * its SHA-256 sidecar, a second run uploads nothing, and the temp files a killed put leaves in the
 * store (which `list` never shows) are swept by the next run; a block left without its sidecar by
 * a kill is repaired (safety finding 4).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getBlockLocations } from '../../src/hadoop/webhdfs-blocks.js';
import { clusters, hbr, tempDir, writeBlocksPolicy } from '../helpers/hbr.js';
import { testbed, uniq } from '../helpers/testbed.js';

const tb = testbed();
const { primary } = clusters();
const MIB = 1 << 20;
const root = `/${uniq('blocks-local-test')}`;
const work = tempDir('blocks-local');
const vault = join(work, 'vault');
const state = join(work, 'state');
const T0 = Math.floor(Date.now() / 1000) * 1000;
const content = new Map<string, Buffer>();

const file = writeBlocksPolicy(join(work, 'p.yaml'), { name: 'bkl', root, vault, backup: 'every: 1d, keep: { last: 2 }' });
const run = async (verb: 'plan' | 'apply', now: number) => {
  const r = await hbr([verb, '-f', file, '--state-dir', state, ...(verb === 'apply' ? ['--auto-approve'] : [])], { HBR_NOW: new Date(now).toISOString() });
  assert.is(r.code, 0, r.stdout + r.stderr);
  return r.stdout + r.stderr;
};

test.before(async () => {
  mkdirSync(vault);
  for (let i = 0; i < 6; i++) {
    const data = randomBytes(i % 2 ? 2.2 * MIB : 70_000 + i);
    await primary.create(`${root}/f${i}.bin`, data, { blockSize: MIB });
    content.set(`f${i}.bin`, data);
  }
});

test.after(async () => {
  await primary.delete(root, true).catch(() => undefined);
});

test('local store: every block once with its sidecar; a killed put\'s temp files are swept; a second run uploads nothing', async () => {
  await run('apply', T0);
  const want = new Map<string, string>();
  let pool = '';
  for (const [rel, data] of content) {
    for (const l of (await getBlockLocations(primary, `${root}/${rel}`)).locatedBlocks) {
      pool = l.block.blockPoolId;
      want.set(`${l.block.blockId}_${l.block.generationStamp}`, createHash('sha256').update(data.subarray(l.startOffset, l.startOffset + l.block.numBytes)).digest('hex'));
    }
  }
  const dir = join(vault, 'blocks', pool);
  const objects = readdirSync(dir).filter((n) => !n.endsWith('.sha256')).sort();
  assert.equal(objects, [...want.keys()].sort());
  for (const n of objects) assert.is(readFileSync(join(dir, `${n}.sha256`), 'utf8').split(' ')[0], want.get(n), n);
  assert.is(readdirSync(join(vault, 'manifests', 'bkl')).filter((n) => n.endsWith('.json')).length, 1);

  // what a put killed mid-copy leaves: a temp file beside the objects
  writeFileSync(join(dir, `.${objects[0]}.tmp-0123456789ab`), 'partial');
  const plan = await run('plan', T0 + 86_400_000);
  assert.match(plan, /^\s+- blocks\.sweep\s+vault:blocks\//m);
  const out = await run('apply', T0 + 86_400_000);
  assert.not.match(out, /blocks\.upload/);
  assert.equal(readdirSync(dir).filter((n) => n.startsWith('.')), [], 'the temp file is gone');
  assert.is(readdirSync(join(vault, 'manifests', 'bkl')).filter((n) => n.endsWith('.json')).length, 2);
});

test('local store: a block a kill left without its sidecar is checked against HDFS and repaired; its file is in the manifest', async () => {
  // what a put killed between link() and the sidecar leaves (crash point store.put:linked)
  const data = randomBytes(90_000);
  await primary.create(`${root}/g.bin`, data, { blockSize: MIB });
  const [l] = (await getBlockLocations(primary, `${root}/g.bin`)).locatedBlocks;
  const name = `${l!.block.blockId}_${l!.block.generationStamp}`;
  const dir = join(vault, 'blocks', l!.block.blockPoolId);
  writeFileSync(join(dir, name), data);
  const out = await run('apply', T0 + 2 * 86_400_000);
  assert.match(out, /1 without a checksum repaired/);
  assert.is(readFileSync(join(dir, `${name}.sha256`), 'utf8').split(' ')[0], createHash('sha256').update(data).digest('hex'));
  const newest = readdirSync(join(vault, 'manifests', 'bkl')).filter((n) => n.endsWith('.json')).sort().at(-1)!;
  const m = JSON.parse(readFileSync(join(vault, 'manifests', 'bkl', newest), 'utf8')) as { files: Array<{ path: string }>; skipped: Array<{ path: string }> };
  assert.ok(m.files.some((f) => f.path === 'g.bin'), JSON.stringify(m.skipped));
});

test.run();
