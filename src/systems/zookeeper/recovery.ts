/** Recovery points of a ZooKeeper archive policy: the newest good archive in its store. */
import { storeKey, type Observed } from '../../model/observed.js';
import { recoveryPoint, type RecoveryPoint } from '../../model/recovery.js';
import { futureArchives, ownedArchives } from './plan.js';
import { trustedUntil } from '../../model/names.js';
import type { ZookeeperArchivePolicy } from './types.js';

export function archivePolicyPoints(p: ZookeeperArchivePolicy, observed: Observed, now: number): RecoveryPoint[] {
  const listing = observed.stores?.[storeKey(p.archive.to, p.archive.prefix)];
  if (!listing) return [];
  const until = trustedUntil(now);
  const owned = ownedArchives(p, listing, until);
  const point = recoveryPoint(p.name, 'store', owned[owned.length - 1]?.time, owned.length, p.rpo, now);
  const future = futureArchives(p, listing, until).length;
  return [future ? { ...point, future } : point];
}
