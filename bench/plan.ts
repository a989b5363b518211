/**
 * bench/plan — how fast hbr sees a large estate (issue 16).
 *
 * 1. `hbr plan` (the whole CLI: load, observe over WebHDFS, plan, render) over N snapshottable
 *    directories × S snapshots (default 1,000 × 50) on the test bed's primary cluster, against
 *    - the bare lower bound: the same WebHDFS GETs hbr's observation sends (recorded in this
 *      process from the same code), replayed by a minimal Node.js process with plain `fetch` at
 *      hbr's concurrency; what no client gets below without asking the NameNode less. hbr and
 *      the bare loop run interleaved, BENCH_RUNS times each (3), and the medians are printed;
 *    - the CLI baseline, the same facts the way a shell script gets them:
 *      `hdfs lsSnapshottableDir` once, then `hdfs dfs -ls <dir>/.snapshot` per directory (one JVM
 *      per call), measured on a sample of directories and scaled to N (it is linear), unless
 *      BENCH_FULL=1 runs it on all N.
 *    and the split of one `hbr plan` run into its phases (PHASES below);
 * 2. The pure planner on 100,000 snapshots, against a baseline of 10,000 in the same process
 *    (the ratio shows how it scales).
 *
 * BENCH_DIRS, BENCH_SNAPSHOTS, BENCH_SAMPLE, BENCH_RUNS change the run; the directories stay
 * under /bench/plan-<N>x<S> on the primary cluster for later runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { snapshotName } from '../src/model/names.js';
import { dirKey, type Observed, type ObservedDir } from '../src/model/observed.js';
import type { Config } from '../src/model/policy.js';
import type { HdfsCluster } from '../src/hadoop/cluster.js';
import type { HdfsSnapshotPolicy } from '../src/systems/hdfs/types.js';
import { WebHdfs } from '../src/hadoop/webhdfs.js';
import { planAll } from '../src/planner/plan.js';
import { loadConfig } from '../src/schema/load.js';
import { DEFAULT_CONCURRENCY, observeHdfs } from '../src/systems/hdfs/observe.js';
import { HBR } from '../test/helpers/hbr.js';
import { testbed } from '../test/helpers/testbed.js';

const DIRS = Number(process.env.BENCH_DIRS ?? 1000);
const SNAPS = Number(process.env.BENCH_SNAPSHOTS ?? 50);
const SAMPLE = process.env.BENCH_FULL === '1' ? DIRS : Number(process.env.BENCH_SAMPLE ?? 20);
const ROOT = `/bench/plan-${DIRS}x${SNAPS}`;
/** runs of `hbr plan` and of the bare loop (the median is printed) */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const T0 = Date.parse('2030-06-01T00:00:00Z');

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

export async function populate(fs: WebHdfs): Promise<void> {
  if (await fs.stat(`${ROOT}/.complete`)) return;
  console.log(`  creating ${DIRS} snapshottable dirs x ${SNAPS} snapshots under ${ROOT} (once; kept for later runs)`);
  const limit = pLimit(32);
  const t = Date.now();
  await Promise.all(
    Array.from({ length: DIRS }, (_, i) =>
      limit(async () => {
        const dir = `${ROOT}/d${String(i).padStart(4, '0')}`;
        await fs.mkdirs(dir);
        await fs.allowSnapshot(dir);
        const have = new Set((await fs.getSnapshotList(dir)).map((s) => s.dirStatus.pathSuffix));
        for (let s = 0; s < SNAPS; s++) {
          const name = snapshotName(T0 + s * 3600_000);
          if (!have.has(name)) await fs.createSnapshot(dir, name);
        }
      }),
    ),
  );
  await fs.create(`${ROOT}/.complete`, Buffer.from('ok'), { overwrite: true });
  console.log(`  populated in ${secs(Date.now() - t)}`);
}

/**
 * A policy file of hdfs-snapshots policies on the test bed's primary cluster: `name: path` pairs,
 * one `snapshots:` value for all (also used by bench/daemon).
 */
