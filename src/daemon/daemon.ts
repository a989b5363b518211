/**
 * `hbr daemon`: the reconcile loop of docs/architecture.md §1 on timers — load → observe → plan → apply →
 * metrics — one loop per policy, for as long as the process lives.
 *
 * Who acts. One daemon per state dir (the local lock). With `coordination: { zookeeper }` in the
 * policies, daemons elect a leader; only the leader (which also holds the ZooKeeper apply lock)
 * runs loops. A follower serves /metrics with hbr_leader 0 and waits. Losing the leadership (the
 * session expired) aborts running steps: the journal records them failed and the new leader
 * observes and repairs. A ZooKeeper disconnect without expiry pauses: no new runs, running
 * steps go on.
 *
 * Policies. Loaded at start (invalid → the daemon does not start) and watched with chokidar: a
 * valid change swaps the configuration between runs; an invalid one is logged, counted in
 * hbr_policy_load_errors, and the last good policies keep running.
 *
 * Stopping (SIGTERM/SIGINT). No new runs; running steps get `shutdownGraceMs` to finish, then
 * are aborted — the engine journals them as failed (a checkpoint), DistCp children are killed —
 * and the next start observes and repairs. The process exits 0.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import chokidar, { type FSWatcher } from 'chokidar';
import cron, { type ScheduledTask } from 'node-cron';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { compactJournal, Journal, readUnfinished } from '../engine/journal.js';
import { acquireLock, type Lock } from '../engine/lock.js';
import { reapOrphans } from '../hadoop/children.js';
import { agePoint, applyRecoveryPoints, recordApply, setPolicyRecoveryPoints, type RecoveryPoint } from '../metrics/recovery.js';
import { createMetrics, type HbrMetrics } from '../metrics/registry.js';
import type { UnfinishedStep } from '../model/observed.js';
import type { Config, Policy, Schedule } from '../model/policy.js';
import { policyClaims, SYSTEMS, systemOf } from '../systems/index.js';
import { formatDuration } from '../schema/duration.js';
import { formatPolicyError, loadConfig, type PolicyError } from '../schema/load.js';
import type { LeaderElection, LeaderState } from './coordination.js';
import { startHttp, type HttpServer } from './http.js';
import { PolicyLoop } from './loop.js';
import { KeyedMutex } from './mutex.js';
import { createNotifier, type Notifier } from './notify.js';
import { policyScope, reconcilePolicy, type ReconcileResult } from './reconcile.js';
import { DEFAULT_TIMING, nextRunAfterSuccess, type TimingOptions } from './timing.js';
import type { DaemonStatus, PolicyStatus } from './status.js';

export interface DaemonOptions {
  /** policy files and directories (watched) */
  paths: string[];
  stateDir: string;
  /** host:port for /metrics, /healthz, /status; undefined = no HTTP */
  listen?: { host: string; port: number };
  hadoop: string;
  log: Logger;
  /** policies reconciled at once (default 4) */
  parallel?: number;
  /** steps at once within one policy's apply (default 4) */
  concurrency?: number;
  timing?: Partial<TimingOptions>;
  /** how long running steps may go on after SIGTERM before they are aborted and checkpointed (default 5 min) */
  shutdownGraceMs?: number;
  /** NameNode health (JMX) poll interval (default 60 s) */
  healthIntervalMs?: number;
  /** the command line, for the lock file */
  command?: string;
  env?: NodeJS.ProcessEnv;
  /** the clock; tests may pass their own */
  now?: () => number;
}

interface PolicyRuntime {
  loop: PolicyLoop;
  cronTask?: ScheduledTask;
  /** JSON of what the policy's behaviour depends on: a change restarts its schedule */
  fingerprint: string;
  lastRun?: ReconcileResult;
  lastSuccessAt?: number;
  /** site → last observed recovery point (kept while a site cannot be observed: it only ages) */
  points: Map<string, { point: RecoveryPoint; observedAt: number }>;
  /** kinds with a hbr_plan_pending_steps series, to remove them when they drop to nothing */
  pendingKinds: Set<string>;
  breached?: boolean;
  unfinished: UnfinishedStep[];
}

const RPO_TICK_MS = 5_000;
/** The journal is compacted (to its last 10,000 records and what is unfinished) when it passes this. */
const JOURNAL_MAX_BYTES = 16 * 1024 * 1024;
const JOURNAL_CHECK_MS = 5 * 60_000;

