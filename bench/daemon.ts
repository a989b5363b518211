/**
 * bench/daemon — what `hbr daemon` costs to keep running: resident memory and CPU with 1,000
 * policies, idle and reconciling (issue 5).
 *
 * Cases, all in one run, one daemon at a time, each with a fresh state dir, `--parallel 8`:
 *  - bare:   `node -e "setInterval(()=>{},1000)"`, the floor any Node.js daemon starts from;
 *  - 1 idle: the daemon with one policy (`every: 1h`) after its first run;
 *  - 1,000 reconciling: 1,000 `hdfs-snapshots` policies on the primary cluster, `every: 60s`,
 *    `keep: { last: 2 }`, no DR. Every directory starts with two day-old hbr snapshots, so every
 *    run from the first on does what a steady state does: observe, create one snapshot, delete
 *    the oldest, observe again. The window is one whole schedule period: from the end of the
 *    first round (every policy reconciled once) to the end of the second (every policy
 *    reconciled again), capped at BENCH_DAEMON_WINDOW_S;
 *  - 1,000 idle: the same policies at `every: 1h` (`--resync 1h`): after the first round
 *    (observe only: the newest snapshot is a minute old) nothing is due.
 *
 * RSS (VmRSS) and CPU (utime + stime over CLK_TCK) are read from /proc/<pid> once a second by
 * this process; /metrics is scraped every BENCH_DAEMON_SCRAPE_S (as Prometheus would) for the
 * event-loop lag (prom-client's delay histogram, reset at every scrape: p99 and max per interval,
 * less the histogram's 10 ms sampling interval),
 * the heap and hbr_steps_total. Reconciles are counted from the daemon's log lines
 * ("reconciled <policy>" / "reconcile of <policy> did not complete").
 *
 * HDFS: creates /bench/daemon-<uniq>/{single,p0000..p0999} on the primary cluster and leaves
 * them (with their snapshots) in place; it deletes nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { snapshotName } from '../src/model/names.js';
import { WebHdfs } from '../src/hadoop/webhdfs.js';
import { sleep, startDaemon, waitFor, type DaemonProc } from '../test/helpers/daemon.js';
import { tempDir } from '../test/helpers/hbr.js';
import { sample, type Sample } from '../test/helpers/promql.js';
import { testbed, uniq } from '../test/helpers/testbed.js';
import { primaryPolicyFile } from './plan.js';

const N = Number(process.env.BENCH_DAEMON_POLICIES ?? 1000);
const PARALLEL = Number(process.env.BENCH_DAEMON_PARALLEL ?? 8);
/** the reconciling window's cap (it normally ends after one schedule period, ~65 s) */
const WINDOW_S = Number(process.env.BENCH_DAEMON_WINDOW_S ?? 120);
/** the idle windows */
const IDLE_S = Number(process.env.BENCH_DAEMON_IDLE_S ?? 40);
const BARE_S = Number(process.env.BENCH_DAEMON_BARE_S ?? 10);
const SCRAPE_S = Number(process.env.BENCH_DAEMON_SCRAPE_S ?? 10);
/** how long a first round may take before the bench gives up */
const ROUND_TIMEOUT_S = Number(process.env.BENCH_DAEMON_ROUND_TIMEOUT_S ?? 240);
const EVERY = process.env.BENCH_DAEMON_EVERY ?? '60s';

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const MiB = 1024 * 1024;
/** prom-client's default eventLoopMonitoringPrecision (the daemon does not change it) */
const ELD_RESOLUTION_MS = 10;

// -------------------------------------------------------------------------------------------------
// /proc sampling

interface ProcSample {
  /** ms, performance.now() */
  t: number;
  rssBytes: number;
  /** utime + stime, seconds */
  cpuS: number;
}

function readProc(pid: number): ProcSample {
  const t = performance.now();
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces and parentheses): state is field 3,
  // utime field 14, stime field 15 (man 5 proc).
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[14 - 3]);
  const stime = Number(rest[15 - 3]);
  return { t, rssBytes: rssKiB * 1024, cpuS: (utime + stime) / CLK_TCK };
}

