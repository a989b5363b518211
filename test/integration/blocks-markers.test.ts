/**
 * Run markers prove liveness (docs/blocks.md, "Run markers"; review finding 8), with two hbr
 * processes and two state dirs (no shared lock) on the real test bed:
 *   A  applies a due run whose block upload is held in a proxy in front of S3 (its parts stall);
 *      its heartbeat keeps going;
 *   B  applies the same policy from another state dir later, when A's marker alone is older than
 *      RUN_STALE_MS but its heartbeat is not: B writes its own manifest and must leave A's marker,
 *      and its plan must not sweep A's in-flight multipart upload. Released, A finishes.
 * Then markers put by hand: one of a dead run (no heartbeat for longer than RUN_STALE_MS) is swept
 * by `- blocks.sweep`; one dated in the future is reported, not swept.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { openRunKey } from '../../src/systems/blocks/names.js';
import { clusters, hbr, tempDir, testbedS3Store, writeBlocksPolicy } from '../helpers/hbr.js';
import { testbed, uniq } from '../helpers/testbed.js';

const { primary } = clusters();
const tb = testbed();

const MIB = 1 << 20;
const MIN = 60_000;
const T0 = Date.parse('2030-06-01T00:00:00Z');
const T1 = T0 + 86_400_000;
/** A's heartbeat interval here (HBR_RUN_HEARTBEAT_MS): a renewal is seen in seconds, not the minute a run waits */
const BEAT = 5_000;
const iso = (t: number) => new Date(t).toISOString();
const id = uniq('markers');
const root = `/it/${id}`;
const prefix = `${id}/`;
const dir = tempDir('markers');
const s3 = new S3Client({ endpoint: tb.HBR_TB_S3_ENDPOINT, region: tb.HBR_TB_S3_REGION, forcePathStyle: true });
const store = testbedS3Store(prefix);