function scheduleOf(p: Policy): Schedule {
  return systemOf(p).schedule(p);
}

function scheduleText(s: Schedule): string {
  if (s.every !== undefined) return `every ${formatDuration(s.every)}`;
  return `cron '${s.cron}' (UTC)`;
}

/** What a policy's reconcile depends on, `at` (line numbers) left out: moving a policy in its file changes nothing. */
function fingerprint(config: Config, name: string): string {
  return JSON.stringify({
    policy: stripAt(config.policies[name]),
    clusters: policyScope(config, name).map((c) => stripAt(config.clusters[c] ?? config.stores[c])),
  });
}

export class Daemon {
  private config!: Config;
  readonly metrics: HbrMetrics;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly timing: TimingOptions;
  private readonly policies = new Map<string, PolicyRuntime>();
  private readonly resources = new KeyedMutex();
  private readonly parallel;
  private lock?: Lock;
  private journal?: Journal;
  private election?: LeaderElection;
  private http?: HttpServer;
  private watcher?: FSWatcher;
  private notifier!: Notifier;
  private leaderState: LeaderState = 'follower';
  /** aborted when the leadership is lost or the grace after SIGTERM ends: running steps stop */
  private term = new AbortController();
  /** aborted when stopping starts: running steps finish, no new step starts */
  private readonly drain = new AbortController();
  private stopping = false;
  private stopped?: Promise<void>;
  private readonly timers = new Set<NodeJS.Timeout>();
  private reloadTimer?: NodeJS.Timeout;
  private reloading?: Promise<void>;
  private lastLoad: { at: number; errors: PolicyError[] } = { at: 0, errors: [] };
  private readonly startedAt: number;
  private healthRunning = false;

  private constructor(private readonly opts: DaemonOptions) {
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.parallel = pLimit(Math.max(1, opts.parallel ?? 4));
    this.metrics = createMetrics();
    this.startedAt = this.now();
  }

  /**
   * Loads the policies, takes the local lock, serves HTTP and joins the election (or leads at
   * once without coordination). Throws — nothing started, nothing held — on invalid policies, a
   * held lock or an HTTP address in use.
   */
  static async start(opts: DaemonOptions): Promise<Daemon> {
    const d = new Daemon(opts);
    try {
      await d.init();
    } catch (err) {
      await d.teardown();
      throw err;
    }
    return d;
  }

  private async init(): Promise<void> {
    const loaded = await loadConfig(this.opts.paths);
    if ('errors' in loaded) {
      const n = loaded.errors.length;
      throw new Error(`${loaded.errors.map(formatPolicyError).join('\n')}\n${n} error${n === 1 ? '' : 's'} in the policies; the daemon did not start.`);
    }
    this.config = loaded.config;
    this.lastLoad = { at: this.now(), errors: [] };
    this.metrics.policyLoadErrors.set(0);
    this.metrics.policyLastLoadSuccess.set(this.now() / 1000);
    this.metrics.leader.set(0);

    mkdirSync(this.opts.stateDir, { recursive: true });
    this.lock = acquireLock(this.opts.stateDir, this.opts.command ?? 'hbr daemon');
    for (const r of reapOrphans(this.opts.stateDir, (m) => this.log.warn(m))) this.log.warn({ step: r.step, pid: r.pid }, 'stopped a child process left running by an earlier hbr');
    // The journal only grows; a long-lived daemon starts from its tail. Done before it is opened.
    const c = compactJournal(this.opts.stateDir);
    if (c.dropped) this.log.info(c, 'journal compacted');
    const leftovers = readUnfinished(this.opts.stateDir);
    for (const u of leftovers) this.log.warn({ policy: u.policy, step: u.stepId, kind: u.kind }, 'a step of an earlier run has no outcome (the process died); its policy is observed and repaired first');
    this.journal = Journal.open(this.opts.stateDir);
    this.notifier = createNotifier(Object.values(this.config.webhooks), { env: this.opts.env ?? process.env, log: this.notifyLog });

    for (const name of Object.keys(this.config.policies).sort()) this.addPolicy(name, leftovers.filter((u) => u.policy === name));

    if (this.opts.listen) {
      this.http = await startHttp(this.opts.listen, {
        metrics: async () => {
          this.refreshRecovery();
          return { contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() };
        },
        healthy: () => !this.stopping,
        status: () => this.status(),
      });
      this.log.info({ url: this.http.url }, `serving /metrics, /healthz and /status on ${this.http.url}`);
    }
    writeFileSync(join(this.opts.stateDir, 'daemon.json'), JSON.stringify({ pid: process.pid, host: hostname(), url: this.http?.url, startedAt: this.startedAt }) + '\n');

    this.watch();
    this.every(RPO_TICK_MS, () => this.refreshRecovery());
    this.every(this.opts.healthIntervalMs ?? 60_000, () => void this.pollHealth());
    this.every(JOURNAL_CHECK_MS, () => this.compactJournalIfBig());

    const co = this.config.coordination;
    if (co) {
      // Loaded only when used: a lone daemon never loads the ZooKeeper client.
      const { zookeeperElection } = await import('./coordination.js');
      this.election = zookeeperElection(
        co.zookeeper,
        { host: hostname(), pid: process.pid, startedAt: this.startedAt, ...(this.http && { listen: this.http.url }) },
        (level, msg) => this.log[level]({ component: 'election' }, msg),
      );
      this.election.onChange((state, why) => this.setLeader(state, why));
      this.election.start();
      this.log.info({ connect: co.zookeeper.connect, path: co.zookeeper.path }, 'joined the leader election; waiting to lead');
    } else {
      this.setLeader('leader', 'no coordination configured: this daemon acts alone');
    }
  }

