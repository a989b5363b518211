/**
 * What the observers saw, at one instant. Plain data; rebuilt from the clusters on every run
 * (level-triggered: never a cache of remote state).
 */

export interface Snapshot {
  name: string;
  /** creation time, ms since epoch (the snapshot root's modification time as WebHDFS reports it) */
  createdAt: number;
}

/** One HDFS directory, on one cluster. */
export interface ObservedDir {
  cluster: string;
  path: string;
  exists: boolean;
  snapshottable: boolean;
  /** every snapshot of the directory, hbr-owned and foreign, oldest first */
  snapshots: Snapshot[];
  /**
   * Whether the live directory differs from a given snapshot: GETSNAPSHOTDIFF(snapshot, current).
   * Observed on DR targets for the newest snapshot common with the source, so the planner can tell
   * a target that changed (or was left half-copied) since the last replication; and, when the source
   * does not answer, for the target's own newest hbr snapshot (a copy cut short: docs/failover.md).
   * `shown`: the first entries, as `hdfs snapshotDiff` writes them (`+ ./f`, `- ./f`, `M ./f`, `R ./f -> ./g`), for the plan.
   */
  changedSince?: { snapshot: string; changed: boolean; entries: number; shown?: string[] };
  /**
   * hbr's mark of a copy into this directory that has not completed (`<source>@<snapshot>`, see
   * src/systems/hdfs/scratch.ts), observed on DR targets, and on the old primary of a failed-over pair
   * (the copy back may bootstrap it: docs/failover.md).
   */
  copyInProgress?: string;
  /**
   * hbr's failover mark on a DR target (src/systems/hdfs/failover-mark.ts, docs/failover.md): it was
   * made the writable copy in place of this source (`cluster:path`); replication runs the other way.
   */
  failedOverFrom?: string;
  /**
   * On a DR target: how much its source changed since their newest common snapshot (files in that
   * snapshot, files since deleted, files modified), so a mass deletion or rewrite on the source is
   * held before a copy replicates it (the replication's max_change).
   */
  sourceChangedSince?: { snapshot: string; files: number; deleted: number; modified: number };
  /**
   * What the directory's NameNode supports of the attributes DistCp preserves (its /conf:
   * dfs.namenode.acls.enabled, dfs.namenode.xattrs.enabled); a key is absent when it could not tell.
   */
  features?: { acls?: boolean; xattrs?: boolean };
  /** content summary of the live directory, for estimates */
  size?: { bytes: number; files: number };
}

/** An intent the journal holds with no outcome: the step was started and the process died. */
export interface UnfinishedStep {
  stepId: string;
  kind: string;
  policy: string;
  startedAt: number;
}

/** The objects of one store under one key prefix (a listing: level-triggered, never cached). */
export interface ObservedStorePrefix {
  store: string;
  prefix: string;
  objects: Array<{
    key: string;
    size: number;
    lastModified: number;
    /** from the object's metadata, observed for hbr-named archives only; undefined = none (not hbr's, or unreadable) */
    sha256?: string;
  }>;
}

export interface Observed {
  /** when observation finished, ms since epoch */
  at: number;
  /** keyed by dirKey(cluster, path) */
  dirs: Record<string, ObservedDir>;
  /** keyed by storeKey(store, prefix); absent when the store could not be listed */
  stores?: Record<string, ObservedStorePrefix>;
  /**
   * What a system observed beyond HDFS directories and store listings (e.g. the blocks system's
   * file walk and manifests), keyed by the system's name (src/systems/index.ts). Opaque to the core:
   * only the system that wrote a part reads it; the core merges it and digests it for saved plans.
   */
  parts?: Record<string, unknown>;
  unfinished: UnfinishedStep[];
  /** observation problems that do not stop planning of other policies, e.g. a cluster down */
  errors: Array<{ cluster: string; path?: string; message: string }>;
}

export function dirKey(cluster: string, path: string): string {
  return `${cluster}:${path}`;
}

export function storeKey(store: string, prefix: string): string {
  return `${store}:${prefix}`;
}
