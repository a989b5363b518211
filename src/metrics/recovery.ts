/**
 * Recovery points: for each policy and site, the newest good copy one could restore from, how old
 * it is, and whether that breaks the policy's RPO. `recoveryPoints` is pure (the clock comes in as
 * `now`, like the planner's); the `apply*`/`record*` functions put results into the metrics of
 * src/metrics/registry.ts.
 *
 * Times come from the names (DESIGN §4), never from creation times: the name is the recovery
 * point's identity, and it is what the planner's retention and safety rules reason about.
 */
import { storeKey, dirKey, type Observed, type ObservedDir } from '../model/observed.js';
import type { Plan } from '../model/plan.js';
import type { Config, HdfsSnapshotPolicy, ZookeeperArchivePolicy } from '../model/policy.js';
import type { ApplyResult } from '../engine/apply.js';
import { ownedArchives } from '../planner/archives.js';
import { hbrNewestFirst, newestCommon, snapshotNames } from '../planner/snapshots.js';
import type { HbrMetrics, RecoverySite, StepResult } from './registry.js';

export interface RecoveryPoint {
  policy: string;
  site: RecoverySite;
  /** ms since epoch of the newest good recovery point at the site; undefined = there is none */
  newestAt?: number;
  /** (now − newestAt) in seconds, never below 0 (a name ahead of the clock counts as fresh); undefined when newestAt is */
  ageSeconds?: number;
  /** recovery points hbr owns at the site (for dr: summed over the targets) */
  count: number;
  /** the policy's rpo, in seconds; undefined = the policy has none */
  rpoSeconds?: number;
  /** rpoSeconds is set and (there is no recovery point, or it is older than rpoSeconds) */
  breached: boolean;
}

function point(policy: string, site: RecoverySite, newestAt: number | undefined, count: number, rpoMs: number | undefined, now: number): RecoveryPoint {
  const ageSeconds = newestAt === undefined ? undefined : Math.max(0, (now - newestAt) / 1000);
  const rpoSeconds = rpoMs === undefined ? undefined : rpoMs / 1000;
  const breached = rpoSeconds !== undefined && (ageSeconds === undefined || ageSeconds > rpoSeconds);
  return {
    policy,
    site,
    ...(newestAt !== undefined ? { newestAt, ageSeconds } : {}),
    count,
    ...(rpoSeconds !== undefined ? { rpoSeconds } : {}),
    breached,
  };
}

function hbrCount(dir: ObservedDir): number {
  return dir.exists ? hbrNewestFirst(snapshotNames(dir)).length : 0;
}

function snapshotPolicyPoints(p: HdfsSnapshotPolicy, observed: Observed, now: number): RecoveryPoint[] {
  const out: RecoveryPoint[] = [];
  const source = observed.dirs[dirKey(p.source.cluster, p.source.path)];
  if (source) {
    const hbr = source.exists ? hbrNewestFirst(snapshotNames(source)) : [];
    out.push(point(p.name, 'source', hbr[0]?.time, hbr.length, p.rpo, now));
  }
  if (p.replicate.length > 0) {
    const targets = p.replicate.map((r) => observed.dirs[dirKey(r.to.cluster, r.to.path)]);
    // The DR recovery point is the oldest across targets: a partial answer (some targets not
    // observed) could only look better than the truth, so then the site is not reported.
    if (targets.every((t): t is ObservedDir => t !== undefined)) {
      let oldest: number | undefined;
      let none = false;
      let count = 0;
      for (const t of targets) {
        count += hbrCount(t);
        // With the source there, only a snapshot it shares counts (newestCommon). With the source
        // unobserved (down: the very case DR exists for) or gone (HDFS refuses to delete a
        // directory with snapshots, so its snapshots went with it), the newest hbr snapshot on the
        // target: hbr names a DR snapshot only after the copy into it completed.
        const newest = source?.exists ? newestCommon(source, t)?.time : t.exists ? hbrNewestFirst(snapshotNames(t))[0]?.time : undefined;
        if (newest === undefined) none = true;
        else if (oldest === undefined || newest < oldest) oldest = newest;
      }
      out.push(point(p.name, 'dr', none ? undefined : oldest, count, p.rpo, now));
    }
  }
  return out;
}

function archivePolicyPoints(p: ZookeeperArchivePolicy, observed: Observed, now: number): RecoveryPoint[] {
  const listing = observed.stores?.[storeKey(p.archive.to, p.archive.prefix)];
  if (!listing) return [];
  const owned = ownedArchives(p, listing);
  return [point(p.name, 'store', owned[owned.length - 1]?.time, owned.length, p.rpo, now)];
}

/**
 * A recovery point as it stands at `now`: the same newest copy, older, breached once its age
 * passes the rpo. The daemon ages points between observations with it (and keeps aging the last
 * point of a site it cannot observe: nothing can have reached a DR cluster that is down).
 */
export function agePoint(p: RecoveryPoint, now: number): RecoveryPoint {
  if (p.newestAt === undefined) return p;
  const ageSeconds = Math.max(0, (now - p.newestAt) / 1000);
  return { ...p, ageSeconds, breached: p.rpoSeconds !== undefined && ageSeconds > p.rpoSeconds };
}

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
    if (p.kind === 'hdfs-snapshots') out.push(...snapshotPolicyPoints(p, observed, now));
    else if (p.kind === 'zookeeper-archive') out.push(...archivePolicyPoints(p, observed, now));
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
