/**
 * The apply loop: runs a plan's steps in dependency order, a bounded number at once, never two
 * on the same directory at once, each under a deadline, journaling intent before and outcome
 * after. A failed step skips everything that depends on it; independent steps go on.
 */
import { randomBytes } from 'node:crypto';
import type { Plan, Step, StepKind } from '../model/plan.js';
import type { ExecContext, ExecutorRegistry, StepOutcome } from '../executors/types.js';
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
  interrupted: boolean;
}

export interface ApplyOptions {
  executors: ExecutorRegistry;
  ctx: Omit<ExecContext, 'signal' | 'log'>;
  journal: Journal;
  run: string;
  /** steps at once (default 4) */
  concurrency?: number;
  /** per kind, ms */
  deadlines?: Partial<Record<StepKind, number>>;
  onEvent?: (e: ApplyEvent) => void;
  /** stop: start no new steps, abort the running ones */
  signal?: AbortSignal;
}

const MIN = 60_000;
export const DEFAULT_DEADLINES: Record<StepKind, number> = {
  'hdfs.snapshot.allow': 2 * MIN,
  'hdfs.snapshot.create': 2 * MIN,
  'hdfs.snapshot.delete': 2 * MIN,
  'replicate.bootstrap': 360 * MIN,
  'replicate.distcp-diff': 360 * MIN,
  'replicate.repair-target': 360 * MIN,
  'zk.archive': 60 * MIN,
  'store.delete': 5 * MIN,
};

export function newRunId(now: number): string {
  const iso = new Date(now).toISOString();
  return `${iso.slice(0, 19).replace(/[-:]/g, '')}Z-${randomBytes(3).toString('hex')}`;
}

function humanMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  return ms % MIN === 0 ? `${ms / MIN}m` : `${Math.round(ms / 1000)}s`;
}

/** Throws if a dependency names no step of the plan, or the dependencies form a cycle. */
export function validatePlanGraph(plan: Plan): void {
  const ids = new Map(plan.steps.map((s) => [s.id, s]));
  if (ids.size !== plan.steps.length) throw new Error('plan has duplicate step ids');
  for (const s of plan.steps) for (const d of s.dependsOn) if (!ids.has(d)) throw new Error(`step ${s.id} depends on unknown step ${d}`);
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    const st = state.get(id);
    if (st === 'done') return;
    if (st === 'visiting') throw new Error(`plan has a dependency cycle: ${[...path, id].join(' -> ')}`);
    state.set(id, 'visiting');
    for (const d of ids.get(id)!.dependsOn) visit(d, [...path, id]);
    state.set(id, 'done');
  };
  for (const s of plan.steps) visit(s.id, []);
}

/** The directories a step touches: it never runs alongside another step on one of them. */
function resources(step: Step): string[] {
  const r = [`${step.target.cluster}:${step.target.path}`];
  if (step.params.source) r.push(`${step.params.source.cluster}:${step.params.source.path}`);
  return r;
}

export async function applyPlan(plan: Plan, opts: ApplyOptions): Promise<ApplyResult> {
  validatePlanGraph(plan);
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const deadlines = { ...DEFAULT_DEADLINES, ...opts.deadlines };
  const emit = opts.onEvent ?? (() => {});
  const result: ApplyResult = { run: opts.run, done: [], failed: [], skipped: [], interrupted: false };

  const pending = [...plan.steps];
  const finished = new Set<string>(); // done
  const broken = new Map<string, string>(); // failed or skipped → why
  const busy = new Set<string>(); // resources in use
  let running = 0;

  return new Promise<ApplyResult>((resolve) => {
    const settle = () => {
      if (running === 0 && (pending.length === 0 || opts.signal?.aborted)) {
        if (opts.signal?.aborted) {
          result.interrupted = true;
          for (const s of pending.splice(0)) {
            result.skipped.push({ step: s, because: 'run interrupted' });
            emit({ type: 'skipped', step: s, because: 'run interrupted' });
          }
        }
        resolve(result);
        return true;
      }
      return false;
    };

    const pump = (): void => {
      // Skip whatever depends on a failure; keep doing so until nothing changes.
      let changed = true;
      while (changed) {
        changed = false;
        for (let i = 0; i < pending.length; i++) {
          const s = pending[i]!;
          const bad = s.dependsOn.find((d) => broken.has(d));
          if (bad) {
            pending.splice(i--, 1);
            const because = `depends on ${bad}, which ${result.failed.some((f) => f.step.id === bad) ? 'failed' : 'was skipped'}`;
            broken.set(s.id, because);
            result.skipped.push({ step: s, because });
            emit({ type: 'skipped', step: s, because });
            changed = true;
          }
        }
      }
      if (settle()) return;
      if (opts.signal?.aborted) return;
      for (let i = 0; i < pending.length && running < concurrency; i++) {
        const s = pending[i]!;
        if (!s.dependsOn.every((d) => finished.has(d))) continue;
        const res = resources(s);
        if (res.some((r) => busy.has(r))) continue;
        pending.splice(i--, 1);
        res.forEach((r) => busy.add(r));
        running++;
        void runStep(s).finally(() => {
          res.forEach((r) => busy.delete(r));
          running--;
          pump();
        });
      }
    };

    const runStep = async (step: Step): Promise<void> => {
      const exec = opts.executors[step.kind];
      const t0 = Date.now();
      const fail = (error: string) => {
        const ms = Date.now() - t0;
        broken.set(step.id, error);
        result.failed.push({ step, error, ms });
        emit({ type: 'failed', step, error, ms });
      };
      opts.journal.intent(opts.run, step);
      emit({ type: 'start', step });
      if (!exec) {
        const error = `no executor for kind ${step.kind}`;
        opts.journal.failed(opts.run, step, error);
        return fail(error);
      }
      const deadline = deadlines[step.kind];
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(new Error(`deadline of ${humanMs(deadline)} exceeded`)), deadline);
      const signal = opts.signal ? AbortSignal.any([timeout.signal, opts.signal]) : timeout.signal;
      // An executor that ignores its signal still loses the race: the step is failed at the deadline.
      const aborted = new Promise<never>((_, reject) => {
        const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        const outcome = await Promise.race([
          exec(step, { ...opts.ctx, signal, log: (message) => emit({ type: 'log', step, message }) }),
          aborted,
        ]);
        opts.journal.done(opts.run, step, outcome);
        finished.add(step.id);
        const ms = Date.now() - t0;
        result.done.push({ step, outcome, ms });
        emit({ type: 'done', step, outcome, ms });
      } catch (err) {
        const error = (err as Error).message ?? String(err);
        opts.journal.failed(opts.run, step, error);
        fail(error);
      } finally {
        clearTimeout(timer);
        aborted.catch(() => {});
      }
    };

    opts.signal?.addEventListener('abort', () => pump(), { once: true });
    pump();
  });
}
