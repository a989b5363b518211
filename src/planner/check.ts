/**
 * `checkSafety`: every delete of a finished plan, checked against the floors of the system that
 * owns its kind (docs/architecture.md, "Safety"). A delete of a kind no system vouches for is
 * refused: default deny. An empty list means the plan is safe.
 */
import type { Observed } from '../model/observed.js';
import { Action, type Plan } from '../model/plan.js';
import type { Config } from '../model/policy.js';
import { systemForKind, SYSTEMS } from '../systems/index.js';
import type { DeleteChecker } from '../systems/types.js';
import type { SafetyRule, SafetyViolationDetail } from './safety.js';

/** Every delete step of `plan` checked against its system's floors. */
export function checkSafety(plan: Plan, config: Config, observed: Observed): SafetyViolationDetail[] {
  const out: SafetyViolationDetail[] = [];
  const checkers = new Map<string, DeleteChecker>();
  for (const step of plan.steps) {
    const system = systemForKind(step.kind);
    // A step is a delete when it says so, or when its kind is one its system checks as a delete.
    const isDelete = step.action === Action.Delete || (system?.deletes?.includes(step.kind) ?? false);
    if (!isDelete) continue;
    const { cluster, path, snapshot } = step.target;
    const at = `${cluster}:${path}@${snapshot ?? '?'}`;
    const violation = (rule: SafetyRule, why: string): void => {
      out.push({
        rule,
        stepId: step.id,
        policy: step.policy,
        cluster,
        path,
        ...(snapshot !== undefined ? { snapshot } : {}),
        message: `policy ${step.policy}: deleting ${at} breaks rule ${rule}: ${why}`,
      });
    };
    if (!system) {
      violation('unverifiable', `no system knows step kind ${step.kind} (${SYSTEMS.map((s) => s.name).join(', ')} do not)`);
      continue;
    }
    let check = checkers.get(system.name);
    if (!check) {
      check = system.safety(plan, config, observed);
      checkers.set(system.name, check);
    }
    check(step, violation);
  }
  return out;
}

/**
 * Every step of a plan checked by its system before it runs (a saved plan is a file anyone can
 * edit): kinds no system knows, targets and parameters that are not the policies' own. Empty = fine.
 */
export function checkSteps(plan: Plan, config: Config): string[] {
  const out: string[] = [];
  for (const step of plan.steps) {
    const system = systemForKind(step.kind);
    if (!system) {
      out.push(`step ${step.id}: no system knows kind ${step.kind}`);
      continue;
    }
    for (const p of system.checkStep(step, config)) out.push(`step ${step.id}: ${p}`);
  }
  return out;
}
