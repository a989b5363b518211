/**
 * When an interrupted step stops being news. A step whose intent has no outcome (the process died
 * mid-step) is handed to the planner, which warns about it and plans from what it observes; the
 * repair is an ordinary plan, not that step again (the next run may copy to a newer snapshot, roll
 * the target back first, ...), so its id may never get an outcome of its own.
 *
 * The rule: an unfinished step of policy P is resolved by a later run that
 *   - planned P (P in its targets, and still in the policies),
 *   - observed everything P touches (no observation error on P's clusters and stores; P not
 *     left unplanned) — the plan saw whatever the interrupted step left,
 *   - held nothing of P for the operator, and
 *   - did every step it planned for P (none failed, skipped or left out; an empty plan counts):
 *     after it, P is where its policy says, whatever the interrupted step had done.
 * That run journals a `resolved` record per such step (Journal.resolved); readUnfinished then
 * forgets them and no later plan warns. Anything less (a failed repair, a cluster that could not
 * be observed, a run of another policy) leaves them unfinished, so plans keep naming them.
 */
import type { Observed, UnfinishedStep } from '../model/observed.js';
import type { Plan } from '../model/plan.js';
import type { Config } from '../model/policy.js';
import { systemOf } from '../systems/index.js';
import type { Journal } from './journal.js';
import type { ApplyResult } from './types.js';

export interface ResolveInput {
  config: Config;
  /** the observation `plan` was made from: its `unfinished` are the candidates */
  observed: Observed;
  plan: Plan;
  /** the policies the plan was limited to (undefined: all) */
  targets?: readonly string[];
  /** the apply of `plan`; undefined when none ran (an empty plan) */
  result?: ApplyResult;
}

/** The unfinished steps of `input.observed` whose policy this run brought to convergence. */
export function resolvedBy(input: ResolveInput): UnfinishedStep[] {
  const { config, observed, plan, targets, result } = input;
  const done = new Set(result?.done.map((d) => d.step.id) ?? []);
  const verdict = new Map<string, boolean>();
  const converged = (name: string): boolean => {
    const p = config.policies[name];
    if (!p || (targets && !targets.includes(name))) return false;
    if (plan.unplanned?.includes(name) || plan.holds?.some((h) => h.policy === name)) return false;
    const scope = new Set(systemOf(p).scope(p));
    if (observed.errors.some((e) => scope.has(e.cluster))) return false;
    return plan.steps.every((s) => s.policy !== name || done.has(s.id));
  };
  return observed.unfinished.filter((u) => {
    if (!verdict.has(u.policy)) verdict.set(u.policy, converged(u.policy));
    return verdict.get(u.policy)!;
  });
}

/** resolvedBy, journaled as run `run`: a `resolved` record for each. Returns them. */
export function resolveInterrupted(journal: Journal, run: string, input: ResolveInput): UnfinishedStep[] {
  const out = resolvedBy(input);
  for (const u of out) journal.resolved(run, u);
  return out;
}
