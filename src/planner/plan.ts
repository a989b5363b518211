/**
 * The planner's entry point: config + observed state + now → Plan. Pure: no I/O, no clock.
 *
 * Each system plans its own policies (System.plan, in the order of src/systems/index.ts); then
 * every delete of the finished plan is re-checked against its system's floors (`checkSafety`,
 * ./check.ts). An unsafe plan throws.
 */
import type { Observed } from '../model/observed.js';
import { PLAN_VERSION, type Plan, type PlanRequest } from '../model/plan.js';
import { UserError } from '../model/errors.js';
import type { Config } from '../model/policy.js';
import { iso } from '../model/format.js';
import { policiesOf, protections, SYSTEMS } from '../systems/index.js';
import { PlanBuilder } from './builder.js';
import { checkSafety, checkSteps } from './check.js';
import { digestObserved, digestPolicies } from './digest.js';
import { SafetyViolation } from './safety.js';

export { SafetyViolation } from './safety.js';
export { checkSafety, checkSteps } from './check.js';
export type { SafetyViolationDetail, SafetyRule } from './safety.js';
export { digestObserved, digestPolicies } from './digest.js';

export interface PlanInput {
  config: Config;
  observed: Observed;
  /** ms since epoch; the planner never reads the clock */
  now: number;
  /** limit planning to these policy names */
  targets?: string[];
  /** targets (`cluster:path`) the operator allows hbr to overwrite in this plan (diverged or held pairs) */
  allowOverwrite?: string[];
  /** what the operator asked of single policies (`hbr failover`, `hbr failback`) */
  requests?: PlanRequest[];
}

export function planAll(input: PlanInput): Plan {
  const { config, observed, now } = input;
  const b = new PlanBuilder({
    ...(input.allowOverwrite ? { allowOverwrite: input.allowOverwrite } : {}),
    ...(input.requests ? { requests: input.requests } : {}),
    protections: protections(config),
  });

  let names: Set<string> | undefined;
  if (input.targets) {
    const wanted = new Set(input.targets);
    for (const name of [...wanted].sort()) if (!config.policies[name]) b.warn(`no policy named ${name}`);
    names = wanted;
  }

  for (const u of [...observed.unfinished].sort((x, y) => x.startedAt - y.startedAt || (x.stepId < y.stepId ? -1 : 1))) {
    if (names && !names.has(u.policy)) continue;
    b.warn(`step ${u.stepId} was interrupted at ${iso(u.startedAt)}; its effects are observed and repaired below`, u.policy);
  }

  for (const system of SYSTEMS) {
    const policies = policiesOf(config, system, input.targets);
    if (policies.length) system.plan(b, policies, observed, now, config);
  }

  const untaken = b.untaken();
  if (untaken.length) throw new UserError(untaken.map((r) => `policy ${r.policy}: its system does not do ${r.verb}`).join('; '));

  const plan: Plan = {
    version: PLAN_VERSION,
    createdAt: now,
    policyDigest: digestPolicies(config),
    observedDigest: digestObserved(observed),
    steps: b.steps,
    warnings: b.warnings,
    ...(b.notes.length ? { notes: b.notes } : {}),
    ...(b.holds.length ? { holds: b.holds } : {}),
    ...(b.unplanned.length ? { unplanned: [...b.unplanned].sort() } : {}),
  };
  const bad = checkSteps(plan, config);
  if (bad.length) throw new Error(`planner bug: ${bad.join('; ')}`);
  const violations = checkSafety(plan, config, observed);
  if (violations.length) throw new SafetyViolation(violations);
  return plan;
}
