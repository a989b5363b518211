/**
 * bench/audit — the cost of the protection audit's replication walk (docs/audit.md, issue 12).
 *
 * A tree of BENCH_AUDIT_DIRS × BENCH_AUDIT_FILES small files (default 100 × 100 = 10,000) under
 * /bench/audit-<D>x<F> on the test bed's primary (made once, kept for later runs). Printed:
 *  - the walk (src/systems/audit/observe.ts `walk`: LISTSTATUS per directory) at concurrency 1, 8
 *    and 32: requests and seconds, median of BENCH_RUNS (3);
 *  - the whole `hbr plan` of an audit policy of the tree (load, the walk, JMX, GETSERVERDEFAULTS,
 *    quotas, render), median of BENCH_RUNS;
 *  - baseline: `hdfs dfs -ls -R` of the tree (one JVM, the shell way to see every file's
 *    replication), and the ratio.
 * Figures only: no assertion on a duration.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { WebHdfs } from '../src/hadoop/webhdfs.js';
import { walk } from '../src/systems/audit/observe.js';
import { HBR, hbrEnv } from '../test/helpers/hbr.js';
import { testbed } from '../test/helpers/testbed.js';

const DIRS = Number(process.env.BENCH_AUDIT_DIRS ?? 100);
const FILES = Number(process.env.BENCH_AUDIT_FILES ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ROOT = `/bench/audit-${DIRS}x${FILES}`;

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function populate(fs: WebHdfs): Promise<void> {
  if (await fs.stat(`${ROOT}/.complete`)) return;
  console.log(`  creating ${DIRS} dirs x ${FILES} files under ${ROOT} (once; kept for later runs)`);
  const t = Date.now();
  const limit = pLimit(16);
  await Promise.all(
    Array.from({ length: DIRS * FILES }, (_, i) =>
      limit(() => fs.create(`${ROOT}/d${String(Math.floor(i / FILES)).padStart(4, '0')}/f${i % FILES}`, Buffer.from(String(i)), { overwrite: true })),
    ),
  );
  await fs.create(`${ROOT}/.complete`, Buffer.from('ok'), { overwrite: true });
  console.log(`  populated in ${secs(Date.now() - t)}`);
}

function timed(cmd: string, args: string[], env?: NodeJS.ProcessEnv): { ms: number; out: string } {
  const t = Date.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...(env && { env }) });
  if (r.status !== 0 && r.status !== 2) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return { ms: Date.now() - t, out: r.stdout };
}

export async function benchAudit(): Promise<void> {
  const tb = testbed();
  const fs = new WebHdfs({ baseUrl: tb.HBR_TB_PRIMARY_WEBHDFS, user: tb.HBR_TB_HDFS_USER });
  await populate(fs);

  for (const c of [1, 8, 32]) {
    const runs: number[] = [];
    let w: Awaited<ReturnType<typeof walk>> | undefined;
    for (let i = 0; i < RUNS; i++) {
      const t = Date.now();
      w = await walk(fs, ROOT, 2, c);
      runs.push(Date.now() - t);
    }
    const ms = median(runs);
    console.log(`  walk, concurrency ${c}: ${w!.files} files in ${w!.dirs} dirs, ${w!.requests} requests, ${secs(ms)} (median of ${RUNS}; ${Math.round((w!.files / ms) * 1000)} files/s)`);
  }

  const dir = mkdtempSync(join(tmpdir(), 'hbr-bench-audit-'));
  const file = join(dir, 'audit.yaml');
  writeFileSync(file, `version: 1
clusters:
  primary: { hdfs: { webhdfs: ${tb.HBR_TB_PRIMARY_WEBHDFS}, fs: ${tb.HBR_TB_PRIMARY_FS}, user: ${tb.HBR_TB_HDFS_USER} } }
policies:
  tree:
    source: { cluster: primary, path: ${ROOT} }
    audit: { min_replication: 2 }
`);
  const plans: number[] = [];
  let out = '';
  for (let i = 0; i < RUNS; i++) {
    const r = timed(process.execPath, [HBR, 'plan', '-f', file, '--state-dir', join(dir, 'state')], hbrEnv());
    plans.push(r.ms);
    out = r.out;
  }
  const flagged = /(\d+) files under/.exec(out)?.[1];
  const hbrMs = median(plans);
  console.log(`  hbr plan of an audit policy of the tree (whole CLI, default concurrency 8, median of ${RUNS}): ${secs(hbrMs)} (${flagged ?? '?'} files flagged below min_replication 2)`);

  const ls = timed(tb.HBR_TB_HDFS, ['dfs', '-ls', '-R', ROOT]);
  const lines = ls.out.split('\n').filter((l) => l.startsWith('-')).length;
  console.log(`  baseline, hdfs dfs -ls -R ${ROOT} (one JVM): ${secs(ls.ms)} (${lines} files listed)`);
  console.log(`  ratio hdfs dfs -ls -R / hbr plan: ${(ls.ms / hbrMs).toFixed(2)}x`);
}
