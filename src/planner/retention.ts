/**
 * Retention, built like zrepl's pruning (internal/pruning/pruning.go): a list of small KeepRules,
 * each returning the set of snapshots it keeps. A snapshot is destroyed only if NO rule keeps it
 * (every rule agrees to destroy); with no rules at all, nothing is destroyed.
 *
 * The policy's own rules (keep-last-n, keep-GFS) live here; each system's safety floors
 * (src/systems/<name>/safety.ts) are handed to `prune` as KeepRules too (`keepWhere`).
 *
 * Retention knows nothing of names: a candidate carries its time (from its name, parsed by its
 * system) and what it depends on, so snapshots, archives, block manifests and backup chains all
 * use the same rules.
 */
import type { Keep } from '../model/policy.js';

/**
 * A recovery point retention looks at: observed, or planned in this plan (a planned one is never
 * destroyed).
 */
export interface Candidate {
  /** its identity: a snapshot name, an object key, a backup id */
  name: string;
  /** the time its name encodes, ms since epoch; undefined = not hbr's (the GFS rules never count it) */
  time: number | undefined;
  planned: boolean;
  /**
   * names of candidates it cannot be restored without (an incremental backup's parent): whatever a
   * rule keeps, `prune` keeps what it depends on too.
   */
  dependsOn?: readonly string[];
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
  // A kept candidate keeps what it depends on (transitively): a chain is restored whole or not at all.
  const byName = new Map(snapshots.map((s) => [s.name, s]));
  const stack = [...keptBy.keys()];
  while (stack.length) {
    for (const dep of byName.get(stack.pop()!)?.dependsOn ?? []) {
      const by = keptBy.get(dep);
      if (by) {
        if (!by.includes('dependency')) by.push('dependency');
        continue;
      }
      keptBy.set(dep, ['dependency']);
      stack.push(dep);
    }
  }
  return { destroy: snapshots.filter((s) => !keptBy.has(s.name)), keptBy };
}

function hbrNewestFirst(snapshots: readonly Candidate[]): Array<{ name: string; time: number }> {
  const out: Array<{ name: string; time: number }> = [];
  for (const s of snapshots) if (s.time !== undefined) out.push({ name: s.name, time: s.time });
  return out.sort((a, b) => b.time - a.time);
}

/** keep-last-n: the n newest hbr-owned candidates (by the time in their names). */
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
