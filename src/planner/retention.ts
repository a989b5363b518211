/**
 * Retention, built like zrepl's pruning (internal/pruning/pruning.go): a list of small KeepRules,
 * each returning the set of snapshots it keeps. A snapshot is destroyed only if NO rule keeps it
 * (every rule agrees to destroy); with no rules at all, nothing is destroyed.
 *
 * The policy's own rules (keep-last-n, keep-GFS) live here; the safety floors (keep-foreign,
 * keep-newest, keep-newest-common, keep-not-replicated, keep-planned, keep-in-use) are defined once,
 * in safety.ts, and handed to `prune` as KeepRules too.
 */
import { parseSnapshotName } from '../model/names.js';
import type { Keep } from '../model/policy.js';

/** A snapshot retention looks at: observed, or planned in this plan (a planned one is never destroyed). */
export interface Candidate {
  name: string;
  planned: boolean;
}

export interface KeepRule {
  /** short rule name, e.g. "keep-last-n", "keep-daily" */
  name: string;
  /** the names of the snapshots this rule keeps */
  keep(snapshots: readonly Candidate[]): Set<string>;
}

export interface PruneResult {
  /** the candidates no rule keeps, in input order */
  destroy: Candidate[];
  /** name → the rules that keep it */
  keptBy: Map<string, string[]>;
}

/** The zrepl contract: destroy = candidates kept by no rule; no rules → destroy nothing. */
export function prune(snapshots: readonly Candidate[], rules: readonly KeepRule[]): PruneResult {
  const keptBy = new Map<string, string[]>();
  if (rules.length === 0) return { destroy: [], keptBy };
  for (const rule of rules) {
    for (const name of rule.keep(snapshots)) {
      const by = keptBy.get(name);
      if (by) by.push(rule.name);
      else keptBy.set(name, [rule.name]);
    }
  }
  return { destroy: snapshots.filter((s) => !keptBy.has(s.name)), keptBy };
}

function hbrNewestFirst(snapshots: readonly Candidate[]): Array<{ name: string; time: number }> {
  const out: Array<{ name: string; time: number }> = [];
  for (const s of snapshots) {
    const time = parseSnapshotName(s.name);
    if (time !== undefined) out.push({ name: s.name, time });
  }
  return out.sort((a, b) => b.time - a.time);
}

/** keep-last-n: the n newest hbr snapshots (by the time in their names). */
export function keepLastN(n: number): KeepRule {
  return {
    name: 'keep-last-n',
    keep: (snaps) => new Set(hbrNewestFirst(snaps).slice(0, Math.max(0, n)).map((s) => s.name)),
  };
}

export type GfsPeriod = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';
export const GFS_PERIODS: readonly GfsPeriod[] = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'];

const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * The UTC bucket a time falls in, as an integer that grows with time. Weeks are ISO weeks
 * (Monday to Sunday): 1970-01-01 was a Thursday, so day d belongs to week floor((d + 3) / 7).
 */
export function bucketOf(period: GfsPeriod, t: number): number {
  switch (period) {
    case 'hourly':
      return Math.floor(t / HOUR);
    case 'daily':
      return Math.floor(t / DAY);
    case 'weekly':
      return Math.floor((Math.floor(t / DAY) + 3) / 7);
    case 'monthly': {
      const d = new Date(t);
      return d.getUTCFullYear() * 12 + d.getUTCMonth();
    }
    case 'yearly':
      return new Date(t).getUTCFullYear();
  }
}

/**
 * keep-GFS for one period: walk hbr snapshots newest → oldest and keep the newest snapshot of
 * each distinct bucket, until n buckets are kept.
 */
export function keepGfs(period: GfsPeriod, n: number): KeepRule {
  return {
    name: `keep-${period}`,
    keep: (snaps) => {
      const kept = new Set<string>();
      if (n <= 0) return kept;
      const buckets = new Set<number>();
      for (const s of hbrNewestFirst(snaps)) {
        const b = bucketOf(period, s.time);
        if (buckets.has(b)) continue;
        if (buckets.size >= n) break;
        buckets.add(b);
        kept.add(s.name);
      }
      return kept;
    },
  };
}

/** A rule keeping exactly the candidates `protects` says yes to (how safety floors become KeepRules). */
export function keepWhere(name: string, protects: (snapshot: string) => boolean): KeepRule {
  return { name, keep: (snaps) => new Set(snaps.filter((s) => protects(s.name)).map((s) => s.name)) };
}

/** The policy rules a `keep` spec declares: keep-last-n and one keep-GFS per period. Absent counts keep nothing. */
export function rulesForKeep(keep: Keep): KeepRule[] {
  const rules: KeepRule[] = [];
  if ((keep.last ?? 0) > 0) rules.push(keepLastN(keep.last ?? 0));
  for (const p of GFS_PERIODS) {
    const n = keep[p] ?? 0;
    if (n > 0) rules.push(keepGfs(p, n));
  }
  return rules;
}

/** "{hourly: 24, daily: 7}" in a fixed order; "{}" for nothing. */
export function formatKeep(keep: Keep): string {
  const parts: string[] = [];
  for (const k of ['last', ...GFS_PERIODS] as const) {
    const n = keep[k];
    if (n !== undefined && n > 0) parts.push(`${k}: ${n}`);
  }
  return `{${parts.join(', ')}}`;
}
