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
 *
 * Alongside: options.ts (DaemonOptions, housekeeping timers), policy-loops.ts (each policy's loops:
 * added, removed, resumed, paused, stopped), runtime.ts (a policy's runtime, what its runs record), reload.ts (the policy files watched and reloaded), status-build.ts (/status).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FSWatcher } from 'chokidar';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { sweepDrillScratch } from '../engine/drill-scratch.js';
import { Journal } from '../engine/journal.js';
import type { Lock } from '../engine/lock.js';
import { createMetrics, type HbrMetrics } from '../metrics/registry.js';
import type { Config, NotifyEvent } from '../model/policy.js';
import { policyClaims, SYSTEMS } from '../systems/index.js';
import { formatPolicyError, loadConfig, type PolicyError } from '../schema/load.js';
import type { LeaderElection, LeaderState } from './coordination.js';
import { startHttp, type HttpServer } from './http.js';
import { KeyedMutex } from './mutex.js';
import { createNotifier, type Notifier } from './notify.js';
import { compactJournalIfBig, every, JOURNAL_CHECK_MS, RPO_TICK_MS, type DaemonOptions } from './options.js';
import { forgetDrillMetrics, type DrillHost } from './drills.js';
import { PolicyLoops } from './policy-loops.js';
import { openStateDir, reapBeforeLeading } from './state-dir.js';
import { reconcilePolicy } from './reconcile.js';
import { applyPolicyChanges, keepCoordination, loadPolicies, reloadFailure, watchPolicyFiles } from './reload.js';
import { forgetRecovery, observeRecovery, recordRun, refreshRecovery, scheduleOf, type PolicyRuntime, type RecordContext } from './runtime.js';
import { buildStatus } from './status-build.js';
import { DEFAULT_TIMING, nextRunAfterSuccess, type TimingOptions } from './timing.js';
import type { DaemonStatus } from './status.js';

export type { DaemonOptions } from './options.js';

export class Daemon {
  private config!: Config;
  readonly metrics: HbrMetrics;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly timing: TimingOptions;
  private readonly loops: PolicyLoops;
  /** the policies' runtimes, by name (owned by `loops`) */
  private readonly policies: Map<string, PolicyRuntime>;
  private readonly resources = new KeyedMutex();
  private readonly parallel;
  /** the observations of recovery points apart from runs (observePoints): a few at a time */
  private readonly observing = pLimit(4);
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
  /** drops a reload not started yet */
  private cancelReload?: () => void;
  private reloading?: Promise<void>;
  private lastLoad: { at: number; errors: PolicyError[] } = { at: 0, errors: [] };
  private readonly startedAt: number;
  /** the NameNode health poll in flight (one at a time) */
  private healthRun?: Promise<unknown>;
  private readonly recording: RecordContext;

  private constructor(private readonly opts: DaemonOptions) {
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.parallel = pLimit(Math.max(1, opts.parallel ?? 4));
    this.metrics = createMetrics();
    this.startedAt = this.now();
    this.recording = { metrics: this.metrics, log: this.log, now: this.now, notify: (n) => this.notify(n) };
    const drillHost: DrillHost = { record: this.recording, config: () => this.config, stateDir: opts.stateDir, hadoop: opts.hadoop, withClaims: (name, fn) => this.withClaims(name, fn) };
    this.loops = new PolicyLoops({
      config: () => this.config,
      leading: () => this.leaderState === 'leader',
      now: this.now,
      timing: this.timing,
      log: this.log,
      metrics: this.metrics,
      recording: this.recording,
      drillHost,
      run: (name, reason) => this.runPolicy(name, reason),
      started: (name) => this.observePoints(name),
    });
    this.policies = this.loops.all;
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

    const { lock, leftovers } = await openStateDir(this.opts.stateDir, this.opts.command ?? 'hbr daemon', this.log);
    this.lock = lock;
    this.journal = Journal.open(this.opts.stateDir);
    this.notifier = createNotifier(Object.values(this.config.webhooks), { env: this.opts.env ?? process.env, log: this.notifyLog });

    for (const name of Object.keys(this.config.policies).sort()) this.loops.add(name, leftovers.filter((u) => u.policy === name));

    if (this.opts.listen) {
      this.http = await startHttp(this.opts.listen, {
        metrics: async () => {
          refreshRecovery(this.recording, this.policies);
          return { contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() };
        },
        healthy: () => !this.stopping,
        status: () => this.status(),
      });
      this.log.info({ url: this.http.url }, `serving /metrics, /healthz and /status on ${this.http.url}`);
    }
    writeFileSync(join(this.opts.stateDir, 'daemon.json'), JSON.stringify({ pid: process.pid, host: hostname(), url: this.http?.url, startedAt: this.startedAt }) + '\n');

    this.watch();
    every(this.timers, this.log, RPO_TICK_MS, () => refreshRecovery(this.recording, this.policies));
    every(this.timers, this.log, this.opts.healthIntervalMs ?? 60_000, () => void this.pollHealth());
    every(this.timers, this.log, JOURNAL_CHECK_MS, () => compactJournalIfBig(this.journal, this.log));

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

  /** Observes a policy's recovery points now, apart from its runs (runtime.ts, observeRecovery). */
  private observePoints(name: string): void {
    const rt = this.policies.get(name);
    if (!rt) return;
    const config = this.config;
    const live = () => this.leaderState === 'leader' && !this.stopping && this.policies.get(name) === rt;
    void this.observing(() => observeRecovery(this.recording, config, name, rt, live)).catch((err: unknown) =>
      this.log.error({ policy: name, err }, `observing the recovery points of ${name} failed unexpectedly`),
    );
  }

  private async runPolicy(name: string, reason: string): Promise<{ ok: boolean; nextAt?: number }> {
    return this.parallel(async () => {
      const config = this.config; // one configuration for the whole run, even if a reload lands meanwhile
      const rt = this.policies.get(name);
      const p = config.policies[name];
      if (!rt || !p || this.leaderState !== 'leader' || this.stopping) return { ok: true };
      const release = await this.resources.acquire(policyClaims(config, name));
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
        // Until a run repairs them, every run's plan names them again (and so does the journal).
        if (r.resolved.length) rt.unfinished = rt.unfinished.filter((u) => !r.resolved.some((x) => x.stepId === u.stepId));
        recordRun(this.recording, name, rt, r);
        const newest = r.points.find((x) => x.site === 'source' || x.site === 'store')?.newestAt;
        return { ok: r.ok, nextAt: nextRunAfterSuccess(scheduleOf(p), newest, this.now(), this.timing, Math.random()) };
      } finally {
        release();
      }
    });
  }

  /** Runs `fn` (a drill: ./drills.ts) holding the policy's mutex keys, as a run does; undefined when not leading. */
  private async withClaims<T>(name: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
    return this.parallel(async () => {
      if (this.leaderState !== 'leader' || this.stopping) return undefined;
      const release = await this.resources.acquire(policyClaims(this.config, name));
      try {
        const signal = this.term.signal;
        return this.leaderState !== 'leader' || this.stopping || signal.aborted ? undefined : await fn(signal);
      } finally {
        release();
      }
    });
  }

  private pollHealth(): void {
    if (this.healthRun || this.leaderState !== 'leader' || this.stopping) return;
    this.healthRun = Promise.all(SYSTEMS.map((s) => s.health?.(this.config, this.metrics, this.log))).finally(() => (this.healthRun = undefined));
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
        // What an earlier term or leader left running (child processes; a DistCp on YARN still
        // writing into a DR target) is stopped before any loop runs again.
        const term = this.term;
        void reapBeforeLeading(this.config, this.opts.stateDir, this.opts.hadoop, this.log).finally(() => {
          if (this.stopping || this.leaderState !== 'leader' || term !== this.term) return; // lost it meanwhile
          // Every loop runs again; what exists is reported from now on, not from each policy's first run.
          this.loops.resumeAll('became leader');
          void this.pollHealth();
          // Drill scratch a killed drill left, also of policies without a drill any more (never throws)
          void sweepDrillScratch(this.config, this.opts.stateDir, (m) => this.log.warn({ component: 'drill' }, m));
        });
      }
      return;
    }
    this.loops.pauseAll();
    if (state === 'follower' && prev !== 'follower') {
      // Someone else may be leading already: our steps must stop now, not when they finish.
      this.term.abort(new Error('lost the leadership'));
      this.term = new AbortController();
      // The leader reports recovery points now. Ours would only age from here on and page for an
      // RPO breach the leader is not having: a follower exports none.
      forgetRecovery(this.recording, this.policies);
      for (const name of this.policies.keys()) forgetDrillMetrics(this.metrics, name);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // policy files

  private watch(): void {
    // reload() does not reject; were it to, the catch keeps later reloads chained.
    const w = watchPolicyFiles(this.opts.paths, this.log, () => (this.reloading = (this.reloading ?? Promise.resolve()).then(() => this.reload()).catch((err: unknown) => this.reloadFailed(err))));
    [this.watcher, this.cancelReload] = [w.watcher, w.cancel];
  }

  /**
   * Loads the policy files again; applies them if valid, else keeps the running ones. Never rejects
   * (that would end the daemon): a throw is logged and counted as a load error.
   */
  async reload(): Promise<void> {
    if (this.stopping) return;
    const { config: next, lastLoad } = await loadPolicies(this.opts.paths, this.log, this.metrics, this.now());
    this.lastLoad = lastLoad;
    if (!next) return;
    try {
      keepCoordination(this.config, next, this.log);
      // made before anything changes: if it throws, the running configuration is untouched
      const notifier = createNotifier(Object.values(next.webhooks), { env: this.opts.env ?? process.env, log: this.notifyLog });
      [this.config, this.notifier] = [next, notifier];
      const { added, removed, changed } = applyPolicyChanges(next, this.policies, (name) => this.loops.add(name), (name) => this.loops.remove(name));
      this.log.info({ added, removed, changed }, `policies reloaded: ${added.length} added, ${removed.length} removed, ${changed.length} changed`);
    } catch (err) {
      this.reloadFailed(err);
    }
  }

  /** A reload that threw (a bug, the file system): one load error, logged. Never throws. */
  private reloadFailed(err: unknown): void {
    this.lastLoad = reloadFailure(this.opts.paths, err, this.log, this.metrics, this.now());
  }

  private readonly notifyLog = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void => {
    this.log[level]({ component: 'webhook', ...fields }, msg);
  };

  private notify(n: { event: NotifyEvent; policy: string; summary: string; details?: Record<string, unknown> }): void {
    this.notifier.notify({ ...n, at: new Date(this.now()).toISOString() });
  }

  // ---------------------------------------------------------------------------------------------
  // status

  status(): DaemonStatus {
    return buildStatus({
      now: this.now(),
      startedAt: this.startedAt,
      config: this.config,
      policies: this.policies,
      leaderState: this.leaderState,
      stopping: this.stopping,
      lastLoad: this.lastLoad,
    });
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
    this.observing.clearQueue();
    this.stopped = (async () => {
      this.log.info({ graceMs }, 'stopping: no new runs; waiting for running steps');
      this.cancelReload?.();
      await this.watcher?.close().catch(() => {});
      this.loops.stopAll();
      const idle = this.loops.idle();
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

