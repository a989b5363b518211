/**
 * The shape of GET /status (and `hbr status --json`): plain JSON, times as ISO-8601 UTC strings,
 * ages in seconds. `version` changes when a field changes meaning, so scripts can check it.
 */
export interface DaemonStatus {
  version: 1;
  host: string;
  pid: number;
  startedAt: string;
  /** the daemon's clock when it answered */
  now: string;
  /** leader: acts; follower: another daemon leads (or none yet); suspended: cut off from ZooKeeper, starts nothing new */
  leadership: 'leader' | 'follower' | 'suspended';
  coordination?: { connect: string; path: string };
  stopping: boolean;
  policyFiles: string[];
  /** the last (re)load of the policy files; errors non-empty = the files on disk are invalid and the previous policies run */
  lastLoad: { at: string; errors: string[] };
  policies: PolicyStatus[];
}

export interface PolicyStatus {
  name: string;
  /** the policy's kind, e.g. hdfs-snapshots, zookeeper-archive (src/systems) */
  kind: string;
  schedule: string;
  rpoSeconds?: number;
  running: boolean;
  nextRunAt?: string;
  nextRunReason?: string;
  consecutiveFailures: number;
  lastRun?: {
    run: string;
    startedAt: string;
    finishedAt: string;
    ok: boolean;
    planned: number;
    done: number;
    failed: number;
    skipped: number;
    bytesCopied: number;
    errors: string[];
  };
  lastSuccessAt?: string;
  recoveryPoints: Array<{
    site: 'source' | 'dr' | 'store';
    newestAt?: string;
    ageSeconds?: number;
    rpoSeconds?: number;
    breached: boolean;
    count: number;
    /** when the site was last observed: older than the last run means it could not be observed since */
    observedAt: string;
    /** which copy the site stands for when not the usual one (a failed-over pair) */
    where?: string;
  }>;
  rpoBreached: boolean;
  /** DR pairs held for the operator (diverged, mass change): nothing is copied or deleted there */
  held: Array<{ target: string; source: string; reason: string; message: string; since: string }>;
  rtoSeconds?: number;
  /** restore drills (docs/drills.md): the schedule (policies with `verify:`) and the last drill recorded in the state dir */
  drill?: {
    every?: string;
    running: boolean;
    nextAt?: string;
    last?: {
      point: string;
      ok: boolean;
      startedAt: string;
      finishedAt: string;
      durationSeconds: number;
      rtoExceeded: boolean;
      lastSuccessAt?: string;
      files?: number;
      bytes?: number;
      /** the checks that failed, as "what: detail" */
      failed: string[];
    };
  };
  /** what the policy's protection audit found in its last run (docs/audit.md); absent for policies without an audit */
  audit?: {
    at: string;
    /** the checks made (those not observed are missing: unknown, not clear) */
    checked: string[];
    findings: Array<{ check: string; cluster: string; path?: string; count: number; message: string }>;
  };
  /** steps of the latest plan not done (yet) */
  pendingSteps: Array<{ id: string; kind: string; action: string; target: string; reason: string }>;
}
