/**
 * HBase backups: a full when its schedule (or a broken chain, or a changed table set) says so, else an
 * incremental when due; the plan says when the next of each is due. Pure: sessions and images come
 * in as observed data (./observe.ts), `now` is an argument. docs/hbase.md.
 */
import { CronExpressionParser } from 'cron-parser';
import { iso } from '../../model/format.js';
import type { Observed } from '../../model/observed.js';
import { Action, stepId } from '../../model/plan.js';
import type { Config, Schedule } from '../../model/policy.js';
import type { PlanBuilder } from '../../planner/builder.js';
import { isDue } from '../../planner/schedule.js';
import { chainsOf, currentChain, policyTables, trusted, type Chain } from './chains.js';
import { rootUri } from './load.js';
import { planRepair } from './plan-repair.js';
import { chainsToDelete } from './retention.js';
import { KIND, type BackupParams, type DeleteParams, type HbaseBackupPolicy, type HbaseObserved, type HbasePolicyObserved, type ObservedBackup } from './types.js';

/** When a schedule is next due after a backup dated `time` (the first cron fire after it). */
export function nextDue(s: Schedule, time: number): number | undefined {
  if (s.every !== undefined) return time + s.every;
  if (s.cron === undefined) return undefined;
  try {
    return CronExpressionParser.parse(s.cron, { currentDate: new Date(time), tz: 'UTC' }).next().getTime();
  } catch {
    return undefined;
  }
}

const describe = (b: ObservedBackup): string => `${b.id} (${b.type.toLowerCase()}, ${iso(b.startTs)})`;

/** Why a new full is needed whatever its schedule says, or undefined. */
function fullNeeded(chains: Chain[], current: Chain | undefined, tables: string[]): string | undefined {
  if (current) return undefined;
  const last = chains[chains.length - 1];
  if (!last) return 'first full backup: no COMPLETE full backup in the backup root';
  if (last.broken) return `the chain of ${last.full.id} is broken: ${describe(last.broken)} ${last.broken.image === 'bad' ? `does not verify (${last.broken.imageDetail ?? 'image differs'})` : 'has no hbr image record (hbr did not complete it)'}`;
  const missing = tables.filter((t) => !last.full.tables.includes(t));
  return `the tables changed: ${missing.join(', ')} not in full ${last.full.id}`;
}

