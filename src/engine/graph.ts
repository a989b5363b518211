/** The plan's dependency graph, checked before the apply loop runs it (src/engine/apply.ts). */
import type { Plan } from '../model/plan.js';

/**
 * Throws if the plan's steps are malformed, an id repeats, a dependency names no step of the
 * plan, or the dependencies form a cycle (the message shows one). Iterative: any depth.
 */
export function validatePlanGraph(plan: Plan): void {
  if (!plan || !Array.isArray(plan.steps)) throw new Error('plan has no steps array');
  const index = new Map<string, number>();
  plan.steps.forEach((s, i) => {
    if (!s || typeof s.id !== 'string' || !s.id) throw new Error(`plan step #${i + 1} has no id`);
    if (!Array.isArray(s.dependsOn) || s.dependsOn.some((d) => typeof d !== 'string')) throw new Error(`step ${s.id}: dependsOn is not a list of step ids`);
    if (!s.target || typeof s.target.cluster !== 'string' || typeof s.target.path !== 'string') throw new Error(`step ${s.id}: no target cluster and path`);
    if (index.has(s.id)) throw new Error(`plan has duplicate step id ${s.id}`);
    index.set(s.id, i);
  });
  for (const s of plan.steps) for (const d of s.dependsOn) if (!index.has(d)) throw new Error(`step ${s.id} depends on unknown step ${d}`);
  // Kahn: whatever is never freed of its dependencies lies on or behind a cycle.
  const n = plan.steps.length;
  const waiting = plan.steps.map((s) => new Set(s.dependsOn).size);
  const dependents: number[][] = plan.steps.map(() => []);
  plan.steps.forEach((s, i) => new Set(s.dependsOn).forEach((d) => dependents[index.get(d)!]!.push(i)));
  const queue = waiting.flatMap((w, i) => (w === 0 ? [i] : []));
  let freed = 0;
  while (queue.length) {
    const i = queue.pop()!;
    freed++;
    for (const j of dependents[i]!) if (--waiting[j]! === 0) queue.push(j);
  }
  if (freed === n) return;
  // Walk back along unfreed dependencies from an unfreed step until a step repeats: a cycle.
  let at = waiting.findIndex((w) => w > 0);
  const seenAt = new Map<number, number>();
  const path: number[] = [];
  while (!seenAt.has(at)) {
    seenAt.set(at, path.length);
    path.push(at);
    at = index.get(plan.steps[at]!.dependsOn.find((d) => waiting[index.get(d)!]! > 0)!)!;
  }
  const cycle = [...path.slice(seenAt.get(at)!), at].map((i) => plan.steps[i]!.id);
  throw new Error(`plan has a dependency cycle (each step depends on the next): ${cycle.join(' -> ')}`);
}