/** A proxy to S3 that holds every PUT of a part under blocks/ until release(). */
async function stallingProxy(): Promise<{ url: string; stalled: () => number; release(): void; close(): void }> {
  const t = new URL(tb.HBR_TB_S3_ENDPOINT);
  const held: Array<() => void> = [];
  let released = false;
  const server = http.createServer((req, res) => {
    const go = () => {
      const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    if (!released && req.method === 'PUT' && /\/blocks\/.*partNumber=/.test(req.url ?? '')) held.push(go);
    else go();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stalled: () => held.length,
    release: () => {
      released = true;
      for (const go of held.splice(0)) go();
    },
    close: () => server.close(),
  };
}

/** the beat's time of runs/bk/<run>.<beat>.beat (names.ts runBeatKey), else 0 */
const beatTime = (key: string) => {
  const m = /\.(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)Z\.beat$/.exec(key);
  return m ? Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`) : 0;
};

const policy = (name: string, s3url?: string) =>
  writeBlocksPolicy(join(dir, name), { name: 'bk', root, prefix, ...(s3url ? { s3: s3url } : {}), backup: 'every: 1d, keep: { last: 3 }, gc_grace: 1h, concurrency: 2' });

async function waitFor(what: string, ok: () => Promise<boolean>, ms = 150_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.unreachable(`timed out waiting for ${what}`);
}

test.after(async () => {
  await primary.delete(root, true).catch(() => undefined);
  for (const u of await store.listIncompleteUploads('')) await store.abortUpload(u.key, u.uploadId);
  for (const o of await store.list('')) await store.delete(o.key);
  s3.destroy();
  store.destroy?.();
});

test('a live run (heartbeat) keeps its marker and its uploads against another process; a dead marker is swept; a future one is reported', async () => {
  await primary.mkdirs(root);
  for (let i = 0; i < 3; i++) await primary.create(`${root}/f${i}.bin`, randomBytes(100_000 + i));
  const direct = policy('direct.yaml');
  const first = await hbr(['apply', '-f', direct, '--state-dir', join(dir, 'state-b'), '--auto-approve'], { HBR_NOW: iso(T0) });
  assert.is(first.code, 0, first.stdout + first.stderr);
  await primary.create(`${root}/big.bin`, randomBytes(12 * MIB), { blockSize: 16 * MIB });

  // A: due at T1, its 12 MiB block through a temp file in 8 MiB parts, held by the proxy
  const proxy = await stallingProxy();
  const a = hbr(['apply', '-f', policy('a.yaml', proxy.url), '--state-dir', join(dir, 'state-a'), '--auto-approve'], { HBR_NOW: iso(T1), HBR_BLOCK_BUFFER_MAX: String(8 * MIB), HBR_RUN_HEARTBEAT_MS: String(BEAT) });
  try {
    const started = Date.now();
    await waitFor('A to stall in its upload', async () => proxy.stalled() > 0);
    assert.ok(await store.head(openRunKey('bk', T1)), 'A put its run marker');
    // A's heartbeat renews every BEAT ms (HBR_RUN_HEARTBEAT_MS; A's clock is T1 plus the time elapsed)
    await new Promise((r) => setTimeout(r, Math.max(0, started + BEAT + 4_000 - Date.now())));
    const mpu = await s3.send(new ListMultipartUploadsCommand({ Bucket: tb.HBR_TB_S3_BUCKET, Prefix: `${prefix}blocks/` }));
    assert.is((mpu.Uploads ?? []).length, 1, 'A\'s multipart upload is in flight');

    // B, another state dir, half a beat past the 10-min stale bound (RUN_STALE_MS) after A's start:
    // A's marker alone is stale, its renewed heartbeat (at T1 + BEAT or later) is not
    const tB = T1 + 10 * MIN + BEAT / 2;
    const b = await hbr(['apply', '-f', direct, '--state-dir', join(dir, 'state-b'), '--auto-approve'], { HBR_NOW: iso(tB) });
    assert.is(b.code, 0, b.stdout + b.stderr);
    assert.match(b.stdout + b.stderr, /blocks\.manifest/, 'B wrote its own manifest');
    assert.ok(await store.head(openRunKey('bk', T1)), 'B left A\'s live marker (before the fix its manifest step removed every marker up to its run)');
    const plan = await hbr(['plan', '-f', direct, '--state-dir', join(dir, 'state-b')], { HBR_NOW: iso(tB) });
    const out = plan.stdout + plan.stderr;
    assert.not.match(out, /blocks\.sweep/, `B does not sweep A's upload or marker:\n${out}`);
    assert.match(out, /not swept: a run of policy bk is alive/, out);
    assert.ok((await store.list('runs/bk/')).some((o) => beatTime(o.key) >= T1 + BEAT - 1_000), 'A renewed its heartbeat');
    const still = await s3.send(new ListMultipartUploadsCommand({ Bucket: tb.HBR_TB_S3_BUCKET, Prefix: `${prefix}blocks/` }));
    assert.is((still.Uploads ?? []).length, 1, 'A\'s upload is still there');
  } catch (err) {
    proxy.release();
    await a;
    proxy.close();
    throw err;
  }
  proxy.release();
  const ra = await a;
  proxy.close();
  assert.is(ra.code, 0, `A finishes:\n${ra.stdout}\n${ra.stderr}`);
  assert.equal((await store.list('runs/bk/')).map((o) => o.key), [], 'A removed its marker and heartbeats');

  // markers put by hand: a dead run's (two hours old, no heartbeat) and one dated a year ahead
  const tC = T1 + 3 * 3_600_000;
  const dead = openRunKey('bk', tC - 2 * 3_600_000);
  const future = openRunKey('bk', tC + 365 * 86_400_000);
  const scratch = join(dir, 'm');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(scratch, 'by hand\n');
  for (const k of [dead, future]) await store.putFile(k, scratch);
  const c = await hbr(['plan', '-f', direct, '--state-dir', join(dir, 'state-b')], { HBR_NOW: iso(tC) });
  const cout = c.stdout + c.stderr;
  assert.match(cout, /- blocks\.sweep/, cout);
  assert.match(cout, /dead runs \(no heartbeat for 10 min/, cout);
  assert.match(cout, /dated in the future .*holds nothing/, cout);
  const applied = await hbr(['apply', '-f', direct, '--state-dir', join(dir, 'state-b'), '--auto-approve'], { HBR_NOW: iso(tC) });
  assert.is(applied.code, 0, applied.stdout + applied.stderr);
  assert.equal((await store.list('runs/bk/')).map((o) => o.key), [future], 'the dead marker is swept, the future one is left');
});

test.run();