  // ---------------------------------------------------------------------------------------------
  // policies and their loops

  private addPolicy(name: string, unfinished: UnfinishedStep[] = []): void {
    const p = this.config.policies[name]!;
    const loop = new PolicyLoop(name, scheduleOf(p), {
      run: (reason) => this.runPolicy(name, reason),
      onError: (err) => this.log.error({ policy: name, err }, `reconcile of ${name} failed unexpectedly: ${(err as Error)?.message ?? String(err)}`),
      now: this.now,
      random: Math.random,
      timing: this.timing,
    });
    const rt: PolicyRuntime = { loop, fingerprint: fingerprint(this.config, name), points: new Map(), pendingKinds: new Set(), unfinished };
    this.policies.set(name, rt);
    this.scheduleCron(name, rt);
    if (this.leaderState === 'leader') loop.resume(this.startJitter(p), 'policy added');
  }

  private scheduleCron(name: string, rt: PolicyRuntime): void {
    void rt.cronTask?.destroy();
    delete rt.cronTask;
    const s = rt.loop.schedule;
    if (s.cron === undefined) return;
    // node-cron fires the wake-ups; the loop's mutex keeps them from overlapping, and the planner
    // (from the snapshot names) still decides what is due.
    rt.cronTask = cron.schedule(s.cron, () => rt.loop.trigger(`cron '${s.cron}'`), {
      timezone: 'UTC',
      name: `hbr:${name}`,
      maxRandomDelay: 5_000,
    });
  }

  private removePolicy(name: string): void {
    const rt = this.policies.get(name);
    if (!rt) return;
    rt.loop.stop();
    void rt.cronTask?.destroy();
    for (const kind of rt.pendingKinds) this.metrics.planPendingSteps.remove({ policy: name, kind });
    this.policies.delete(name);
  }

  /**
   * Policies start spread out, not all in one instant: over half their interval, at most a minute.
   * Later runs aim at newest + every, so the spread persists (a fleet started bunched stays bunched).
   */
  private startJitter(p: Policy): number {
    const s = scheduleOf(p);
    return Math.floor(Math.random() * Math.min(60_000, (s.every ?? 10_000) * 0.5));
  }

