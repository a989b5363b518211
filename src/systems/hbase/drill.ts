/**
 * The HBase drill (`hbr verify`, docs/hbase.md "Drills"): the policy's newest recovery point is
 * restored with `hbase restore` (after `-c`, HBase's own chain check) into scratch tables named
 * `default:hbrdrill_<namespace>_<table>_<backup id>`, their rows are counted over REST and compared
 * with the count hbr recorded when the backup completed (./image.ts), and the scratch tables are
 * dropped. Each scratch table is in the drill ledger before it is made (src/engine/drill-scratch.ts),
 * so one a killed drill left is dropped by a later sweep (removeHbaseDrillScratch, which drops only
 * names of that form).
 */
import { hdfsClusterOf } from '../../hadoop/cluster.js';
import { webhdfsFor } from '../../hadoop/webhdfs-client.js';
import type { Config, PolicyBase } from '../../model/policy.js';
import type { DrillCheck, DrillContext, DrillResult, DrillScratchRef } from '../types.js';
import { chainsOf, policyTables, trusted } from './chains.js';
import { failureText, runHbase } from './cli.js';
import { readRecord } from './image.js';
import { rootUri } from './load.js';
import { observeHbase } from './observe.js';
import { HbaseRest } from './rest.js';
import { hbaseClusterOf } from './steps.js';
import { isHbasePolicy, type HbaseObserved } from './types.js';

const SCRATCH = /^default:hbrdrill_[A-Za-z0-9_.-]+_backup_\d+$/;

export function drillTable(table: string, id: string): string {
  return `default:hbrdrill_${table.replace(':', '_')}_${id}`;
}

export async function drillHbase(policy: PolicyBase, ctx: DrillContext): Promise<DrillResult> {
  if (!isHbasePolicy(policy)) throw new Error(`policy ${policy.name} is not an hbase policy`);
  const p = policy;
  const observed = await observeHbase(ctx.config, [p], { now: () => ctx.now });
  const o = (observed.part as HbaseObserved)[p.name];
  if (!o) throw new Error(observed.errors.map((e) => e.message).join('; ') || `policy ${p.name} could not be observed`);
  const tables = policyTables(p, o);
  const good = chainsOf(trusted(o, ctx.now).backups).flatMap((c) => c.good).filter((b) => tables.every((t) => b.tables.includes(t))).sort((a, b) => a.startTs - b.startTs);
  const point = good[good.length - 1];
  if (!point) throw new Error(`policy ${p.name}: no verified backup to drill`);
  const root = rootUri(ctx.config, p)!;
  const cluster = hbaseClusterOf(ctx.config, p.source.cluster);
  const rest = new HbaseRest(cluster.rest);
  const rec = await readRecord(webhdfsFor(hdfsClusterOf(ctx.config.clusters, p.hbase.root.cluster)), p.hbase.root.path, point.id);
  const checks: DrillCheck[] = [];
  const result: DrillResult = { point: `${p.hbase.root.cluster}:${p.hbase.root.path}@${point.id}`, ok: false, checks, ...(rec ? { bytes: rec.bytes, files: rec.files } : {}) };
  const scratch = tables.map((t) => ({ table: t, to: drillTable(t, point.id), ledger: '' }));
  const run = (args: string[]) => runHbase(ctx, cluster, 'restore', args, `drill:${p.name}`);
  try {
    const check = await run(['-c', root, point.id, '-t', tables.join(',')]);
    const chainOk = check.code === 0 && !/Checking backup images: Failed/.test(check.output);
    checks.push({ what: `hbase restore -c ${point.id} (${point.type.toLowerCase()}, its chain)`, ok: chainOk, ...(chainOk ? {} : { detail: failureText(check.output) }) });
    if (!chainOk) return result;
    for (const s of scratch) {
      s.ledger = ctx.scratch.made({ hbase: cluster.name, table: s.to });
      await rest.dropTable(s.to); // a table of that name is a drill's own leftover (the name says so)
    }
    ctx.log(`drill ${p.name}: hbase restore ${point.id} into ${scratch.map((s) => s.to).join(', ')}`);
    const r = await run([root, point.id, '-t', tables.join(','), '-m', scratch.map((s) => s.to).join(',')]);
    for (const s of scratch) {
      if (!(await rest.tableExists(s.to))) {
        checks.push({ what: `restore of ${s.table}`, ok: false, detail: `no table ${s.to} (exit ${r.code ?? r.signal}): ${failureText(r.output)}` });
        continue;
      }
      const rows = await rest.countRows(s.to);
      const want = rec?.rows?.[s.table];
      checks.push(want === undefined
        ? { what: `${s.table}: ${rows} rows restored`, ok: false, detail: `hbr recorded no row count for ${s.table} when ${point.id} completed` }
        : { what: `${s.table}: ${rows} rows restored, ${want} recorded when ${point.id} completed`, ok: rows === want, ...(rows === want ? {} : { detail: `${rows} rows restored, ${want} recorded (a table written to while the backup completed differs by those writes)` }) });
    }
    result.ok = checks.length > 0 && checks.every((c) => c.ok);
    return result;
  } finally {
    for (const s of scratch) {
      if (!s.ledger) continue;
      try {
        await rest.dropTable(s.to);
        ctx.scratch.removed(s.ledger);
      } catch (err) {
        ctx.log(`drill ${p.name}: could not drop ${s.to} (${(err as Error).message}); a later sweep drops it`);
      }
    }
  }
}

/** Drops a scratch table a killed drill left; only a name a drill makes. */
export async function removeHbaseDrillScratch(config: Config, ref: DrillScratchRef, log: (m: string) => void): Promise<void> {
  const table = ref.table ?? '';
  if (!SCRATCH.test(table)) throw new Error(`refusing to drop ${JSON.stringify(table)}: not a drill scratch table`);
  const cluster = hbaseClusterOf(config, ref.hbase ?? '');
  await new HbaseRest(cluster.rest).dropTable(table);
  log(`dropped drill scratch table ${table} on ${cluster.name}`);
}
