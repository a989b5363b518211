/**
 * bench/blocks — what hbr's block backup costs over a plain upload (issue #12 point 8).
 *
 * A tree of BENCH_BLOCKS_MIB (default 1024) MiB in files of BENCH_BLOCKS_FILE_MIB (default 128) MiB,
 * written with that block size, on the primary. Measured in the same run, to the same versitygw:
 *   baseline   a plain @aws-sdk PutObject loop of the same bytes (each block read over WebHDFS OPEN
 *              into memory, then one PutObject), one block at a time; its upload time alone too
 *   hbr        `hbr apply` of a block backup policy (concurrency 4): walk, OPEN ranges into memory
 *              hashing them, re-check, put-if-absent with the known SHA-256 (server-verified), manifest
 *   second run `hbr apply` of the unchanged tree one day later: seconds, and the requests it makes
 *              (counted by a forwarding proxy in front of the NameNode's HTTP port and of S3)
 * Figures and ratios are printed; nothing asserts a duration. The tree and the prefix are removed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getBlockLocations, openRange } from '../src/hadoop/webhdfs-blocks.js';
import { WebHdfs } from '../src/hadoop/webhdfs.js';
import { HBR, hbrEnv, writeBlocksPolicy } from '../test/helpers/hbr.js';
import { testbed } from '../test/helpers/testbed.js';

const MIB = 1 << 20;
const TOTAL_MIB = Number(process.env.BENCH_BLOCKS_MIB ?? 1024);
const FILE_MIB = Number(process.env.BENCH_BLOCKS_FILE_MIB ?? 128);
const CONCURRENCY = Number(process.env.BENCH_BLOCKS_CONCURRENCY ?? 4);

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; ms: number }> {
  const t = performance.now();
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [HBR, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => resolve({ code, out, ms: performance.now() - t }));
  });
}

/** A forwarding proxy to `target` (host header kept, so S3 signatures hold) that counts requests by a label. */
async function countingProxy(target: string, label: (req: http.IncomingMessage) => string): Promise<{ url: string; counts: Map<string, number>; close(): void }> {
  const t = new URL(target);
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const k = label(req);
    counts.set(k, (counts.get(k) ?? 0) + 1);
    const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, counts, close: () => server.close() };
}

const fmt = (counts: Map<string, number>) => [...counts.entries()].sort().map(([k, v]) => `${k} ${v}`).join(', ');