  private async runPolicy(name: string, reason: string): Promise<{ ok: boolean; nextAt?: number }> {
    return this.parallel(async () => {
      const config = this.config; // one configuration for the whole run, even if a reload lands meanwhile
      const rt = this.policies.get(name);
      const p = config.policies[name];
      if (!rt || !p || this.leaderState !== 'leader' || this.stopping) return { ok: true };
      const release = await this.resources.acquire(this.resourceKeys(config, name));
      const signal = this.term.signal;
      try {
        if (this.leaderState !== 'leader' || this.stopping || signal.aborted) return { ok: true };
        this.log.debug({ policy: name, reason }, `reconciling ${name} (${reason})`);
        if (reason.startsWith('retry')) this.log.info({ policy: name, reason }, `reconciling ${name} again (${reason})`);
        const r = await reconcilePolicy({
          config,
          policy: name,
          stateDir: this.opts.stateDir,
          hadoop: this.opts.hadoop,
          journal: this.journal!,
          unfinished: rt.unfinished,
          signal,
          drain: this.drain.signal,
          log: this.log,
          concurrency: this.opts.concurrency ?? 4,
          now: this.now,
        });
        rt.unfinished = [];
        this.record(name, rt, r);
        const newest = r.points.find((x) => x.site === 'source' || x.site === 'store')?.newestAt;
        return { ok: r.ok, nextAt: nextRunAfterSuccess(scheduleOf(p), newest, this.now(), this.timing, Math.random()) };
      } finally {
        release();
      }
    });
  }

  private resourceKeys(config: Config, name: string): string[] {
    return policyClaims(config, name);
  }

  private record(name: string, rt: PolicyRuntime, r: ReconcileResult): void {
    const m = this.metrics;
    const wasOk = rt.lastRun ? rt.lastRun.ok : true;
    rt.lastRun = r;
    if (r.apply) recordApply(m, r.apply);
    // pending = planned and not done, by kind
    const pending = new Map<string, number>();
    const done = new Set(r.apply?.done.map((d) => d.step.id) ?? []);
    for (const s of r.plan?.steps ?? []) if (!done.has(s.id)) pending.set(s.kind, (pending.get(s.kind) ?? 0) + 1);
    for (const kind of rt.pendingKinds) if (!pending.has(kind)) m.planPendingSteps.remove({ policy: name, kind });
    rt.pendingKinds = new Set(pending.keys());
    for (const [kind, n] of pending) m.planPendingSteps.set({ policy: name, kind }, n);
    for (const [cluster, n] of Object.entries(r.observeErrors)) m.observeErrors.set({ cluster }, n);
    for (const p of r.points) rt.points.set(p.site, { point: p, observedAt: r.finishedAt });

    const failed = r.apply?.failed.length ?? 0;
    const skipped = r.apply?.skipped.length ?? 0;
    const doneN = r.apply?.done.length ?? 0;
    const fields = { policy: name, run: r.run, ms: r.finishedAt - r.startedAt, planned: r.plan?.steps.length ?? 0, done: doneN, failed, skipped };
    if (r.ok) {
      rt.lastSuccessAt = r.finishedAt;
      m.reconcileLastSuccess.set(r.finishedAt / 1000);
      this.log.info(fields, `reconciled ${name}: ${doneN} step(s) done`);
      if (!wasOk) this.notify({ event: 'run.recovered', policy: name, summary: `${name} reconciles again (${doneN} step(s) done)`, details: fields });
    } else {
      const problems = [...r.errors, ...(r.apply?.failed.map((f) => `${f.step.kind}: ${f.error}`) ?? [])];
      this.log.error({ ...fields, errors: r.errors }, `reconcile of ${name} did not complete: ${problems.join('; ') || 'interrupted'}`);
      // Once per outage, not once per retry: the first failure after a success.
      if (wasOk) {
        this.notify({
          event: 'run.failed',
          policy: name,
          summary: `reconcile of ${name} failed: ${problems.slice(0, 3).join('; ') || 'interrupted'}`,
          details: { ...fields, errors: r.errors.slice(0, 10), failedSteps: r.apply?.failed.map((f) => ({ id: f.step.id, error: f.error })) ?? [] },
        });
      }
    }
    setPolicyRecoveryPoints(this.metrics, name, this.refreshPolicy(name, rt, this.now()));
  }

  /**
   * Ages every known recovery point to now, sets the recovery gauges and sends rpo.breached /
   * rpo.recovered on a change. A site that could not be observed keeps its last point, which
   * only gets older: while the DR cluster is down its recovery point ages past the RPO, as it
   * should (nothing can have reached it meanwhile, hbr being the one that copies).
   */
  private refreshRecovery(): void {
    const now = this.now();
    const all: RecoveryPoint[] = [];
    for (const [name, rt] of this.policies) all.push(...this.refreshPolicy(name, rt, now));
    applyRecoveryPoints(this.metrics, all);
  }

