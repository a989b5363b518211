/**
 * The snapshot floors of a DR pair, shared by every system whose recovery points are named
 * snapshots of a directory replicated with `distcp -diff` (HDFS directories, Ozone buckets: both
 * are `Observed.dirs` with hbr-named snapshots, src/hadoop/snapshots.ts). A system says how its
 * policies involve a directory (roles), which snapshot names its plan creates and reads, and which
 * step kind deletes; the floors and the delete checker are the same rules for all of them
 * (docs/architecture.md, "Safety"; the rules are listed in ./safety.ts):
 *
 *   foreign              never delete a snapshot whose name is not hbr's
 *   future               never delete a name dated in the future (not trusted)
 *   planned              never delete a snapshot this plan creates
 *   last-recovery-point  never delete the newest observed hbr snapshot of the directory
 *   in-use               never delete a snapshot a step of the plan reads
 *   newest-common        never delete the newest snapshot common to a DR pair (either side)
 *   not-replicated       on a source: never delete an hbr snapshot newer than the newest common
 *   delete-order         a delete runs after every other step on its directory (and its targets)
 *   held                 nothing is deleted on either side of a pair held for the operator
 *   unverifiable         a delete whose floors cannot be evaluated is refused
 */
import { parseSnapshotName, trustedUntil } from '../model/names.js';
import { dirKey, type Observed, type ObservedDir } from '../model/observed.js';
import type { Plan, Step } from '../model/plan.js';
import { newestCommon, newestHbr, snapshotNames, type ParseName } from '../hadoop/snapshots.js';
import { holdsOn } from './builder.js';
import { checkNow, type Floor, type SafetyRule } from './safety.js';

/** One side of a DR pair: a directory (an HDFS path, an Ozone `/volume/bucket`) of a cluster. */
export interface PairSide {
  cluster: string;
  path: string;
}

/** How one policy involves a directory: as the source (partners = its targets) or a target (partner = its source). */
export interface SideRole {
  policy: string;
  role: 'source' | 'target';
  partners: readonly PairSide[];
}

export interface DirFloors {
  floors: Floor[];
  /** reasons the floors cannot be evaluated; non-empty → no delete on this directory is safe */
  unverifiable: string[];
}

export interface FloorsInput {
  cluster: string;
  path: string;
  observed: Observed;
  /** every role the config's policies give the directory */
  roles: readonly SideRole[];
  /** snapshot names this plan creates on the directory */
  planned: ReadonlySet<string>;
  /** snapshot names a step of this plan reads on the directory (from / to / base of a copy) */
  used: ReadonlySet<string>;
  now: number;
  /** how the system's hbr names read (default: HDFS's form, src/model/names.ts) */
  parse?: ParseName;
  /** a system's own floor for one pair, checked before newest-common (HDFS: failed-over) */
  pairFloor?: (role: SideRole, partner: PairSide, here: ObservedDir | undefined, other: ObservedDir) => Floor | undefined;
}

const loc = (l: PairSide): string => `${l.cluster}:${l.path}`;

/** The floors protecting the snapshots of one directory. */
export function snapshotFloors(input: FloorsInput): DirFloors {
  const { cluster, path, observed, roles, planned, used, now } = input;
  const parse = input.parse ?? parseSnapshotName;
  const here = `${cluster}:${path}`;
  const floors: Floor[] = [];
  const unverifiable: string[] = [];
  const dir: ObservedDir | undefined = observed.dirs[dirKey(cluster, path)];
  if (!dir) unverifiable.push(`${here} was not observed`);
  if (roles.length === 0) unverifiable.push(`no policy manages ${here}`);

  floors.push({ rule: 'foreign', why: 'foreign snapshot (not hbr-owned)', protects: (n) => parse(n) === undefined });
  floors.push({ rule: 'future', why: 'named in the future (not trusted: check the clocks)', protects: (n) => (parse(n) ?? -Infinity) > trustedUntil(now) });
  floors.push({ rule: 'planned', why: 'created by this plan', protects: (n) => planned.has(n) });

  // Observed snapshots only: a snapshot this plan means to create is not a recovery point yet (its
  // copy may fail, or be held), so it never lets an observed one go.
  const until = trustedUntil(now);
  const newest = newestHbr(snapshotNames(dir), until, undefined, parse);
  if (newest) floors.push({ rule: 'last-recovery-point', why: `newest hbr snapshot of ${here} (last recovery point)`, protects: (n) => n === newest.name });
  floors.push({ rule: 'in-use', why: 'read by a step of this plan', protects: (n) => used.has(n) });

  for (const role of roles) {
    for (const partner of role.partners) {
      const other = observed.dirs[dirKey(partner.cluster, partner.path)];
      if (!other) {
        unverifiable.push(`${role.role === 'source' ? 'DR target' : 'DR source'} ${loc(partner)} of policy ${role.policy} was not observed`);
        continue;
      }
      const own = input.pairFloor?.(role, partner, dir, other);
      if (own) floors.push(own);
      const common = role.role === 'source' ? newestCommon(dir, other, until, parse) : newestCommon(other, dir, until, parse);
      if (common) {
        floors.push({ rule: 'newest-common', why: `newest snapshot common with ${loc(partner)} (policy ${role.policy})`, protects: (n) => n === common.name });
      }
      if (role.role === 'source') {
        floors.push({
          rule: 'not-replicated',
          why: common ? `not yet replicated to ${loc(partner)} (newer than the common ${common.name})` : `not yet replicated to ${loc(partner)} (no snapshot in common yet)`,
          protects: (n) => {
            const t = parse(n);
            return t !== undefined && (common === undefined || t > common.time);
          },
        });
      }
    }
  }
  return { floors, unverifiable };
}

