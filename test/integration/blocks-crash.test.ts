/**
 * Every crash point of a block backup run (docs/blocks.md, "What happens on kill -9"), walked the
 * way test/integration/crash-points.test.ts walks the others: a clean run lists the points it
 * passes (HBR_CRASH_TRACE); then for each point k a fresh copy of the scenario is set up, `hbr apply`
 * is killed with SIGKILL at point k, and clean applies follow until the plan is empty. After each:
 * no multipart upload and no run marker is left, the newest manifest from before the kill is not
 * lost, every block any manifest references is in the store with its SHA-256, the newest manifest
 * holds every live file (none skipped), and the state dir's tmp is empty.
 *
 * The scenario: a backed-up tree (manifest at T0) changes (a 12 MiB file in one 16 MiB block, so
 * its upload goes in 8 MiB parts; small files added, one deleted); the killed apply a day later
 * sweeps nothing, uploads the new blocks, writes the manifest and lets the old one go (keep last 1).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { openStore } from '../../src/stores/index.js';
import { parseManifest } from '../../src/systems/blocks/manifest.js';
import { parseManifestKey } from '../../src/systems/blocks/names.js';
import { clusters, hbr, tempDir, writeBlocksPolicy } from '../helpers/hbr.js';
import { crashWalkPoints, testbed, uniq } from '../helpers/testbed.js';

const { primary } = clusters();
const tb = testbed();
process.env.AWS_ACCESS_KEY_ID = tb.HBR_TB_S3_ACCESS_KEY;
process.env.AWS_SECRET_ACCESS_KEY = tb.HBR_TB_S3_SECRET_KEY;
process.env.AWS_REGION = tb.HBR_TB_S3_REGION;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const T0 = Date.parse('2030-05-01T00:00:00Z');
const DAY = 86_400_000;
const MIB = 1 << 20;
const iso = (t: number) => new Date(t).toISOString();
const s3 = new S3Client({ endpoint: tb.HBR_TB_S3_ENDPOINT, region: tb.HBR_TB_S3_REGION, forcePathStyle: true });
const made: Array<{ root: string; prefix: string }> = [];

interface Case {
  file: string;
  state: string;
  root: string;
  prefix: string;
}

async function setup(): Promise<Case> {
  const id = uniq('cp-blocks');
  const root = `/it/${id}`;
  const prefix = `${id}/`;
  made.push({ root, prefix });
  const dir = tempDir('cp-blocks');
  const file = writeBlocksPolicy(join(dir, 'blocks.yaml'), { name: 'bk', root, prefix, backup: 'every: 1d, keep: { last: 1 }, gc_grace: 1h, concurrency: 2' });
  await primary.mkdirs(root);
  for (let i = 0; i < 4; i++) await primary.create(`${root}/d${i % 2}/f${i}.bin`, randomBytes(1500 * MIB / 1024 + i), { blockSize: MIB });
  const c = { file, state: join(dir, 'state'), root, prefix };
  const r = await apply(c, T0);
  assert.is(r.code, 0, r.stdout + r.stderr);
  await primary.create(`${root}/big.bin`, randomBytes(12 * MIB), { blockSize: 16 * MIB });
  await primary.create(`${root}/d1/new.bin`, randomBytes(3000));
  await primary.delete(`${root}/d0/f0.bin`);
  return c;
}

function apply(c: Case, now: number, extra: Record<string, string> = {}) {
  // big.bin's 12 MiB block goes through a temp file and 8 MiB parts (over the 8 MiB memory bound),
  // the small blocks from memory in one PutObject each: both upload paths are walked
  return hbr(['apply', '-f', c.file, '--state-dir', c.state, '--auto-approve', '--concurrency', '1'], { HBR_NOW: iso(now), HBR_BLOCK_BUFFER_MAX: String(8 * MIB), ...extra });
}

async function converge(c: Case, what: string): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const r = await apply(c, T0 + DAY);
    assert.is(r.code, 0, `${what}: clean apply ${i + 1} failed:\n${r.stdout}\n${r.stderr}`);
    const p = await hbr(['plan', '-f', c.file, '--state-dir', c.state, '--detailed-exitcode'], { HBR_NOW: iso(T0 + DAY) });
    if (p.code === 0) return;
    assert.is(p.code, 2, `${what}: plan failed:\n${p.stdout}\n${p.stderr}`);
  }
  assert.unreachable(`${what}: no convergence after 3 clean applies`);
}

async function check(c: Case, what: string): Promise<void> {
  const store = openStore({ name: 's3', kind: 's3', bucket: tb.HBR_TB_S3_BUCKET, prefix: c.prefix, endpoint: tb.HBR_TB_S3_ENDPOINT, forcePathStyle: true, at: { file: '', line: 1, col: 1 } });
  const mpu = await s3.send(new ListMultipartUploadsCommand({ Bucket: tb.HBR_TB_S3_BUCKET, Prefix: c.prefix }));
  assert.equal(mpu.Uploads ?? [], [], `${what}: multipart uploads left`);
  assert.equal(await store.list('runs/'), [], `${what}: run markers left`);
  const manifests = (await store.list('manifests/bk/')).map((o) => o.key).sort();
  assert.ok(manifests.length >= 1 && parseManifestKey(manifests.at(-1)!)!.time >= T0, `${what}: the newest manifest was lost`);
  const blocks = new Map((await store.list('blocks/')).map((o) => [o.key, o]));
  for (const k of manifests) {
    const f = join(c.state, 'm.json');
    await store.getFile(k, f);
    const m = parseManifest(readFileSync(f, 'utf8'), k);
    for (const file of m.files) {
      for (const b of file.blocks) {
        const key = `blocks/${m.blockPoolId}/${b.id}_${b.gs}`;
        assert.ok(blocks.has(key), `${what}: ${k} references ${key}, not in the store`);
        assert.is((await store.head(key))?.sha256, b.sha256, `${what}: ${key} carries another SHA-256`);
      }
    }
    if (k === manifests.at(-1)) {
      assert.equal(m.skipped, [], `${what}: files skipped by the newest manifest`);
      assert.equal(m.files.map((x) => x.path).sort(), ['big.bin', 'd0/f2.bin', 'd1/f1.bin', 'd1/f3.bin', 'd1/new.bin'], `${what}: the newest manifest's files`);
    }
  }
  const tmp = join(c.state, 'tmp');
  assert.equal(existsSync(tmp) ? readdirSync(tmp) : [], [], `${what}: ${tmp} is not empty`);
}

test.after(async () => {
  for (const { root, prefix } of made) {
    await primary.delete(root, true).catch(() => undefined);
    const store = openStore({ name: 's3', kind: 's3', bucket: tb.HBR_TB_S3_BUCKET, prefix, endpoint: tb.HBR_TB_S3_ENDPOINT, forcePathStyle: true, at: { file: '', line: 1, col: 1 } });
    for (const o of await store.list('')) await store.delete(o.key);
  }
});

test('every crash point of: a block backup run (uploads in parts, manifest, manifest retention)', async () => {
  const c0 = await setup();
  const trace = join(c0.state, '..', 'trace');
  const r0 = await apply(c0, T0 + DAY, { HBR_CRASH_TRACE: trace });
  assert.is(r0.code, 0, `the clean run failed:\n${r0.stdout}\n${r0.stderr}`);
  const points = readFileSync(trace, 'utf8').trim().split('\n');
  assert.ok(points.some((p) => /blocks\.upload:part /.test(p)) && points.some((p) => /blocks\.manifest:written /.test(p)), points.join('\n'));
  await converge(c0, 'no crash');
  await check(c0, 'no crash');
  const bare = (p: string | undefined) => p?.replace(/cp-blocks-[a-z0-9]+-[a-z0-9]+/g, 'ID').replace(/blocks\/BP-[^ ]+/g, 'BLOCK').replace(/\d{4}-\d\d-\d\dT[\d-]+Z/g, 'T');
  for (const k of crashWalkPoints(points.length)) {
    const what = `killed at point ${points[k - 1]}`;
    const c = await setup();
    const t = join(c.state, '..', 'trace');
    const killed = await apply(c, T0 + DAY, { HBR_CRASH_AT: String(k), HBR_CRASH_TRACE: t });
    assert.is(killed.code, null, `${what}: the apply was not killed (exit ${killed.code}):\n${killed.stdout}\n${killed.stderr}`);
    const passed = readFileSync(t, 'utf8').trim().split('\n');
    assert.is(bare(passed.at(-1))?.replace(/^\d+ /, ''), bare(points[k - 1])?.replace(/^\d+ /, ''), `${what}: the run took another path`);
    await converge(c, what);
    await check(c, what);
  }
  console.log(`      block backup: ${points.length} crash points walked`);
});

test.run();
