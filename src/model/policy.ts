/**
 * Policies after loading and validation: plain data, durations in milliseconds, every reference
 * resolved and checked. Produced by src/schema (loader), consumed by the planner and the CLI.
 * The YAML shape is documented in docs/policies.md and schema/hbr-policy.schema.json.
 */

/** Where a thing was declared, for error messages: file:line:col (1-based). */
/**
 * A problem a system found while loading a cluster declaration, at `segs` below `clusters.<name>.<kind>`:
 * the loader (src/schema/build.ts) turns an error into file:line:col, a warning into a stderr line.
 */
export type ClusterReport = (segs: Array<string | number>, where: 'key' | 'value', message: string, severity?: 'error' | 'warning') => void;

export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

/**
 * A named cluster. Its kind is the key it was declared under (`hdfs`, `zookeeper`, ...); the
 * system that defines that kind owns the rest of its fields (src/hadoop/cluster.ts for HDFS,
 * src/systems/zookeeper/types.ts for ZooKeeper) and narrows with its own type guard.
 */
export interface ClusterBase {
  name: string;
  kind: string;
  at: SourceLocation;
}

export type Cluster = ClusterBase;

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

/**
 * A policy as the core sees it: its name, the kind that selects its system (src/systems/index.ts),
 * its RPO and where it was declared. Each system extends it with its own fields
 * (src/systems/<name>/types.ts).
 */
export interface PolicyBase {
  name: string;
  kind: string;
  /** recovery point objective in ms */
  rpo?: number;
  /** restore drills on a schedule (the daemon; `hbr verify` runs one at once): interval in ms */
  verify?: { every: number };
  /** recovery time objective in ms: a drill that takes longer is reported */
  rto?: number;
  at: SourceLocation;
}

export type Policy = PolicyBase;

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
export type NotifyEvent = 'run.failed' | 'run.recovered' | 'rpo.breached' | 'rpo.recovered' | 'pair.held' | 'pair.released' | 'drill.failed' | 'drill.recovered';
export const NOTIFY_EVENTS: readonly NotifyEvent[] = ['run.failed', 'run.recovered', 'rpo.breached', 'rpo.recovered', 'pair.held', 'pair.released', 'drill.failed', 'drill.recovered'];

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
