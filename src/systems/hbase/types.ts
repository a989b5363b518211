/**
 * The HBase backup system's cluster, policy, observation and step types (docs/hbase.md). hbr drives
 * HBase's own backup module (`hbase backup create|delete|repair`, `hbase restore`) and observes its
 * sessions over the REST gateway (docs/design/hbase-notes.md: the facts it is built on).
 */
import type { Keep, PolicyBase, Schedule, SourceLocation } from '../../model/policy.js';
import type { Cluster } from '../../model/policy.js';
import type { BackupSession } from './backup-info.js';

/** An HBase cluster: its REST gateway (observation), its ZooKeeper quorum and its rootdir's file system. */
export interface HbaseCluster {
  name: string;
  kind: 'hbase';
  /** REST gateway base URL, e.g. http://hbase-rest:8080 */
  rest: string;
  /** hbase.zookeeper.quorum as host:port[,host:port]: the cluster's identity, and what the CLIs are pointed at */
  zookeeper: string;
  /** hbase.rootdir, e.g. hdfs://nn.prod:8020/hbase (./debris.ts finds failed backups' snapshots under it) */
  fs: string;
  at: SourceLocation;
}

export function isHbaseCluster(c: Cluster | undefined): c is HbaseCluster {
  return c !== undefined && c.kind === 'hbase';
}

/** Full and incremental backups of tables (or a namespace) to a backup root on an HDFS cluster. */
export interface HbaseBackupPolicy extends PolicyBase {
  kind: 'hbase-backup';
  source: { cluster: string };
  hbase: {
    /** `namespace:qualifier`, `default:` filled in; absent when `namespace` is set */
    tables?: string[];
    /** every table of this namespace, as observed at plan time */
    namespace?: string;
    /** the backup root: an HDFS cluster of the policies and an absolute path on it */
    root: { cluster: string; path: string };
    full: Schedule;
    incremental: Schedule;
    /** GFS counts over whole chains (a full and its incrementals), dated by the full */
    keep: Keep;
  };
}

export function isHbasePolicy(p: PolicyBase | undefined): p is HbaseBackupPolicy {
  return p !== undefined && p.kind === 'hbase-backup';
}

/** What hbr recorded of a completed backup's image, written beside it (image.ts). */
export interface ImageRecord {
  version: 1;
  id: string;
  /** files and bytes under <root>/<id>, this record left out */
  files: number;
  bytes: number;
  /** the tables backed up, `namespace:qualifier` */
  tables: string[];
  /** rows of each table counted over REST when the backup completed (what a drill compares with) */
  rows?: Record<string, number>;
}

/** One backup of the policy's root, as observed: HBase's session and hbr's check of its image. */
export interface ObservedBackup extends BackupSession {
  /**
   * The image against hbr's record: `ok`, `bad` (files or bytes differ: partial or damaged),
   * `unrecorded` (no record: not a backup hbr completed, or hbr was killed before recording it),
   * `unchecked` (not COMPLETE: nothing to check).
   */
  image: 'ok' | 'bad' | 'unrecorded' | 'unchecked';
  /** why `bad`: what differs */
  imageDetail?: string;
}

/** Observed.parts.hbase[policy name] */
export interface HbasePolicyObserved {
  /** the tables the policy backs up now (a namespace's, listed over REST), `namespace:qualifier`, sorted */
  tables: string[];
  /** the backup lock (row activesession:, column session:c) is `yes` */
  locked: boolean;
  /** every session in backup:system (any root), oldest first: a RUNNING one anywhere blocks every command */
  running: Array<{ id: string; root: string; tables: string[]; phase: string; startTs: number }>;
  /** the sessions of the policy's root, oldest first, with their images checked */
  backups: ObservedBackup[];
  /** what a failed or crashed session of the root left (./debris.ts); absent when it could not be looked for */
  debris?: Debris[];
}

/**
 * Something a session of the policy's root that did not complete left behind, proven from what was
 * observed: its table snapshot (named in its BackupInfo, present under the rootdir's .hbase-snapshot)
 * or its partial image directory `<root>/<id>` (docs/design/hbase-notes.md: `backup repair` leaves both).
 */
export interface Debris {
  /** the session that left it */
  id: string;
  what: 'snapshot' | 'image';
  /** the HDFS cluster of the policies holding it */
  cluster: string;
  path: string;
}

export type HbaseObserved = Record<string, HbasePolicyObserved>;

export type BackupParams = {
  /** the HBase cluster (policies' name) */
  hbase: string;
  /** the backup root as a URI, e.g. hdfs://dr-nn:8020/hbase-backups/orders */
  root: string;
  /** `namespace:qualifier`, sorted */
  tables: string[];
};

export type RepairParams = {
  hbase: string;
  /** the RUNNING session the repair is for */
  id: string;
};

export type DebrisParams = {
  hbase: string;
  /** the session that left it (re-read before deleting: never a COMPLETE or RUNNING one's) */
  id: string;
  what: Debris['what'];
};

export type DeleteParams = {
  hbase: string;
  /** a whole chain: its full first, then its COMPLETE incrementals (./retention.ts) */
  ids: string[];
};

export const KIND = {
  full: 'hbase.backup.full',
  incremental: 'hbase.backup.incremental',
  repair: 'hbase.backup.repair',
  debris: 'hbase.debris.delete',
  delete: 'hbase.backup.delete',
} as const;