/** Samples /proc/<pid> every `everyMs` until stopped. */
function procSampler(pid: number, everyMs = 1000): { stop(): ProcSample[] } {
  const samples: ProcSample[] = [readProc(pid)];
  const timer = setInterval(() => {
    try {
      samples.push(readProc(pid));
    } catch {
      /* the process is gone: stop() still returns what we have */
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      try {
        samples.push(readProc(pid));
      } catch {
        /* gone */
      }
      return samples;
    },
  };
}

interface ProcFigures {
  seconds: number;
  rssMaxMiB: number;
  rssEndMiB: number;
  rssStartMiB: number;
  /** Δcpu / Δwall, % of one core */
  cpuPct: number;
  /** the busiest 5 s of the window, % of one core */
  cpuPeak5sPct: number;
  cpuSeconds: number;
}

function procFigures(s: ProcSample[]): ProcFigures {
  const first = s[0]!;
  const last = s[s.length - 1]!;
  const wall = (last.t - first.t) / 1000;
  let peak = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while (j < s.length && s[j]!.t - s[i]!.t < 5000) j++;
    if (j >= s.length) break;
    peak = Math.max(peak, ((s[j]!.cpuS - s[i]!.cpuS) / ((s[j]!.t - s[i]!.t) / 1000)) * 100);
  }
  return {
    seconds: wall,
    rssMaxMiB: Math.max(...s.map((x) => x.rssBytes)) / MiB,
    rssEndMiB: last.rssBytes / MiB,
    rssStartMiB: first.rssBytes / MiB,
    cpuPct: ((last.cpuS - first.cpuS) / wall) * 100,
    cpuPeak5sPct: peak,
    cpuSeconds: last.cpuS - first.cpuS,
  };
}

// -------------------------------------------------------------------------------------------------
// /metrics scraping

interface Scrape {
  t: number;
  samples: Sample[];
}

/** Scrapes /metrics every SCRAPE_S until stopped (once at the start and once at the end too). */
function scraper(d: DaemonProc): { stop(): Promise<Scrape[]> } {
  const out: Scrape[] = [];
  let busy: Promise<void> = Promise.resolve();
  const once = () => {
    busy = busy.then(async () => {
      try {
        out.push({ t: performance.now(), samples: (await d.metrics()).samples });
      } catch (err) {
        console.log(`  (a /metrics scrape failed: ${(err as Error).message})`);
      }
    });
  };
  once();
  const timer = setInterval(once, SCRAPE_S * 1000);
  return {
    async stop() {
      clearInterval(timer);
      once();
      await busy;
      return out;
    },
  };
}

const sumOf = (samples: Sample[], name: string, labels: Record<string, string> = {}): number =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);

interface ScrapeFigures {
  /** the highest per-scrape-interval p99 of the event-loop lag (delay beyond the 10 ms sampling interval), ms */
  lagP99Ms: number;
  /** the highest event-loop lag seen, ms */
  lagMaxMs: number;
  heapStartMiB: number;
  heapEndMiB: number;
  /** process_resident_memory_bytes at the end, MiB (cross-check of /proc) */
  metricsRssEndMiB: number;
  /** Δprocess_cpu_seconds_total / Δwall, % (cross-check of /proc) */
  metricsCpuPct: number;
  stepsDone: number;
  stepsFailed: number;
  creates: number;
  deletes: number;
}

