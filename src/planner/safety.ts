/**
 * The safety framework (docs/architecture.md, "Safety"): the rules' names, the error a plan that
 * breaks one raises, and the Floor a system hands to retention as a KeepRule. The floors
 * themselves belong to each system (src/systems/<name>/safety.ts); `checkSafety`
 * (src/planner/check.ts) re-checks every delete of a finished plan against its system's floors,
 * and refuses a delete no system vouches for (default deny).
 *
 * Rules a system's floors use:
 *   foreign              never delete what hbr does not own (a name or checksum not hbr's)
 *   last-recovery-point  never delete the newest recovery point
 *   newest-common        never delete the newest snapshot common to a DR pair (either side)
 *   not-replicated       never delete what is not yet replicated
 *   planned              never delete what this plan creates
 *   in-use               never delete what a step of this plan reads
 *   delete-order         a delete runs after the steps that make its replacement
 *   unverifiable         a delete whose floors cannot be evaluated is refused
 *   future               never delete what is named in the future (a name hbr cannot trust)
 *   held                 never delete on either side of a pair held for the operator (diverged, mass change)
 *   referenced           never delete a block a kept manifest (or the plan's new one) references (blocks)
 *   grace                never delete a block younger than the policy's gc_grace (blocks)
 *   unfinished           never collect garbage while a run is unfinished (blocks)
 */
export type SafetyRule =
  | 'foreign'
  | 'last-recovery-point'
  | 'newest-common'
  | 'not-replicated'
  | 'planned'
  | 'in-use'
  | 'delete-order'
  | 'unverifiable'
  | 'held'
  | 'future'
  | 'failed-over'
  | 'referenced'
  | 'grace'
  | 'unfinished';

export interface SafetyViolationDetail {
  rule: SafetyRule;
  stepId: string;
  policy: string;
  cluster: string;
  path: string;
  snapshot?: string;
  message: string;
}

export class SafetyViolation extends Error {
  readonly details: SafetyViolationDetail[];
  constructor(details: SafetyViolationDetail[]) {
    const first = details[0];
    const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
    super(first ? `unsafe plan: ${first.message}${more}` : 'unsafe plan');
    this.name = 'SafetyViolation';
    this.details = details;
  }
}

export interface Floor {
  rule: SafetyRule;
  /** why it protects, for messages */
  why: string;
  protects(snapshot: string): boolean;
}


/**
 * The "now" a safety check judges names by: the time of the observation it checks against (a saved
 * plan's own createdAt is only data in a file), or the plan's when no observation time is known.
 */
export function checkNow(plan: { createdAt: number }, observed: { at: number }): number {
  return observed.at > 0 ? observed.at : plan.createdAt;
}
