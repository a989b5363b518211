/**
 * The apply loop: runs a plan's steps in dependency order, a bounded number at once, never two
 * on the same directory at once, each under a deadline, journaling intent before and outcome
 * after. A failed step skips everything that depends on it; independent steps go on.
 *
 * Scheduling: a step is ready when all its dependencies are done; among ready steps whose
 * directories (target, and source for replication) are free, the earliest in plan order starts
 * first. Dependency bookkeeping is linear in steps + dependencies; each scheduling pass scans the
 * ready steps (cheap next to a step, which runs a JVM).
 *
 * Abort (deadline or interrupt): the step is failed at once and its slot freed, even if the
 * executor ignores the abort. Its directories stay taken until the executor really settles, so no
 * other step touches a directory a runaway executor may still be writing; after `abortGraceMs`
 * the steps still waiting for such a directory are skipped.
 */
import { randomBytes } from 'node:crypto';
import { stripUserinfo } from '../model/errors.js';
import type { Plan, Step } from '../model/plan.js';
import { kindDeadline, stepClaims } from '../systems/index.js';
import type { ExecContext, StepOutcome } from '../systems/types.js';
import { validatePlanGraph } from './graph.js';
import type { ApplyEvent, ApplyOptions, ApplyResult } from './types.js';

export { validatePlanGraph } from './graph.js';
export type { ApplyEvent, ApplyOptions, ApplyResult } from './types.js';

const MIN = 60_000;
/** Kinds no system knows (a plan saved by a newer hbr). */
const FALLBACK_DEADLINE = 360 * MIN;

/** The deadline of a kind unless ApplyOptions.deadlines says otherwise: its system's, ms. */
export function defaultDeadline(kind: string): number {
  return kindDeadline(kind) ?? FALLBACK_DEADLINE;
}
/** setTimeout's limit (~24.8 days); a longer deadline waits this long. */
const MAX_TIMER = 2 ** 31 - 1;
const DEFAULT_ABORT_GRACE = 30_000;

/** e.g. `20261122T130000Z-1a2b3c` (sorts by time). */
export function newRunId(now: number): string {
  const iso = new Date(now).toISOString();
  return `${iso.slice(0, 19).replace(/[-:]/g, '')}Z-${randomBytes(3).toString('hex')}`;
}

function humanMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms % MIN === 0) return `${ms / MIN}m`;
  return `${Math.round(ms / 1000)}s`;
}

/** An error as the journal, /status and webhooks record it: without a URL's userinfo. */
function message(err: unknown): string {
  return stripUserinfo(err instanceof Error ? err.message || err.name : String(err));
}

/**
 * What a step acts on (its system's claims, canonical by endpoint when the config is given): it
 * never runs alongside another step on one of them.
 */
export function stepResources(step: Step, config?: ExecContext['config']): string[] {
  return stepClaims(step, config);
}

type State = 'waiting' | 'ready' | 'running' | 'done' | 'failed' | 'skipped';

