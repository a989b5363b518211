/**
 * The Ozone bucket floors: the shared snapshot floors and delete checker
 * (src/planner/snapshot-floors.ts, the same rules as HDFS's) with Ozone's roles and step params.
 * Retention (./plan.ts) receives the floors as keep-rules; `ozoneDeleteChecker` re-checks every
 * delete of a finished plan, so a plan that breaks one is an error.
 */
import { LOWER_CASE_NAMING } from '../../model/names.js';
import { dirKey, type Observed } from '../../model/observed.js';
import type { Plan, Step } from '../../model/plan.js';
import type { Config } from '../../model/policy.js';
import { snapshotDeleteChecker, snapshotFloors, type DirFloors, type SideRole } from '../../planner/snapshot-floors.js';
import type { DeleteChecker } from '../types.js';
import { bucketOfSide, isOzonePolicy, isOzoneStep, KIND, pairFor } from './types.js';

/** Every role the config's Ozone policies give bucket (cluster, path), a volume policy's buckets included. */
export function bucketRoles(cluster: string, path: string, config: Config): SideRole[] {
  const out: SideRole[] = [];
  for (const p of Object.values(config.policies).filter(isOzonePolicy)) {
    const mine = bucketOfSide(p, { cluster, path });
    if (!mine) continue;
    const { source, targets } = pairFor(p, mine.bucket);
    if (mine.role === 'source') out.push({ policy: p.name, role: 'source', partners: targets.map((t) => t.side) });
    else out.push({ policy: p.name, role: 'target', partners: [source] });
  }
  return out;
}

/** A delete on a bucket waits for every other step on it and, on a source, on its targets (the new common snapshot). */
export function mustFollow(cluster: string, path: string, config: Config): Set<string> {
  const out = new Set([dirKey(cluster, path)]);
  for (const r of bucketRoles(cluster, path, config)) if (r.role === 'source') for (const t of r.partners) out.add(dirKey(t.cluster, t.path));
  return out;
}

export function bucketFloors(cluster: string, path: string, config: Config, observed: Observed, steps: readonly Step[], now: number): DirFloors {
  const key = dirKey(cluster, path);
  const planned = new Set<string>();
  const used = new Set<string>();
  for (const s of steps) {
    if (!isOzoneStep(s) || s.kind === KIND.delete) continue;
    const on = dirKey(s.target.cluster, s.target.path) === key;
    if (on && s.kind === KIND.create && s.target.snapshot) planned.add(s.target.snapshot);
    const src = s.params.source;
    if (on || (src && dirKey(src.cluster, src.path) === key)) for (const n of [s.params.fromSnapshot, s.params.toSnapshot]) if (n) used.add(n);
  }
  return snapshotFloors({ cluster, path, observed, roles: bucketRoles(cluster, path, config), planned, used, now, parse: LOWER_CASE_NAMING.parse });
}

export function ozoneDeleteChecker(plan: Plan, config: Config, observed: Observed): DeleteChecker {
  return snapshotDeleteChecker(plan, observed, {
    deleteKind: KIND.delete,
    sourceOf: (s) => (isOzoneStep(s) ? s.params.source : undefined),
    floorsFor: (cluster, path, steps, now) => bucketFloors(cluster, path, config, observed, steps, now),
    mustFollow: (cluster, path) => mustFollow(cluster, path, config),
  });
}
