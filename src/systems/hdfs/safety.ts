/**
 * The HDFS snapshot floors (docs/architecture.md, "Safety"). Retention (./plan.ts) receives them
 * as KeepRules, so a plan never proposes what they protect; and `hdfsDeleteChecker` re-checks
 * every snapshot delete of a finished plan against them, so a plan that would break one is an
 * error, never a warning.
 *
 * Floors for a snapshot directory X:
 *   foreign              never delete a snapshot whose name is not hbr's
 *   last-recovery-point  never delete the newest observed hbr snapshot of X (one this plan creates does not count)
 *   newest-common        never delete the newest snapshot common to a DR pair X belongs to (either side)
 *   not-replicated       on a replicating source: never delete an hbr snapshot newer than the newest
 *                        common with some target (all of them, while a target has none in common)
 *   planned              never delete a snapshot this plan creates
 *   in-use               never delete a snapshot a step of the plan reads (from/to/base snapshot)
 *   failed-over          never delete any snapshot on either side of a failed-over pair (the DR
 *                        target carries the failover mark: docs/failover.md) until it fails back
 * and, for the plan as a whole:
 *   delete-order         a delete on X runs after every other step of the plan on X and on X's DR
 *                        targets (a delete never runs before the new snapshot / new common exists)
 *   unverifiable         a delete whose floors cannot be evaluated (X or a DR partner not observed,
 *                        no policy manages X, no snapshot named) is refused
 */
import { dirKey, type Observed, type ObservedDir } from '../../model/observed.js';
import { isHbrSnapshot, parseSnapshotName, trustedUntil } from '../../model/names.js';
import type { Plan, Step } from '../../model/plan.js';
import type { Config, Keep } from '../../model/policy.js';
import { holdsOn } from '../../planner/builder.js';
import { checkNow, type Floor } from '../../planner/safety.js';
import { newestCommon, newestHbr, snapshotNames } from '../../hadoop/snapshots.js';
import type { DeleteChecker } from '../types.js';
import { isHdfsPolicy, isHdfsStep, KIND, type HdfsLocation, type HdfsSnapshotPolicy, type HdfsStep } from './types.js';

/** How a policy involves a directory. */
export interface DirRole {
  policy: HdfsSnapshotPolicy;
  role: 'source' | 'target';
  /** the retention that side declares */
  keep: Keep;
  /** the other side of each DR pair: the targets of a source, the source of a target */
  partners: HdfsLocation[];
}