  /**
   * One policy's part of refreshRecovery: ages its points, notifies a change of breach, returns
   * the aged points. After a run only this policy is refreshed (the others are by the 5 s tick
   * and at every scrape): refreshing all 1,000 after each of 1,000 runs made a round O(N²).
   */
  private refreshPolicy(name: string, rt: PolicyRuntime, now: number): RecoveryPoint[] {
    const all: RecoveryPoint[] = [];
    {
      let breached = false;
      let worst: RecoveryPoint | undefined;
      for (const { point } of rt.points.values()) {
        const aged = agePoint(point, now);
        all.push(aged);
        if (aged.breached) {
          breached = true;
          if (!worst || (aged.ageSeconds ?? Infinity) > (worst.ageSeconds ?? Infinity)) worst = aged;
        }
      }
      if (rt.points.size === 0) return all;
      if (rt.breached !== undefined && rt.breached !== breached) {
        this.notify({
          event: breached ? 'rpo.breached' : 'rpo.recovered',
          policy: name,
          summary: breached
            ? `${name}: ${worst!.site} recovery point ${worst!.ageSeconds === undefined ? 'missing' : `is ${Math.round(worst!.ageSeconds)}s old`}, rpo ${worst!.rpoSeconds}s`
            : `${name}: every recovery point is within its rpo again`,
          details: { points: [...rt.points.values()].map(({ point }) => agePoint(point, now)) },
        });
        this.log[breached ? 'error' : 'info']({ policy: name }, breached ? `RPO breached: ${name}` : `RPO met again: ${name}`);
      } else if (rt.breached === undefined && breached) {
        this.notify({ event: 'rpo.breached', policy: name, summary: `${name}: recovery point older than the rpo (found at start)`, details: { points: all } });
      }
      rt.breached = breached;
    }
    return all;
  }


  private compactJournalIfBig(): void {
    const j = this.journal;
    if (!j || j.closed) return;
    let size = 0;
    try {
      size = statSync(j.path).size;
    } catch {
      return;
    }
    if (size < JOURNAL_MAX_BYTES) return;
    const r = j.compact(10_000);
    this.log.info({ ...r, bytesBefore: size }, 'journal compacted');
  }

