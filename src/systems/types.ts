/**
 * The one interface between hbr's core and a system it protects (docs/architecture.md, "The
 * System interface"). The core — loader, planner, safety framework, engine, daemon, metrics, CLI —
 * knows a system only through this interface and the list in ./index.ts; it never names a
 * system's step kinds, policy fields or observations.
 *
 * A system is one folder, src/systems/<name>/, holding its policy schema part and loader checks,
 * observer, planner rules, safety floors, executors, recovery points and restore.
 */
import type { Command } from 'commander';
import type { AuditReport, Protection } from '../model/audit.js';
import type { Observed } from '../model/observed.js';
import type { Plan, Step } from '../model/plan.js';
import type { ClusterReport, Config, Policy, PolicyBase, Schedule, SourceLocation } from '../model/policy.js';
import type { RecoveryPoint } from '../model/recovery.js';
import type { PlanBuilder } from '../planner/builder.js';
import type { SafetyRule } from '../planner/safety.js';
import type { HbrMetrics } from '../metrics/registry.js';
import type { Logger } from 'pino';

// ---------------------------------------------------------------------------------------------
// Executors: one per step kind, each doing one step idempotently and reporting what it did.

export interface ExecContext {
  config: Config;
  /** aborted when the step's deadline passes or the run is interrupted */
  signal: AbortSignal;
  /** a line for the operator (progress, what was found already done) */
  log: (message: string) => void;
  /** path of the `hadoop` launcher (HBR_HADOOP, else `hadoop` on PATH) */
  hadoop: string;
  /** hbr's state dir (journal, lock, records of child processes) */
  stateDir: string;
}

