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
  /** the server's data dir, when hbr runs beside ZooKeeper (archive mode `datadir`) */
  datadir?: string;
  /**
   * How archives are taken: `admin` streams a snapshot from the AdminServer (ZooKeeper 3.9+, digest
   * auth from the environment); `datadir` packs the newest snapshot.* and the log.* files after it
   * from `datadir`, read while the server runs. Default: admin when `admin` is set, else datadir.
   */
  mode: 'admin' | 'datadir';
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

/** Archives of a ZooKeeper ensemble's data in a store, on a schedule, with GFS retention. */
export interface ZookeeperArchivePolicy {
  name: string;
  kind: 'zookeeper-archive';
  source: { cluster: string };
  archive: {
    /** store name */
    to: string;
    /** object key prefix under the store's own prefix, e.g. zookeeper-backup-eu-west1- */
    prefix: string;
    schedule: Schedule;
    keep: Keep;
  };
  /** recovery point objective in ms */
  rpo?: number;
  at: SourceLocation;
}

export type Policy = HdfsSnapshotPolicy | ZookeeperArchivePolicy;

/**
 * How several `hbr daemon`s agree on who acts: a ZooKeeper ensemble and a znode path under which
 * they elect a leader (ephemeral sequential znodes) and hold the apply lock.
 */
export interface Coordination {
  zookeeper: {
    /** client connect string, e.g. zk1:2181,zk2:2181,zk3:2181 */
    connect: string;
    /** znode path owned by hbr, e.g. /hbr/prod; `<path>/election/` and `<path>/lock` live under it */
    path: string;
    /** requested ZooKeeper session timeout, ms: how soon a dead leader's place is taken (the server clamps it to 2–20 ticks) */
    sessionTimeout: number;
  };
  at: SourceLocation;
}

/** What a webhook is told about. */
export type NotifyEvent = 'run.failed' | 'run.recovered' | 'rpo.breached' | 'rpo.recovered';
export const NOTIFY_EVENTS: readonly NotifyEvent[] = ['run.failed', 'run.recovered', 'rpo.breached', 'rpo.recovered'];

/**
 * A JSON POST on daemon events. The URL is either written out (`url`, for endpoints that carry no
 * secret) or read from an environment variable (`urlEnv`, for Slack-style URLs that are the
 * secret); `bearerEnv` names a variable holding a token sent as `Authorization: Bearer`.
 */
export interface Webhook {
  name: string;
  url?: string;
  urlEnv?: string;
  bearerEnv?: string;
  /** the events to send; all of them when the policy file lists none */
  events: NotifyEvent[];
  at: SourceLocation;
}

export interface Config {
  clusters: Record<string, Cluster>;
  stores: Record<string, Store>;
  policies: Record<string, Policy>;
  /** several daemons, one leader (absent: one daemon, a local lock file) */
  coordination?: Coordination;
  /** webhooks by name */
  webhooks: Record<string, Webhook>;
  /** the files the config was loaded from, in load order */
  files: string[];
}
