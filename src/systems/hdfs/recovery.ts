/**
 * Recovery points of an HDFS snapshot policy: the newest hbr snapshot on the source, and on the DR
 * side the newest one common with the source (the oldest of those across targets).
 *
 * A failed-over pair (docs/failover.md) swaps the roles: the writable copy is the DR target, so
 * the `source` site is its newest hbr snapshot (taken there on the policy's schedule), and the `dr`
 * site is the old primary, whose copy counts only up to the newest snapshot it shares with the
 * writable copy. Described from the old primary, the source site would age past the RPO and page
 * for copies that are being made, while the missing second copy (the real loss of protection
 * until the old primary is back) would not show at all.
 */
import { dirKey, type Observed, type ObservedDir } from '../../model/observed.js';
import { recoveryPoint, type RecoveryPoint } from '../../model/recovery.js';
import { futureNames, hbrNewestFirst, newestCommon, snapshotNames } from '../../hadoop/snapshots.js';
import { trustedUntil } from '../../model/names.js';
import { failedOverTarget } from './failover.js';
import type { HdfsSnapshotPolicy } from './types.js';

function hbrCount(dir: ObservedDir, until: number): number {
  return dir.exists ? hbrNewestFirst(snapshotNames(dir), until).length : 0;
}

/** hbr names dated in the future at a site: not counted, reported (hbr_future_dated_names). */
function futureCount(dirs: Array<ObservedDir | undefined>, until: number): number {
  return dirs.reduce((n, d) => n + (d?.exists ? futureNames(snapshotNames(d), until).length : 0), 0);
}

export function snapshotPolicyPoints(p: HdfsSnapshotPolicy, observed: Observed, now: number): RecoveryPoint[] {
  const failed = failedOverTarget(p, observed);
  if (failed) return failedOverPoints(p, failed.dir, observed.dirs[dirKey(p.source.cluster, p.source.path)], now);
  const out: RecoveryPoint[] = [];
  const until = trustedUntil(now);
  const source = observed.dirs[dirKey(p.source.cluster, p.source.path)];
  if (source) {
    const hbr = source.exists ? hbrNewestFirst(snapshotNames(source), until) : [];
    out.push(withFuture(recoveryPoint(p.name, 'source', hbr[0]?.time, hbr.length, p.rpo, now), futureCount([source], until)));
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
        count += hbrCount(t, until);
        // With the source there, only a snapshot it shares counts (newestCommon). With the source
        // unobserved (down: the very case DR exists for) or gone (HDFS refuses to delete a
        // directory with snapshots, so its snapshots went with it), the newest hbr snapshot on the
        // target: hbr names a DR snapshot only after the copy into it completed.
        const newest = source?.exists ? newestCommon(source, t, until)?.time : t.exists ? hbrNewestFirst(snapshotNames(t), until)[0]?.time : undefined;
        if (newest === undefined) none = true;
        else if (oldest === undefined || newest < oldest) oldest = newest;
      }
      out.push(withFuture(recoveryPoint(p.name, 'dr', none ? undefined : oldest, count, p.rpo, now), futureCount(targets, until)));
    }
  }
  return out;
}

/**
 * Failed over: the writable DR copy is the source site; the old primary the dr site, reported only
 * when observed (a partial answer could only look better than the truth; the daemon ages the last
 * point of a site it cannot observe).
 */
function failedOverPoints(p: HdfsSnapshotPolicy, writable: ObservedDir, oldPrimary: ObservedDir | undefined, now: number): RecoveryPoint[] {
  const until = trustedUntil(now);
  const hbr = hbrNewestFirst(snapshotNames(writable), until);
  const src = { ...withFuture(recoveryPoint(p.name, 'source', hbr[0]?.time, hbr.length, p.rpo, now), futureCount([writable], until)), where: `${writable.cluster}:${writable.path}, the writable copy since the failover` };
  const out: RecoveryPoint[] = [src];
  if (oldPrimary) {
    const common = oldPrimary.exists ? newestCommon(writable, oldPrimary, until)?.time : undefined;
    const dr = withFuture(recoveryPoint(p.name, 'dr', common, hbrCount(oldPrimary, until), p.rpo, now), futureCount([oldPrimary], until));
    out.push({ ...dr, where: `${p.source.cluster}:${p.source.path}, the old primary` });
  }
  return out;
}

function withFuture(p: RecoveryPoint, future: number): RecoveryPoint {
  return future ? { ...p, future } : p;
}
