/**
 * Recovery points of an HDFS snapshot policy: the newest hbr snapshot on the source, and on the DR
 * side the newest one common with the source (the oldest of those across targets).
 */
import { dirKey, type Observed, type ObservedDir } from '../../model/observed.js';
import { recoveryPoint, type RecoveryPoint } from '../../model/recovery.js';
import { hbrNewestFirst, newestCommon, snapshotNames } from '../../hadoop/snapshots.js';
import type { HdfsSnapshotPolicy } from './types.js';

function hbrCount(dir: ObservedDir): number {
  return dir.exists ? hbrNewestFirst(snapshotNames(dir)).length : 0;
}

export function snapshotPolicyPoints(p: HdfsSnapshotPolicy, observed: Observed, now: number): RecoveryPoint[] {
  const out: RecoveryPoint[] = [];
  const source = observed.dirs[dirKey(p.source.cluster, p.source.path)];
  if (source) {
    const hbr = source.exists ? hbrNewestFirst(snapshotNames(source)) : [];
    out.push(recoveryPoint(p.name, 'source', hbr[0]?.time, hbr.length, p.rpo, now));
  }
  if (p.replicate.length > 0) {
    const targets = p.replicate.map((r) => observed.dirs[dirKey(r.to.cluster, r.to.path)]);
    // The DR recovery point is the oldest across targets: a partial answer (some targets not
    // observed) could only look better than the truth, so then the site is not reported.
    if (targets.every((t): t is ObservedDir => t !== undefined)) {
      let oldest: number | undefined;
      let none = false;
      let count = 0;
      for (const t of targets) {
        count += hbrCount(t);
        // With the source there, only a snapshot it shares counts (newestCommon). With the source
        // unobserved (down: the very case DR exists for) or gone (HDFS refuses to delete a
        // directory with snapshots, so its snapshots went with it), the newest hbr snapshot on the
        // target: hbr names a DR snapshot only after the copy into it completed.
        const newest = source?.exists ? newestCommon(source, t)?.time : t.exists ? hbrNewestFirst(snapshotNames(t))[0]?.time : undefined;
        if (newest === undefined) none = true;
        else if (oldest === undefined || newest < oldest) oldest = newest;
      }
      out.push(recoveryPoint(p.name, 'dr', none ? undefined : oldest, count, p.rpo, now));
    }
  }
  return out;
}
