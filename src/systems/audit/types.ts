/**
 * The protection audit (docs/audit.md): a read-only policy that observes what protects an HDFS
 * directory (block health, trash, replication factors, quotas, the other policies) and reports
 * what does not, as plan warnings, /status rows and hbr_audit_findings. It plans no steps.
 */
import type { PolicyBase, Schedule } from '../../model/policy.js';

export interface AuditPolicy extends PolicyBase {
  kind: 'hdfs-audit';
  source: { cluster: string; path: string };
  audit: {
    /** how often the daemon audits (default 15m) */
    schedule: Schedule;
    /** files under the path whose replication factor is lower are reported (absent: no walk) */
    minReplication?: number;
    /** trash shorter than this (ms) is reported; trash off is reported whatever it is */
    minTrash?: number;
    /** a quota used to this fraction or more is reported (default 0.9) */
    quotaFull: number;
    /** parallel LISTSTATUS requests of the walk (default 8) */
    concurrency: number;
  };
}

export function isAuditPolicy(p: PolicyBase | undefined): p is AuditPolicy {
  return p !== undefined && p.kind === 'hdfs-audit';
}

/** One quota set on the audited path or an ancestor: name (files + dirs), space (raw bytes), per storage type. */
export interface ObservedQuota {
  path: string;
  kind: 'names' | 'space' | `type:${string}`;
  quota: number;
  used: number;
}

/** What the audit of one policy observed; a field is absent when it could not be observed (Observed.errors says why). */
export interface AuditObservation {
  policy: string;
  cluster: string;
  path: string;
  /** NameNode JMX (FSNamesystem bean), cluster-wide counts */
  blocks?: {
    missing: number;
    corrupt: number;
    lowRedundancy: number;
    /**
     * Files under the path with a block that has no live replica, first ones by path (JMX
     * NameNodeInfo CorruptFiles); absent when there are none or the NameNode could not tell.
     */
    damaged?: string[];
  };
  /** GETSERVERDEFAULTS trashInterval; /conf fs.trash.checkpoint.interval when readable; minutes */
  trash?: { intervalMinutes: number; checkpointMinutes?: number };
  /** the LISTSTATUS walk (only with min_replication) */
  walk?: {
    files: number;
    dirs: number;
    /** erasure-coded files, left out of the replication check (they report replication 1) */
    ec: number;
    requests: number;
    /** files below min_replication: how many, and the first ones by path */
    lowCount: number;
    low: Array<{ path: string; replication: number }>;
  };
  /** the quotas set on the path and its ancestors (GETQUOTAUSAGE) */
  quotas?: ObservedQuota[];
}

/** Observed.parts.audit: policy name → its observation. */
export type AuditPart = Record<string, AuditObservation>;

/** Every check the audit makes: the `check` label of hbr_audit_findings. */
export const CHECKS = ['missing-blocks', 'corrupt-blocks', 'low-redundancy-blocks', 'trash', 'low-replication', 'quota', 'no-snapshots', 'no-dr-copy'] as const;
export type Check = (typeof CHECKS)[number];

/** How many low-replication files an observation names (the count is always whole). */
export const LOW_LISTED = 20;
