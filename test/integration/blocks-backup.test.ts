/**
 * The block backup (issue #12 points 1, 2, 5 and 6; docs/blocks.md) through the CLI, on the real
 * test bed: the primary HDFS (files written with a 1 MiB block size) and the versitygw S3 server
 * (the test bed's bucket, a prefix of this suite's own). One policy walks a schedule forward with
 * HBR_NOW, one day per run, on one state dir:
 *   1. 200 files, 20 of them 3 blocks long: each block once in the store, keyed <id>_<gs>, with the
 *      SHA-256 of its bytes; a second run uploads nothing and writes one new manifest.
 *   2. an append and a rewrite: only the new or changed blocks are uploaded (the append: same id, new gs).
 *   5. deleted files and HBR_NOW past gc_grace: unreferenced blocks are collected, blocks a kept
 *      manifest references are not, nothing inside the grace, nothing while a run is unfinished.
 *   6. kill -9 during a multipart upload of a 20 MiB block: no object, a leftover upload; the next
 *      run aborts it (ListMultipartUploads 0), completes, writes the manifest.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { getBlockLocations } from '../../src/hadoop/webhdfs-blocks.js';
import { openStore } from '../../src/stores/index.js';
import { parseManifest } from '../../src/systems/blocks/manifest.js';
import { manifestKey } from '../../src/systems/blocks/names.js';
import type { Manifest } from '../../src/systems/blocks/types.js';
import { clusters, hbr, tempDir, writeBlocksPolicy } from '../helpers/hbr.js';
import { testbed, uniq } from '../helpers/testbed.js';

const tb = testbed();
process.env.AWS_ACCESS_KEY_ID = tb.HBR_TB_S3_ACCESS_KEY;
process.env.AWS_SECRET_ACCESS_KEY = tb.HBR_TB_S3_SECRET_KEY;
process.env.AWS_REGION = tb.HBR_TB_S3_REGION;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const { primary } = clusters();
const MIB = 1024 * 1024;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const id = uniq('blocks-backup-test');
const root = `/${id}`;
const prefix = `${id}/`;
const work = tempDir('blocks');
const state = join(work, 'state');
const T0 = Math.floor(Date.now() / 1000) * 1000;
const at = (ms: number) => new Date(T0 + ms).toISOString();
/** every file's bytes as written, by path relative to root */
const content = new Map<string, Buffer>();

const store = openStore({ name: 's3', kind: 's3', bucket: tb.HBR_TB_S3_BUCKET, prefix, endpoint: tb.HBR_TB_S3_ENDPOINT, forcePathStyle: true, at: { file: '', line: 1, col: 1 } });
const s3 = new S3Client({ endpoint: tb.HBR_TB_S3_ENDPOINT, region: tb.HBR_TB_S3_REGION, forcePathStyle: true });

function policyFile(gcGrace = '2d'): string {
  const file = writeBlocksPolicy(join(work, 'blocks.yaml'), { name: 'bk', root, prefix, backup: `every: 1d, keep: { last: 2 }, gc_grace: ${gcGrace}, concurrency: 8` });
  return file;
}

async function run(verb: 'plan' | 'apply', now: number, env: Record<string, string> = {}, gcGrace?: string) {
  const args = [verb, '-f', policyFile(gcGrace), '--state-dir', state, ...(verb === 'apply' ? ['--auto-approve', '--concurrency', '4'] : [])];
  const r = await hbr(args, { HBR_NOW: at(now), ...env });
  return { ...r, out: r.stdout + r.stderr };
}

async function applyOk(now: number): Promise<string> {
  const r = await run('apply', now);
  assert.is(r.code, 0, r.out);
  return r.out;
}

async function write(rel: string, data: Buffer, blockSize = MIB): Promise<void> {
  await primary.create(`${root}/${rel}`, data, { overwrite: true, blockSize });
  content.set(rel, data);
}