/** What a system tells the shared delete checker. */
export interface SnapshotSystemRules {
  /** the step kind that deletes a snapshot */
  deleteKind: string;
  /** the directory a step reads from besides its target (a copy's source), if any */
  sourceOf(step: Step): PairSide | undefined;
  /** the floors of a directory, given the plan's steps touching it */
  floorsFor(cluster: string, path: string, steps: readonly Step[], now: number): DirFloors;
  /** the directories whose steps a delete on (cluster, path) must wait for */
  mustFollow(cluster: string, path: string): Set<string>;
}

/**
 * The checker `checkSafety` (./check.ts) runs on every snapshot delete of a finished plan: the
 * floors of its directory, holds, and the delete-order rule. Indexes are built once per plan, so
 * each delete looks only at the steps of the directories that matter to it (a plan of 100,000
 * snapshots has tens of thousands of deletes).
 */
export function snapshotDeleteChecker(
  plan: Plan,
  observed: Observed,
  rules: SnapshotSystemRules,
): (step: Step, violation: (rule: SafetyRule, why: string) => void) => void {
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  const cache = new Map<string, DirFloors>();
  const ancestors = (step: Step): Set<string> => {
    const seen = new Set<string>();
    const stack = [...step.dependsOn];
    while (stack.length) {
      const id = stack.pop() as string;
      if (seen.has(id)) continue;
      seen.add(id);
      const dep = byId.get(id);
      if (dep) stack.push(...dep.dependsOn);
    }
    return seen;
  };
  const liveByDir = new Map<string, Step[]>(); // non-delete steps by the directory they act on
  const touching = new Map<string, Step[]>(); // steps by every directory they act on or read from
  const push = (m: Map<string, Step[]>, k: string, s: Step): void => {
    const l = m.get(k);
    if (l) l.push(s);
    else m.set(k, [s]);
  };
  for (const s of plan.steps) {
    const k = dirKey(s.target.cluster, s.target.path);
    if (s.kind !== rules.deleteKind) push(liveByDir, k, s);
    push(touching, k, s);
    const src = rules.sourceOf(s);
    if (src) push(touching, dirKey(src.cluster, src.path), s);
  }
  const mustCache = new Map<string, Set<string>>();
  const holds = plan.holds ?? [];

  return (step, violation) => {
    const { cluster, path, snapshot } = step.target;
    if (step.kind !== rules.deleteKind || snapshot === undefined) {
      violation('unverifiable', 'not a snapshot delete the safety rules know');
      return;
    }
    const key = dirKey(cluster, path);
    for (const h of holdsOn(holds, `${cluster}:${path}`)) violation('held', `the pair ${h.source} -> ${h.target} is held (${h.reason}): nothing there is deleted until the operator decides`);
    let f = cache.get(key);
    if (!f) {
      f = rules.floorsFor(cluster, path, touching.get(key) ?? [], checkNow(plan, observed));
      cache.set(key, f);
    }
    for (const why of f.unverifiable) violation('unverifiable', why);
    for (const floor of f.floors) if (floor.protects(snapshot)) violation(floor.rule, floor.why);

    let must = mustCache.get(key);
    if (!must) {
      must = rules.mustFollow(cluster, path);
      mustCache.set(key, must);
    }
    const before = ancestors(step);
    for (const d of must) {
      for (const other of liveByDir.get(d) ?? []) {
        if (!before.has(other.id)) violation('delete-order', `must run after step ${other.id}`);
      }
    }
  };
}