export function primaryPolicyFile(file: string, dirs: Array<[name: string, path: string]>, snapshots: string): string {
  const tb = testbed();
  const lines = [
    'version: 1',
    'clusters:',
    `  primary: { hdfs: { webhdfs: ${tb.HBR_TB_PRIMARY_WEBHDFS}, fs: ${tb.HBR_TB_PRIMARY_FS} } }`,
    'policies:',
  ];
  for (const [name, path] of dirs) lines.push(`  ${name}:`, `    source: { cluster: primary, path: ${path} }`, `    snapshots: ${snapshots}`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function policyFile(dir: string): string {
  const names = Array.from({ length: DIRS }, (_, i) => `d${String(i).padStart(4, '0')}`);
  return primaryPolicyFile(join(dir, 'bench.yaml'), names.map((n) => [n, `${ROOT}/${n}`]), '{ every: 1h, keep: { hourly: 24 } }');
}

function timeCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ms: number; out: string } {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0 && r.status !== 2) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, out: r.stdout };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * The WebHDFS GETs hbr's own observation sends for `config`, recorded in this process (the same
 * code `hbr plan` runs), as URLs: what the bare lower bound replays.
 */
async function observedGets(config: Config): Promise<string[]> {
  const urls: string[] = [];
  const real = globalThis.fetch;
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    urls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    return real(input, init);
  }) as typeof fetch;
  try {
    await observeHdfs(config, {});
  } finally {
    globalThis.fetch = real;
  }
  return urls;
}

/**
 * The bare lower bound: a minimal Node.js process that sends the same GETs with plain `fetch`
 * (keep-alive, as Node's default dispatcher does) at hbr's concurrency, reads each body, and
 * exits: what a client cannot go below on this machine without asking the NameNode less.
 */
const BARE_FETCH = `
const [file, conc] = process.argv.slice(1);
const urls = JSON.parse(require('fs').readFileSync(file, 'utf8'));
let next = 0;
const worker = async () => { while (next < urls.length) { const r = await fetch(urls[next++]); await r.text(); } };
Promise.all(Array.from({ length: Number(conc) }, worker));
`;

/**
 * The phases of one `hbr plan`, timed in a fresh Node.js process that does what src/cli/plan.ts
 * does, in its order, with the same modules from dist/: start and imports, load the policies,
 * observe (the network wait), plan, render the text. CPU time (user + system) beside each.
 */
const PHASES = `
const [dist, file, stateDir] = process.argv.slice(1);
const t = () => [performance.now(), process.cpuUsage()];
const since = ([w, c]) => { const u = process.cpuUsage(c); return { wall: performance.now() - w, cpu: (u.user + u.system) / 1000 }; };
const out = { start: { wall: performance.now(), cpu: (process.cpuUsage().user + process.cpuUsage().system) / 1000 } };
(async () => {
  let t0 = t();
  await import(dist + '/cli/main.js');
  const { loadOrFail, observe } = await import(dist + '/cli/common.js');
  const { planAll } = await import(dist + '/planner/plan.js');
  const { renderPlanText } = await import(dist + '/render/plan.js');
  out.imports = since(t0); t0 = t();
  const config = await loadOrFail({ file: [file] });
  out.load = since(t0); t0 = t();
  const observed = await observe(config, stateDir);
  out.observe = since(t0); t0 = t();
  const plan = planAll({ config, observed, now: observed.at });
  out.plan = since(t0); t0 = t();
  const text = renderPlanText(plan, observed);
  out.render = since(t0);
  out.bytes = text.length;
  process.stdout.write(JSON.stringify(out));
})();
`;

