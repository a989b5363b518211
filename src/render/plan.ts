/**
 * Plan → text for a person (in the Terraform manner: one line per step with its +/-/~ marker,
 * the reason and the estimate, then a summary line) and → JSON for machines.
 */
import type { Observed } from '../model/observed.js';
import { Action, type Plan, type Step } from '../model/plan.js';
import { formatBytes } from '../model/format.js';
import { systemForKind } from '../systems/index.js';

export { formatBytes } from '../model/format.js';

/** `cluster:path[@snapshot]`, and what it comes from where the step's system says (`<- source`). */
export function describeTarget(step: Step): string {
  const t = `${step.target.cluster}:${step.target.path}${step.target.snapshot ? `@${step.target.snapshot}` : ''}`;
  const from = systemForKind(step.kind)?.describeSource?.(step);
  return from ? `${t} <- ${from}` : t;
}

function estimate(step: Step): string {
  const e = step.estimate;
  if (!e || (e.bytes === undefined && e.files === undefined)) return '';
  const parts: string[] = [];
  if (e.bytes !== undefined) parts.push(formatBytes(e.bytes));
  if (e.files !== undefined) parts.push(`${e.files} file${e.files === 1 ? '' : 's'}`);
  return `  (est. ${parts.join(', ')})`;
}

export interface PlanCounts {
  add: number;
  change: number;
  destroy: number;
}

export function countSteps(plan: Plan): PlanCounts {
  const c = { add: 0, change: 0, destroy: 0 };
  for (const s of plan.steps) {
    if (s.action === Action.Create) c.add++;
    else if (s.action === Action.Delete) c.destroy++;
    else if (s.action === Action.Replace) {
      c.add++;
      c.destroy++;
    }
    else c.change++;
  }
  return c;
}

export function renderPlanText(plan: Plan, observed?: Observed): string {
  const out: string[] = [];
  for (const e of observed?.errors ?? []) out.push(`Error: could not observe ${e.cluster}${e.path ? `:${e.path}` : ''}: ${e.message}`);
  for (const w of plan.warnings) out.push(`Warning: ${w.policy ? `[${w.policy}] ` : ''}${w.message}`);
  for (const h of plan.holds ?? []) out.push(`Error: [${h.policy}] ${h.message}`);
  for (const n of plan.notes ?? []) out.push(`Note: ${n.policy ? `[${n.policy}] ` : ''}${n.message}`);
  if (out.length) out.push('');
  if (plan.steps.length === 0) {
    const unplanned = plan.unplanned ?? [];
    const held = plan.holds ?? [];
    if (unplanned.length) {
      const n = unplanned.length;
      out.push(`No changes planned, but ${n} polic${n === 1 ? 'y' : 'ies'} could not be planned (${unplanned.join(', ')}): see the errors above.`);
    } else if (held.length) {
      out.push(`No changes planned; ${held.length} DR pair${held.length === 1 ? ' is' : 's are'} held for the operator: see the errors above.`);
    } else {
      out.push('No changes. The observed state matches the policies.');
    }
    return out.join('\n') + '\n';
  }
  out.push('hbr will perform the following actions:', '');
  // One pass to group and measure (the steps of a policy were copied into a new array at each of
  // its steps: quadratic in the steps of one policy; and Math.max(...steps) overflows the stack
  // with a few hundred thousand steps). README, issue 16.
  const byPolicy = new Map<string, Step[]>();
  let kindWidth = 0;
  for (const s of plan.steps) {
    const steps = byPolicy.get(s.policy);
    if (steps) steps.push(s);
    else byPolicy.set(s.policy, [s]);
    if (s.kind.length > kindWidth) kindWidth = s.kind.length;
  }
  const indent = `  ${' '.repeat(kindWidth + 4)}`;
  const padded = new Map<string, string>();
  for (const [policy, steps] of byPolicy) {
    out.push(`  # policy ${policy}`);
    for (const s of steps) {
      let kind = padded.get(s.kind);
      if (kind === undefined) padded.set(s.kind, (kind = s.kind.padEnd(kindWidth)));
      out.push(`  ${s.action} ${kind}  ${describeTarget(s)}`);
      out.push(`${indent}${s.reason}${estimate(s)}`);
    }
    out.push('');
  }
  const c = countSteps(plan);
  out.push(`Plan: ${c.add} to add, ${c.change} to change, ${c.destroy} to destroy.`);
  return out.join('\n') + '\n';
}

export function renderPlanJson(plan: Plan, observed?: Observed): string {
  return JSON.stringify({ ...plan, summary: countSteps(plan), observeErrors: observed?.errors ?? [] }, null, 2) + '\n';
}
