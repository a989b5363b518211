/**
 * One reconcile of one policy, the daemon's unit of work: observe → plan → apply → observe again
 * → recovery points. The same path as `hbr apply --target <policy> --auto-approve`, with the
 * results returned as data for metrics, /status and notifications instead of printed.
 *
 * Observation is scoped to the policy (its source, its DR targets or its store), so 1,000
 * policies cost 1,000 small observations spread over their schedules, not 1,000 full ones.
 */
import type { Logger } from 'pino';
import { applyPlan, newRunId, type ApplyResult } from '../engine/apply.js';
import type { Journal } from '../engine/journal.js';
import { stripUserinfo } from '../model/errors.js';
import { resolveInterrupted } from '../engine/resolve.js';
import { executors, protections, systemOf } from '../systems/index.js';
import type { AuditReport } from '../model/audit.js';
import type { Observed, UnfinishedStep } from '../model/observed.js';
import type { Plan, StepKind } from '../model/plan.js';
import type { Config } from '../model/policy.js';
import { observeAll } from '../observe/all.js';
import { planAll } from '../planner/plan.js';
import { recoveryPoints, type RecoveryPoint } from '../metrics/recovery.js';

export interface ReconcileInput {
  config: Config;
  policy: string;
  stateDir: string;
  hadoop: string;
  journal: Journal;
  /** intents left without an outcome by an earlier process, for this policy */
  unfinished: UnfinishedStep[];
  /** aborts the apply (leadership lost, shutdown past its grace): the running step is checkpointed as failed */
  signal: AbortSignal;
  /** start no new steps, let running ones finish (the daemon is stopping) */
  drain?: AbortSignal;
  log: Logger;
  concurrency?: number;
  deadlines?: Partial<Record<StepKind, number>>;
  /** observation timeout per HTTP call, ms */
  observeTimeoutMs?: number;
  now?: () => number;
}

export interface ReconcileResult {
  policy: string;
  run: string;
  startedAt: number;
  finishedAt: number;
  /** nothing failed, nothing was skipped, everything could be observed */
  ok: boolean;
  /** the plan, when planning got that far */
  plan?: Plan;
  apply?: ApplyResult;
  /** observation errors and the planner's refusal (a safety violation), as text */
  errors: string[];
  /** clusters and stores the policy touches, with the number of observation errors of each (0 = fine) */
  observeErrors: Record<string, number>;
  /** recovery points after the run (from the second observation when something was done) */
  points: RecoveryPoint[];
  /** the unfinished steps this run repaired (journaled resolved: no longer reported) */
  resolved: UnfinishedStep[];
  /** what the policy's audit found (System.findings), from the run's first observation */
  audit?: AuditReport;
}

function observePolicy(config: Config, policy: string, unfinished: UnfinishedStep[], opts: { now: () => number; timeoutMs?: number }): Promise<Observed> {
  return observeAll(config, { targets: [policy], unfinished, now: opts.now, ...(opts.timeoutMs && { timeoutMs: opts.timeoutMs }) });
}

/** The clusters and stores a policy reads or writes (the keys of ReconcileResult.observeErrors). */
export function policyScope(config: Config, name: string): string[] {
  const p = config.policies[name];
  if (!p) return [];
  return systemOf(p).scope(p);
}

function countErrors(config: Config, policy: string, observed: Observed): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of policyScope(config, policy)) out[c] = 0;
  for (const e of observed.errors) out[e.cluster] = (out[e.cluster] ?? 0) + 1;
  return out;
}