export interface StepOutcome {
  bytesCopied?: number;
  filesCopied?: number;
  /** e.g. "already existed" when an idempotent step found its work done */
  note?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Executor<P extends object = any> = (step: Step<P>, ctx: ExecContext) => Promise<StepOutcome>;

/** Step kind → executor, as the engine receives it. */
export type ExecutorRegistry = Partial<Record<string, Executor>>;

/** What a system says about one of its step kinds. */
export interface StepKindDef {
  executor: Executor;
  /** how long one step of this kind may run before it is aborted, ms */
  deadline: number;
  /**
   * A finished step of this kind ends every earlier unfinished intent of the same kind on the same
   * target (its id up to `@snapshot`): a later copy of the whole target makes an interrupted one
   * moot. Set it only where a system reads its own unfinished intents as a mark (the Ozone
   * bootstrap's resume, docs/ozone.md "Crash safety"), so a stale one cannot pass for a fresh one.
   */
  supersedes?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Claims: what a policy (or a step) acts on, canonical by endpoint, so two names for one
// NameNode or one bucket cannot hide an overlap.

export interface Claim {
  /**
   * The canonical identity of the thing holding the resource: e.g. `hdfs://nn.prod:8020` for a
   * NameNode, `s3://endpoint/bucket` for a bucket, `file:///srv/store` for a local store. Equal
   * strings mean the same server or bucket.
   */
  endpoint: string;
  /** the resource within it: a directory path, or a key prefix */
  path: string;
  /** how two paths of one endpoint overlap: as directories (nested) or as key prefixes */
  match: 'dir' | 'prefix';
  /** how the loader names it in messages, e.g. "primary:/warehouse" */
  display: string;
  /** e.g. 'source', 'target', 'archive': the loader's messages say which role of which policy */
  role: string;
  /** where in the policy (below policies.<name>) the claim is declared, for the loader's errors */
  segs: Segment[];
  /** what holds it, for messages: "store 'backups'" */
  within?: string;
  /** what retention deletes there, for messages: "snapshots", "archives" */
  noun: string;
}

// ---------------------------------------------------------------------------------------------
// Loading: a system reads its own part of a policy, with positions for its errors.

export type Segment = string | number;

export interface LoadContext {
  /** clusters and stores, already loaded (policies are being loaded) */
  config: Config;
  /** the YAML path of the policy being loaded, e.g. ['policies', 'warehouse'] */
  base: Segment[];
  /** report an error at the key or value of base + segs; its file:line:col is found by the loader */
  error(segs: Segment[], where: 'key' | 'value', message: string): void;
  /** ", did you mean 'x'?" style hint for an unknown name */
  suggest(word: string, known: string[], label?: string): string;
  /** file:line:col of a source location, for messages that point at another declaration */
  where(at: SourceLocation): string;
}

// ---------------------------------------------------------------------------------------------
// Observation

export interface ObserveOptions {
  /** journal intents without an outcome, passed through to the planner */
  unfinished?: Observed['unfinished'];
  /** per request, ms */
  timeoutMs?: number;
  /** the clock (HBR_NOW-aware in the CLI): names dated after it are not trusted, as in the planner */
  now?: () => number;
}

/** What one system contributes to Observed: merged by the core. */
export type ObservedPart = Partial<Pick<Observed, 'dirs' | 'stores'>> & {
  errors: Observed['errors'];
  /** the system's own observations (Observed.parts[system.name]): plain JSON, read only by the system */
  part?: unknown;
};

// ---------------------------------------------------------------------------------------------
// Safety: every delete of a plan passes its system's floors (default deny: a delete of a kind no
// system vouches for is refused by the core).

export type Violation = (rule: SafetyRule, why: string) => void;

/** Checks one delete step against the system's floors, given the whole plan (built once per plan). */
export type DeleteChecker = (step: Step, violation: Violation) => void;

// ---------------------------------------------------------------------------------------------

/** The schema part a system adds to schema/hbr-policy.schema.json (see src/schema/compose.ts). */
export interface SchemaPart {
  /** keys a policy of this system may hold, beside the core's `source` and `rpo` */
  policy: Record<string, object>;
  /** cluster kinds this system defines (the key under a cluster, e.g. `hdfs`) */
  clusters?: Record<string, object>;
  /** definitions referenced as #/$defs/<name> */
  defs?: Record<string, object>;
  /** a sentence for the policy's description: what such a policy is */
  describes: string;
}

export interface System<P extends Policy = Policy> {
  /** the folder name: `hdfs`, `zookeeper` */
  name: string;
  /** Policy.kind of the policies it owns, e.g. `hdfs-snapshots` */
  policyKind: P['kind'];
  /** the policy key that selects it, e.g. `snapshots`, `archive` */
  key: string;
  schema: SchemaPart;
  /**
   * a cluster declaration of a kind this system defines (see SchemaPart.clusters) → its Config form;
   * `report` (optional for callers) takes the checks the schema cannot make, at a key below the
   * cluster's kind, as file:line:col errors (or warnings, printed to stderr)
   */
  loadCluster?(kind: string, name: string, raw: Record<string, unknown>, at: SourceLocation, report?: ClusterReport): Config['clusters'][string];
  /** a policy whose `key` section is present → its Config form (undefined after reporting errors) */
  load(ctx: LoadContext, name: string, raw: Record<string, unknown>, at: SourceLocation): P | undefined;
  /** what the policy acts on, canonical by endpoint (loader overlap check, daemon mutex) */
  claims(p: P, config: Config): Claim[];
  /** what one step acts on, canonical by endpoint (the engine never runs two steps on one at once) */
  stepClaims(step: Step, config: Config | undefined): string[];
  /** for the plan's text: where a step's data comes from (`primary:/w@hbr-...`), if anywhere */
  describeSource?(step: Step): string | undefined;
  /** when the policy wants a new recovery point */
  schedule(p: P): Schedule;
  /** names of the clusters and stores the policy reads or writes */
  scope(p: P): string[];
  observe(config: Config, policies: P[], opts: ObserveOptions): Promise<ObservedPart>;
  /**
   * Optional, pure: what of its own observation (Observed.parts[name]) a saved plan depends on; the
   * apply-time stale check digests this instead of the whole part (src/planner/digest.ts). A system
   * whose plan makes no steps from it (the audit's warnings) returns undefined, so a moving count
   * does not refuse a saved plan of other policies.
   */
  digestPart?(part: unknown): unknown;
  /** pure: adds the steps of these (selected) policies to the plan */
  plan(b: PlanBuilder, policies: P[], observed: Observed, now: number, config: Config): void;
  /**
   * What is wrong with one of its steps, as handed to the engine (a saved plan may have been
   * edited): its kind, policy, target and every parameter that reaches a command line. Empty = fine.
   */
  checkStep(step: Step, config: Config): string[];
  /** the floors for the deletes of this system's kinds in a finished plan */
  safety(plan: Plan, config: Config, observed: Observed): DeleteChecker;
  kinds: Record<string, StepKindDef>;
  /** its kinds that delete (checked by `safety` whatever action a step of theirs shows) */
  deletes: string[];
  /** pure: the newest good copy at each site of the policy */
  recoveryPoints(p: P, observed: Observed, now: number): RecoveryPoint[];
  /** daemon, leader only: poll the health of the clusters this system defines into metrics */
  health?(config: Config, metrics: HbrMetrics, log: Logger): Promise<void>;
  /** `hbr restore <name>`: the system's restores, each a reviewable plan first */
  restore?: RestoreCommand;
  /**
   * Optional: the paths the policy protects and how (snapshots, a DR pair, a backup), canonical by
   * endpoint. The core collects them from every system (src/systems/index.ts `protections`) and
   * hands them to the planner (PlanBuilder.protections) and to `findings`, so an audit can tell a
   * path nothing protects without importing another system (docs/audit.md).
   */
  protects?(p: P, config: Config): Protection[];
  /**
   * Optional, pure: what the policy's audit found in an observation (docs/audit.md). The daemon puts
   * the findings in /status and `hbr status` and their counts in hbr_audit_findings.
   */
  findings?(p: P, observed: Observed, ctx: { config: Config; protections: readonly Protection[]; now: number }): AuditReport;
  /** `hbr verify`: restores the policy's newest recovery point into a scratch place and compares */
  drill?(policy: PolicyBase, ctx: DrillContext): Promise<DrillResult>;
  /**
   * Removes a remote scratch place a drill recorded (DrillContext.scratch) and a kill kept it from
   * removing (src/engine/drill-scratch.ts). Must check that `ref` names a drill scratch before it
   * deletes anything (the ledger is a local file); a place already gone is not an error.
   */
  removeDrillScratch?(config: Config, ref: DrillScratchRef, log: (message: string) => void): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Restores: the system chooses what to restore and does it; the CLI (src/cli/restore.ts) shows
// the plan, asks for confirmation, holds the lock and prints the result.

export interface RestoreCommand {
  /** `hbr restore <name>` */
  name: string;
  description: string;
  /** adds the system's options to the subcommand */
  options(cmd: Command): Command;
  /** checks the options, observes, chooses; throws UserError (src/model/errors.ts) for what a person can fix */
  prepare(config: Config, opts: Record<string, unknown>, ctx: RestoreContext): Promise<RestorePlan>;
}

/** What the CLI hands a restore besides its options. */
export interface RestoreContext {
  /** the CLI's clock (HBR_NOW-aware): "newest at or before", names dated later are not trusted */
  now: number;
  /** hbr's state dir (child-process records, temporary files) */
  stateDir: string;
  /** the `hadoop` launcher */
  hadoop: string;
  /** aborted when the restore must stop (the ZooKeeper apply lock was lost): running copies are killed */
  signal?: AbortSignal;
}

export interface RestorePlan {
  policy: string;
  /** the plan's lines under "# policy <name>" */
  lines: string[];
  /** the same as JSON (--json) */
  json: object;
  /** nothing to do (e.g. a second run): the CLI says so and neither asks nor runs */
  noChanges?: boolean;
  /** carries it out; `log` gets progress lines */
  run(log: (message: string) => void): Promise<{ text: string; json: object }>;
}

// Restore drills (`hbr verify`, the daemon's `verify:` schedule; docs/restore.md "Drills"): the
// system restores its newest recovery point into a scratch place, compares, cleans up. The core
// times it and records the result; the system never reads the clock for the RTO.
export interface DrillContext {
  config: Config;
  stateDir: string;
  signal: AbortSignal;
  log: (message: string) => void;
  /** path of the `hadoop` launcher */
  hadoop: string;
  /** the run's now (ms), for choosing recovery points; never in the future of a trusted name */
  now: number;
  /**
   * The ledger of remote scratch (src/engine/drill-scratch.ts): `made` before a scratch place is
   * created, `removed` after it is gone. What a killed drill left is removed by a later sweep
   * through System.removeDrillScratch, even when this policy has no next drill. Local scratch
   * under `<state-dir>/tmp` needs none (cleared under the state-dir lock).
   */
  scratch: { made(ref: DrillScratchRef): string; removed(id: string): void };
}

/** Where a drill's remote scratch is, as the system that made it names it (e.g. { cluster, path }). */
export type DrillScratchRef = Readonly<Record<string, string>>;

export interface DrillCheck {
  /** one thing compared, e.g. "primary:/data@hbr-20261122T130000Z vs dr scratch" or "znodes" */
  what: string;
  ok: boolean;
  /** why it failed, naming the file/archive/znode */
  detail?: string;
}

export interface DrillResult {
  /** the recovery point drilled, e.g. "dr:/data@hbr-20261122T130000Z" or "s3:zk-2026-11-22T13-00-00Z.tar.gz" */
  point: string;
  ok: boolean;
  checks: DrillCheck[];
  bytes?: number;
  files?: number;
}
