/**
 * Pure: a policy's backups as chains and recovery points (docs/hbase.md, "Chains"). HBase restores
 * an incremental by restoring the full it builds on and every incremental between (RestoreTablesClient
 * walks the image's ancestors); an incremental builds on the newest COMPLETE full of its root before
 * it, so a FAILED or CANCELLED full starts no chain. A recovery point is a COMPLETE backup whose image
 * verifies, in a chain whose full and earlier incrementals all verify.
 */
import { trustedUntil } from '../../model/names.js';
import type { HbaseBackupPolicy, HbasePolicyObserved, ObservedBackup } from './types.js';

export interface Chain {
  full: ObservedBackup;
  /** COMPLETE incrementals after the full, before the next COMPLETE full, oldest first */
  incrementals: ObservedBackup[];
  /** the full and the incrementals before the first bad one: what can be restored */
  good: ObservedBackup[];
  /** the first COMPLETE member whose image does not verify, if any */
  broken?: ObservedBackup;
}

/** The policy's tables as the policy declares them (a namespace's: as observed). */
export function policyTables(p: HbaseBackupPolicy, o: HbasePolicyObserved): string[] {
  return p.hbase.tables ?? o.tables;
}

const covers = (b: ObservedBackup, tables: readonly string[]): boolean => tables.every((t) => b.tables.includes(t));

/** Backups dated at or before `now`'s trusted horizon, oldest first; the others are reported, never trusted. */
export function trusted(o: HbasePolicyObserved, now: number): { backups: ObservedBackup[]; future: ObservedBackup[] } {
  const until = trustedUntil(now);
  return { backups: o.backups.filter((b) => b.startTs <= until), future: o.backups.filter((b) => b.startTs > until) };
}

/** The chains of COMPLETE backups, oldest first (incrementals before any COMPLETE full are orphans, not chained). */
export function chainsOf(backups: readonly ObservedBackup[]): Chain[] {
  const chains: Chain[] = [];
  for (const b of [...backups].sort((x, y) => x.startTs - y.startTs)) {
    if (b.state !== 'COMPLETE') continue;
    if (b.type === 'FULL') chains.push({ full: b, incrementals: [], good: [] });
    else chains[chains.length - 1]?.incrementals.push(b);
  }
  for (const c of chains) {
    for (const b of [c.full, ...c.incrementals]) {
      if (b.image !== 'ok') { c.broken = b; break; }
      c.good.push(b);
    }
  }
  return chains;
}

/** The newest recovery point covering `tables`, and how many there are. */
export function recoveryPointsOf(chains: readonly Chain[], tables: readonly string[]): { newest?: ObservedBackup; count: number } {
  const good = chains.flatMap((c) => c.good).filter((b) => covers(b, tables)).sort((a, b) => a.startTs - b.startTs);
  return { ...(good.length ? { newest: good[good.length - 1] } : {}), count: good.length };
}

/** The chain new incrementals extend: the newest chain, if its full covers the tables and nothing in it is broken. */
export function currentChain(chains: readonly Chain[], tables: readonly string[]): Chain | undefined {
  const c = chains[chains.length - 1];
  return c && !c.broken && c.good.length > 0 && covers(c.full, tables) ? c : undefined;
}