function scrapeFigures(s: Scrape[]): ScrapeFigures {
  const first = s[0]!;
  const last = s[s.length - 1]!;
  // The first scrape's histogram covers the time before the window: left out.
  const inWindow = s.slice(1);
  // monitorEventLoopDelay records the whole interval between its 10 ms timer's firings (an idle
  // loop reads ~10.2 ms): the lag is what exceeds the interval.
  const ms = (name: string) => Math.max(0, ...inWindow.map((x) => (sample(x.samples, name) ?? 0) * 1000 - ELD_RESOLUTION_MS));
  const delta = (name: string, labels: Record<string, string> = {}) => sumOf(last.samples, name, labels) - sumOf(first.samples, name, labels);
  return {
    lagP99Ms: ms('nodejs_eventloop_lag_p99_seconds'),
    lagMaxMs: ms('nodejs_eventloop_lag_max_seconds'),
    heapStartMiB: (sample(first.samples, 'nodejs_heap_size_used_bytes') ?? NaN) / MiB,
    heapEndMiB: (sample(last.samples, 'nodejs_heap_size_used_bytes') ?? NaN) / MiB,
    metricsRssEndMiB: (sample(last.samples, 'process_resident_memory_bytes') ?? NaN) / MiB,
    metricsCpuPct: (delta('process_cpu_seconds_total') / ((last.t - first.t) / 1000)) * 100,
    stepsDone: delta('hbr_steps_total', { result: 'done' }),
    stepsFailed: delta('hbr_steps_total', { result: 'failed' }) + delta('hbr_steps_total', { result: 'skipped' }),
    creates: delta('hbr_steps_total', { kind: 'hdfs.snapshot.create', result: 'done' }),
    deletes: delta('hbr_steps_total', { kind: 'hdfs.snapshot.delete', result: 'done' }),
  };
}

// -------------------------------------------------------------------------------------------------
// runs, from the daemon's log

interface RunEnd {
  policy: string;
  /** ms since epoch, from the log line's time */
  at: number;
  ok: boolean;
  ms: number;
}

/** Reads finished runs off the daemon's log as it grows. */
function runTracker(d: DaemonProc): { poll(): RunEnd[]; all: RunEnd[]; perPolicy: Map<string, number> } {
  let seen = 0;
  const all: RunEnd[] = [];
  const perPolicy = new Map<string, number>();
  return {
    all,
    perPolicy,
    poll() {
      const fresh: RunEnd[] = [];
      for (; seen < d.logs.length; seen++) {
        const l = d.logs[seen]!;
        const msg = typeof l.msg === 'string' ? l.msg : '';
        const policy = typeof l.policy === 'string' ? l.policy : undefined;
        if (!policy) continue;
        const ok = msg.startsWith(`reconciled ${policy}:`);
        const failed = msg.startsWith(`reconcile of ${policy} `);
        if (!ok && !failed) continue;
        const r: RunEnd = { policy, at: Date.parse(String(l.time)), ok, ms: typeof l.ms === 'number' ? l.ms : NaN };
        all.push(r);
        fresh.push(r);
        perPolicy.set(policy, (perPolicy.get(policy) ?? 0) + 1);
      }
      return fresh;
    },
  };
}

/** Waits until every one of `n` policies has finished at least `k` runs; returns when (epoch ms). */
async function waitRound(d: DaemonProc, tr: ReturnType<typeof runTracker>, n: number, k: number, timeoutS: number): Promise<number> {
  await waitFor(
    `round ${k} (${n} policies reconciled ${k} time(s))`,
    () => {
      if (d.child.exitCode !== null) throw new Error(`the daemon exited (${d.child.exitCode}): ${d.stderr()}`);
      tr.poll();
      let done = 0;
      for (const c of tr.perPolicy.values()) if (c >= k) done++;
      return done >= n;
    },
    timeoutS * 1000,
    200,
  );
  return Date.now();
}