/** `<id>_<gs>` → SHA-256 of the block's bytes, for every block the NameNode reports under root. */
async function liveBlocks(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await Promise.all(
    [...content.keys()].map(async (rel) => {
      const lb = await getBlockLocations(primary, `${root}/${rel}`);
      const data = content.get(rel)!;
      for (const l of lb.locatedBlocks) {
        const bytes = data.subarray(l.startOffset, l.startOffset + l.block.numBytes);
        out.set(`${l.block.blockId}_${l.block.generationStamp}`, createHash('sha256').update(bytes).digest('hex'));
      }
    }),
  );
  return out;
}

/** The store's block names (`<id>_<gs>`), each once, and the pool they are under. */
async function storedBlocks(): Promise<string[]> {
  const keys = (await store.list('blocks/')).map((o) => o.key);
  const pools = new Set(keys.map((k) => k.split('/')[1]));
  assert.ok(pools.size <= 1, `one pool: ${[...pools].join(', ')}`);
  return keys.map((k) => k.split('/')[2]!).sort();
}

async function manifests(): Promise<string[]> {
  return (await store.list('manifests/bk/')).map((o) => o.key).sort();
}

async function readManifest(key: string): Promise<Manifest> {
  const file = join(work, 'm.json');
  await store.getFile(key, file);
  return parseManifest(readFileSync(file, 'utf8'), key);
}

const kinds = (out: string, kind: string) => out.split('\n').filter((l) => new RegExp(`^\\s+[-+~/]+ ${kind.replace(/\./g, '\\.')}\\s`).test(l)).length;

test.before(async () => {
  await primary.mkdirs(root);
  const files: Array<[string, Buffer]> = [];
  for (let i = 0; i < 180; i++) files.push([`d${i % 10}/small-${i}.bin`, randomBytes(1024 * (1 + ((i * 37) % 200)))]);
  for (let i = 0; i < 20; i++) files.push([`big/multi-${i}.bin`, randomBytes(2.5 * MIB)]);
  for (let i = 0; i < files.length; i += 10) await Promise.all(files.slice(i, i + 10).map(([rel, data]) => write(rel, data)));
});

test.after(async () => {
  await primary.delete(root, true).catch(() => undefined);
  for (const o of await store.list('')) await store.delete(o.key);
});

test('1. 200 files: each block once in the store with its SHA-256; a second run uploads 0 block bytes and writes one manifest', async () => {
  const out = await applyOk(0);
  assert.ok(kinds(out, 'blocks.upload') >= 1, out);
  const live = await liveBlocks();
  assert.is(live.size, 180 + 20 * 3, 'blocks under the tree');
  const stored = await storedBlocks();
  assert.equal(stored, [...live.keys()].sort(), 'the store holds exactly the live blocks, each once');
  const pool = (await store.list('blocks/'))[0]!.key.split('/')[1]!;
  const heads = await Promise.all(stored.map((n) => store.head(`blocks/${pool}/${n}`)));
  const wrong = stored.filter((n, i) => heads[i]?.sha256 !== live.get(n));
  assert.equal(wrong, [], 'each object carries the SHA-256 of its block');
  assert.equal(await manifests(), [manifestKey('bk', T0)]);
  const m = await readManifest(manifestKey('bk', T0));
  assert.is(m.files.length, 200);
  assert.is(m.skipped.length, 0);
  assert.ok(m.files.every((f) => f.checksum), 'every file carries its HDFS checksum');
  console.log(`  run 1: ${stored.length} blocks, ${(stored.length && [...content.values()].reduce((n, b) => n + b.length, 0) / MIB).toFixed(1)} MiB`);

  const again = await applyOk(DAY);
  assert.is(kinds(again, 'blocks.upload'), 0, again);
  assert.is(kinds(again, 'blocks.manifest'), 1, again);
  assert.equal(await storedBlocks(), stored, 'no block added');
  assert.equal(await manifests(), [manifestKey('bk', T0), manifestKey('bk', T0 + DAY)]);
});

let beforeAppend: string[] = [];
let oldOfChanged: string[] = [];

