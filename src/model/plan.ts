/**
 * A plan is data: the steps that turn the observed state into the declared one. Renderers (text,
 * JSON) live in src/render; the engine in src/engine executes steps through src/executors.
 */

/**
 * The symbol a plan shows for a step is the action itself (Terraform's plans.Action idea):
 * '+' creates something, '-' deletes something, '~' changes something in place, '-/+' replaces
 * something: what is there now is destroyed (overwritten) and made anew.
 */
export enum Action {
  Create = '+',
  Delete = '-',
  Update = '~',
  Replace = '-/+',
}

/**
 * A step kind, e.g. `hdfs.snapshot.create`, `zk.archive`. Each kind belongs to exactly one system,
 * which declares it (src/systems/<name>/index.ts, `kinds`); the core never names one. The strings
 * are a public interface (metrics labels, journals, saved plans, alert rules): they never change.
 */
export type StepKind = string;

/**
 * What a step acts on, as a person reads it: a directory (and snapshot) of a cluster, or an object
 * key of a store (`cluster` is then the store's name). What it claims for serialization is its
 * system's to say (System.stepClaims), canonical by endpoint.
 */
export interface StepTarget {
  cluster: string;
  path: string;
  snapshot?: string;
}

/** Kind-specific parameters: each system types its own (e.g. src/systems/hdfs/types.ts). */
export type StepParams = { readonly [key: string]: unknown };

export interface Estimate {
  bytes?: number;
  files?: number;
}

export interface Step<P extends object = StepParams> {
  /** stable: the same intent always has the same id (kind + target), so journals and plans line up */
  id: string;
  kind: StepKind;
  action: Action;
  policy: string;
  target: StepTarget;
  params: P;
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

/**
 * Why hbr holds a pair instead of copying: `diverged` — the target holds data or snapshots but
 * shares no usable snapshot with its source, so a copy would overwrite it; `mass-change` — the copy
 * would delete or overwrite more of the target than the policy's max_change allows.
 */
export type HoldReason = 'diverged' | 'mass-change';

/**
 * A replication hbr refuses to do by itself (docs/policies.md, "Diverged and held pairs"): its
 * steps are left out of the plan, retention deletes nothing there, and the plan is an error until
 * the operator allows the overwrite for that pair (`hbr apply --allow-overwrite TARGET`).
 */
export interface PlanHold {
  policy: string;
  /** the target as `cluster:path`, the word `--allow-overwrite` takes */
  target: string;
  /** the source as `cluster:path` */
  source: string;
  reason: HoldReason;
  message: string;
}

/**
 * What an operator asked of one policy beyond what it declares (`hbr failover`, `hbr failback`:
 * docs/failover.md). The core passes it to the planner untouched; the policy's system reads it
 * (PlanBuilder.request) and says what it means. A request no system takes is an error.
 */
export interface PlanRequest {
  policy: string;
  verb: string;
  mode?: string;
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
  /**
   * What a person reading the plan wants to know that is neither a step nor a problem, e.g. when
   * the next backups are due (docs/hbase.md). Shown after the steps; a plan with notes only has no changes.
   */
  notes?: PlanWarning[];
  /** pairs held for the operator; non-empty → `hbr plan` and `hbr apply` exit 1 naming them */
  holds?: PlanHold[];
  /** policies that could not be planned at all (what they need could not be observed) */
  unplanned?: string[];
}

export function stepId(kind: StepKind, t: StepTarget): string {
  return `${kind}:${t.cluster}:${t.path}${t.snapshot ? `@${t.snapshot}` : ''}`;
}
