/**
 * A policy's runtime in the daemon (src/daemon/daemon.ts): its loop and cron wake-ups, and what its
 * runs leave behind — the last run, the metrics, the notifications, and its recovery points as
 * they age (observed by each run, and once on their own when the daemon starts to lead or the
 * policy is added: observeRecovery).
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { agePoint, applyRecoveryPoints, recordApply, recoveryPoints, setPolicyRecoveryPoints, type RecoveryPoint } from '../metrics/recovery.js';
import type { HbrMetrics } from '../metrics/registry.js';
import type { UnfinishedStep } from '../model/observed.js';
import type { AuditReport } from '../model/audit.js';
import type { PlanHold } from '../model/plan.js';
import type { Config, NotifyEvent, Policy, Schedule } from '../model/policy.js';
import { observeAll } from '../observe/all.js';
import { systemOf } from '../systems/index.js';
import type { DrillRecord } from '../engine/drill.js';
import type { PolicyLoop } from './loop.js';
import type { ReconcileResult } from './reconcile.js';

export interface PolicyRuntime {
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
  /** the restore drills of `verify: { every }` (./drills.ts), and the last one recorded */
  drillLoop?: PolicyLoop;
  drill?: DrillRecord;
  /** DR pairs held for the operator, by target, with when the hold was first seen (ms) */
  holds?: Map<string, { hold: PlanHold; since: number }>;
  /** the last audit report of the policy (System.findings), and when it was made (ms) */
  audit?: { report: AuditReport; at: number };
}

/** What recording runs and aging recovery points needs from the daemon. */
export interface RecordContext {
  metrics: HbrMetrics;
  log: Logger;
  now: () => number;
  notify(n: { event: NotifyEvent; policy: string; summary: string; details?: Record<string, unknown> }): void;
}

export function scheduleOf(p: Policy): Schedule {
  return systemOf(p).schedule(p);
}

/**
 * Policies start spread out, not all in one instant: over half their interval, at most a minute.
 * Later runs aim at newest + every, so the spread persists (a fleet started bunched stays bunched).
 * HBR_DAEMON_START_SPREAD_MS lowers that minute (0: every policy looks at once; docs/daemon.md,
 * "Schedules"): for tests that start a daemon on an hourly policy and wait for its first run.
 */
export function startJitter(p: Policy, env: NodeJS.ProcessEnv = process.env): number {
  const s = scheduleOf(p);
  return Math.floor(Math.random() * Math.min(startSpreadCapMs(env), (s.every ?? 10_000) * 0.5));
}

/** The cap of the start spread: 60 s, or HBR_DAEMON_START_SPREAD_MS (0 to 60000). */
export function startSpreadCapMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.HBR_DAEMON_START_SPREAD_MS;
  if (v === undefined || v === '') return 60_000;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0 || n > 60_000) throw new Error(`HBR_DAEMON_START_SPREAD_MS must be milliseconds from 0 to 60000, got ${JSON.stringify(v)}`);
  return n;
}