test('2. append and rewrite: only the new or changed blocks go up (append: same id, new generation stamp)', async () => {
  beforeAppend = await storedBlocks();
  const appended = 'big/multi-0.bin';
  const rewritten = 'big/multi-1.bin';
  const lastBefore = (await getBlockLocations(primary, `${root}/${appended}`)).locatedBlocks.at(-1)!.block;
  const rewrittenBefore = (await getBlockLocations(primary, `${root}/${rewritten}`)).locatedBlocks.map((l) => `${l.block.blockId}_${l.block.generationStamp}`);
  const extra = randomBytes(100 * 1024);
  await primary.append(`${root}/${appended}`, extra);
  content.set(appended, Buffer.concat([content.get(appended)!, extra]));
  await write(rewritten, randomBytes(2.5 * MIB));

  const out = await applyOk(2 * DAY);
  assert.match(out, /4 blocks not in the store/);
  const after = await storedBlocks();
  const added = after.filter((n) => !beforeAppend.includes(n));
  assert.is(added.length, 4, `new keys: ${added.join(', ')}`);
  const lastAfter = (await getBlockLocations(primary, `${root}/${appended}`)).locatedBlocks.at(-1)!.block;
  assert.is(lastAfter.blockId, lastBefore.blockId, 'an append keeps the last block id');
  assert.ok(lastAfter.generationStamp > lastBefore.generationStamp, 'with a new generation stamp');
  assert.ok(added.includes(`${lastAfter.blockId}_${lastAfter.generationStamp}`));
  assert.equal(await storedBlocks().then((s) => s.filter((n) => beforeAppend.includes(n)).length), beforeAppend.length, 'old keys stay (inside gc_grace, referenced)');
  const live = await liveBlocks();
  assert.ok([...live.keys()].every((k) => after.includes(k)), 'every live block is stored');
  oldOfChanged = [`${lastBefore.blockId}_${lastBefore.generationStamp}`, ...rewrittenBefore];
});

let deletedBlocks: string[] = [];

test('5. gc: unreferenced blocks past gc_grace go; referenced ones stay; nothing inside the grace', async () => {
  const victims = [...content.keys()].filter((k) => k.startsWith('d3/'));
  assert.ok(victims.length >= 10);
  const before = await liveBlocks();
  await primary.delete(`${root}/d3`, true);
  for (const v of victims) content.delete(v);
  const after = await liveBlocks();
  deletedBlocks = [...before.keys()].filter((k) => !after.has(k));
  await applyOk(3 * DAY); // manifest 4 (without d3/); keep last 2 drops manifest 2, the last to reference the old blocks

  const inside = await run('plan', 3 * DAY + HOUR, {}, '5d');
  assert.is(inside.code, 0, inside.out);
  assert.is(kinds(inside.out, 'blocks.gc'), 0, `inside gc_grace nothing is collected:\n${inside.out}`);

  // gc_grace counts from the release (manifest 2 deleted at 3 * DAY: docs/blocks.md), so past a
  // 1h grace two hours later the blocks only it referenced go
  const collect = await run('apply', 3 * DAY + 2 * HOUR, {}, '1h');
  assert.is(collect.code, 0, collect.out);
  const out = collect.out;
  assert.is(kinds(out, 'blocks.gc'), 1, out);
  const stored = await storedBlocks();
  assert.equal(oldOfChanged.filter((n) => stored.includes(n)), [], 'the blocks only deleted manifests referenced are collected');
  assert.equal(deletedBlocks.filter((n) => !stored.includes(n)), [], 'the deleted files\' blocks stay: a kept manifest (day 2) references them');
  const ms = await manifests();
  for (const k of ms) {
    const m = await readManifest(k);
    const missing = m.files.flatMap((f) => f.blocks.map((b) => `${b.id}_${b.gs}`)).filter((n) => !stored.includes(n));
    assert.equal(missing, [], `every block ${k} references is stored`);
  }
  await applyOk(4 * DAY); // manifest 5; keep last 2 drops manifest 3, the last to reference d3/
});

const big = 'huge/20mib.bin';
let bigKey = '';

