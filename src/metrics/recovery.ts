/**
 * Recovery points as metrics. `recoveryPoints` is pure (the clock comes in as `now`, like the
 * planner's) and asks each policy's system where its points are (System.recoveryPoints); the
 * `apply*`/`record*` functions put results into the metrics of src/metrics/registry.ts.
 */
import type { Observed } from '../model/observed.js';
import type { Plan } from '../model/plan.js';
import type { Config } from '../model/policy.js';
import type { RecoveryPoint } from '../model/recovery.js';
import type { ApplyResult } from '../engine/apply.js';
import { systemOf } from '../systems/index.js';
import type { HbrMetrics, StepResult } from './registry.js';

export { agePoint, type RecoveryPoint } from '../model/recovery.js';

/**
 * The recovery point of every configured policy at every site it has that was observed, ordered
 * by policy name then site (source, dr, store). A site not observed (its directory absent from
 * `observed.dirs`, its store listing absent) gets no entry, never a made-up one.
 */
export function recoveryPoints(config: Config, observed: Observed, now: number, only?: readonly string[]): RecoveryPoint[] {
  const out: RecoveryPoint[] = [];
  // `only`: the daemon reconciles one policy at a time and must not pay for the other 999.
  const names = (only ? only.filter((n) => config.policies[n]) : Object.keys(config.policies)).sort();
  for (const name of names) {
    const p = config.policies[name]!;
    out.push(...systemOf(p).recoveryPoints(p, observed, now));
  }
  return out;
}

/**
 * Sets hbr_recovery_point_age_seconds, hbr_rpo_seconds, hbr_rpo_breached and hbr_snapshots from
 * `points`, replacing what was there (so policies and sites no longer present disappear). The age
 * series is left out where there is no recovery point; hbr_rpo_breached says so when it matters.
 * hbr_rpo_breached per policy is the worst of its sites.
 */
export function applyRecoveryPoints(m: HbrMetrics, points: readonly RecoveryPoint[]): void {
  m.recoveryPointAge.reset();
  m.rpoSeconds.reset();
  m.rpoBreached.reset();
  m.snapshots.reset();
  m.futureDatedNames.reset();
  const byPolicy = new Map<string, RecoveryPoint[]>();
  for (const p of points) byPolicy.set(p.policy, [...(byPolicy.get(p.policy) ?? []), p]);
  for (const [policy, ps] of byPolicy) setPolicyRecoveryPoints(m, policy, ps);
}

/**
 * Sets one policy's recovery gauges from its points, leaving the other policies' series alone
 * (the daemon refreshes the one policy a run touched). An age series is removed where there is no
 * recovery point; hbr_rpo_breached is the worst of the policy's sites.
 */
export function setPolicyRecoveryPoints(m: HbrMetrics, policy: string, points: readonly RecoveryPoint[]): void {
  let breached = 0;
  for (const p of points) {
    if (p.ageSeconds !== undefined) m.recoveryPointAge.set({ policy, site: p.site }, p.ageSeconds);
    else m.recoveryPointAge.remove({ policy, site: p.site });
    m.snapshots.set({ policy, site: p.site }, p.count);
    if (p.future) m.futureDatedNames.set({ policy, site: p.site }, p.future);
    else m.futureDatedNames.remove({ policy, site: p.site });
    if (p.rpoSeconds !== undefined) m.rpoSeconds.set({ policy }, p.rpoSeconds);
    if (p.breached) breached = 1;
  }
  if (points.length) m.rpoBreached.set({ policy }, breached);
}

const RESULTS: readonly StepResult[] = ['done', 'failed', 'skipped'];

/**
 * Counts a run's steps (hbr_steps_total), the durations of those that completed
 * (hbr_step_duration_seconds: failed ones are left out, their time says more about the failure
 * than about the work) and the bytes they copied (hbr_bytes_copied_total).
 */
export function recordApply(m: HbrMetrics, result: ApplyResult): void {
  // Every result of a kind seen gets a series, at 0 if need be, so rate() and increase() see the
  // first failure of a kind as an increase rather than as a new series.
  const kinds = new Set<string>();
  for (const r of [...result.done, ...result.failed, ...result.skipped]) kinds.add(r.step.kind);
  for (const kind of kinds) for (const r of RESULTS) m.stepsTotal.inc({ kind, result: r }, 0);

  for (const { step, outcome, ms } of result.done) {
    m.stepsTotal.inc({ kind: step.kind, result: 'done' });
    if (Number.isFinite(ms) && ms >= 0) m.stepDuration.observe({ kind: step.kind }, ms / 1000);
    const bytes = outcome?.bytesCopied;
    if (typeof bytes === 'number' && Number.isFinite(bytes) && bytes >= 0) m.bytesCopiedTotal.inc({ policy: step.policy, kind: step.kind }, bytes);
  }
  for (const { step } of result.failed) m.stepsTotal.inc({ kind: step.kind, result: 'failed' });
  for (const { step } of result.skipped) m.stepsTotal.inc({ kind: step.kind, result: 'skipped' });
}

/** Sets hbr_plan_pending_steps from the latest plan, replacing the previous plan's series. */
export function recordPlan(m: HbrMetrics, plan: Plan): void {
  m.planPendingSteps.reset();
  const counts = new Map<string, { policy: string; kind: string; n: number }>();
  for (const s of plan.steps) {
    const key = `${s.policy}\u0000${s.kind}`;
    const c = counts.get(key);
    if (c) c.n++;
    else counts.set(key, { policy: s.policy, kind: s.kind, n: 1 });
  }
  for (const { policy, kind, n } of counts.values()) m.planPendingSteps.set({ policy, kind }, n);
}
