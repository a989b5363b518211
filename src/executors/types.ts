/**
 * The contract between the engine and the executors: one executor per step kind, each doing one
 * step idempotently and reporting what it did. Executors never decide what to do.
 */
import type { Config } from '../model/policy.js';
import type { Step, StepKind } from '../model/plan.js';

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

export type Executor = (step: Step, ctx: ExecContext) => Promise<StepOutcome>;

export type ExecutorRegistry = Partial<Record<StepKind, Executor>>;