async function stopDaemon(d: DaemonProc): Promise<number> {
  const t = Date.now();
  d.child.kill('SIGTERM');
  const code = await Promise.race([d.exited, sleep(60_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    d.child.kill('SIGKILL');
    await d.exited;
    throw new Error('the daemon did not stop within 60 s of SIGTERM');
  }
  if (code !== 0) throw new Error(`the daemon exited ${code} after SIGTERM: ${d.stderr()}`);
  return Date.now() - t;
}

// -------------------------------------------------------------------------------------------------
// the test bed

function pol(i: number): string {
  return `p${String(i).padStart(4, '0')}`;
}

async function populate(fs: WebHdfs, root: string): Promise<void> {
  // Two day-old hbr snapshots in every directory: with keep { last: 2 } every run creates one
  // and deletes one, from the first run on.
  const day = 86_400_000;
  const now = Math.floor(Date.now() / 1000) * 1000;
  const old = [snapshotName(now - 2 * day), snapshotName(now - day)];
  const limit = pLimit(32);
  const t = Date.now();
  await Promise.all(
    [...Array.from({ length: N }, (_, i) => `${root}/${pol(i)}`), `${root}/single`].map((dir) =>
      limit(async () => {
        await fs.mkdirs(dir);
        await fs.allowSnapshot(dir);
        for (const s of old) await fs.createSnapshot(dir, s);
      }),
    ),
  );
  console.log(`  created ${N + 1} snapshottable dirs x 2 day-old snapshots under ${root} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

function policyFile(dir: string, name: string, root: string, paths: string[], every: string): string {
  return primaryPolicyFile(join(dir, `${name}.yaml`), paths.map((p) => [p, `${root}/${p}`]), `{ every: ${every}, keep: { last: 2 } }`);
}

// -------------------------------------------------------------------------------------------------
// the cases

interface CaseFigures extends ProcFigures, Partial<ScrapeFigures> {
  name: string;
  policies: number;
  reconciles: number;
  reconcileFailures: number;
  reconcilesPerS: number;
  /** the busiest 5 s, reconciles per second */
  reconcilesPeak5sPerS: number;
  /** the first round (every policy reconciled once), s */
  firstRoundS?: number;
  /** median wall time of one reconcile in the window, ms */
  reconcileMedianMs?: number;
  /** daemon CPU per reconcile, ms */
  cpuMsPerReconcile?: number;
  /** p90 and max wall time of one reconcile in the window, ms */
  reconcileP90Ms?: number;
  reconcileMaxMs?: number;
  /** when the window's first and last reconciles finished, s after the window started */
  firstEndS?: number;
  lastEndS?: number;
  /** /proc/loadavg (1 min) at the end of the window: other load on the machine */
  loadAvg?: number;
}

async function bare(): Promise<CaseFigures> {
  const child = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
  try {
    await sleep(2000);
    const sampler = procSampler(child.pid!);
    await sleep(BARE_S * 1000);
    const f = procFigures(sampler.stop());
    return { name: 'bare node (setInterval)', policies: 0, reconciles: 0, reconcileFailures: 0, reconcilesPerS: 0, reconcilesPeak5sPerS: 0, ...f };
  } finally {
    child.kill('SIGTERM');
  }
}

function rateFigures(
  runs: RunEnd[],
  from: number,
  to: number,
): Pick<CaseFigures, 'reconciles' | 'reconcileFailures' | 'reconcilesPerS' | 'reconcilesPeak5sPerS' | 'reconcileMedianMs' | 'reconcileP90Ms' | 'reconcileMaxMs' | 'firstEndS' | 'lastEndS'> {
  const inside = runs.filter((r) => r.at > from && r.at <= to).sort((a, b) => a.at - b.at);
  let peak = 0;
  for (let i = 0, j = 0; i < inside.length; i++) {
    while (j < inside.length && inside[j]!.at - inside[i]!.at < 5000) j++;
    peak = Math.max(peak, (j - i) / 5);
  }
  const ms = inside.map((r) => r.ms).filter(Number.isFinite).sort((a, b) => a - b);
  return {
    reconciles: inside.length,
    reconcileFailures: inside.filter((r) => !r.ok).length,
    reconcilesPerS: inside.length / ((to - from) / 1000),
    reconcilesPeak5sPerS: peak,
    ...(ms.length && { reconcileMedianMs: ms[Math.floor(ms.length / 2)]!, reconcileP90Ms: ms[Math.floor(ms.length * 0.9)]!, reconcileMaxMs: ms[ms.length - 1]! }),
    ...(inside.length && { firstEndS: (inside[0]!.at - from) / 1000, lastEndS: (inside[inside.length - 1]!.at - from) / 1000 }),
  };
}

/**
 * One daemon: start, wait for the first round (every policy reconciled once; not measured), then
 * measure either until every policy has reconciled once more (`untilNextRound`, at most `capS`)
 * or for `seconds`. Stops it with SIGTERM and waits for it to exit.
 */
async function daemonCase(o: {
  name: string;
  file: string;
  policies: number;
  args: string[];
  window: { untilNextRound: true; capS: number } | { seconds: number };
}): Promise<CaseFigures> {
  const dir = tempDir('bench-daemon');
  const t0 = Date.now();
  const d = await startDaemon(['-f', o.file, '--parallel', String(PARALLEL), '--log-level', 'info', ...o.args], join(dir, 'state'));
  try {
    const tr = runTracker(d);
    const round1 = await waitRound(d, tr, o.policies, 1, ROUND_TIMEOUT_S);
    const firstRoundS = (round1 - t0) / 1000;
    console.log(`  ${o.name}: first round done ${firstRoundS.toFixed(1)} s after start; measuring`);
    if (!('untilNextRound' in o.window)) await sleep(3000); // let the first round's garbage go
    const from = Date.now();
    const proc = procSampler(d.child.pid!);
    const scrapes = scraper(d);
    let to: number;
    if ('untilNextRound' in o.window) {
      const cap = o.window.capS;
      // Past the cap, the round's wait goes on a few seconds and then fails: swallowed, the cap decides.
      const round2 = waitRound(d, tr, o.policies, 2, cap + 5).catch(() => Date.now());
      to = await Promise.race([round2, sleep(cap * 1000).then(() => Date.now())]);
      if (to - from >= cap * 1000) console.log(`  ${o.name}: the second round did not finish within ${cap} s (BENCH_DAEMON_WINDOW_S); measured ${cap} s`);
    } else {
      await sleep(o.window.seconds * 1000);
      to = Date.now();
    }
    const pf = procFigures(proc.stop());
    const loadAvg = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
    const sf = scrapeFigures(await scrapes.stop());
    tr.poll();
    const rf = rateFigures(tr.all, from, to);
    const stopMs = await stopDaemon(d);
    console.log(`  ${o.name}: window ${pf.seconds.toFixed(0)} s; stopped on SIGTERM in ${(stopMs / 1000).toFixed(1)} s`);
    return {
      name: o.name,
      policies: o.policies,
      firstRoundS,
      loadAvg,
      ...pf,
      ...sf,
      ...rf,
      ...(rf.reconciles > 0 && { cpuMsPerReconcile: (pf.cpuSeconds * 1000) / rf.reconciles }),
    };
  } catch (err) {
    d.child.kill('SIGKILL');
    throw err;
  }
}

// -------------------------------------------------------------------------------------------------

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export async function benchDaemon(): Promise<Record<string, number>> {
  const tb = testbed();
  const fs = new WebHdfs({ baseUrl: tb.HBR_TB_PRIMARY_WEBHDFS, user: tb.HBR_TB_HDFS_USER });
  const root = `/bench/${uniq('daemon')}`;
  await populate(fs, root);
  const dir = tempDir('bench-daemon-policies');
  const names = Array.from({ length: N }, (_, i) => pol(i));
  const fast = policyFile(dir, 'fast', root, names, EVERY);
  const slow = policyFile(dir, 'slow', root, names, '1h');
  const single = policyFile(dir, 'single', root, ['single'], '1h');

  const base = await bare();
  console.log(`  bare node: RSS ${base.rssEndMiB.toFixed(1)} MiB, CPU ${base.cpuPct.toFixed(2)} %`);
  const one = await daemonCase({ name: '1 policy, idle', file: single, policies: 1, args: ['--resync', '1h'], window: { seconds: IDLE_S } });
  const busy = await daemonCase({ name: `${N} policies, every ${EVERY}`, file: fast, policies: N, args: [], window: { untilNextRound: true, capS: WINDOW_S } });
  const idle = await daemonCase({ name: `${N} policies, idle (every 1h)`, file: slow, policies: N, args: ['--resync', '1h'], window: { seconds: IDLE_S } });

  const rows = [base, one, idle, busy];
  const f1 = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
  console.log('');
  console.log(`  ${pad('case', 32)} ${pad('policies', 8)} ${pad('window', 7)} ${pad('RSS MiB max/end', 16)} ${pad('heap MiB', 12)} ${pad('CPU % (peak 5s)', 16)} ${pad('reconciles/s (peak 5s)', 23)} ${pad('CPU ms/reconcile', 16)} ${pad('loop lag p99/max ms', 19)}`);
  for (const r of rows) {
    console.log(
      `  ${pad(r.name, 32)} ${pad(String(r.policies), 8)} ${pad(`${r.seconds.toFixed(0)} s`, 7)} ${pad(`${f1(r.rssMaxMiB)} / ${f1(r.rssEndMiB)}`, 16)} ` +
        `${pad(r.heapEndMiB === undefined ? '-' : `${f1(r.heapStartMiB)}→${f1(r.heapEndMiB)}`, 12)} ${pad(`${f1(r.cpuPct, 2)} (${f1(r.cpuPeak5sPct)})`, 16)} ` +
        `${pad(r.policies ? `${f1(r.reconcilesPerS, 2)} (${f1(r.reconcilesPeak5sPerS)})` : '-', 23)} ${pad(f1(r.cpuMsPerReconcile), 16)} ` +
        `${pad(r.lagP99Ms === undefined ? '-' : `${f1(r.lagP99Ms)} / ${f1(r.lagMaxMs)}`, 19)}`,
    );
  }
  console.log('');
  console.log(`  ratios: RSS of 1 idle policy / bare node ${(one.rssEndMiB / base.rssEndMiB).toFixed(2)}x; ` +
    `${N} idle / 1 idle ${(idle.rssEndMiB / one.rssEndMiB).toFixed(2)}x; ${N} reconciling (max) / 1 idle ${(busy.rssMaxMiB / one.rssEndMiB).toFixed(2)}x`);
  console.log(`  ${N} reconciling: ${busy.reconciles} reconciles (${busy.reconcileFailures} failed; ${busy.creates ?? '?'} snapshots created, ${busy.deletes ?? '?'} deleted), ` +
    `median ${f1(busy.reconcileMedianMs, 0)} ms each (p90 ${f1(busy.reconcileP90Ms, 0)}, max ${f1(busy.reconcileMaxMs, 0)}), ` +
    `finishing between +${f1(busy.firstEndS)} s and +${f1(busy.lastEndS)} s into the window; first round ${f1(busy.firstRoundS)} s with --parallel ${PARALLEL}`);
  console.log(`  load average (1 min) at the end of each window: ${rows.slice(1).map((r) => `${r.name} ${f1(r.loadAvg, 2)}`).join('; ')} (${cpus().length} CPUs)`);
  console.log(`  cross-check from /metrics: RSS end ${f1(one.metricsRssEndMiB)} / ${f1(idle.metricsRssEndMiB)} / ${f1(busy.metricsRssEndMiB)} MiB, ` +
    `CPU ${f1(one.metricsCpuPct, 2)} / ${f1(idle.metricsCpuPct, 2)} / ${f1(busy.metricsCpuPct, 2)} % (1 idle / ${N} idle / ${N} reconciling)`);
  console.log(`  HDFS: ${root} (on the primary cluster) is left in place, with its snapshots`);

  return {
    bareRssMiB: base.rssEndMiB,
    oneIdleRssMiB: one.rssEndMiB,
    oneIdleCpuPct: one.cpuPct,
    idleRssMaxMiB: idle.rssMaxMiB,
    idleRssEndMiB: idle.rssEndMiB,
    idleCpuPct: idle.cpuPct,
    idleFirstRoundS: idle.firstRoundS ?? NaN,
    busyRssMaxMiB: busy.rssMaxMiB,
    busyRssEndMiB: busy.rssEndMiB,
    busyCpuPct: busy.cpuPct,
    busyCpuPeak5sPct: busy.cpuPeak5sPct,
    busyReconcilesPerS: busy.reconcilesPerS,
    busyReconcileFailures: busy.reconcileFailures,
    busyCpuMsPerReconcile: busy.cpuMsPerReconcile ?? NaN,
    busyLagP99Ms: busy.lagP99Ms ?? NaN,
    busyLagMaxMs: busy.lagMaxMs ?? NaN,
    busyFirstRoundS: busy.firstRoundS ?? NaN,
    busyWindowS: busy.seconds,
    ratioOneIdleVsBare: one.rssEndMiB / base.rssEndMiB,
    ratioIdleVsOne: idle.rssEndMiB / one.rssEndMiB,
    ratioBusyVsOne: busy.rssMaxMiB / one.rssEndMiB,
  };
}
