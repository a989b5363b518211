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
  const byPolicy = new Map<string, Step[]>();
  for (const s of plan.steps) byPolicy.set(s.policy, [...(byPolicy.get(s.policy) ?? []), s]);
  const kindWidth = Math.max(...plan.steps.map((s) => s.kind.length));
  for (const [policy, steps] of byPolicy) {
    out.push(`  # policy ${policy}`);
    for (const s of steps) {
      out.push(`  ${s.action} ${s.kind.padEnd(kindWidth)}  ${describeTarget(s)}`);
      out.push(`  ${' '.repeat(kindWidth + 4)}${s.reason}${estimate(s)}`);
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
