/**
 * bench/restore — what hbr's restore costs over the copy itself (issue #11 point 7).
 *
 * A tree of BENCH_RESTORE_MIB (default 1024) MiB in 16 MiB files is replicated to the DR cluster
 * by `hbr apply`, then lost on the primary (tree and snapshot deleted, so the restore must read the
 * DR side). Measured in the same run, from the same DR snapshot into two fresh primary paths:
 *   baseline  `hadoop distcp <dr>/.snapshot/<S> <primary>/baseline` (plain: no -update, no -p)
 *   hbr       `hbr restore hdfs --auto-approve` (observe both sides, plan, DistCp -update with the
 *             preserve flags, then GETFILECHECKSUM of every copied file on both sides)
 * The ratio hbr / baseline is printed; the directories are removed after.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { WebHdfs } from '../src/hadoop/webhdfs.js';
import { HBR, hbrEnv, writePairPolicy } from '../test/helpers/hbr.js';
import { testbed } from '../test/helpers/testbed.js';

const MIB = Number(process.env.BENCH_RESTORE_MIB ?? 1024);
const FILE_MIB = 16;
const T0 = '2030-07-01T00:00:00.000Z';
const SNAP = 'hbr-20300701T000000Z';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; ms: number }> {
  const t = Date.now();
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => resolve({ code, out, ms: Date.now() - t }));
  });
}

function must(r: { code: number | null; out: string }, what: string): void {
  if (r.code !== 0) throw new Error(`${what} failed:\n${r.out.slice(-3000)}`);
}

export async function benchRestore(): Promise<{ hbrMs: number; baselineMs: number; ratio: number }> {
  const tb = testbed();
  const primary = new WebHdfs({ baseUrl: tb.HBR_TB_PRIMARY_WEBHDFS, user: tb.HBR_TB_HDFS_USER });
  const dr = new WebHdfs({ baseUrl: tb.HBR_TB_DR_WEBHDFS, user: tb.HBR_TB_HDFS_USER });
  const id = `restore-${Date.now().toString(36)}`;
  const src = `/bench/${id}/data`;
  const dst = `/bench-dr/${id}/data`;
  const files = Math.max(1, Math.round(MIB / FILE_MIB));
  console.log(`  writing ${files} x ${FILE_MIB} MiB under primary:${src}, replicating to dr:${dst}`);
  const block = Buffer.alloc(FILE_MIB << 20);
  const limit = pLimit(4);
  await Promise.all(
    Array.from({ length: files }, (_, i) =>
      limit(() => {
        block.writeUInt32LE(i, 0); // distinct content per file
        return primary.create(`${src}/d${i % 8}/part-${String(i).padStart(4, '0')}`, Buffer.from(block));
      }),
    ),
  );
  const dir = mkdtempSync(join(tmpdir(), 'hbr-bench-restore-'));
  const file = writePairPolicy(dir, { name: 'bench-restore', src, dst });
  const state = join(dir, 'state');
  const env = hbrEnv({ HBR_NOW: T0 });
  must(await run(process.execPath, [HBR, 'apply', '-f', file, '--state-dir', state, '--auto-approve'], env), 'hbr apply');
  // Lost on the primary, tree and snapshot: both copies below read the DR side.
  await primary.delete(src, true).catch(() => false);
  await primary.deleteSnapshot(src, SNAP).catch(() => undefined);
  await primary.delete(src, true);
  await primary.mkdirs(src);

  const baselineDst = `/bench/${id}/baseline`;
  const base = await run(tb.HBR_TB_HADOOP, ['distcp', `${tb.HBR_TB_DR_FS}${dst}/.snapshot/${SNAP}`, `${tb.HBR_TB_PRIMARY_FS}${baselineDst}`], process.env);
  must(base, 'baseline distcp');
  const restore = await run(process.execPath, [HBR, 'restore', 'hdfs', '-f', file, '--state-dir', state, '--policy', 'bench-restore', '--auto-approve'], env);
  must(restore, 'hbr restore');
  const summary = await primary.getContentSummary(src);
  if (summary.length !== files * (FILE_MIB << 20)) throw new Error(`restored ${summary.length} bytes, expected ${files * (FILE_MIB << 20)}`);
  const line = /Restore complete: .*/.exec(restore.out)?.[0] ?? '';
  console.log(`  baseline, hadoop distcp of ${dst}/.snapshot/${SNAP} (${MIB} MiB, ${files} files): ${(base.ms / 1000).toFixed(1)} s`);
  console.log(`  hbr restore hdfs (plan + distcp -update -p + checksum of every file): ${(restore.ms / 1000).toFixed(1)} s  (${line})`);
  console.log(`  ratio hbr / baseline: ${(restore.ms / base.ms).toFixed(2)}x`);
  await primary.delete(`/bench/${id}`, true);
  await dr.deleteSnapshot(dst, SNAP).catch(() => undefined);
  await dr.delete(`/bench-dr/${id}`, true);
  return { hbrMs: restore.ms, baselineMs: base.ms, ratio: restore.ms / base.ms };
}