export async function benchHbrPlan(): Promise<Record<string, number>> {
  const tb = testbed();
  const fs = new WebHdfs({ baseUrl: tb.HBR_TB_PRIMARY_WEBHDFS, user: tb.HBR_TB_HDFS_USER });
  await populate(fs);
  const dir = mkdtempSync(join(tmpdir(), 'hbr-bench-'));
  const file = policyFile(dir);
  const env = { ...process.env, HBR_NOW: new Date(T0 + SNAPS * 3600_000).toISOString() };
  const concurrency = DEFAULT_CONCURRENCY;

  // The GETs, recorded once (what hbr asks of the NameNode), for the bare loop to replay.
  const loaded = await loadConfig([file]);
  if (!('config' in loaded)) throw new Error(`bench policies do not load: ${JSON.stringify(loaded.errors)}`);
  const config = loaded.config;
  const gets = await observedGets(config);
  const getsFile = join(dir, 'gets.json');
  writeFileSync(getsFile, JSON.stringify(gets));
  const byOp = new Map<string, number>();
  // a WebHDFS op by its name; the NameNode's /conf reads (the ACL and xattr switches, src/systems/hdfs/preserve.ts) by their path
  const opOf = (u: string) => new URL(u).searchParams.get('op') ?? new URL(u).pathname;
  for (const u of gets) byOp.set(opOf(u), (byOp.get(opOf(u)) ?? 0) + 1);

  // hbr and the bare loop interleaved, so both see the same load on this shared machine.
  const hbrRuns: number[] = [];
  const bareRuns: number[] = [];
  let out = '';
  for (let i = 0; i < RUNS; i++) {
    const r = timeCommand(process.execPath, [HBR, 'plan', '-f', file, '--state-dir', join(dir, 'state'), '--detailed-exitcode'], env);
    hbrRuns.push(r.ms);
    out ||= r.out;
    bareRuns.push(timeCommand(process.execPath, ['-e', BARE_FETCH, getsFile, String(concurrency)]).ms);
  }
  const hbrMs = median(hbrRuns);
  const dist = join(HBR, '..', '..', 'dist');
  const phases = JSON.parse(timeCommand(process.execPath, ['-e', PHASES, dist, file, join(dir, 'state')], env).out) as Record<string, { wall: number; cpu: number } | number>;
  const bareMs = median(bareRuns);
  const steps = /Plan: (\d+) to add/.exec(out)?.[1];

  // Baseline: the same observation through the Hadoop CLI, one JVM per directory.
  const hdfs = tb.HBR_TB_HDFS;
  const list = timeCommand(hdfs, ['lsSnapshottableDir']);
  const found = list.out.split('\n').filter((l) => l.includes(`${ROOT}/d`)).length;
  let perDir = 0;
  for (let i = 0; i < SAMPLE; i++) {
    const d = `${ROOT}/d${String(Math.floor((i * DIRS) / SAMPLE)).padStart(4, '0')}`;
    perDir += timeCommand(hdfs, ['dfs', '-ls', `${d}/.snapshot`]).ms;
  }
  const baselineMs = list.ms + (perDir / SAMPLE) * DIRS;

  const ops = [...byOp].map(([op, n]) => `${n} ${op}`).join(' + ');
  console.log(`  hbr plan, ${DIRS} dirs x ${SNAPS} snapshots (whole CLI, median of ${RUNS}): ${secs(hbrMs)}  (${steps ?? '?'} snapshot creates planned; runs ${hbrRuns.map(secs).join(', ')})`);
  const ph = (k: string) => {
    const p = phases[k] as { wall: number; cpu: number };
    return `${k} ${secs(p.wall)} (CPU ${secs(p.cpu)})`;
  };
  console.log(`  one hbr plan, by phase (a fresh process, as src/cli/plan.ts): ${['start', 'imports', 'load', 'observe', 'plan', 'render'].map(ph).join(', ')}; ${((phases.bytes as number) / 1e6).toFixed(1)} MB of text`);
  console.log(`  bare lower bound, the same ${gets.length} GETs (${ops}) from a minimal fetch loop, concurrency ${concurrency} (median of ${RUNS}): ${secs(bareMs)}  (runs ${bareRuns.map(secs).join(', ')})`);
  console.log(`  baseline, hdfs lsSnapshottableDir (${secs(list.ms)}, ${found} dirs) + hdfs dfs -ls <dir>/.snapshot per dir ` +
    `(${secs(perDir / SAMPLE)} each, measured on ${SAMPLE} of ${DIRS}${SAMPLE < DIRS ? ', scaled' : ''}): ${secs(baselineMs)}`);
  console.log(`  ratio CLI baseline / hbr: ${(baselineMs / hbrMs).toFixed(1)}x;  ratio hbr / bare lower bound: ${(hbrMs / bareMs).toFixed(2)}x`);
  return { hbrMs, bareMs, baselineMs, ratio: baselineMs / hbrMs, overBare: hbrMs / bareMs };
}