export async function applyPlan(plan: Plan, opts: ApplyOptions): Promise<ApplyResult> {
  validatePlanGraph(plan);
  const concurrency = Number.isFinite(opts.concurrency) ? Math.max(1, Math.floor(opts.concurrency!)) : 4;
  const deadlines: Partial<Record<string, number>> = { ...opts.deadlines };
  for (const [kind, ms] of Object.entries(deadlines)) {
    if (typeof ms !== 'number' || !(ms > 0)) throw new Error(`deadline for ${kind} must be a positive number of ms, not ${String(ms)}`);
  }
  const grace = opts.abortGraceMs ?? DEFAULT_ABORT_GRACE;
  const outer = opts.signal;
  const drain = opts.drain;
  const result: ApplyResult = { run: opts.run, done: [], failed: [], skipped: [], interrupted: false };

  const steps = plan.steps;
  const index = new Map(steps.map((s, i) => [s.id, i]));
  const state: State[] = steps.map(() => 'waiting');
  const unmet = steps.map((s) => new Set(s.dependsOn).size);
  const dependents: number[][] = steps.map(() => []);
  steps.forEach((s, i) => new Set(s.dependsOn).forEach((d) => dependents[index.get(d)!]!.push(i)));
  const resources = steps.map((s) => stepResources(s, opts.ctx.config));
  /** ready steps, in plan order */
  const ready: number[] = [];
  /** directory → the step holding it, and, once that step was aborted, when to give up on it */
  const busy = new Map<string, { step: number; giveUpAt?: number }>();
  let running = 0;
  let stopped: string | undefined; // the run stops early (journal unwritable)
  let finished = false;
  let graceTimer: NodeJS.Timeout | undefined;
  let resolveRun!: (r: ApplyResult) => void;
  const whenFinished = new Promise<ApplyResult>((r) => (resolveRun = r));

  const emit = (e: ApplyEvent): void => {
    if (!opts.onEvent) return;
    try {
      opts.onEvent(e);
    } catch {
      /* an observer's bug does not break the run */
    }
  };

  const makeReady = (i: number): void => {
    state[i] = 'ready';
    // Binary insertion keeps plan order.
    let lo = 0;
    let hi = ready.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ready[mid]! < i) lo = mid + 1;
      else hi = mid;
    }
    ready.splice(lo, 0, i);
  };
  steps.forEach((_, i) => unmet[i] === 0 && makeReady(i));

  const skip = (i: number, because: string): void => {
    if (state[i] === 'ready') ready.splice(ready.indexOf(i), 1);
    state[i] = 'skipped';
    result.skipped.push({ step: steps[i]!, because });
    emit({ type: 'skipped', step: steps[i]!, because });
  };

  /** Skips everything that (transitively) depends on step `root`, which failed or was skipped. */
  const skipDependents = (root: number, rootFailed: boolean): void => {
    const rootId = steps[root]!.id;
    const queue: Array<[number, number]> = dependents[root]!.map((j) => [j, root]);
    while (queue.length) {
      const [j, via] = queue.shift()!;
      if (state[j] !== 'waiting' && state[j] !== 'ready') continue;
      const viaId = steps[via]!.id;
      const because = rootFailed
        ? via === root
          ? `depends on ${rootId}, which failed`
          : `depends on ${viaId}, skipped because ${rootId} failed`
        : `depends on ${viaId}, which was skipped`;
      skip(j, because);
      for (const k of dependents[j]!) queue.push([k, j]);
    }
  };

  const finish = (): void => {
    if (finished) return;
    finished = true;
    if (graceTimer) clearTimeout(graceTimer);
    outer?.removeEventListener('abort', onOuterAbort);
    drain?.removeEventListener('abort', onOuterAbort);
    result.interrupted = !!outer?.aborted || !!drain?.aborted;
    const drained = drain?.reason instanceof Error && drain.reason.name !== 'AbortError' && drain.reason.message ? drain.reason.message : 'hbr is stopping';
    const because = stopped ?? (drain?.aborted && !outer?.aborted ? `not started: ${drained}` : 'run interrupted');
    steps.forEach((_, i) => {
      if (state[i] === 'waiting' || state[i] === 'ready') skip(i, because);
    });
    if (stopped) result.error = stopped;
    resolveRun(result);
  };

  let pumping = false;
  let pumpAgain = false;
  /** Starts what can start, skips what never will, and ends the run when nothing is left. */
  const pump = (): void => {
    // Not re-entrant: an event observer or an executor may fire the run's signal synchronously.
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        pumpOnce();
      } while (pumpAgain && !finished);
    } finally {
      pumping = false;
    }
  };

  const pumpOnce = (): void => {
    if (finished) return;
    const halted = () => !!outer?.aborted || !!drain?.aborted || stopped !== undefined;
    if (halted()) {
      if (running === 0) finish();
      return;
    }
    const now = Date.now();
    let nextGiveUp = Infinity;
    for (let r = 0; r < ready.length && running < concurrency && !halted(); r++) {
      const i = ready[r]!;
      let blocked = false; // by a running step
      let giveUpAt = -Infinity; // by runaways only: when the last of them is given up on
      let culprit = -1;
      for (const k of resources[i]!) {
        const b = busy.get(k);
        if (!b) continue;
        if (b.giveUpAt === undefined) blocked = true;
        else if (b.giveUpAt > giveUpAt) {
          giveUpAt = b.giveUpAt;
          culprit = b.step;
        }
      }
      if (blocked) continue;
      if (culprit < 0) {
        ready.splice(r--, 1);
        start(i);
        continue;
      }
      // Only held by an executor that ignored its abort: wait for it, but not forever.
      if (giveUpAt > now) {
        nextGiveUp = Math.min(nextGiveUp, giveUpAt);
        continue;
      }
      r--;
      skip(i, `its directory is still in use by ${steps[culprit]!.id}, whose executor did not stop when aborted`);
      skipDependents(i, false);
    }
    if (halted()) {
      if (running === 0) finish();
      return;
    }
    if (running === 0 && ready.length === 0) {
      finish(); // nothing left that can start: every other step is done, failed or skipped
      return;
    }
    if (running === 0 && nextGiveUp < Infinity && !graceTimer) {
      graceTimer = setTimeout(() => {
        graceTimer = undefined;
        pump();
      }, Math.max(0, nextGiveUp - Date.now()) + 1);
    }
  };

  const stop = (why: string): void => {
    stopped ??= why;
  };

  const start = (i: number): void => {
    const step = steps[i]!;
    state[i] = 'running';
    running++;
    const res = resources[i]!;
    for (const k of res) busy.set(k, { step: i });
    const t0 = Date.now();
    let settled = false; // the step's fate is recorded
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // The interrupter's reason (e.g. "shutting down: step checkpointed") is what the journal records.
    const onOuter = () => {
      const why = outer?.reason;
      controller.abort(why instanceof Error && why.name !== 'AbortError' && why.message ? new Error(`run interrupted: ${why.message}`) : new Error('run interrupted'));
    };

    const release = (): void => {
      for (const k of res) if (busy.get(k)?.step === i) busy.delete(k);
    };
    /** Journals and reports the step's fate, once: whichever of executor and abort comes first. */
    const record = (outcome: { ok: true; value: StepOutcome } | { ok: false; error: string }): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
      const ms = Date.now() - t0;
      let error = outcome.ok ? undefined : outcome.error;
      try {
        if (outcome.ok) opts.journal.done(opts.run, step, outcome.value);
        else opts.journal.failed(opts.run, step, outcome.error);
      } catch (err) {
        // The journal keeps the intent without an outcome: the next run sees an unfinished step.
        const why = `cannot write the journal: ${message(err)}`;
        stop(why);
        error = outcome.ok ? `the step finished, but ${why}` : `${outcome.error} (and ${why})`;
      }
      if (error === undefined && outcome.ok) {
        state[i] = 'done';
        result.done.push({ step, outcome: outcome.value, ms });
        emit({ type: 'done', step, outcome: outcome.value, ms });
        for (const j of dependents[i]!) if (state[j] === 'waiting' && --unmet[j]! === 0) makeReady(j);
      } else {
        state[i] = 'failed';
        result.failed.push({ step, error: error!, ms });
        emit({ type: 'failed', step, error: error!, ms });
        skipDependents(i, true);
      }
      running--;
    };

    try {
      opts.journal.intent(opts.run, step);
    } catch (err) {
      // Never run a step whose intent is not durable: stop the run; this step did not start.
      const why = `cannot write the journal: ${message(err)}`;
      stop(why);
      state[i] = 'waiting';
      running--;
      release();
      queueMicrotask(pump);
      return;
    }
    emit({ type: 'start', step });

    const executor = opts.executors[step.kind];
    if (!executor) {
      record({ ok: false, error: `no executor for kind ${step.kind}` });
      release();
      queueMicrotask(pump);
      return;
    }

    const deadline = deadlines[step.kind] ?? defaultDeadline(step.kind);
    if (deadline !== Infinity) {
      timer = setTimeout(() => controller.abort(new Error(`deadline of ${humanMs(deadline)} exceeded`)), Math.min(deadline, MAX_TIMER));
    }
    // Registered before the executor sees the signal, so the engine's reason is what is recorded.
    controller.signal.addEventListener(
      'abort',
      () => {
        const reason = controller.signal.reason;
        record({ ok: false, error: stripUserinfo(reason instanceof Error ? reason.message : String(reason)) });
        // The executor has not settled: keep its directories until it does (or the grace ends).
        for (const k of res) {
          const b = busy.get(k);
          if (b?.step === i) b.giveUpAt = Date.now() + grace;
        }
        queueMicrotask(pump);
      },
      { once: true },
    );
    if (outer) {
      if (outer.aborted) onOuter();
      else outer.addEventListener('abort', onOuter, { once: true });
    }
    if (controller.signal.aborted) {
      // Interrupted while starting (an observer of the start event fired the signal): the abort
      // is recorded already; the executor is not called at all.
      release();
      queueMicrotask(pump);
      return;
    }

    let p: Promise<StepOutcome>;
    try {
      p = Promise.resolve(
        executor(step, {
          ...opts.ctx,
          signal: controller.signal,
          log: (m) => {
            if (!finished) emit({ type: 'log', step, message: String(m) });
          },
        }),
      );
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (value) => record({ ok: true, value: value && typeof value === 'object' ? value : {} }),
      (err) => record({ ok: false, error: message(err) }),
    )
      .finally(() => {
        if (timer) clearTimeout(timer);
        outer?.removeEventListener('abort', onOuter);
        release();
        pump();
      })
      .catch((err: unknown) => {
        // A bug of the engine's own: end the run rather than hang or crash with an unhandled rejection.
        stop(`internal error: ${message(err)}`);
        pump();
      });
  };

  const onOuterAbort = (): void => pump();
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  drain?.addEventListener('abort', onOuterAbort, { once: true });
  pump();
  return whenFinished;
}
