/** Recovery points of a ZooKeeper archive policy: the newest good archive in its store. */
import { storeKey, type Observed } from '../../model/observed.js';
import { recoveryPoint, type RecoveryPoint } from '../../model/recovery.js';
import { ownedArchives } from './plan.js';
import type { ZookeeperArchivePolicy } from './types.js';

export function archivePolicyPoints(p: ZookeeperArchivePolicy, observed: Observed, now: number): RecoveryPoint[] {
  const listing = observed.stores?.[storeKey(p.archive.to, p.archive.prefix)];
  if (!listing) return [];
  const owned = ownedArchives(p, listing);
  return [recoveryPoint(p.name, 'store', owned[owned.length - 1]?.time, owned.length, p.rpo, now)];
}