/** A synthetic estate: `policies` policies, each with a DR target, `perDir` snapshots a side. */
export function estate(policies: number, perDir: number): { config: Config; observed: Observed; now: number } {
  const at = { file: 'bench.yaml', line: 1, col: 1 };
  const config: Config = {
    clusters: {
      p: { name: 'p', kind: 'hdfs', webhdfs: 'http://p:9870', fs: 'hdfs://p:8020', at } as HdfsCluster,
      d: { name: 'd', kind: 'hdfs', webhdfs: 'http://d:9870', fs: 'hdfs://d:8020', at } as HdfsCluster,
    },
    stores: {},
    webhooks: {},
    policies: {},
    files: ['bench.yaml'],
  };
  const dirs: Record<string, ObservedDir> = {};
  for (let i = 0; i < policies; i++) {
    const path = `/data/t${i}`;
    const pol: HdfsSnapshotPolicy = {
      name: `t${i}`,
      kind: 'hdfs-snapshots',
      source: { cluster: 'p', path },
      snapshots: { schedule: { every: 3600_000 }, keep: { hourly: 48, daily: 30, monthly: 12 } },
      rpo: 7200_000,
      replicate: [{ to: { cluster: 'd', path }, keep: { daily: 60 } }],
      at,
    };
    config.policies[pol.name] = pol;
    const snaps = Array.from({ length: perDir }, (_, s) => {
      const t = T0 + s * 3600_000;
      return { name: snapshotName(t), createdAt: t };
    });
    dirs[dirKey('p', path)] = { cluster: 'p', path, exists: true, snapshottable: true, snapshots: snaps, size: { bytes: 1e9, files: 1000 } };
    const onDr = snaps.slice(0, perDir - 3); // DR three snapshots behind
    dirs[dirKey('d', path)] = {
      cluster: 'd', path, exists: true, snapshottable: true, snapshots: onDr,
      changedSince: { snapshot: onDr[onDr.length - 1]!.name, changed: false, entries: 0 },
    };
  }
  return { config, observed: { at: T0 + perDir * 3600_000, dirs, unfinished: [], errors: [] }, now: T0 + perDir * 3600_000 };
}

export function benchPlanner(): Record<string, number> {
  const time = (policies: number, perDir: number) => {
    const input = estate(policies, perDir);
    planAll(input); // warm-up
    const t = process.hrtime.bigint();
    const plan = planAll(input);
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    return { ms, steps: plan.steps.length, snapshots: policies * perDir * 2 };
  };
  const base = time(50, 100); // 10,000 snapshots
  const big = time(500, 100); // 100,000 snapshots
  console.log(`  pure planner, ${base.snapshots.toLocaleString('en')} snapshots: ${base.ms.toFixed(1)} ms (${base.steps} steps)`);
  console.log(`  pure planner, ${big.snapshots.toLocaleString('en')} snapshots: ${big.ms.toFixed(1)} ms (${big.steps} steps)`);
  console.log(`  ratio 100k / 10k: ${(big.ms / base.ms).toFixed(1)}x for 10x the snapshots (linear = 10x)`);
  return { base: base.ms, big: big.ms };
}
