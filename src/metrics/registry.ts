/**
 * Every metric hbr exposes, in one place (docs/daemon.md, "HTTP", lists them). `createMetrics` builds a fresh prom-client
 * Registry (never prom-client's global one), so a CLI run, a daemon and each test get their own
 * and nothing leaks between them.
 *
 * Conventions: every hbr metric starts with `hbr_`; times are seconds (ages, durations) or Unix
 * timestamps in seconds; 0/1 gauges are booleans. Node's default process metrics, when enabled,
 * keep their standard names (`process_*`, `nodejs_*`) because stock Grafana dashboards expect them.
 *
 * The metrics here are only declared. src/metrics/recovery.ts computes and sets the recovery-point
 * gauges and records plans and apply results; the daemon sets the rest (leadership, policy loads,
 * observation errors, HDFS health).
 */
import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Where a recovery point lives: the source directory, its DR replicas, or an archive store. */
export type { RecoverySite } from '../model/recovery.js';

/** The outcome of one step as hbr_steps_total counts it. */
export type StepResult = 'done' | 'failed' | 'skipped';

/**
 * Bucket bounds of hbr_step_duration_seconds, in seconds: a snapshot takes well under a second,
 * a DistCp of a large tree hours (the replication deadline is 6 h).
 */
export const STEP_DURATION_BUCKETS: readonly number[] = [
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 21600,
];

