/**
 * Safety-review findings 1 and 11 of the block backup (issue #12; docs/blocks.md, "Mass change"),
 * on the real test bed (primary HDFS, versitygw S3), through the CLI with HBR_NOW one day per run:
 *   1. the source emptied (`rm -r` of its files) after a backup: plan exits 1 naming the hold, apply
 *      writes no manifest and deletes nothing; with --allow-overwrite <cluster>:<path> the (empty)
 *      manifest is written; later runs with keep omitted keep the last good manifest and its blocks.
 *  11. an object under manifests/ hbr does not name (a manifest copied by hand) holds gc, with a
 *      warning naming the key.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../src/stores/index.js';
import { clusters, hbr, tempDir, writeBlocksPolicy } from '../helpers/hbr.js';
import { testbed, uniq } from '../helpers/testbed.js';

const tb = testbed();
process.env.AWS_ACCESS_KEY_ID = tb.HBR_TB_S3_ACCESS_KEY;
process.env.AWS_SECRET_ACCESS_KEY = tb.HBR_TB_S3_SECRET_KEY;
process.env.AWS_REGION = tb.HBR_TB_S3_REGION;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const { primary } = clusters();
const DAY = 86_400_000;
const id = uniq('blocks-mass-test');
const root = `/${id}`;
const prefix = `${id}/`;
const work = tempDir('blocks-mass');
const state = join(work, 'state');
const T0 = Math.floor(Date.now() / 1000) * 1000;
const at = (ms: number) => new Date(T0 + ms).toISOString();
const store = openStore({ name: 's3', kind: 's3', bucket: tb.HBR_TB_S3_BUCKET, prefix, endpoint: tb.HBR_TB_S3_ENDPOINT, forcePathStyle: true, at: { file: '', line: 1, col: 1 } });

const policy = writeBlocksPolicy(join(work, 'blocks.yaml'), { name: 'bk', root, prefix, backup: 'every: 1d, gc_grace: 1h' });

async function run(verb: 'plan' | 'apply', now: number, extra: string[] = []) {
  const args = [verb, '-f', policy, '--state-dir', state, ...(verb === 'apply' ? ['--auto-approve'] : []), ...extra];
  const r = await hbr(args, { HBR_NOW: at(now) });
  return { code: r.code, out: r.stdout + r.stderr };
}
const manifests = async () => (await store.list('manifests/bk/')).map((o) => o.key).sort();
const blocks = async () => (await store.list('blocks/')).map((o) => o.key).sort();
const word = `primary:${root}`;

test.before(async () => {
  await primary.mkdirs(root);
  for (let i = 0; i < 6; i++) await primary.create(`${root}/f${i}.bin`, randomBytes(4096 + i), { overwrite: true });
});

test.after(async () => {
  await primary.delete(root, true).catch(() => undefined);
  for (const o of await store.list('')) await store.delete(o.key);
});

test('1. an emptied source is held: no manifest, no delete, until --allow-overwrite; then the last good manifest and its blocks stay', async () => {
  const first = await run('apply', 0);
  assert.is(first.code, 0, first.out);
  const m1 = await manifests();
  const b1 = await blocks();
  assert.is(m1.length, 1);
  assert.is(b1.length, 6);

  for (let i = 0; i < 6; i++) await primary.delete(`${root}/f${i}.bin`, false);
  const plan = await run('plan', DAY);
  assert.is(plan.code, 1, plan.out);
  assert.match(plan.out, /block backup bk is held: 6 of 6 files/);
  assert.ok(plan.out.includes(`--allow-overwrite ${word}`), plan.out);
  const held = await run('apply', DAY);
  assert.is(held.code, 1, held.out);
  assert.equal(await manifests(), m1, 'no manifest written while held');
  assert.equal(await blocks(), b1);

  const allowed = await run('apply', DAY, ['--allow-overwrite', word]);
  assert.is(allowed.code, 0, allowed.out);
  assert.is((await manifests()).length, 2, allowed.out);

  // keep omitted ({}): the next runs keep the last good manifest (day 0) and every block it references
  for (const d of [2, 3]) {
    const r = await run('apply', d * DAY);
    assert.is(r.code, 0, r.out);
    assert.ok((await manifests()).includes(m1[0]!), `day ${d}: the last good manifest is kept\n${r.out}`);
    assert.equal(await blocks(), b1, `day ${d}: no block collected`);
  }
});

test('11. an object under manifests/ hbr does not name holds gc, with a warning naming it', async () => {
  const file = join(work, 'keep.json');
  writeFileSync(file, '{}');
  await store.putFile('manifests/bk/keep.json', file);
  const r = await run('plan', 4 * DAY);
  assert.match(r.out, /manifests\/bk\/keep\.json/);
  assert.match(r.out, /garbage collection held/);
  assert.not.match(r.out, /blocks\.gc|blocks\.manifest\.delete/);
});

test.run();
