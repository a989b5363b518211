/** Accumulates the steps and warnings of a plan; keeps step ids unique and dependencies first. */
import type { PlanWarning, Step } from '../model/plan.js';

export class PlanBuilder {
  readonly steps: Step[] = [];
  readonly warnings: PlanWarning[] = [];
  private readonly byId = new Map<string, Step>();
  private readonly warned = new Set<string>();

  /**
   * Adds a step (dependencies must already be in the plan) and returns its id. A step whose id is
   * already planned (two policies asking for the same thing) is not added twice.
   */
  add(step: Step): string {
    const existing = this.byId.get(step.id);
    if (existing) return existing.id;
    const dependsOn = [...new Set(step.dependsOn)].filter((id) => id !== step.id);
    for (const id of dependsOn) {
      if (!this.byId.has(id)) throw new Error(`planner bug: step ${step.id} depends on ${id}, which is not planned before it`);
    }
    const s: Step = { ...step, dependsOn };
    this.steps.push(s);
    this.byId.set(s.id, s);
    return s.id;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  warn(message: string, policy?: string): void {
    const key = `${policy ?? ''}\u0000${message}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warnings.push(policy !== undefined ? { policy, message } : { message });
  }
}