  private async pollHealth(): Promise<void> {
    if (this.healthRunning || this.leaderState !== 'leader' || this.stopping) return;
    this.healthRunning = true;
    try {
      await Promise.all(SYSTEMS.map((s) => s.health?.(this.config, this.metrics, this.log)));
    } finally {
      this.healthRunning = false;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // leadership

  private setLeader(state: LeaderState, why: string): void {
    const prev = this.leaderState;
    this.leaderState = state;
    this.metrics.leader.set(state === 'leader' ? 1 : 0);
    this.log.info({ state, previous: prev, why }, `leadership: ${state} (${why})`);
    if (this.stopping) return;
    if (state === 'leader') {
      if (prev !== 'leader') {
        if (this.term.signal.aborted) this.term = new AbortController();
        // A previous term of ours (or a crashed predecessor on this host) may have left children.
        for (const r of reapOrphans(this.opts.stateDir, (m) => this.log.warn(m))) this.log.warn({ step: r.step, pid: r.pid }, 'stopped a leftover child process');
        for (const [name, rt] of this.policies) rt.loop.resume(this.startJitter(this.config.policies[name]!), 'became leader');
        void this.pollHealth();
      }
      return;
    }
    for (const rt of this.policies.values()) rt.loop.pause();
    if (state === 'follower' && prev !== 'follower') {
      // Someone else may be leading already: our steps must stop now, not when they finish.
      this.term.abort(new Error('lost the leadership'));
      this.term = new AbortController();
      // The leader reports recovery points now. Ours would only age from here on and page for an
      // RPO breach the leader is not having: a follower exports none.
      for (const [name, rt] of this.policies) {
        rt.points.clear();
        delete rt.breached;
        for (const kind of rt.pendingKinds) this.metrics.planPendingSteps.remove({ policy: name, kind });
        rt.pendingKinds.clear();
      }
      this.refreshRecovery();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // policy files

  private watch(): void {
    const abs = this.opts.paths.map((p) => resolve(p));
    this.watcher = chokidar.watch(abs, {
      ignoreInitial: true,
      depth: 0,
      awaitWriteFinish: { stabilityThreshold: 150, pollInterval: 50 },
    });
    this.watcher.on('all', (_event, path) => {
      if (!abs.includes(resolve(path)) && !/\.ya?ml$/i.test(path)) return;
      if (this.reloadTimer) clearTimeout(this.reloadTimer);
      // Editors write in bursts (temp file, rename, chmod): one reload per burst.
      this.reloadTimer = setTimeout(() => {
        this.reloadTimer = undefined;
        this.reloading = (this.reloading ?? Promise.resolve()).then(() => this.reload());
      }, 250);
    });
    this.watcher.on('error', (err) => this.log.error({ err }, 'watching the policy files failed'));
  }

  /** Loads the policy files again; applies them if valid, else keeps the running ones. */
  async reload(): Promise<void> {
    if (this.stopping) return;
    const loaded = await loadConfig(this.opts.paths);
    if ('errors' in loaded) {
      this.lastLoad = { at: this.now(), errors: loaded.errors };
      this.metrics.policyLoadErrors.set(loaded.errors.length);
      for (const e of loaded.errors) this.log.error({ file: e.file, line: e.line, col: e.col, key: e.key }, `policy error: ${formatPolicyError(e)}`);
      this.log.error({ errors: loaded.errors.length }, `the changed policy files are invalid (${loaded.errors.length} error(s)); the last valid policies keep running`);
      return;
    }
    const next = loaded.config;
    const prev = this.config;
    if (JSON.stringify(stripAt(prev.coordination)) !== JSON.stringify(stripAt(next.coordination))) {
      this.log.warn('coordination changed in the policy files; it takes effect when the daemon restarts');
      if (prev.coordination) next.coordination = prev.coordination;
      else delete next.coordination;
    }
    this.config = next;
    this.lastLoad = { at: this.now(), errors: [] };
    this.metrics.policyLoadErrors.set(0);
    this.metrics.policyLastLoadSuccess.set(this.now() / 1000);
    this.notifier = createNotifier(Object.values(next.webhooks), { env: this.opts.env ?? process.env, log: this.notifyLog });

    const added: string[] = [];
    const removed: string[] = [];
    const changed: string[] = [];
    for (const name of [...this.policies.keys()]) {
      if (!next.policies[name]) {
        removed.push(name);
        this.removePolicy(name);
      }
    }
    for (const name of Object.keys(next.policies).sort()) {
      const rt = this.policies.get(name);
      if (!rt) {
        added.push(name);
        this.addPolicy(name);
        continue;
      }
      const fp = fingerprint(next, name);
      if (fp === rt.fingerprint) continue;
      changed.push(name);
      rt.fingerprint = fp;
      rt.loop.schedule = scheduleOf(next.policies[name]!);
      rt.points.clear(); // the sites may have moved: start from what the next run observes
      this.scheduleCron(name, rt);
      rt.loop.trigger('policy changed');
    }
    this.log.info({ added, removed, changed }, `policies reloaded: ${added.length} added, ${removed.length} removed, ${changed.length} changed`);
  }

  private readonly notifyLog = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void => {
    this.log[level]({ component: 'webhook', ...fields }, msg);
  };

  private notify(n: { event: 'run.failed' | 'run.recovered' | 'rpo.breached' | 'rpo.recovered'; policy: string; summary: string; details?: Record<string, unknown> }): void {
    this.notifier.notify({ ...n, at: new Date(this.now()).toISOString() });
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(() => {
      try {
        fn();
      } catch (err) {
        this.log.error({ err }, 'periodic task failed');
      }
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  // ---------------------------------------------------------------------------------------------
  // status

  status(): DaemonStatus {
    const now = this.now();
    const policies: PolicyStatus[] = [];
    for (const [name, rt] of [...this.policies].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const p = this.config.policies[name];
      if (!p) continue;
      const st = rt.loop.state;
      const r = rt.lastRun;
      const done = new Set(r?.apply?.done.map((d) => d.step.id) ?? []);
      policies.push({
        name,
        kind: p.kind,
        schedule: scheduleText(scheduleOf(p)),
        ...(p.rpo !== undefined && { rpoSeconds: p.rpo / 1000 }),
        running: st.running,
        ...(st.nextAt !== undefined && { nextRunAt: new Date(st.nextAt).toISOString(), nextRunReason: st.nextReason }),
        consecutiveFailures: st.consecutiveFailures,
        ...(r && {
          lastRun: {
            run: r.run,
            startedAt: new Date(r.startedAt).toISOString(),
            finishedAt: new Date(r.finishedAt).toISOString(),
            ok: r.ok,
            planned: r.plan?.steps.length ?? 0,
            done: r.apply?.done.length ?? 0,
            failed: r.apply?.failed.length ?? 0,
            skipped: r.apply?.skipped.length ?? 0,
            bytesCopied: r.apply?.done.reduce((s, d) => s + (d.outcome.bytesCopied ?? 0), 0) ?? 0,
            errors: [...r.errors, ...(r.apply?.failed.map((f) => `${f.step.id}: ${f.error}`) ?? [])],
          },
        }),
        ...(rt.lastSuccessAt !== undefined && { lastSuccessAt: new Date(rt.lastSuccessAt).toISOString() }),
        recoveryPoints: [...rt.points.values()].map(({ point, observedAt }) => {
          const a = agePoint(point, now);
          return {
            site: a.site,
            ...(a.newestAt !== undefined && { newestAt: new Date(a.newestAt).toISOString(), ageSeconds: Math.round(a.ageSeconds!) }),
            ...(a.rpoSeconds !== undefined && { rpoSeconds: a.rpoSeconds }),
            breached: a.breached,
            count: a.count,
            observedAt: new Date(observedAt).toISOString(),
          };
        }),
        rpoBreached: rt.breached ?? false,
        pendingSteps: (r?.plan?.steps ?? [])
          .filter((s) => !done.has(s.id))
          .map((s) => ({ id: s.id, kind: s.kind, action: s.action, target: `${s.target.cluster}:${s.target.path}`, reason: s.reason })),
      });
    }
    return {
      version: 1,
      host: hostname(),
      pid: process.pid,
      startedAt: new Date(this.startedAt).toISOString(),
      now: new Date(now).toISOString(),
      leadership: this.leaderState,
      ...(this.config.coordination && { coordination: { connect: this.config.coordination.zookeeper.connect, path: this.config.coordination.zookeeper.path } }),
      stopping: this.stopping,
      policyFiles: this.config.files,
      lastLoad: { at: new Date(this.lastLoad.at).toISOString(), errors: this.lastLoad.errors.map(formatPolicyError) },
      policies,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // stopping

  /**
   * Stops scheduling, gives running steps `graceMs` to finish, then aborts (checkpoints) what is
   * left, leaves the election, releases the lock. Idempotent; a second call with a smaller grace
   * shortens the wait (a second Ctrl-C).
   */
  shutdown(graceMs = this.opts.shutdownGraceMs ?? 5 * 60_000): Promise<void> {
    if (this.stopped) {
      if (graceMs === 0) this.term.abort(new Error('shutting down (second signal): step checkpointed'));
      return this.stopped;
    }
    this.stopping = true;
    this.drain.abort();
    this.stopped = (async () => {
      this.log.info({ graceMs }, 'stopping: no new runs; waiting for running steps');
      if (this.reloadTimer) clearTimeout(this.reloadTimer);
      await this.watcher?.close().catch(() => {});
      for (const rt of this.policies.values()) {
        rt.loop.stop();
        void rt.cronTask?.destroy();
      }
      const idle = Promise.all([...this.policies.values()].map((rt) => rt.loop.idle()));
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'grace'>((r) => (timer = setTimeout(() => r('grace'), graceMs)));
      const how = await Promise.race([idle.then(() => 'idle' as const), graceOver]);
      clearTimeout(timer);
      if (how === 'grace') {
        this.log.warn('grace period over: aborting running steps; the journal records them and the next start repairs');
        this.term.abort(new Error('shutting down: step checkpointed'));
        await idle;
      }
      await this.teardown();
      this.log.info('stopped');
    })();
    return this.stopped;
  }

  private async teardown(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    await this.watcher?.close().catch(() => {});
    await this.election?.close().catch(() => {});
    this.metrics.leader.set(0);
    await this.notifier?.flush(3_000).catch(() => {});
    await this.http?.close().catch(() => {});
    this.journal?.close();
    if (this.lock) {
      rmSync(join(this.opts.stateDir, 'daemon.json'), { force: true });
      this.lock.release();
    }
  }
}

function stripAt<T>(o: T): unknown {
  return o === undefined ? undefined : JSON.parse(JSON.stringify(o, (k, v: unknown) => (k === 'at' ? undefined : v)));
}
