/** The HDFS snapshot system's policy and step types (docs/policies.md, "HDFS snapshots"). */
import type { Keep, PolicyBase, Schedule } from '../../model/policy.js';
import type { Step } from '../../model/plan.js';
import type { PreserveAttr } from './preserve.js';

export interface HdfsLocation {
  cluster: string;
  path: string;
}

export interface ReplicationTarget {
  to: HdfsLocation;
  /** retention on the DR side; absent = keep only what the safety floors require */
  keep: Keep;
  /** a copy deleting or overwriting more than this fraction of the target's files is held (0..1; default 0.5) */
  maxChange?: number;
  /** how its copies run: YARN queue, DistCp -m and -bandwidth (src/hadoop/distcp.ts) */
  distcp?: DistcpKnobs;
}

/** A replication target's `distcp: { queue, maps, bandwidth }`. */
export interface DistcpKnobs {
  queue?: string;
  maps?: number;
  bandwidth?: number;
}

/** max_change when a replication target does not say (src/planner/mass-change.ts, shared with Ozone). */
export { DEFAULT_MAX_CHANGE } from '../../planner/mass-change.js';

/** Snapshots of one HDFS directory on a schedule, GFS retention, optional DR replication. */
export interface HdfsSnapshotPolicy extends PolicyBase {
  kind: 'hdfs-snapshots';
  source: HdfsLocation;
  snapshots: { schedule: Schedule; keep: Keep };
  replicate: ReplicationTarget[];
  /** what every copy of the policy carries over besides the bytes (./preserve.ts); absent = everything */
  preserve?: PreserveAttr[];
}

/** Parameters of the HDFS step kinds. */
export type HdfsParams = {
  /** replicate.*: where the data comes from */
  source?: HdfsLocation;
  /** replicate.distcp-diff: the common snapshot the diff starts from */
  fromSnapshot?: string;
  /** replicate.*: the source snapshot copied (the target gets the same name after) */
  toSnapshot?: string;
  /** replicate.repair-target: how: roll back with -rdiff, or a full -update -delete re-sync */
  repair?: 'rdiff' | 'resync';
  /** replicate.repair-target (rdiff): the common snapshot the target is rolled back to */
  baseSnapshot?: string;
  /** replicate.rollback-torn: the snapshot that keeps the torn tree before the roll-back (./scratch.ts tornKeep) */
  keepAs?: string;
  /** replicate.bootstrap: the plan saw the target absent or empty (not a resume, not a replace): re-checked before the copy */
  expectEmpty?: boolean;
};

export type HdfsStep = Step<HdfsParams>;

export const KIND = {
  allow: 'hdfs.snapshot.allow',
  create: 'hdfs.snapshot.create',
  delete: 'hdfs.snapshot.delete',
  bootstrap: 'replicate.bootstrap',
  diff: 'replicate.distcp-diff',
  repair: 'replicate.repair-target',
  /** set the failover mark on the DR target: it becomes the writable copy (docs/failover.md) */
  failover: 'replicate.failover',
  /** remove the failover mark, after the final copy back: the primary is the primary again */
  failback: 'replicate.failback',
  /**
   * an unplanned failover's DR copy left torn by a copy cut short: keep its live tree as a snapshot
   * hbr owns (never a recovery point, never pruned), then roll it back to its newest hbr snapshot
   */
  rollbackTorn: 'replicate.rollback-torn',
} as const;

const KINDS: ReadonlySet<string> = new Set(Object.values(KIND));

/** A step of this system (its params are HdfsParams). */
export function isHdfsStep(s: Step): s is HdfsStep {
  return KINDS.has(s.kind);
}

export function isHdfsPolicy(p: PolicyBase | undefined): p is HdfsSnapshotPolicy {
  return p !== undefined && p.kind === 'hdfs-snapshots';
}
