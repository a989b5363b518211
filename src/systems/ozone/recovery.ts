/**
 * Recovery points of an Ozone policy: the newest hbr snapshot of the source bucket, and on the DR
 * side the newest one common with the source (the oldest of those across targets), as HDFS's
 * (src/systems/hdfs/recovery.ts) for a pair that is not failed over.
 */
import { futureNames, hbrNewestFirst, newestCommon, snapshotNames } from '../../hadoop/snapshots.js';
import { LOWER_CASE_NAMING, trustedUntil } from '../../model/names.js';
import { dirKey, type Observed } from '../../model/observed.js';
import { recoveryPoint, type RecoveryPoint } from '../../model/recovery.js';
import { pairsOf, type OzonePolicy } from './types.js';

const { parse } = LOWER_CASE_NAMING;

export function ozonePoints(p: OzonePolicy, observed: Observed, now: number): RecoveryPoint[] {
  const until = trustedUntil(now);
  const { source, targets } = pairsOf(p);
  const S = observed.dirs[dirKey(source.cluster, source.path)];
  const out: RecoveryPoint[] = [];
  const future = (n: number, r: RecoveryPoint) => (n ? { ...r, future: n } : r);
  if (S) {
    const hbr = S.exists ? hbrNewestFirst(snapshotNames(S), until, parse) : [];
    out.push(future(futureNames(snapshotNames(S), until, parse).length, recoveryPoint(p.name, 'source', hbr[0]?.time, hbr.length, p.rpo, now)));
  }
  const Ts = targets.map((t) => observed.dirs[dirKey(t.side.cluster, t.side.path)]);
  // a partial answer could only look better than the truth: the dr site only when every target was observed
  if (Ts.length && Ts.every((t) => t !== undefined)) {
    let oldest: number | undefined;
    let none = false;
    let count = 0;
    for (const T of Ts) {
      count += T!.exists ? hbrNewestFirst(snapshotNames(T), until, parse).length : 0;
      const t = S?.exists ? newestCommon(S, T, until, parse)?.time : T!.exists ? hbrNewestFirst(snapshotNames(T), until, parse)[0]?.time : undefined;
      if (t === undefined) none = true;
      else if (oldest === undefined || t < oldest) oldest = t;
    }
    out.push(recoveryPoint(p.name, 'dr', none ? undefined : oldest, count, p.rpo, now));
  }
  return out;
}
