/**
 * Policies after loading and validation: plain data, durations in milliseconds, every reference
 * resolved and checked. Produced by src/schema (loader), consumed by the planner and the CLI.
 * The YAML shape is documented in docs/policies.md and schema/hbr-policy.schema.json.
 */

/** Where a thing was declared, for error messages: file:line:col (1-based). */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

export interface HdfsCluster {
  name: string;
  kind: 'hdfs';
  /** WebHDFS base URL, e.g. http://nn.prod:9870 */
  webhdfs: string;
  /** file system URI for Hadoop tools, e.g. hdfs://nn.prod:8020 */
  fs: string;
  /** simple-auth user for WebHDFS (user.name); default: none sent */
  user?: string;
  at: SourceLocation;
}

export interface ZookeeperCluster {
  name: string;
  kind: 'zookeeper';
  /** AdminServer base URL, e.g. http://zk1:8080 */
  admin?: string;
  /** client connect string, e.g. zk1:2181,zk2:2181 */
  connect?: string;
  at: SourceLocation;
}

export type Cluster = HdfsCluster | ZookeeperCluster;

export interface S3Store {
  name: string;
  kind: 's3';
  bucket: string;
  prefix: string;
  region?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  at: SourceLocation;
}

export interface LocalStore {
  name: string;
  kind: 'local';
  path: string;
  at: SourceLocation;
}

export type Store = S3Store | LocalStore;

/** GFS retention counts. An absent count is 0 (that rule keeps nothing). */
export interface Keep {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
}

/** Exactly one of every / cron. */
export interface Schedule {
  /** interval in ms */
  every?: number;
  /** 5-field cron expression, evaluated in UTC */
  cron?: string;
}

export interface HdfsLocation {
  cluster: string;
  path: string;
}

export interface ReplicationTarget {
  to: HdfsLocation;
  /** retention on the DR side; absent = keep only what the safety floors require */
  keep: Keep;
}

/** Snapshots of one HDFS directory on a schedule, GFS retention, optional DR replication. */
export interface HdfsSnapshotPolicy {
  name: string;
  kind: 'hdfs-snapshots';
  source: HdfsLocation;
  snapshots: { schedule: Schedule; keep: Keep };
  /** recovery point objective in ms */
  rpo?: number;
  replicate: ReplicationTarget[];
  at: SourceLocation;
}

export type Policy = HdfsSnapshotPolicy;

export interface Config {
  clusters: Record<string, Cluster>;
  stores: Record<string, Store>;
  policies: Record<string, Policy>;
  /** the files the config was loaded from, in load order */
  files: string[];
}