export function hdfsPolicies(config: Config): HdfsSnapshotPolicy[] {
  return Object.values(config.policies)
    .filter(isHdfsPolicy)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Roles by directory, built once per Config object (a pure memo: a Config is never mutated). */
const roleIndex = new WeakMap<Config, Map<string, DirRole[]>>();

function rolesByDir(config: Config): Map<string, DirRole[]> {
  let index = roleIndex.get(config);
  if (index) return index;
  index = new Map();
  const add = (l: HdfsLocation, role: DirRole) => {
    const k = dirKey(l.cluster, l.path);
    const here = index!.get(k);
    if (here) here.push(role);
    else index!.set(k, [role]);
  };
  for (const policy of hdfsPolicies(config)) {
    add(policy.source, { policy, role: 'source', keep: policy.snapshots.keep, partners: policy.replicate.map((r) => r.to) });
    for (const r of policy.replicate) add(r.to, { policy, role: 'target', keep: r.keep, partners: [policy.source] });
  }
  roleIndex.set(config, index);
  return index;
}

/** Every role the config's policies give directory (cluster, path), by policy name. */
export function rolesOf(cluster: string, path: string, config: Config): DirRole[] {
  return rolesByDir(config).get(dirKey(cluster, path)) ?? [];
}

/** The directory a step acts on. */
export function stepDir(step: Step): string {
  return dirKey(step.target.cluster, step.target.path);
}

/**
 * The directories whose steps a delete on (cluster, path) must wait for: the directory itself and,
 * where it is a DR source, its targets (so the new common snapshot exists before anything goes).
 */
export function deleteMustFollow(cluster: string, path: string, config: Config): Set<string> {
  const dirs = new Set<string>([dirKey(cluster, path)]);
  for (const role of rolesOf(cluster, path, config)) {
    if (role.role === 'source') for (const t of role.partners) dirs.add(dirKey(t.cluster, t.path));
  }
  return dirs;
}

export interface DirFloors {
  floors: Floor[];
  /** reasons the floors cannot be evaluated; non-empty → no delete on this directory is safe */
  unverifiable: string[];
}

const loc = (l: HdfsLocation): string => `${l.cluster}:${l.path}`;

/**
 * The floors protecting snapshots of directory (cluster, path), given the config, the observed
 * state and the (non-delete) steps of a plan.
 */
export function floorsFor(cluster: string, path: string, config: Config, observed: Observed, steps: readonly Step[], now: number): DirFloors {
  const key = dirKey(cluster, path);
  const here = `${cluster}:${path}`;
  const floors: Floor[] = [];
  const unverifiable: string[] = [];
  const dir: ObservedDir | undefined = observed.dirs[key];
  const roles = rolesOf(cluster, path, config);
  if (!dir) unverifiable.push(`${here} was not observed`);
  if (roles.length === 0) unverifiable.push(`no policy manages ${here}`);

  floors.push({ rule: 'foreign', why: 'foreign snapshot (not hbr-owned)', protects: (n) => !isHbrSnapshot(n) });
  floors.push({ rule: 'future', why: 'named in the future (not trusted: check the clocks)', protects: (n) => (parseSnapshotName(n) ?? -Infinity) > trustedUntil(now) });

  const live = steps.filter((s): s is HdfsStep => isHdfsStep(s) && s.kind !== KIND.delete);
  const planned = new Set(
    live.filter((s) => s.kind === KIND.create && stepDir(s) === key && s.target.snapshot).map((s) => s.target.snapshot as string),
  );
  floors.push({ rule: 'planned', why: 'created by this plan', protects: (n) => planned.has(n) });

  // Observed snapshots only: a snapshot this plan means to create is not a recovery point yet (its
  // copy may fail, or be held), so it never lets an observed one go.
  const until = trustedUntil(now);
  const newest = newestHbr(snapshotNames(dir), until);
  if (newest) {
    floors.push({
      rule: 'last-recovery-point',
      why: `newest hbr snapshot of ${here} (last recovery point)`,
      protects: (n) => n === newest.name,
    });
  }

  const used = new Set<string>();
  for (const s of live) {
    const touches = stepDir(s) === key || (s.params.source !== undefined && dirKey(s.params.source.cluster, s.params.source.path) === key);
    if (!touches) continue;
    for (const n of [s.params.fromSnapshot, s.params.toSnapshot, s.params.baseSnapshot]) if (n) used.add(n);
  }
  floors.push({ rule: 'in-use', why: 'read by a step of this plan', protects: (n) => used.has(n) });

  for (const role of roles) {
    for (const partner of role.partners) {
      const other = observed.dirs[dirKey(partner.cluster, partner.path)];
      if (!other) {
        unverifiable.push(`${role.role === 'source' ? 'DR target' : 'DR source'} ${loc(partner)} of policy ${role.policy.name} was not observed`);
        continue;
      }
      // The mark is on the DR side: while it is there, the copy back needs the common snapshot on both sides.
      const drSide = role.role === 'source' ? other : dir;
      const src = role.role === 'source' ? here : loc(partner);
      if (drSide?.failedOverFrom === src) {
        floors.push({ rule: 'failed-over', why: `the pair ${src} -> ${role.role === 'source' ? loc(partner) : here} is failed over (policy ${role.policy.name}): nothing is deleted until it fails back`, protects: () => true });
      }
      const common = role.role === 'source' ? newestCommon(dir, other, until) : newestCommon(other, dir, until);
      if (common) {
        floors.push({
          rule: 'newest-common',
          why: `newest snapshot common with ${loc(partner)} (policy ${role.policy.name})`,
          protects: (n) => n === common.name,
        });
      }
      if (role.role === 'source') {
        floors.push({
          rule: 'not-replicated',
          why: common
            ? `not yet replicated to ${loc(partner)} (newer than the common ${common.name})`
            : `not yet replicated to ${loc(partner)} (no snapshot in common yet)`,
          protects: (n) => {
            const t = parseSnapshotName(n);
            return t !== undefined && (common === undefined || t > common.time);
          },
        });
      }
    }
  }
  return { floors, unverifiable };
}

/**
 * The checker `checkSafety` (src/planner/check.ts) runs on every HDFS snapshot delete of a
 * finished plan: the floors of its directory, and the delete-order rule. Indexes are built once
 * per plan, so each delete looks only at the steps of the directories that matter to it (a plan
 * of 100,000 snapshots has tens of thousands of deletes).
 */
export function hdfsDeleteChecker(plan: Plan, config: Config, observed: Observed): DeleteChecker {
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
    if (s.kind !== KIND.delete) push(liveByDir, stepDir(s), s);
    push(touching, stepDir(s), s);
    const src = isHdfsStep(s) ? s.params.source : undefined;
    if (src) push(touching, dirKey(src.cluster, src.path), s);
  }
  const mustCache = new Map<string, Set<string>>();
  const holds = plan.holds ?? [];

  return (step, violation) => {
    const { cluster, path, snapshot } = step.target;
    if (step.kind !== KIND.delete || snapshot === undefined) {
      violation('unverifiable', 'not a snapshot delete the safety rules know');
      return;
    }
    const key = dirKey(cluster, path);
    for (const h of holdsOn(holds, `${cluster}:${path}`)) violation('held', `the pair ${h.source} -> ${h.target} is held (${h.reason}): nothing there is deleted until the operator decides`);
    let f = cache.get(key);
    if (!f) {
      f = floorsFor(cluster, path, config, observed, touching.get(key) ?? [], checkNow(plan, observed));
      cache.set(key, f);
    }
    for (const why of f.unverifiable) violation('unverifiable', why);
    for (const floor of f.floors) if (floor.protects(snapshot)) violation(floor.rule, floor.why);

    let must = mustCache.get(key);
    if (!must) {
      must = deleteMustFollow(cluster, path, config);
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
