/** Accumulates the steps and warnings of a plan; keeps step ids unique and dependencies first. */
import { stripUserinfo } from '../model/errors.js';
import { dirKey } from '../model/observed.js';
import type { Protection } from '../model/audit.js';
import type { PlanHold, PlanRequest, PlanWarning, Step } from '../model/plan.js';

export class PlanBuilder {
  readonly steps: Step[] = [];
  readonly warnings: PlanWarning[] = [];
  /** lines for the reader that are neither steps nor problems (Plan.notes) */
  readonly notes: PlanWarning[] = [];
  readonly holds: PlanHold[] = [];
  /** targets (`cluster:path`) whose overwrite the operator allowed for this plan */
  private readonly allowed: ReadonlySet<string>;

  /** the operator's requests (PlanRequest) and which a system took */
  private readonly requests: readonly PlanRequest[];
  private readonly taken = new Set<PlanRequest>();

  /**
   * What every policy of the config protects, and how (System.protects of every system, collected
   * by the core): read-only input for an audit's "protected by nothing" check (docs/audit.md).
   */
  readonly protections: readonly Protection[];

  constructor(opts: { allowOverwrite?: readonly string[]; requests?: readonly PlanRequest[]; protections?: readonly Protection[] } = {}) {
    this.allowed = new Set(opts.allowOverwrite ?? []);
    this.requests = opts.requests ?? [];
    this.protections = opts.protections ?? [];
  }

  /** The operator's request `verb` for `policy`, if any; the system that asks takes it. */
  request(policy: string, verb: string): PlanRequest | undefined {
    const r = this.requests.find((x) => x.policy === policy && x.verb === verb);
    if (r) this.taken.add(r);
    return r;
  }

  /** Requests no system took (the caller reports them). */
  untaken(): PlanRequest[] {
    return this.requests.filter((r) => !this.taken.has(r));
  }

  /** Did the operator allow overwriting `target` (`cluster:path`) in this plan? */
  allowsOverwrite(target: string): boolean {
    return this.allowed.has(target);
  }

  /** policies that could not be planned at all (what they need was not observed) */
  readonly unplanned: string[] = [];

  /** Records that `policy` could not be planned, with the warning that says why. */
  notPlanned(policy: string, message: string): void {
    this.warn(message, policy);
    if (!this.unplanned.includes(policy)) this.unplanned.push(policy);
  }

  /** Holds a pair for the operator (its steps are left out by the caller). */
  hold(h: PlanHold): void {
    if (!this.holds.some((x) => x.policy === h.policy && x.target === h.target)) this.holds.push({ ...h, message: stripUserinfo(h.message) });
  }

  /** The holds that freeze deletes on `dir` (`cluster:path`): its own as a target; both sides' for a mass change. */
  holdsOn(dir: string): PlanHold[] {
    return holdsOn(this.holds, dir);
  }
  private readonly byId = new Map<string, Step>();
  private readonly warned = new Set<string>();
  /** steps by the directory they act on (dirKey of the target), in plan order */
  private readonly byDir = new Map<string, Step[]>();

  /**
   * The steps acting on directory `key` (dirKey(cluster, path) of their target), in plan order: a
   * system asks this instead of scanning every step (a plan of 100,000 snapshots has tens of
   * thousands of steps, and each directory asks several times).
   */
  stepsAt(key: string): readonly Step[] {
    return this.byDir.get(key) ?? [];
  }

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
    const key = dirKey(s.target.cluster, s.target.path);
    const here = this.byDir.get(key);
    if (here) here.push(s);
    else this.byDir.set(key, [s]);
    return s.id;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** A warning for the plan (shown, saved in plan files, logged): a URL's userinfo is stripped from it. */
  warn(text: string, policy?: string): void {
    const message = stripUserinfo(text);
    const key = `${policy ?? ''}\u0000${message}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warnings.push(policy !== undefined ? { policy, message } : { message });
  }

  /** A note for the plan's reader (Plan.notes), e.g. when the next backup is due. */
  note(text: string, policy: string): void {
    this.notes.push({ policy, message: stripUserinfo(text) });
  }
}

/** The holds that freeze deletes on `dir` (`cluster:path`): a held target's, and both sides' of a held mass change. */
export function holdsOn(holds: readonly PlanHold[], dir: string): PlanHold[] {
  return holds.filter((h) => h.target === dir || (h.reason === 'mass-change' && h.source === dir));
}
