/**
 * Recovery points of an Ozone policy: the newest hbr snapshot of the source bucket, and on the DR
 * side the newest one common with the source (the oldest of those across targets), as HDFS's
 * (src/systems/hdfs/recovery.ts) for a pair that is not failed over.
 */
import { futureNames, hbrNewestFirst, newestCommon, snapshotNames } from '../../hadoop/snapshots.js';
import { LOWER_CASE_NAMING, trustedUntil } from '../../model/names.js';
import { dirKey, type Observed } from '../../model/observed.js';
import { recoveryPoint, type RecoveryPoint } from '../../model/recovery.js';
import { bucketsOf, pairFor, type BucketPair, type OzonePart, type OzonePolicy } from './types.js';

const { parse } = LOWER_CASE_NAMING;

export function ozonePoints(p: OzonePolicy, observed: Observed, now: number): RecoveryPoint[] {
  const buckets = bucketsOf(p, observed.parts?.ozone as OzonePart | undefined);
  if (!buckets) return [];
  // a volume policy's site is as old as its oldest bucket's newest copy (a bucket with none: none)
  const worst = (points: RecoveryPoint[]): RecoveryPoint[] => {
    const out: RecoveryPoint[] = [];
    for (const site of ['source', 'dr'] as const) {
      const at = points.filter((x) => x.site === site);
      // a bucket not observed at this site: a partial answer could only look better than the truth
      if (at.length < buckets.length || !at.length) continue;
      const none = at.some((x) => x.newestAt === undefined);
      const oldest = none ? undefined : Math.min(...at.map((x) => x.newestAt!));
      const future = at.reduce((n, x) => n + (x.future ?? 0), 0);
      const r = recoveryPoint(p.name, site, oldest, at.reduce((n, x) => n + x.count, 0), p.rpo, now);
      out.push(future ? { ...r, future } : r);
    }
    return out;
  };
  return worst(buckets.flatMap((b) => bucketPoints(p, pairFor(p, b), observed, now)));
}

function bucketPoints(p: OzonePolicy, pair: BucketPair, observed: Observed, now: number): RecoveryPoint[] {
  const until = trustedUntil(now);
  const { source, targets } = pair;
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