test('6. kill -9 during a multipart upload: no object, no half object; the next run aborts the upload, completes, writes the manifest; 5. no gc while the run is unfinished', async () => {
  await write(big, randomBytes(20 * MIB), 32 * MIB);
  const lb = (await getBlockLocations(primary, `${root}/${big}`)).locatedBlocks[0]!.block;
  bigKey = `blocks/${lb.blockPoolId}/${lb.blockId}_${lb.generationStamp}`;
  const trace = join(work, 'trace');
  // Kill at the first crash point after a part of the big block; earlier kills (journal points) also leave the run unfinished.
  let killedAtPart = false;
  for (let k = 1; k <= 40 && !killedAtPart; k++) {
    writeFileSync(trace, '');
    // over an 8 MiB memory bound the 20 MiB block goes through a temp file in 8 MiB parts (exec-upload.ts bufferMax)
    const r = await run('apply', 5 * DAY, { HBR_CRASH_AT: String(k), HBR_CRASH_TRACE: trace, HBR_BLOCK_BUFFER_MAX: String(8 * MIB) });
    const last = readFileSync(trace, 'utf8').trim().split('\n').at(-1) ?? '';
    if (r.code === 0) assert.unreachable(`apply ran to the end without passing a part of ${bigKey}:\n${readFileSync(trace, 'utf8')}`);
    killedAtPart = last.endsWith(`blocks.upload:part ${bigKey}`);
  }
  assert.ok(killedAtPart, 'killed after a part of the 20 MiB block');
  assert.is(await store.head(bigKey), undefined, 'no object under the key');
  const ups = await s3.send(new ListMultipartUploadsCommand({ Bucket: tb.HBR_TB_S3_BUCKET, Prefix: `${prefix}blocks/` }));
  assert.ok((ups.Uploads ?? []).some((u) => u.Key === `${prefix}${bigKey}`), 'the killed upload is left as a multipart upload');

  // 15 minutes on: the killed run's marker has had no heartbeat for longer than RUN_STALE_MS (it is
  // dead, so its upload may be swept); at 5 * DAY itself it would still count as alive (finding 8)
  const later = 5 * DAY + 15 * 60_000;
  const held = await run('plan', later);
  assert.is(held.code, 0, held.out);
  assert.is(kinds(held.out, 'blocks.gc'), 0, held.out);
  assert.match(held.out, /unfinished|did not finish/);
  assert.is(kinds(held.out, 'blocks.sweep'), 1, held.out);

  const out = await applyOk(later);
  assert.is(kinds(out, 'blocks.gc'), 0, 'no gc in the run that finishes the killed one');
  const left = await s3.send(new ListMultipartUploadsCommand({ Bucket: tb.HBR_TB_S3_BUCKET, Prefix: `${prefix}blocks/` }));
  assert.is((left.Uploads ?? []).length, 0, 'ListMultipartUploads shows none');
  const head = await store.head(bigKey);
  assert.is(head?.sha256, createHash('sha256').update(content.get(big)!).digest('hex'));
  assert.is(head?.size, 20 * MIB);
  const ms = await manifests();
  const m = await readManifest(ms.at(-1)!);
  assert.ok(m.files.some((f) => f.path === big && f.blocks.length === 1), 'the manifest holds the file');
  assert.equal(await store.list(`runs/bk/`), [], 'the run markers are gone');

  // The run is finished: the next plan (not due) collects the deleted files' blocks.
  // d3/'s blocks were released when manifest 3 was deleted (4 * DAY): past a 1h grace from then
  const collect = await run('apply', 5 * DAY + 2 * HOUR, {}, '1h');
  assert.is(collect.code, 0, collect.out);
  const gc = collect.out;
  assert.is(kinds(gc, 'blocks.gc'), 1, gc);
  const stored = await storedBlocks();
  assert.equal(deletedBlocks.filter((n) => stored.includes(n)), [], 'the deleted files\' blocks are collected once no kept manifest references them');
  const live = await liveBlocks();
  assert.equal([...live.keys()].filter((n) => !stored.includes(n)), [], 'every live block is still stored');
});

test.run();