/** Every hbr_ metric name (a histogram by its base name, without _bucket/_sum/_count). */
export const METRIC_NAMES = [
  'hbr_recovery_point_age_seconds',
  'hbr_rpo_seconds',
  'hbr_rpo_breached',
  'hbr_pair_held',
  'hbr_future_dated_names',
  'hbr_plan_pending_steps',
  'hbr_steps_total',
  'hbr_step_duration_seconds',
  'hbr_bytes_copied_total',
  'hbr_snapshots',
  'hbr_reconcile_last_success_timestamp_seconds',
  'hbr_hdfs_missing_blocks',
  'hbr_hdfs_corrupt_blocks',
  'hbr_hdfs_under_replicated_blocks',
  'hbr_hdfs_trash_enabled',
  'hbr_hdfs_delegation_token_refresh_timestamp_seconds',
  'hbr_hdfs_delegation_token_max_date_timestamp_seconds',
  'hbr_audit_findings',
  'hbr_leader',
  'hbr_policy_load_errors',
  'hbr_policy_last_load_success_timestamp_seconds',
  'hbr_observe_errors',
  'hbr_build_info',
  'hbr_restore_drill_duration_seconds',
  'hbr_restore_drill_last_success_timestamp_seconds',
  'hbr_restore_drill_failed',
  'hbr_restore_drill_interval_seconds',
  'hbr_rto_seconds',
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

export interface HbrMetrics {
  /** the registry holding all of the below (and the default process metrics when enabled) */
  registry: Registry;
  /** hbr_recovery_point_age_seconds{policy,site} */
  recoveryPointAge: Gauge<'policy' | 'site'>;
  /** hbr_rpo_seconds{policy} */
  rpoSeconds: Gauge<'policy'>;
  /** hbr_rpo_breached{policy} */
  rpoBreached: Gauge<'policy'>;
  /** hbr_pair_held{policy,target,reason} */
  pairHeld: Gauge<'policy' | 'target' | 'reason'>;
  /** hbr_future_dated_names{policy,site} */
  futureDatedNames: Gauge<'policy' | 'site'>;
  /** hbr_plan_pending_steps{policy,kind} */
  planPendingSteps: Gauge<'policy' | 'kind'>;
  /** hbr_steps_total{kind,result} */
  stepsTotal: Counter<'kind' | 'result'>;
  /** hbr_step_duration_seconds{kind} */
  stepDuration: Histogram<'kind'>;
  /** hbr_bytes_copied_total{policy,kind} */
  bytesCopiedTotal: Counter<'policy' | 'kind'>;
  /** hbr_snapshots{policy,site} */
  snapshots: Gauge<'policy' | 'site'>;
  /** hbr_reconcile_last_success_timestamp_seconds */
  reconcileLastSuccess: Gauge;
  /** hbr_restore_drill_duration_seconds{policy} */
  drillDuration: Gauge<'policy'>;
  /** hbr_restore_drill_last_success_timestamp_seconds{policy} */
  drillLastSuccess: Gauge<'policy'>;
  /** hbr_restore_drill_failed{policy} */
  drillFailed: Gauge<'policy'>;
  /** hbr_restore_drill_interval_seconds{policy} */
  drillInterval: Gauge<'policy'>;
  /** hbr_rto_seconds{policy} */
  rtoSeconds: Gauge<'policy'>;
  /** hbr_hdfs_missing_blocks{cluster} */
  hdfsMissingBlocks: Gauge<'cluster'>;
  /** hbr_hdfs_corrupt_blocks{cluster} */
  hdfsCorruptBlocks: Gauge<'cluster'>;
  /** hbr_hdfs_under_replicated_blocks{cluster} */
  hdfsUnderReplicatedBlocks: Gauge<'cluster'>;
  /** hbr_hdfs_trash_enabled{cluster} */
  hdfsTrashEnabled: Gauge<'cluster'>;
  /** hbr_hdfs_delegation_token_refresh_timestamp_seconds{cluster} (Kerberized clusters) */
  hdfsTokenRefresh: Gauge<'cluster'>;
  /** hbr_hdfs_delegation_token_max_date_timestamp_seconds{cluster} (Kerberized clusters) */
  hdfsTokenMaxDate: Gauge<'cluster'>;
  /** hbr_audit_findings{cluster,policy,check} */
  auditFindings: Gauge<'cluster' | 'policy' | 'check'>;
  /** hbr_leader */
  leader: Gauge;
  /** hbr_policy_load_errors */
  policyLoadErrors: Gauge;
  /** hbr_policy_last_load_success_timestamp_seconds */
  policyLastLoadSuccess: Gauge;
  /** hbr_observe_errors{cluster} */
  observeErrors: Gauge<'cluster'>;
  /** hbr_build_info{version} (always 1) */
  buildInfo: Gauge<'version'>;
}

export interface MetricsOptions {
  /** also collect Node's default process metrics (process_*, nodejs_*) in this registry; default true */
  defaultMetrics?: boolean;
  /** the version hbr_build_info reports; default: package.json's */
  version?: string;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function createMetrics(opts: MetricsOptions = {}): HbrMetrics {
  const registry = new Registry();
  const registers = [registry];

  const m: HbrMetrics = {
    registry,
    recoveryPointAge: new Gauge({
      name: 'hbr_recovery_point_age_seconds',
      help:
        'Seconds since the newest good recovery point of a policy at a site: source = newest hbr snapshot of the source directory; ' +
        'dr = newest snapshot common with the source on the DR target (with several targets, the oldest of them); ' +
        'store = newest archive with a checksum. No series when there is no recovery point at all (see hbr_rpo_breached) or the site could not be observed.',
      labelNames: ['policy', 'site'] as const,
      registers,
    }),
    rpoSeconds: new Gauge({
      name: 'hbr_rpo_seconds',
      help: 'The recovery point objective the policy declares (rpo), in seconds. No series for policies without an rpo.',
      labelNames: ['policy'] as const,
      registers,
    }),
    pairHeld: new Gauge({
      name: 'hbr_pair_held',
      help: '1 while a DR pair is held for the operator: diverged (the target holds data but shares no snapshot with its source) or a mass change; nothing is copied or deleted there until the operator decides (docs/policies.md, "Diverged and held pairs").',
      labelNames: ['policy', 'target', 'reason'] as const,
      registers,
    }),
    futureDatedNames: new Gauge({
      name: 'hbr_future_dated_names',
      help: 'hbr-named recovery points at a site dated in the future (beyond a 5 min skew): not counted as recovery points, never deleted; a clock is wrong or a name was made by hand.',
      labelNames: ['policy', 'site'] as const,
      registers,
    }),
    rpoBreached: new Gauge({
      name: 'hbr_rpo_breached',
      help: '1 when, at some observed site of the policy, the newest recovery point is older than the rpo or there is none; 0 otherwise (also 0 for policies without an rpo).',
      labelNames: ['policy'] as const,
      registers,
    }),
    planPendingSteps: new Gauge({
      name: 'hbr_plan_pending_steps',
      help: 'Steps in the latest plan, by policy and step kind: work hbr has decided to do and has not done yet. Stays above 0 when steps keep failing.',
      labelNames: ['policy', 'kind'] as const,
      registers,
    }),
    stepsTotal: new Counter({
      name: 'hbr_steps_total',
      help: 'Plan steps run, by step kind and result: done, failed (error or deadline), or skipped (a step it depends on failed, or the run stopped).',
      labelNames: ['kind', 'result'] as const,
      registers,
    }),
    stepDuration: new Histogram({
      name: 'hbr_step_duration_seconds',
      help: 'Wall-clock time of the steps that completed, by step kind, in seconds (from a snapshot in milliseconds to a DistCp of hours).',
      labelNames: ['kind'] as const,
      buckets: [...STEP_DURATION_BUCKETS],
      registers,
    }),
    bytesCopiedTotal: new Counter({
      name: 'hbr_bytes_copied_total',
      help: 'Bytes copied by completed steps (DistCp replication, archive uploads), by policy and step kind, as the step reported them.',
      labelNames: ['policy', 'kind'] as const,
      registers,
    }),
    snapshots: new Gauge({
      name: 'hbr_snapshots',
      help: 'Recovery points hbr owns per policy and site: hbr snapshots of the source directory (source), on the DR targets summed (dr), or archives in the store (store). Foreign snapshots and objects are not counted.',
      labelNames: ['policy', 'site'] as const,
      registers,
    }),
    reconcileLastSuccess: new Gauge({
      name: 'hbr_reconcile_last_success_timestamp_seconds',
      help: 'Unix time (seconds) the last reconcile (load, observe, plan, apply) finished without a failed step. Alert when time() minus this grows.',
      registers,
    }),
    hdfsMissingBlocks: new Gauge({
      name: 'hbr_hdfs_missing_blocks',
      help: 'Blocks the NameNode reports missing (no live replica left: data is lost until a DataNode returns), per cluster.',
      labelNames: ['cluster'] as const,
      registers,
    }),
    hdfsCorruptBlocks: new Gauge({
      name: 'hbr_hdfs_corrupt_blocks',
      help: 'Blocks the NameNode reports with corrupt replicas, per cluster.',
      labelNames: ['cluster'] as const,
      registers,
    }),
    hdfsUnderReplicatedBlocks: new Gauge({
      name: 'hbr_hdfs_under_replicated_blocks',
      help: 'Blocks with fewer replicas than their replication factor, per cluster (normal briefly after a DataNode loss; a lasting rise means risk).',
      labelNames: ['cluster'] as const,
      registers,
    }),
    hdfsTrashEnabled: new Gauge({
      name: 'hbr_hdfs_trash_enabled',
      help: '1 when the cluster has the HDFS trash on (fs.trash.interval > 0), so deleted files can be recovered for a while; 0 when off.',
      labelNames: ['cluster'] as const,
      registers,
    }),
    hdfsTokenRefresh: new Gauge({
      name: 'hbr_hdfs_delegation_token_refresh_timestamp_seconds',
      help: 'Kerberized clusters: Unix time (seconds) from which hbr fetches a new delegation token (halfway to the token\'s renew or max date; docs/security.md). The daemon uses the token every health poll, so time() well past this means hbr cannot log in from its keytab (wrong keytab, KDC unreachable, clock skew).',
      labelNames: ['cluster'] as const,
      registers,
    }),
    hdfsTokenMaxDate: new Gauge({
      name: 'hbr_hdfs_delegation_token_max_date_timestamp_seconds',
      help: 'Kerberized clusters: Unix time (seconds) after which the delegation token hbr holds can no longer be renewed or used (its max date).',
      labelNames: ['cluster'] as const,
      registers,
    }),
    auditFindings: new Gauge({
      name: 'hbr_audit_findings',
      help: "What a policy's protection audit found, per check (docs/audit.md): missing blocks, files below min_replication, trash off, quotas near full, ...; 0 when the check is clear, no series when it could not be made.",
      labelNames: ['cluster', 'policy', 'check'] as const,
      registers,
    }),
    leader: new Gauge({
      name: 'hbr_leader',
      help: '1 when this hbr daemon holds the leadership (the one that acts), 0 when it is standing by.',
      registers,
    }),
    policyLoadErrors: new Gauge({
      name: 'hbr_policy_load_errors',
      help: 'Errors found in the last load or reload of the policy files; 0 when they are valid.',
      registers,
    }),
    policyLastLoadSuccess: new Gauge({
      name: 'hbr_policy_last_load_success_timestamp_seconds',
      help: 'Unix time (seconds) the policy files were last loaded without errors.',
      registers,
    }),
    observeErrors: new Gauge({
      name: 'hbr_observe_errors',
      help: 'Errors in the last observation of a cluster or store (unreachable, refused, ...), per cluster or store name; 0 when it was observed cleanly. Its recovery points are not reported while it cannot be observed.',
      labelNames: ['cluster'] as const,
      registers,
    }),
    drillDuration: new Gauge({
      name: 'hbr_restore_drill_duration_seconds',
      help: 'How long the last restore drill of the policy took (restore into scratch, compare, clean up), seconds: the measured restore time to hold against hbr_rto_seconds (docs/drills.md). No series before the first drill.',
      labelNames: ['policy'] as const,
      registers,
    }),
    drillLastSuccess: new Gauge({
      name: 'hbr_restore_drill_last_success_timestamp_seconds',
      help: 'Unix time (seconds) the last restore drill of the policy that passed finished. No series while none has passed; alert when time() minus this passes twice hbr_restore_drill_interval_seconds.',
      labelNames: ['policy'] as const,
      registers,
    }),
    drillFailed: new Gauge({
      name: 'hbr_restore_drill_failed',
      help: '1 when the last restore drill of the policy failed (a check failed, or it could not start), 0 when it passed. No series before the first drill.',
      labelNames: ['policy'] as const,
      registers,
    }),
    drillInterval: new Gauge({
      name: 'hbr_restore_drill_interval_seconds',
      help: "The policy's drill interval (verify: { every }), seconds. No series for policies without one.",
      labelNames: ['policy'] as const,
      registers,
    }),
    rtoSeconds: new Gauge({
      name: 'hbr_rto_seconds',
      help: 'The recovery time objective the policy declares (rto), in seconds. No series for policies without an rto.',
      labelNames: ['policy'] as const,
      registers,
    }),
    buildInfo: new Gauge({
      name: 'hbr_build_info',
      help: 'Always 1; the version label says which hbr is running.',
      labelNames: ['version'] as const,
      registers,
    }),
  };
  m.buildInfo.set({ version: opts.version ?? packageVersion() }, 1);

  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  return m;
}