export async function reconcilePolicy(input: ReconcileInput): Promise<ReconcileResult> {
  const now = input.now ?? Date.now;
  const startedAt = now();
  const run = newRunId(startedAt);
  const { config, policy, log } = input;
  const out: ReconcileResult = { policy, run, startedAt, finishedAt: startedAt, ok: false, errors: [], observeErrors: {}, points: [], resolved: [] };
  const finish = (): ReconcileResult => {
    out.finishedAt = now();
    return out;
  };
  /** Interrupted steps of the policy that this run repaired are journaled resolved (../engine/resolve.ts). */
  const resolve = (first: Observed, plan: Plan, result?: ApplyResult): void => {
    if (!first.unfinished.length) return;
    try {
      out.resolved = resolveInterrupted(input.journal, run, { config, observed: first, plan, targets: [policy], ...(result && { result }) });
      for (const u of out.resolved) log.info({ policy, run, step: u.stepId }, `interrupted step ${u.stepId} is repaired: no longer reported`);
    } catch (err) {
      log.warn({ policy, run, error: (err as Error).message }, 'could not journal the interrupted steps this run repaired; they are reported again');
    }
  };

  let observed = await observePolicy(config, policy, input.unfinished, { now, ...(input.observeTimeoutMs ? { timeoutMs: input.observeTimeoutMs } : {}) });
  out.observeErrors = countErrors(config, policy, observed);
  out.errors.push(...observed.errors.map((e) => `${e.cluster}${e.path ? `:${e.path}` : ''}: ${e.message}`));
  out.points = recoveryPoints(config, observed, observed.at, [policy]);
  const p = config.policies[policy];
  const sys = p && systemOf(p);
  if (p && sys?.findings) out.audit = sys.findings(p, observed, { config, protections: protections(config), now: observed.at });

  try {
    out.plan = planAll({ config, observed, now: observed.at, targets: [policy] });
  } catch (err) {
    // A safety violation: the planner refuses the whole plan. Nothing is applied.
    out.errors.push(stripUserinfo((err as Error).message));
    return finish();
  }
  for (const w of out.plan.warnings) log.warn({ policy, run, warning: w.message }, `plan warning: ${w.message}`);
  const first = observed;
  if (out.plan.steps.length === 0 || input.signal.aborted || input.drain?.aborted) {
    out.ok = out.errors.length === 0 && !input.signal.aborted && !input.drain?.aborted;
    resolve(first, out.plan);
    return finish();
  }

  log.info({ policy, run, steps: out.plan.steps.length }, `applying ${out.plan.steps.length} step(s)`);
  out.apply = await applyPlan(out.plan, {
    executors,
    ctx: { config, hadoop: input.hadoop, stateDir: input.stateDir },
    journal: input.journal,
    run,
    concurrency: input.concurrency ?? 4,
    ...(input.deadlines && { deadlines: input.deadlines }),
    signal: input.signal,
    ...(input.drain && { drain: input.drain }),
    onEvent: (e) => {
      const f = { policy, run, step: e.step.id, kind: e.step.kind };
      if (e.type === 'start') log.debug(f, `step started: ${e.step.kind} ${e.step.target.cluster}:${e.step.target.path}`);
      else if (e.type === 'log') log.debug(f, e.message);
      else if (e.type === 'done') log.info({ ...f, ms: e.ms, ...e.outcome }, `step done: ${e.step.kind}`);
      else if (e.type === 'failed') log.error({ ...f, ms: e.ms, error: e.error }, `step failed: ${e.step.kind}: ${e.error}`);
      else log.warn({ ...f, because: e.because }, `step skipped: ${e.step.kind}: ${e.because}`);
    },
  });
  const a = out.apply;
  if (a.error) out.errors.push(a.error);
  resolve(first, out.plan, a);

  // Level-triggered: the recovery points are what the clusters show now, not what the plan hoped.
  if (a.done.length > 0) {
    try {
      observed = await observePolicy(config, policy, [], { now, ...(input.observeTimeoutMs ? { timeoutMs: input.observeTimeoutMs } : {}) });
      out.points = recoveryPoints(config, observed, observed.at, [policy]);
      out.observeErrors = countErrors(config, policy, observed);
    } catch (err) {
      log.warn({ policy, run, error: (err as Error).message }, 'could not observe after the apply; recovery points are from before it');
    }
  }
  out.ok = out.errors.length === 0 && a.failed.length === 0 && a.skipped.length === 0 && !a.interrupted;
  return finish();
}
