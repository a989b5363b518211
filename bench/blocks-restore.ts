/**
 * bench/blocks-restore — restore throughput of `hbr restore blocks` (issue #12 point 8, the restore
 * figure), against a plain loop doing the same transfer.
 *
 * BENCH_BLOCKS_RESTORE_MIB (default 256) MiB in 32 MiB files with an 8 MiB block size are written
 * to the test bed's primary and backed up into its S3 by `hbr apply` (a block backup policy).
 * Measured in the same run, each into a fresh primary path:
 *   baseline  a plain loop: per file, @aws-sdk GetObject of each of its blocks (the manifest's
 *             keys, in order) piped straight into one streaming WebHDFS CREATE, 4 files at a time
 *             (no checks, no temp files)
 *   hbr       `hbr restore blocks --to <fresh path> --auto-approve`: list manifests, read the
 *             manifest, HEAD the blocks, observe the destinations, then per file (4 at a time):
 *             blocks from S3 to local files with SHA-256 checks, streaming CREATE of a scratch,
 *             GETFILECHECKSUM, SETOWNER/SETPERMISSION/SETTIMES, RENAME
 * Printed: both in MiB/s, the ratio hbr / baseline, and two parts of hbr's work timed apart (the
 * store reads alone, GETFILECHECKSUM alone). Everything written is removed after.
 * Run alone (`npm run bench -- blocks-restore`, test bed up): the two cores are shared by the
 * NameNode+DataNode JVM and versitygw.
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { WebHdfs } from '../src/hadoop/webhdfs.js';
import { createFromStream } from '../src/hadoop/webhdfs-write.js';
import { openStore } from '../src/stores/index.js';
import type { Manifest } from '../src/systems/blocks/types.js';
import { HBR, hbrEnv, writeBlocksPolicy } from '../test/helpers/hbr.js';
import { testbed } from '../test/helpers/testbed.js';

const MIB = 1 << 20;
const TOTAL_MIB = Number(process.env.BENCH_BLOCKS_RESTORE_MIB ?? 256);
const FILE_MIB = 32;
const BLOCK = 8 * MIB;

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; ms: number }> {
  const t = Date.now();
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [HBR, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => resolve({ code, out, ms: Date.now() - t }));
  });
}

export async function benchBlocksRestore(): Promise<{ hbrMiBs: number; baselineMiBs: number; ratio: number }> {
  const tb = testbed();
  const fs = new WebHdfs({ baseUrl: tb.HBR_TB_PRIMARY_WEBHDFS, user: tb.HBR_TB_HDFS_USER, timeoutMs: 120_000 });
  const id = `blocks-restore-${Date.now().toString(36)}`;
  const root = `/bench/${id}`;
  const files = Math.max(1, Math.round(TOTAL_MIB / FILE_MIB));
  const work = mkdtempSync(join(tmpdir(), 'hbr-bench-blocks-restore-'));
  const prefix = `${id}/`;
  const env = hbrEnv({
    AWS_ACCESS_KEY_ID: tb.HBR_TB_S3_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: tb.HBR_TB_S3_SECRET_KEY,
    AWS_REGION: tb.HBR_TB_S3_REGION,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    HBR_NOW: '2030-08-01T00:00:00Z',
  });
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY, AWS_REGION: env.AWS_REGION });
  const policy = writeBlocksPolicy(join(work, 'p.yaml'), { name: 'bench', root: `${root}/data`, prefix, backup: 'every: 1d, keep: { last: 1 }' });
  const storeConfig = { name: 's3', kind: 's3' as const, bucket: tb.HBR_TB_S3_BUCKET, prefix, endpoint: tb.HBR_TB_S3_ENDPOINT, forcePathStyle: true, at: { file: 'bench', line: 1, col: 1 } };
  try {
    console.log(`  writing ${files} x ${FILE_MIB} MiB (block size ${BLOCK / MIB} MiB) under primary:${root}/data`);
    const buf = Buffer.alloc(FILE_MIB * MIB);
    for (let i = 0; i < files; i++) {
      for (let j = 0; j < buf.length; j += 4096) buf.writeUInt32LE((i * 2654435761 + j) >>> 0, j); // distinct blocks
      const f = join(work, `part-${i}`);
      writeFileSync(f, buf);
      await createFromStream(fs, `${root}/data/part-${i}`, createReadStream(f), { length: buf.length, blockSize: BLOCK });
    }
    const backup = await run(['apply', '-f', policy, '--state-dir', join(work, 'state'), '--auto-approve'], env);
    if (backup.code !== 0) throw new Error(`backup failed:\n${backup.out.slice(-3000)}`);
    console.log(`  backup (hbr apply): ${(backup.ms / 1000).toFixed(1)} s, ${(TOTAL_MIB / (backup.ms / 1000)).toFixed(1)} MiB/s`);

    // The baseline: the newest manifest's block keys per file, GetObject → CREATE, 4 files at a time.
    const s3store = await openStore(storeConfig);
    const mkey = (await s3store.list('manifests/bench/')).map((o) => o.key).sort().pop()!;
    await s3store.getFile(mkey, join(work, 'manifest.json'));
    const manifest = JSON.parse(readFileSync(join(work, 'manifest.json'), 'utf8')) as Manifest;
    const s3 = new S3Client({ endpoint: tb.HBR_TB_S3_ENDPOINT, region: tb.HBR_TB_S3_REGION, forcePathStyle: true });
    const limit = pLimit(4);
    const t = Date.now();
    await Promise.all(
      manifest.files.map((f) =>
        limit(async () => {
          async function* bytes(): AsyncGenerator<Buffer> {
            for (const b of f.blocks) {
              const o = await s3.send(new GetObjectCommand({ Bucket: tb.HBR_TB_S3_BUCKET, Key: `${prefix}blocks/${manifest.blockPoolId}/${b.id}_${b.gs}` }));
              for await (const c of o.Body as AsyncIterable<Buffer>) yield c;
            }
          }
          await createFromStream(fs, `${root}/baseline/${f.path}`, Readable.from(bytes()), { length: f.length, blockSize: f.blockSize });
        }),
      ),
    );
    const baselineMs = Date.now() - t;
    s3.destroy();

    const r = await run(['restore', 'blocks', '-f', policy, '--state-dir', join(work, 'state'), '--policy', 'bench', '--to', `${root}/restored`, '--auto-approve'], env);
    if (r.code !== 0) throw new Error(`restore failed:\n${r.out.slice(-3000)}`);
    const mib = files * FILE_MIB;
    const hbrMiBs = mib / (r.ms / 1000);
    const baselineMiBs = mib / (baselineMs / 1000);
    console.log(`  baseline (GetObject piped into CREATE, 4 at a time): ${(baselineMs / 1000).toFixed(1)} s, ${baselineMiBs.toFixed(1)} MiB/s`);
    console.log(`  hbr restore blocks --to (S3 → HDFS, verified):       ${(r.ms / 1000).toFixed(1)} s, ${hbrMiBs.toFixed(1)} MiB/s`);
    console.log(`  ratio hbr / baseline throughput: ${(hbrMiBs / baselineMiBs).toFixed(2)}`);
    // Two parts of hbr's work, timed apart after it: the verification's GETFILECHECKSUM of every
    // file, 4 at a time as the restore does it,
    const c0 = Date.now();
    await Promise.all(Array.from({ length: files }, (_, i) => limit(() => fs.getFileChecksum(`${root}/restored/part-${i}`))));
    console.log(`  apart: GETFILECHECKSUM of the restored files ${((Date.now() - c0) / 1000).toFixed(1)} s (the DataNode reads the .meta CRCs, not the data)`);
    // and the store read alone: every block to a local file with its SHA-256 checked, 4 at a time
    const keys = (await s3store.list('blocks/')).map((o) => o.key);
    const g0 = Date.now();
    await Promise.all(keys.map((k, n) => limit(async () => {
      const f = join(work, `get-${n}`);
      await s3store.getFile(k, f);
      rmSync(f);
    })));
    console.log(`  apart: store getFile of the ${keys.length} blocks ${((Date.now() - g0) / 1000).toFixed(1)} s`);
    return { hbrMiBs, baselineMiBs, ratio: hbrMiBs / baselineMiBs };
  } finally {
    await fs.delete(root, true).catch(() => {});
    const store = await openStore(storeConfig);
    for (const o of await store.list('').catch(() => [])) await store.delete(o.key).catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchBlocksRestore().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