export function scheduleCron(name: string, rt: PolicyRuntime): void {
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

/** Records a run of policy `name`: its runtime, the metrics, the log, and a notification when it fails or recovers. */
export function recordRun(c: RecordContext, name: string, rt: PolicyRuntime, r: ReconcileResult): void {
  const m = c.metrics;
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
  recordHolds(c, name, rt, r);
  recordAudit(c, name, rt, r.audit, r.finishedAt);

  const failed = r.apply?.failed.length ?? 0;
  const skipped = r.apply?.skipped.length ?? 0;
  const doneN = r.apply?.done.length ?? 0;
  const fields = { policy: name, run: r.run, ms: r.finishedAt - r.startedAt, planned: r.plan?.steps.length ?? 0, done: doneN, failed, skipped };
  if (r.ok) {
    rt.lastSuccessAt = r.finishedAt;
    m.reconcileLastSuccess.set(r.finishedAt / 1000);
    c.log.info(fields, `reconciled ${name}: ${doneN} step(s) done`);
    if (!wasOk) c.notify({ event: 'run.recovered', policy: name, summary: `${name} reconciles again (${doneN} step(s) done)`, details: fields });
  } else {
    const problems = [...r.errors, ...(r.apply?.failed.map((f) => `${f.step.kind}: ${f.error}`) ?? [])];
    c.log.error({ ...fields, errors: r.errors }, `reconcile of ${name} did not complete: ${problems.join('; ') || 'interrupted'}`);
    // Once per outage, not once per retry: the first failure after a success.
    if (wasOk) {
      c.notify({
        event: 'run.failed',
        policy: name,
        summary: `reconcile of ${name} failed: ${problems.slice(0, 3).join('; ') || 'interrupted'}`,
        details: { ...fields, errors: r.errors.slice(0, 10), failedSteps: r.apply?.failed.map((f) => ({ id: f.step.id, error: f.error })) ?? [] },
      });
    }
  }
  setPolicyRecoveryPoints(c.metrics, name, refreshPolicy(c, name, rt, c.now()));
}

/** The start observation of a policy's recovery points bounds each request (the runs' default is 30 s). */
const OBSERVE_RECOVERY_TIMEOUT_MS = 10_000;

/**
 * Observes one policy's recovery points without running it — scoped to the policy, as a run's
 * observation is — so /status and the metrics show what exists from the start, not from the
 * policy's first run (which may be a minute away, or behind a thousand others). A site's point is
 * set unless a run has observed that site since this observation began; a site that could not be
 * observed gets none. `live()` says whether the result is still wanted (still leading, the policy
 * still there): a follower exports no recovery points.
 */
export async function observeRecovery(c: RecordContext, config: Config, name: string, rt: PolicyRuntime, live: () => boolean): Promise<void> {
  if (!live()) return;
  const startedAt = c.now();
  let points: RecoveryPoint[];
  try {
    const observed = await observeAll(config, { targets: [name], now: c.now, timeoutMs: OBSERVE_RECOVERY_TIMEOUT_MS });
    points = recoveryPoints(config, observed, observed.at, [name]);
    for (const e of observed.errors) c.log.warn({ policy: name, cluster: e.cluster, path: e.path }, `recovery points of ${name}: could not observe ${e.cluster}${e.path ? `:${e.path}` : ''}: ${e.message}`);
  } catch (err) {
    c.log.warn({ policy: name, error: (err as Error).message }, `could not observe the recovery points of ${name}; its first run will`);
    return;
  }
  if (!live()) return;
  const observedAt = c.now();
  const set: string[] = [];
  for (const p of points) {
    const known = rt.points.get(p.site);
    if (known && known.observedAt >= startedAt) continue; // a run saw it since: newer
    rt.points.set(p.site, { point: p, observedAt });
    set.push(`${p.site} ${p.newestAt === undefined ? 'none' : `${Math.round((observedAt - p.newestAt) / 1000)}s old`}`);
  }
  if (set.length) c.log.info({ policy: name, points: set }, `recovery points of ${name} observed: ${set.join(', ')}`);
  setPolicyRecoveryPoints(c.metrics, name, refreshPolicy(c, name, rt, c.now()));
}

/**
 * The pairs a run's plan held (diverged, mass change): a gauge each, a pair.held webhook when one
 * appears and pair.released when it goes. The daemon never allows an overwrite by itself: a hold
 * lasts until the operator decides (docs/policies.md, "Diverged and held pairs"). A hold is
 * released only by a run that planned and observed everything: a DR cluster that cannot be
 * observed says nothing about its pair.
 */
function recordHolds(c: RecordContext, name: string, rt: PolicyRuntime, r: ReconcileResult): void {
  if (!r.plan) return;
  const before = rt.holds ?? new Map<string, { hold: PlanHold; since: number }>();
  const now = new Map<string, { hold: PlanHold; since: number }>();
  for (const h of r.plan.holds ?? []) {
    const prev = before.get(h.target);
    now.set(h.target, { hold: h, since: prev?.since ?? r.finishedAt });
    c.metrics.pairHeld.set({ policy: name, target: h.target, reason: h.reason }, 1);
    if (prev && prev.hold.reason !== h.reason) c.metrics.pairHeld.remove({ policy: name, target: h.target, reason: prev.hold.reason });
    if (!prev) {
      c.log.error({ policy: name, target: h.target, reason: h.reason }, h.message);
      c.notify({ event: 'pair.held', policy: name, summary: h.message, details: { ...h } });
    }
  }
  const observedAll = Object.values(r.observeErrors).every((n) => n === 0);
  for (const [target, prev] of before) {
    if (now.has(target)) continue;
    if (!observedAll) {
      now.set(target, prev);
      continue;
    }
    c.metrics.pairHeld.remove({ policy: name, target, reason: prev.hold.reason });
    c.log.info({ policy: name, target }, `DR pair ${prev.hold.source} -> ${target} is no longer held`);
    c.notify({ event: 'pair.released', policy: name, summary: `DR pair ${prev.hold.source} -> ${target} is no longer held (${prev.hold.reason})`, details: { ...prev.hold } });
  }
  rt.holds = now;
}

/**
 * Ages every known recovery point to now, sets the recovery gauges and sends rpo.breached /
 * rpo.recovered on a change. A site that could not be observed keeps its last point, which
 * only gets older: while the DR cluster is down its recovery point ages past the RPO, as it
 * should (nothing can have reached it meanwhile, hbr being the one that copies).
 */
export function refreshRecovery(c: RecordContext, policies: ReadonlyMap<string, PolicyRuntime>): void {
  const now = c.now();
  const all: RecoveryPoint[] = [];
  for (const [name, rt] of policies) all.push(...refreshPolicy(c, name, rt, now));
  applyRecoveryPoints(c.metrics, all);
}

/** Forgets every policy's recovery points and pending steps, and their gauges (a follower exports none). */
export function forgetRecovery(c: RecordContext, policies: ReadonlyMap<string, PolicyRuntime>): void {
  for (const [name, rt] of policies) {
    rt.points.clear();
    delete rt.breached;
    for (const kind of rt.pendingKinds) c.metrics.planPendingSteps.remove({ policy: name, kind });
    rt.pendingKinds.clear();
    for (const { hold } of rt.holds?.values() ?? []) c.metrics.pairHeld.remove({ policy: name, target: hold.target, reason: hold.reason });
    delete rt.holds;
    recordAudit(c, name, rt, undefined, 0);
  }
  refreshRecovery(c, policies);
}

/**
 * One policy's part of refreshRecovery: ages its points, notifies a change of breach, returns
 * the aged points. After a run only this policy is refreshed (the others are by the 5 s tick
 * and at every scrape): refreshing all 1,000 after each of 1,000 runs made a round O(N²).
 */
function refreshPolicy(c: RecordContext, name: string, rt: PolicyRuntime, now: number): RecoveryPoint[] {
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
      c.notify({
        event: breached ? 'rpo.breached' : 'rpo.recovered',
        policy: name,
        summary: breached
          ? `${name}: ${worst!.site} recovery point ${worst!.ageSeconds === undefined ? 'missing' : `is ${Math.round(worst!.ageSeconds)}s old`}, rpo ${worst!.rpoSeconds}s`
          : `${name}: every recovery point is within its rpo again`,
        details: { points: [...rt.points.values()].map(({ point }) => agePoint(point, now)) },
      });
      c.log[breached ? 'error' : 'info']({ policy: name }, breached ? `RPO breached: ${name}` : `RPO met again: ${name}`);
    } else if (rt.breached === undefined && breached) {
      c.notify({ event: 'rpo.breached', policy: name, summary: `${name}: recovery point older than the rpo (found at start)`, details: { points: all } });
    }
    rt.breached = breached;
  }
  return all;
}

/**
 * A run's audit report into the runtime (/status) and hbr_audit_findings: per checked (cluster,
 * check) the sum of its findings' counts, 0 when clear; a check not made this time (not observed,
 * or no report: `report` undefined) has its series dropped: unknown is not zero.
 */
export function recordAudit(c: RecordContext, name: string, rt: PolicyRuntime, report: AuditReport | undefined, at: number): void {
  const g = c.metrics.auditFindings;
  const key = (x: { cluster: string; check: string }) => `${x.cluster}\u0000${x.check}`;
  const now = new Map((report?.checked ?? []).map((x) => [key(x), { ...x, n: 0 }]));
  for (const f of report?.findings ?? []) {
    const e = now.get(key(f));
    if (e) e.n += f.count;
  }
  for (const x of rt.audit?.report.checked ?? []) if (!now.has(key(x))) g.remove({ cluster: x.cluster, policy: name, check: x.check });
  for (const x of now.values()) g.set({ cluster: x.cluster, policy: name, check: x.check }, x.n);
  if (report) rt.audit = { report, at };
  else delete rt.audit;
}
