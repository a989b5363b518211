/**
 * Pure: retention by whole chains (docs/hbase.md, "Retention"). The candidates are chains dated by
 * their full; the policy's keep counts say which stay; the floors keep the newest good chain (the
 * last recovery point) and the newest chain (what the next incremental builds on). A chain goes as one
 * `hbase backup delete -l <its COMPLETE members>`, and only when HBase's delete cascade stays inside it:
 * deleting a backup also drops, table by table, every later backup of the root up to the next FULL of
 * that table in any state (BackupAdminImpl.getAffectedBackupSessions, hbase-backup), so a FAILED full is
 * never deleted this way (its cascade reaches the COMPLETE incrementals of the chain before it), and a
 * delete whose cascade would reach a COMPLETE backup outside the chain is not planned.
 */
import { formatKeep, keepWhere, prune, rulesForKeep, type Candidate } from '../../planner/retention.js';
import type { Keep } from '../../model/policy.js';
import type { Chain } from './chains.js';
import type { ObservedBackup } from './types.js';

/** What deleting `id` would drop besides itself (HBase's cascade), over every session of the root. */
export function cascadeOf(id: string, sessions: readonly ObservedBackup[]): ObservedBackup[] {
  const b = sessions.find((s) => s.id === id);
  if (!b) return [];
  const later = sessions.filter((s) => s.startTs > b.startTs).sort((x, y) => x.startTs - y.startTs);
  const out = new Map<string, ObservedBackup>();
  for (const t of b.tables) {
    for (const s of later) {
      if (!s.tables.includes(t)) continue;
      if (s.type === 'FULL') break;
      out.set(s.id, s);
    }
  }
  return [...out.values()];
}

/** The COMPLETE backups outside `ids` that deleting `ids` would drop: must be empty for a delete to be planned or run. */
export function cascadeEscapes(ids: readonly string[], sessions: readonly ObservedBackup[]): ObservedBackup[] {
  const set = new Set(ids);
  const out = new Map<string, ObservedBackup>();
  for (const id of ids) for (const s of cascadeOf(id, sessions)) if (!set.has(s.id) && s.state === 'COMPLETE') out.set(s.id, s);
  return [...out.values()];
}

export function hasKeep(keep: Keep): boolean {
  return rulesForKeep(keep).length > 0;
}

/** The members `backup delete -l` is given for a chain: its full and its COMPLETE incrementals. */
export function chainIds(c: Chain): string[] {
  return [c.full.id, ...c.incrementals.map((i) => i.id)];
}

export interface ChainDelete { chain: Chain; ids: string[]; reason: string }

/** The chains to delete, and the chains retention let go but the cascade holds (with why). */
export function chainsToDelete(chains: readonly Chain[], sessions: readonly ObservedBackup[], keep: Keep, newestGood: Chain | undefined): { deletes: ChainDelete[]; held: Array<{ chain: Chain; why: string }> } {
  if (!hasKeep(keep) || chains.length === 0) return { deletes: [], held: [] };
  const newest = chains[chains.length - 1]!;
  const candidates: Candidate[] = chains.map((c) => ({ name: c.full.id, time: c.full.startTs, planned: false }));
  const rules = [
    ...rulesForKeep(keep),
    keepWhere('floor:last-recovery-point', (id) => id === newestGood?.full.id),
    keepWhere('floor:newest-chain', (id) => id === newest.full.id),
  ];
  const { destroy } = prune(candidates, rules);
  const deletes: ChainDelete[] = [];
  const held: Array<{ chain: Chain; why: string }> = [];
  for (const d of destroy) {
    const chain = chains.find((c) => c.full.id === d.name)!;
    const ids = chainIds(chain);
    const escapes = cascadeEscapes(ids, sessions);
    if (escapes.length) {
      held.push({ chain, why: `deleting it would cascade to ${escapes.map((e) => `${e.id} (${e.type.toLowerCase()})`).join(', ')}` });
      continue;
    }
    deletes.push({ chain, ids, reason: `chain of ${chain.full.id} (${ids.length} backup${ids.length === 1 ? '' : 's'}) outside keep ${formatKeep(keep)}; not the newest chain nor the last recovery point` });
  }
  return { deletes, held };
}
