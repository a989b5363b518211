/**
 * bench/hbase — observing HBase backup history (issue 13 point 6; docs/hbase.md).
 *
 * A standalone HBase on the test bed with BENCH_HBASE_TABLES (20) tables of 10 rows each, backed up
 * together by hbr (one full, BENCH_HBASE_INCREMENTALS (2) incrementals: every backup covers every
 * table). Printed, median of BENCH_RUNS (3):
 *  - `hbr plan` of the policy: load, the sessions over REST, each image checked over WebHDFS, render;
 *  - baseline: `hbase backup history -t <table>` once per table through the CLI (a JVM each), the way a
 *    script reads the same history; and the ratio.
 * Figures only: no assertion on a duration.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { hbaseEnv, startHbase, writeHbasePolicy } from '../test/helpers/hbase.js';
import { at, clusters, HBR, hbrEnv, tempDir } from '../test/helpers/hbr.js';
import { uniq } from '../test/helpers/testbed.js';

const TABLES = Number(process.env.BENCH_HBASE_TABLES ?? 20);
const INCREMENTALS = Number(process.env.BENCH_HBASE_INCREMENTALS ?? 2);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchHbase(): Promise<void> {
  const name = uniq('hbase-bench') as `hbase-${string}`;
  const h = startHbase(name);
  const dir = tempDir('bench-hbase');
  const state = join(dir, 'state');
  const root = `/bench/hbase-${name}`;
  try {
    const tables = Array.from({ length: TABLES }, (_, i) => `t${String(i).padStart(2, '0')}`);
    for (const t of tables) {
      await h.createTable(t, ['cf']);
      await h.putRows(t, Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`r${i}`, { 'cf:v': `${t}-${i}` }])));
    }
    const file = writeHbasePolicy(join(dir, 'bench.yaml'), h, { name: 'bench', tables, root, full: '7d', incremental: '1h' });
    const env = hbrEnv(hbaseEnv(h));
    const hbr = (args: string[], now?: string) => spawnSync(process.execPath, [HBR, ...args, '-f', file, '--state-dir', state], { env: { ...env, ...(now ? { HBR_NOW: now } : {}) }, encoding: 'utf8' });
    let t = Date.now();
    let r = hbr(['apply', '--auto-approve']);
    if (r.status !== 0) throw new Error(`apply failed: ${r.stdout}${r.stderr}`);
    console.log(`  full backup of ${TABLES} tables through hbr: ${secs(Date.now() - t)}`);
    for (let i = 1; i <= INCREMENTALS; i++) {
      const newest = (await h.sessions()).filter((s) => s.state === 'COMPLETE').pop()!;
      t = Date.now();
      r = hbr(['apply', '--auto-approve'], at(new Date(newest.startTs).toISOString(), 1.01));
      if (r.status !== 0) throw new Error(`apply failed: ${r.stdout}${r.stderr}`);
      console.log(`  incremental ${i} of ${TABLES} tables through hbr: ${secs(Date.now() - t)}`);
    }
    const sessions = (await h.sessions()).length;
    const plans: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      t = Date.now();
      r = hbr(['plan']);
      plans.push(Date.now() - t);
      if (r.status !== 0) throw new Error(`plan failed: ${r.stdout}${r.stderr}`);
    }
    const clis: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      t = Date.now();
      for (const tb of tables) {
        const c = h.cli('backup', ['history', '-t', tb, '-n', '100']);
        if (c.status !== 0 || !c.stdout.includes('State=COMPLETE')) throw new Error(`history -t ${tb}: ${c.stdout}${c.stderr}`);
      }
      clis.push(Date.now() - t);
    }
    const plan = median(plans);
    const cli = median(clis);
    console.log(`  ${sessions} sessions of ${TABLES} tables: hbr plan (REST + image checks) ${secs(plan)}; hbase backup history per table through the CLI ${secs(cli)}; ratio CLI/hbr ${(cli / plan).toFixed(1)}x`);
  } finally {
    h.stop();
    await clusters().dr.delete(root, true).catch(() => false);
  }
}
