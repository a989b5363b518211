/**
 * ZooKeeper archives in a store: a new archive when the schedule says so, and GFS retention of
 * the archives the policy owns. Pure: the store listing comes in as observed data.
 *
 * Ownership is by name: `<prefix><UTC yyyy-MM-ddTHH-mm-ssZ>.tar.gz` with a SHA-256 in its metadata
 * (hbr sets it on every upload). Anything else under the prefix is foreign and never deleted.
 */
import { archiveKey, parseArchiveKey, trustedUntil } from '../../model/names.js';
import { iso } from '../../model/format.js';
import { storeKey, type Observed, type ObservedStorePrefix } from '../../model/observed.js';
import { Action, stepId } from '../../model/plan.js';
import type { PlanBuilder } from '../../planner/builder.js';
import { formatKeep, keepWhere, prune, rulesForKeep, type Candidate } from '../../planner/retention.js';
import { isDue } from '../../planner/schedule.js';
import { archiveFloors } from './safety.js';
import { KIND, type ArchiveParams, type ZookeeperArchivePolicy } from './types.js';

export interface OwnedArchive {
  key: string;
  time: number;
  size: number;
}

/**
 * The archives of `policy` in a listing: hbr-named for its prefix and carrying a checksum, oldest
 * first. Those dated after `notAfter` (src/model/names.ts, trustedUntil) are left out: a name from
 * the future is no recovery point.
 */
export function ownedArchives(policy: ZookeeperArchivePolicy, listing: ObservedStorePrefix, notAfter: number): OwnedArchive[] {
  const out: OwnedArchive[] = [];
  for (const o of listing.objects) {
    const time = parseArchiveKey(policy.archive.prefix, o.key);
    if (time !== undefined && o.sha256 && time <= notAfter) out.push({ key: o.key, time, size: o.size });
  }
  return out.sort((a, b) => a.time - b.time);
}

/** Keys of `policy`'s archives dated after `notAfter`: not trusted, never deleted, reported. */
export function futureArchives(policy: ZookeeperArchivePolicy, listing: ObservedStorePrefix, notAfter: number): string[] {
  return listing.objects.filter((o) => (parseArchiveKey(policy.archive.prefix, o.key) ?? -Infinity) > notAfter).map((o) => o.key);
}

export function planArchivePolicy(b: PlanBuilder, policy: ZookeeperArchivePolicy, observed: Observed, now: number): void {
  const P = policy.name;
  const { to, prefix, schedule, keep } = policy.archive;
  const listing = observed.stores?.[storeKey(to, prefix)];
  if (!listing) {
    const why = observed.errors.find((e) => e.cluster === to)?.message;
    b.notPlanned(P, `store ${to} was not observed${why ? ` (${why})` : ''}: nothing planned for this policy`);
    return;
  }
  const until = trustedUntil(now);
  const owned = ownedArchives(policy, listing, until);
  const future = futureArchives(policy, listing, until);
  if (future.length) {
    b.warn(`store ${to} has ${future.length} archive${future.length === 1 ? '' : 's'} of prefix '${prefix}' dated in the future (${future.slice(0, 3).join(', ')}; now is ${iso(now)}): not counted as recovery points and never deleted; check the clocks`, P);
  }
  const newest = owned[owned.length - 1];
  const due = isDue(schedule, newest ? { name: newest.key, time: newest.time } : undefined, now);
  if (!due.due && due.error) {
    b.warn(`schedule: ${due.error}`, P);
    return;
  }
  let planned: string | undefined;
  if (due.due) {
    const key = archiveKey(prefix, now);
    if (!listing.objects.some((o) => o.key === key)) {
      planned = key;
      b.add({
        id: stepId(KIND.archive, { cluster: to, path: key }),
        kind: KIND.archive,
        action: Action.Create,
        policy: P,
        target: { cluster: to, path: key },
        params: { zookeeper: policy.source.cluster } satisfies ArchiveParams,
        reason: due.reason.replace(/snapshot/g, 'archive'),
        dependsOn: [],
        ...(newest ? { estimate: { bytes: newest.size } } : {}),
      });
    }
  }

  // Retention: candidates carry the time their key encodes; the floors protect keys.
  const candidates: Candidate[] = owned.map((a) => ({ name: a.key, time: a.time, planned: false }));
  if (planned && !candidates.some((c) => c.name === planned)) candidates.push({ name: planned, time: now, planned: true });
  const floors = archiveFloors(policy, listing, planned, now);
  const rules = [...rulesForKeep(keep), ...floors.map((f) => keepWhere(`floor:${f.rule}`, f.protects))];
  const { destroy } = prune(candidates, rules);
  for (const c of destroy) {
    if (c.planned) continue;
    const key = c.name;
    b.add({
      id: stepId(KIND.delete, { cluster: to, path: key }),
      kind: KIND.delete,
      action: Action.Delete,
      policy: P,
      target: { cluster: to, path: key },
      params: {},
      reason: `outside keep ${formatKeep(keep)}; no safety floor holds it`,
      // Never before the new archive exists.
      dependsOn: planned ? [stepId(KIND.archive, { cluster: to, path: planned })] : [],
    });
  }
}
