/**
 * bench/blocks-restore — restore throughput of `hbr restore blocks` (issue #12 point 8, the restore
 * figure), against the HDFS write alone.
 *
 * BENCH_BLOCKS_RESTORE_MIB (default 256) MiB in 32 MiB files with an 8 MiB block size are written
 * to the test bed's primary and backed up into its S3 by `hbr apply` (a block backup policy).
 * Measured in the same run:
 *   baseline  the same bytes written from local files to a fresh primary path with a plain
 *             streaming WebHDFS CREATE per file, 4 at a time like hbr (the policy's default
 *             concurrency); no store, no checks
 *   hbr       `hbr restore blocks --to <fresh path> --auto-approve`: list manifests, read the
 *             manifest, observe the destinations, then per file: blocks from S3 with SHA-256
 *             checks, streaming CREATE of a scratch, GETFILECHECKSUM, SETOWNER/SETPERMISSION/
 *             SETTIMES, RENAME
 * Printed: both in MiB/s and the ratio hbr / baseline. Everything written is removed after.
 * Run alone (`node --import tsx bench/blocks-restore.ts` after `npm run build`, test bed up): the
 * two cores are shared by the NameNode+DataNode JVM and versitygw.
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { WebHdfs } from '../src/hadoop/webhdfs.js';
import { createFromStream } from '../src/hadoop/webhdfs-write.js';
import { openStore } from '../src/stores/index.js';
import { HBR, hbrEnv } from '../test/helpers/hbr.js';
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
  const policy = join(work, 'p.yaml');
  writeFileSync(
    policy,
    `version: 1
clusters:
  primary: { hdfs: { webhdfs: ${tb.HBR_TB_PRIMARY_WEBHDFS}, fs: ${tb.HBR_TB_PRIMARY_FS}, user: ${tb.HBR_TB_HDFS_USER} } }
stores:
  s3: { s3: { bucket: ${tb.HBR_TB_S3_BUCKET}, prefix: ${prefix}, endpoint: ${tb.HBR_TB_S3_ENDPOINT}, force_path_style: true } }
policies:
  bench:
    source: { cluster: primary, path: ${root}/data }
    backup: { to: s3, every: 1d, keep: { last: 1 } }
`,
  );
  const local: string[] = [];
  try {
    console.log(`  writing ${files} x ${FILE_MIB} MiB (block size ${BLOCK / MIB} MiB) under primary:${root}/data`);
    const buf = Buffer.alloc(FILE_MIB * MIB);
    for (let i = 0; i < files; i++) {
      for (let j = 0; j < buf.length; j += 4096) buf.writeUInt32LE((i * 2654435761 + j) >>> 0, j); // distinct blocks
      const f = join(work, `part-${i}`);
      writeFileSync(f, buf);
      local.push(f);
      await createFromStream(fs, `${root}/data/part-${i}`, createReadStream(f), { length: buf.length, blockSize: BLOCK });
    }
    const backup = await run(['apply', '-f', policy, '--state-dir', join(work, 'state'), '--auto-approve'], env);
    if (backup.code !== 0) throw new Error(`backup failed:\n${backup.out.slice(-3000)}`);
    console.log(`  backup (hbr apply): ${(backup.ms / 1000).toFixed(1)} s, ${(TOTAL_MIB / (backup.ms / 1000)).toFixed(1)} MiB/s`);

    const t = Date.now();
    const limit = pLimit(4);
    await Promise.all(local.map((f, i) => limit(() => createFromStream(fs, `${root}/baseline/part-${i}`, createReadStream(f), { length: FILE_MIB * MIB, blockSize: BLOCK }))));
    const baselineMs = Date.now() - t;

    const r = await run(['restore', 'blocks', '-f', policy, '--state-dir', join(work, 'state'), '--policy', 'bench', '--to', `${root}/restored`, '--auto-approve'], env);
    if (r.code !== 0) throw new Error(`restore failed:\n${r.out.slice(-3000)}`);
    const mib = files * FILE_MIB;
    const hbrMiBs = mib / (r.ms / 1000);
    const baselineMiBs = mib / (baselineMs / 1000);
    console.log(`  baseline (plain streaming CREATE, 4 at a time):      ${(baselineMs / 1000).toFixed(1)} s, ${baselineMiBs.toFixed(1)} MiB/s`);
    console.log(`  hbr restore blocks --to (S3 → HDFS, verified):       ${(r.ms / 1000).toFixed(1)} s, ${hbrMiBs.toFixed(1)} MiB/s`);
    console.log(`  ratio hbr / baseline throughput: ${(hbrMiBs / baselineMiBs).toFixed(2)}`);
    return { hbrMiBs, baselineMiBs, ratio: hbrMiBs / baselineMiBs };
  } finally {
    await fs.delete(root, true).catch(() => {});
    const store = await openStore({ name: 's3', kind: 's3', bucket: tb.HBR_TB_S3_BUCKET, prefix, endpoint: tb.HBR_TB_S3_ENDPOINT, forcePathStyle: true, at: { file: 'bench', line: 1, col: 1 } });
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
