/**
 * A plan is data: the steps that turn the observed state into the declared one. Renderers (text,
 * JSON) live in src/render; the engine in src/engine executes steps through src/executors.
 */

/**
 * The symbol a plan shows for a step is the action itself (Terraform's plans.Action idea):
 * '+' creates something, '-' deletes something, '~' changes something in place.
 */
export enum Action {
  Create = '+',
  Delete = '-',
  Update = '~',
}

export type StepKind =
  | 'hdfs.snapshot.allow'
  | 'hdfs.snapshot.create'
  | 'hdfs.snapshot.delete'
  | 'replicate.bootstrap'
  | 'replicate.distcp-diff'
  | 'replicate.repair-target'
  | 'zk.archive'
  | 'store.delete';

/**
 * What a step acts on. HDFS steps: a directory (and snapshot) of a cluster. Store steps
 * (zk.archive, store.delete): `cluster` is the store's name and `path` the object key, so every
 * step has one (cluster, path) the engine can serialize on.
 */
export interface StepTarget {
  cluster: string;
  path: string;
  snapshot?: string;
}

/** Kind-specific parameters. */
export interface StepParams {
  /** replicate.*: where the data comes from */
  source?: { cluster: string; path: string };
  /** replicate.distcp-diff: the common snapshot the diff starts from */
  fromSnapshot?: string;
  /** replicate.*: the source snapshot copied (the target gets the same name after) */
  toSnapshot?: string;
  /** replicate.repair-target: how: roll back with -rdiff, or a full -update -delete re-sync */
  repair?: 'rdiff' | 'resync';
  /** replicate.repair-target (rdiff): the common snapshot the target is rolled back to */
  baseSnapshot?: string;
  /** zk.archive: the ZooKeeper cluster archived */
  zookeeper?: string;
}

export interface Estimate {
  bytes?: number;
  files?: number;
}

export interface Step {
  /** stable: the same intent always has the same id (kind + target), so journals and plans line up */
  id: string;
  kind: StepKind;
  action: Action;
  policy: string;
  target: StepTarget;
  params: StepParams;
  /** one line a person reads in the plan */
  reason: string;
  /** ids of steps that must be done first */
  dependsOn: string[];
  estimate?: Estimate;
}

export interface PlanWarning {
  policy?: string;
  message: string;
}

export const PLAN_VERSION = 1;

export interface Plan {
  version: typeof PLAN_VERSION;
  /** ms since epoch: the `now` the planner was given */
  createdAt: number;
  /** sha256 of the normalized policies the plan was made from */
  policyDigest: string;
  /** sha256 of the observed state the plan was made from (a saved plan is refused if it changed) */
  observedDigest: string;
  steps: Step[];
  warnings: PlanWarning[];
}

export function stepId(kind: StepKind, t: StepTarget): string {
  return `${kind}:${t.cluster}:${t.path}${t.snapshot ? `@${t.snapshot}` : ''}`;
}
