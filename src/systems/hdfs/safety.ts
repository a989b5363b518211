/**
 * The HDFS snapshot floors (docs/architecture.md, "Safety"; the rules themselves are shared with
 * Ozone in src/planner/snapshot-floors.ts). Retention (./plan.ts) receives them
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
import { dirKey, type Observed } from '../../model/observed.js';
import type { Plan, Step } from '../../model/plan.js';
import type { Config, Keep } from '../../model/policy.js';
import { snapshotDeleteChecker, snapshotFloors, type DirFloors } from '../../planner/snapshot-floors.js';
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

export type { DirFloors } from '../../planner/snapshot-floors.js';

const loc = (l: HdfsLocation): string => `${l.cluster}:${l.path}`;

/**
 * The floors protecting snapshots of directory (cluster, path), given the config, the observed
 * state and the (non-delete) steps of a plan: the shared pair floors (src/planner/snapshot-floors.ts)
 * with HDFS's roles and step params, plus its own failed-over floor.
 */
export function floorsFor(cluster: string, path: string, config: Config, observed: Observed, steps: readonly Step[], now: number): DirFloors {
  const key = dirKey(cluster, path);
  const here = `${cluster}:${path}`;
  const roles = rolesOf(cluster, path, config);
  const live = steps.filter((s): s is HdfsStep => isHdfsStep(s) && s.kind !== KIND.delete);
  const planned = new Set(
    live.filter((s) => s.kind === KIND.create && stepDir(s) === key && s.target.snapshot).map((s) => s.target.snapshot as string),
  );
  const used = new Set<string>();
  for (const s of live) {
    const touches = stepDir(s) === key || (s.params.source !== undefined && dirKey(s.params.source.cluster, s.params.source.path) === key);
    if (!touches) continue;
    for (const n of [s.params.fromSnapshot, s.params.toSnapshot, s.params.baseSnapshot]) if (n) used.add(n);
  }
  return snapshotFloors({
    cluster,
    path,
    observed,
    roles: roles.map((r) => ({ policy: r.policy.name, role: r.role, partners: r.partners })),
    planned,
    used,
    now,
    // The mark is on the DR side: while it is there, the copy back needs the common snapshot on both sides.
    pairFloor: (role, partner, dir, other) => {
      const drSide = role.role === 'source' ? other : dir;
      const src = role.role === 'source' ? here : loc(partner);
      if (drSide?.failedOverFrom !== src) return undefined;
      return { rule: 'failed-over', why: `the pair ${src} -> ${role.role === 'source' ? loc(partner) : here} is failed over (policy ${role.policy}): nothing is deleted until it fails back`, protects: () => true };
    },
  });
}

/**
 * The checker `checkSafety` (src/planner/check.ts) runs on every HDFS snapshot delete of a
 * finished plan: the shared snapshot delete checker (src/planner/snapshot-floors.ts) with HDFS's
 * floors and delete order.
 */
export function hdfsDeleteChecker(plan: Plan, config: Config, observed: Observed): DeleteChecker {
  return snapshotDeleteChecker(plan, observed, {
    deleteKind: KIND.delete,
    sourceOf: (s) => (isHdfsStep(s) ? s.params.source : undefined),
    floorsFor: (cluster, path, steps, now) => floorsFor(cluster, path, config, observed, steps, now),
    mustFollow: (cluster, path) => deleteMustFollow(cluster, path, config),
  });
}
