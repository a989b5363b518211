/** Questions the HDFS planner rules ask of the steps planned so far. */
import type { PlanBuilder } from '../../planner/builder.js';
import { KIND } from './types.js';

/** ids of the planned non-delete steps acting on directory `key` (dirKey), in plan order */
export function stepsOn(b: PlanBuilder, key: string): string[] {
  return b.stepsAt(key).filter((s) => s.kind !== KIND.delete).map((s) => s.id);
}

/** snapshot name → id of the step creating it, for the creates planned on directory `key` */
export function createdOn(b: PlanBuilder, key: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of b.stepsAt(key)) {
    if (s.kind === KIND.create && s.target.snapshot) out.set(s.target.snapshot, s.id);
  }
  return out;
}