export async function benchBlocks(): Promise<void> {
  const tb = testbed();
  process.env.AWS_ACCESS_KEY_ID = tb.HBR_TB_S3_ACCESS_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = tb.HBR_TB_S3_SECRET_KEY;
  process.env.AWS_REGION = tb.HBR_TB_S3_REGION;
  const fs = new WebHdfs({ baseUrl: tb.HBR_TB_PRIMARY_WEBHDFS, user: tb.HBR_TB_HDFS_USER });
  const s3 = new S3Client({ endpoint: tb.HBR_TB_S3_ENDPOINT, region: tb.HBR_TB_S3_REGION, forcePathStyle: true });
  const id = `blocks-${Date.now().toString(36)}`;
  const src = `/bench/${id}`;
  const files = Math.max(1, Math.round(TOTAL_MIB / FILE_MIB));
  const bytes = files * FILE_MIB * MIB;
  console.log(`  writing ${files} x ${FILE_MIB} MiB (block size ${FILE_MIB} MiB) under primary:${src}`);
  const buf = Buffer.alloc(FILE_MIB * MIB);
  for (let i = 0; i < buf.length; i += 4) buf.writeUInt32LE((i * 2654435761) >>> 0, i);
  for (let i = 0; i < files; i++) {
    buf.writeUInt32LE(i, 0);
    await fs.create(`${src}/part-${String(i).padStart(4, '0')}`, buf, { blockSize: FILE_MIB * MIB });
  }
  const gib = bytes / MIB / 1024;

  // baseline: read each block over WebHDFS, PutObject it; one at a time
  const basePrefix = `bench-blocks-baseline/${id}/`;
  let uploadMs = 0;
  const t0 = performance.now();
  for (let i = 0; i < files; i++) {
    const path = `${src}/part-${String(i).padStart(4, '0')}`;
    for (const l of (await getBlockLocations(fs, path)).locatedBlocks) {
      const chunks: Buffer[] = [];
      await openRange(fs, path, { offset: l.startOffset, length: l.block.numBytes }, (c) => void chunks.push(c));
      const body = Buffer.concat(chunks);
      const u = performance.now();
      await s3.send(new PutObjectCommand({ Bucket: tb.HBR_TB_S3_BUCKET, Key: `${basePrefix}${l.block.blockId}_${l.block.generationStamp}`, Body: body, ContentLength: body.length }));
      uploadMs += performance.now() - u;
    }
  }
  const baseMs = performance.now() - t0;

  // hbr: a block backup policy, through counting proxies
  const nn = await countingProxy(tb.HBR_TB_PRIMARY_WEBHDFS, (r) => `webhdfs ${new URL(r.url ?? '/', 'http://x').searchParams.get('op')}`);
  const s3p = await countingProxy(tb.HBR_TB_S3_ENDPOINT, (r) => {
    const u = new URL(r.url ?? '/', 'http://x');
    const q = [...u.searchParams.keys()].filter((k) => ['list-type', 'uploads', 'uploadId', 'partNumber'].includes(k)).join('&');
    return `s3 ${r.method}${q ? `?${q}` : ''}`;
  });
  const dir = mkdtempSync(join(tmpdir(), 'hbr-bench-blocks-'));
  const prefix = `bench-blocks/${id}/`;
  // The full run talks to the servers directly, as the baseline does: through the proxies (which
  // run in this process, on the same cores) it would pay for a second copy of every byte the
  // baseline does not. BENCH_BLOCKS_COUNT_FULL=1 sends it through them to count its requests.
  const countFull = process.env.BENCH_BLOCKS_COUNT_FULL === '1';
  const policy = (counted: boolean) =>
    writeBlocksPolicy(join(dir, counted ? 'counted.yaml' : 'blocks.yaml'), {
      name: 'bench-blocks',
      root: src,
      prefix,
      ...(counted ? { webhdfs: nn.url, s3: s3p.url } : {}),
      backup: `every: 1d, keep: { last: 2 }, concurrency: ${CONCURRENCY}`,
    });
  const direct = policy(false);
  const counted = policy(true);
  const state = join(dir, 'state');
  const T0 = Date.parse('2030-08-01T00:00:00Z');
  const apply = (file: string, now: number) => run(['apply', '-f', file, '--state-dir', state, '--auto-approve'], hbrEnv({ HBR_NOW: new Date(now).toISOString() }));
  const full = await apply(countFull ? counted : direct, T0);
  if (full.code !== 0) throw new Error(`hbr apply failed:\n${full.out.slice(-3000)}`);
  const fullCounts = countFull ? fmt(nn.counts) + '; ' + fmt(s3p.counts) : '(not counted: BENCH_BLOCKS_COUNT_FULL=1 counts them, through a proxy)';
  nn.counts.clear();
  s3p.counts.clear();
  const second = await apply(counted, T0 + 86_400_000);
  if (second.code !== 0) throw new Error(`second hbr apply failed:\n${second.out.slice(-3000)}`);
  if (/blocks\.upload/.test(second.out)) throw new Error(`the second run uploaded blocks:\n${second.out}`);
  const secondCounts = fmt(nn.counts) + '; ' + fmt(s3p.counts);
  const secondTotal = [...nn.counts.values(), ...s3p.counts.values()].reduce((a, b) => a + b, 0);
  nn.close();
  s3p.close();
  // The same full backup through temp files (HBR_BLOCK_BUFFER_MAX=0: the path of blocks over the
  // memory bound, and of local stores), to a fresh prefix and state dir, for comparison in this run.
  const tempPrefix = `bench-blocks-tempfile/${id}/`;
  const tempFile = writeBlocksPolicy(join(dir, 'tempfile.yaml'), { name: 'bench-blocks', root: src, prefix: tempPrefix, backup: `every: 1d, keep: { last: 2 }, concurrency: ${CONCURRENCY}` });
  const viaTemp = await run(['apply', '-f', tempFile, '--state-dir', join(dir, 'state-tempfile'), '--auto-approve'], hbrEnv({ HBR_NOW: new Date(T0).toISOString(), HBR_BLOCK_BUFFER_MAX: '0' }));
  if (viaTemp.code !== 0) throw new Error(`hbr apply through temp files failed:\n${viaTemp.out.slice(-3000)}`);

  const rate = (ms: number) => `${(bytes / MIB / (ms / 1000)).toFixed(1)} MiB/s`;
  console.log(`  baseline, WebHDFS OPEN + PutObject loop of ${gib.toFixed(2)} GiB (${files} blocks): ${(baseMs / 1000).toFixed(1)} s, ${rate(baseMs)} (PutObject alone ${(uploadMs / 1000).toFixed(1)} s, ${rate(uploadMs)})`);
  console.log(`  hbr apply, full block backup: ${(full.ms / 1000).toFixed(1)} s, ${rate(full.ms)}`);
  for (const l of full.out.split('\n').filter((x) => / done in /.test(x))) console.log(`    ${l.replace(/^\[[\d:]+\] /, '')}`);
  console.log(`    requests: ${fullCounts}`);
  console.log(`  throughput ratio hbr / baseline loop: ${(baseMs / full.ms).toFixed(2)}; hbr / PutObject alone: ${(uploadMs / full.ms).toFixed(2)} (goal >= 0.8)`);
  console.log(`  hbr apply through temp files (HBR_BLOCK_BUFFER_MAX=0): ${(viaTemp.ms / 1000).toFixed(1)} s, ${rate(viaTemp.ms)}; ratio to the baseline loop ${(baseMs / viaTemp.ms).toFixed(2)}`);
  console.log(`  second run, unchanged tree: ${(second.ms / 1000).toFixed(1)} s, ${secondTotal} requests (${secondCounts})`);

  await fs.delete(src, true);
  for (const p of [prefix, basePrefix, tempPrefix]) {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: tb.HBR_TB_S3_BUCKET, Prefix: p, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of page.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: tb.HBR_TB_S3_BUCKET, Key: o.Key! }));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  s3.destroy();
}
