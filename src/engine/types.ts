/** The apply loop's public shapes: its options, its events and its result (src/engine/apply.ts). */
import type { Step, StepKind } from '../model/plan.js';
import type { ExecContext, ExecutorRegistry, StepOutcome } from '../systems/types.js';
import type { Journal } from './journal.js';

export type ApplyEvent =
  | { type: 'start'; step: Step }
  | { type: 'log'; step: Step; message: string }
  | { type: 'done'; step: Step; outcome: StepOutcome; ms: number }
  | { type: 'failed'; step: Step; error: string; ms: number }
  | { type: 'skipped'; step: Step; because: string };

export interface ApplyResult {
  run: string;
  done: Array<{ step: Step; outcome: StepOutcome; ms: number }>;
  failed: Array<{ step: Step; error: string; ms: number }>;
  skipped: Array<{ step: Step; because: string }>;
  /** opts.signal (or opts.drain) fired before the run ended */
  interrupted: boolean;
  /** set when the run stopped early for a reason of its own (the journal could not be written) */
  error?: string;
}

export interface ApplyOptions {
  executors: ExecutorRegistry;
  ctx: Omit<ExecContext, 'signal' | 'log'>;
  journal: Journal;
  run: string;
  /** steps at once (default 4) */
  concurrency?: number;
  /** per kind, ms (Infinity: none); other kinds get defaultDeadline(kind) */
  deadlines?: Partial<Record<StepKind, number>>;
  onEvent?: (e: ApplyEvent) => void;
  /** stop: start no new steps, abort the running ones */
  signal?: AbortSignal;
  /**
   * drain: start no new steps, let the running ones finish (a daemon stopping gracefully). The
   * steps not started are skipped; `signal` can still abort the running ones later.
   */
  drain?: AbortSignal;
  /**
   * After an abort, how long steps wait for a directory an executor that ignores the abort still
   * holds, before they are skipped (default 30 s).
   */
  abortGraceMs?: number;
}
