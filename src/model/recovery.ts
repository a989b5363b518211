/**
 * Recovery points: for each policy and site, the newest good copy one could restore from, how old
 * it is, and whether that breaks the policy's RPO. Plain data and pure helpers: each system says
 * where its points are (System.recoveryPoints); src/metrics turns them into gauges.
 *
 * Times come from the names (docs/architecture.md, "Names"), never from creation times: the name
 * is the recovery point's identity, and it is what retention and the safety floors reason about.
 */

/** Where a copy lives: on the source cluster itself, on a DR cluster, or in a store. */
export type RecoverySite = 'source' | 'dr' | 'store';

export interface RecoveryPoint {
  policy: string;
  site: RecoverySite;
  /** ms since epoch of the newest good recovery point at the site; undefined = there is none */
  newestAt?: number;
  /** (now − newestAt) in seconds, never below 0 (a name ahead of the clock counts as fresh); undefined when newestAt is */
  ageSeconds?: number;
  /** recovery points hbr owns at the site (for dr: summed over the targets) */
  count: number;
  /** the policy's rpo, in seconds; undefined = the policy has none */
  rpoSeconds?: number;
  /** rpoSeconds is set and (there is no recovery point, or it is older than rpoSeconds) */
  breached: boolean;
  /** hbr names at the site dated in the future (beyond a small skew): not counted above, reported */
  future?: number;
  /** which copy the site stands for, when that is not the policy's usual one (a failed-over pair: "dr:/warehouse, the writable copy since the failover") */
  where?: string;
}

export function recoveryPoint(policy: string, site: RecoverySite, newestAt: number | undefined, count: number, rpoMs: number | undefined, now: number): RecoveryPoint {
  const ageSeconds = newestAt === undefined ? undefined : Math.max(0, (now - newestAt) / 1000);
  const rpoSeconds = rpoMs === undefined ? undefined : rpoMs / 1000;
  const breached = rpoSeconds !== undefined && (ageSeconds === undefined || ageSeconds > rpoSeconds);
  return {
    policy,
    site,
    ...(newestAt !== undefined ? { newestAt, ageSeconds } : {}),
    count,
    ...(rpoSeconds !== undefined ? { rpoSeconds } : {}),
    breached,
  };
}

/**
 * A recovery point as it stands at `now`: the same newest copy, older, breached once its age
 * passes the rpo. The daemon ages points between observations with it (and keeps aging the last
 * point of a site it cannot observe: nothing can have reached a DR cluster that is down).
 */
export function agePoint(p: RecoveryPoint, now: number): RecoveryPoint {
  if (p.newestAt === undefined) return p;
  const ageSeconds = Math.max(0, (now - p.newestAt) / 1000);
  return { ...p, ageSeconds, breached: p.rpoSeconds !== undefined && ageSeconds > p.rpoSeconds };
}