export function planHbasePolicy(b: PlanBuilder, p: HbaseBackupPolicy, o: HbasePolicyObserved, now: number, config: Config): void {
  const P = p.name;
  const root = rootUri(config, p);
  if (!root) return;
  const { backups, future } = trusted(o, now);
  if (future.length) {
    b.warn(`${future.length} backup${future.length === 1 ? '' : 's'} in ${root} dated in the future (${future.slice(0, 3).map((x) => x.id).join(', ')}; now is ${iso(now)}): not counted as recovery points and never deleted; check the clocks`, P);
  }
  for (const x of backups) {
    if (x.state === 'COMPLETE' && x.image === 'bad') b.warn(`backup ${describe(x)} is COMPLETE but its image does not verify: ${x.imageDetail ?? ''}; it is not a recovery point`, P);
  }
  const tables = policyTables(p, o);
  if (tables.length === 0) {
    b.warn(`namespace ${p.hbase.namespace ?? ''} has no tables: nothing to back up`, P);
    return;
  }
  const chains = chainsOf(backups);
  const current = currentChain(chains, tables);
  const newestInChain = current?.good[current.good.length - 1];

  // HBase runs one backup command at a time (the lock in backup:system): a RUNNING session or a held
  // lock blocks every create. One of this root is repaired (./plan-repair.ts); the backup waits for the next plan.
  const repairing = planRepair(b, p, o, root);
  const blocked = o.running.length > 0 || o.locked;
  if (blocked && !repairing) {
    const r = o.running[0];
    b.warn(r
      ? `backup session ${r.id} (${r.tables.join(',')} to ${r.root}) is RUNNING since ${iso(r.startTs)}, phase ${r.phase}: no backup is planned while it runs or until it is repaired`
      : 'the HBase backup lock (backup:system activesession:) is held: no backup is planned until it is released', P);
  }

  const forced = fullNeeded(chains, current, tables);
  const fullDue = forced !== undefined
    ? { due: true as const, reason: forced }
    : isDue(p.hbase.full, { name: current!.full.id, time: current!.full.startTs }, now);
  if (!fullDue.due && 'error' in fullDue && fullDue.error) b.warn(`full schedule: ${fullDue.error}`, P);
  const incDue = !fullDue.due && newestInChain ? isDue(p.hbase.incremental, { name: newestInChain.id, time: newestInChain.startTs }, now) : undefined;
  if (incDue && !incDue.due && 'error' in incDue && incDue.error) b.warn(`incremental schedule: ${incDue.error}`, P);

  const params: BackupParams = { hbase: p.source.cluster, root, tables };
  const target = { cluster: p.hbase.root.cluster, path: p.hbase.root.path };
  let created: string | undefined;
  if (!blocked && fullDue.due) {
    created = b.add({ id: stepId(KIND.full, target), kind: KIND.full, action: Action.Create, policy: P, target, params, reason: fullDue.reason.replace(/snapshot/g, 'backup'), dependsOn: [] });
  } else if (!blocked && incDue?.due) {
    created = b.add({ id: stepId(KIND.incremental, target), kind: KIND.incremental, action: Action.Create, policy: P, target, params, reason: `${incDue.reason.replace(/snapshot/g, 'backup')} (chain of ${current!.full.id})`, dependsOn: [] });
  }

  if (!blocked) planRetention(b, p, o.backups, chains, tables, created);

  // When the next backups are due, from what exists now (a planned one moves them on once it exists).
  if (current && newestInChain) {
    const nf = nextDue(p.hbase.full, current.full.startTs);
    const ni = nextDue(p.hbase.incremental, newestInChain.startTs);
    const at = (t: number | undefined) => (t === undefined ? 'unknown' : t <= now ? `now (${iso(t)})` : iso(t));
    b.note(`next full due ${at(nf)} (after ${current.full.id}); next incremental due ${at(ni)} (after ${newestInChain.id})`, P);
  }
}

/** Whole chains retention lets go, each one `backup delete` after the plan's new backup (./retention.ts). */
function planRetention(b: PlanBuilder, p: HbaseBackupPolicy, backups: ObservedBackup[], chains: Chain[], tables: string[], created: string | undefined): void {
  const newestGood = [...chains].reverse().find((c) => c.good.length > 0 && tables.every((t) => c.full.tables.includes(t)));
  const { deletes, held } = chainsToDelete(chains, backups, p.hbase.keep, newestGood);
  for (const h of held) b.warn(`chain of ${h.chain.full.id} is outside keep but not deleted: ${h.why}`, p.name);
  for (const d of deletes) {
    const target = { cluster: p.hbase.root.cluster, path: p.hbase.root.path, snapshot: d.chain.full.id };
    b.add({ id: stepId(KIND.delete, target), kind: KIND.delete, action: Action.Delete, policy: p.name, target, params: { hbase: p.source.cluster, ids: d.ids } satisfies DeleteParams, reason: d.reason, dependsOn: created ? [created] : [] });
  }
}

export function planHbase(b: PlanBuilder, policies: HbaseBackupPolicy[], observed: Observed, now: number, config: Config): void {
  const part = observed.parts?.hbase as HbaseObserved | undefined;
  for (const p of [...policies].sort((x, y) => (x.name < y.name ? -1 : 1))) {
    const o = part?.[p.name];
    if (!o) {
      const why = observed.errors.find((e) => e.cluster === p.source.cluster || e.cluster === p.hbase.root.cluster)?.message;
      b.notPlanned(p.name, `HBase cluster ${p.source.cluster} or backup root ${p.hbase.root.cluster}:${p.hbase.root.path} was not observed${why ? ` (${why})` : ''}: nothing planned for this policy`);
      continue;
    }
    planHbasePolicy(b, p, o, now, config);
  }
}
