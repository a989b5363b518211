/**
 * `hbr restore hbase --policy P --table T [--at TIME] [--to NEW] [--overwrite]` (docs/hbase.md,
 * "Restore"): the newest recovery point of T (at or before --at) from the policy's verified chains,
 * restored into a new table by default (`<table>_<backup id>`), as a plan first. It runs
 * `hbase restore -c` (HBase's check of the image and its ancestors) before the restore, then counts the
 * restored rows over REST and records the restore in `<root>/.hbr-restores/<namespace>/<target>.json`, so the same
 * command again plans nothing. An existing target hbr did not restore from that backup is refused
 * without --overwrite (HBase's `-o`, shown as a replace).
 */
import type { Command } from 'commander';
import { hdfsClusterOf } from '../../hadoop/cluster.js';
import { webhdfsFor } from '../../hadoop/webhdfs-client.js';
import { UserError } from '../../model/errors.js';
import { iso } from '../../model/format.js';
import type { Config } from '../../model/policy.js';
import type { RestoreCommand, RestoreContext, RestorePlan } from '../types.js';
import { chainsOf, trusted } from './chains.js';
import { failureText, runHbase } from './cli.js';
import { qualifiedTable, rootUri } from './load.js';
import { observeHbase } from './observe.js';
import { HbaseRest } from './rest.js';
import { hbaseClusterOf } from './steps.js';
import { isHbasePolicy, type HbaseObserved } from './types.js';

interface Options { policy: string; table: string; at?: string; to?: string; overwrite?: boolean }
interface RestoreRecord { version: 1; backup: string; table: string; target: string; rows: number }

const TABLE = /^([A-Za-z0-9_]+:)?[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

async function prepare(config: Config, raw: Record<string, unknown>, ctx: RestoreContext): Promise<RestorePlan> {
  const opts = raw as unknown as Options;
  const p = config.policies[opts.policy];
  if (!isHbasePolicy(p)) throw new UserError(`no hbase policy named '${opts.policy}'`);
  if (!TABLE.test(opts.table)) throw new UserError(`--table ${opts.table} is not a table name`);
  if (opts.to !== undefined && !TABLE.test(opts.to)) throw new UserError(`--to ${opts.to} is not a table name`);
  const table = qualifiedTable(opts.table);
  let at = ctx.now;
  if (opts.at !== undefined) {
    at = Date.parse(opts.at);
    if (Number.isNaN(at)) throw new UserError(`--at is not an ISO-8601 time: ${opts.at}`);
  }
  const observed = await observeHbase(config, [p], { now: () => ctx.now });
  if (observed.errors.length) throw new UserError(observed.errors.map((e) => `${e.cluster}: ${e.message}`).join('\n'));
  const o = (observed.part as HbaseObserved)[p.name]!;
  const points = chainsOf(trusted(o, ctx.now).backups).flatMap((c) => c.good).filter((b) => b.tables.includes(table) && b.startTs <= at).sort((a, b) => a.startTs - b.startTs);
  const point = points[points.length - 1];
  if (!point) throw new UserError(`no verified backup of ${table} in policy ${p.name}${opts.at ? ` at or before ${opts.at}` : ''}`);
  const target = qualifiedTable(opts.to ?? `${table}_${point.id}`);
  if (target === table && !opts.overwrite) throw new UserError(`--to ${target} is the table itself: restoring over it needs --overwrite`);

  const cluster = hbaseClusterOf(config, p.source.cluster);
  const rest = new HbaseRest(cluster.rest);
  const fs = webhdfsFor(hdfsClusterOf(config.clusters, p.hbase.root.cluster));
  const recordDir = `${p.hbase.root.path}/.hbr-restores/${target.split(':')[0]!}`; // HDFS names take no ':'
  const recordPath = `${recordDir}/${target.split(':')[1]!}.json`;
  const readRecord = async (): Promise<RestoreRecord | undefined> => ((await fs.stat(recordPath)) ? (JSON.parse((await fs.open(recordPath)).toString('utf8')) as RestoreRecord) : undefined);
  const exists = await rest.tableExists(target);
  const rec = exists ? await readRecord() : undefined;
  const root = rootUri(config, p)!;
  const json = { restore: { policy: p.name, table, backup: point.id, type: point.type, taken: iso(point.startTs), target, overwrite: exists } };
  if (exists && rec && rec.backup === point.id && rec.table === table && !opts.overwrite) {
    return { policy: p.name, noChanges: true, lines: [`  (${target} was restored from ${point.id}: ${rec.rows} rows; nothing to do)`], json, run: () => Promise.reject(new Error('nothing to do')) };
  }
  if (exists && !opts.overwrite) {
    throw new UserError(`table ${target} exists${rec ? ` (restored from ${rec.backup}, not ${point.id})` : ''}: restore to a new table with --to, or replace it with --overwrite`);
  }
  const action = exists ? '-/+' : '+';
  return {
    policy: p.name,
    lines: [
      `  ${action} restore.hbase  ${target} <- ${root}@${point.id}`,
      `                   ${point.type.toLowerCase()} backup of ${table} taken ${iso(point.startTs)} (image verified); hbase restore -c checks its chain first${exists ? `; ${target} is replaced (-o)` : ''}`,
    ],
    json,
    async run(log) {
      const run = (args: string[]) => runHbase({ stateDir: ctx.stateDir, signal: ctx.signal ?? new AbortController().signal }, cluster, 'restore', args, `restore.hbase:${target}`);
      log(`hbase restore -c ${root} ${point.id} -t ${table}`);
      const check = await run(['-c', root, point.id, '-t', table]);
      if (check.code !== 0 || /Checking backup images: Failed/.test(check.output)) throw new Error(`hbase restore -c of ${point.id} failed (exit ${check.code ?? check.signal}): ${failureText(check.output)}`);
      log(`hbase restore ${root} ${point.id} -t ${table} -m ${target}${exists ? ' -o' : ''}`);
      const r = await run([root, point.id, '-t', table, '-m', target, ...(exists ? ['-o'] : [])]);
      // The exit code is not trusted: the table must exist; its rows are counted over REST.
      if (!(await rest.tableExists(target))) throw new Error(`hbase restore left no table ${target} (exit ${r.code ?? r.signal}): ${failureText(r.output)}`);
      if (r.code !== 0) throw new Error(`hbase restore into ${target} exited ${r.code ?? r.signal}: ${failureText(r.output)}`);
      const rows = await rest.countRows(target);
      const record: RestoreRecord = { version: 1, backup: point.id, table, target, rows };
      await fs.mkdirs(recordDir);
      await fs.create(recordPath, Buffer.from(JSON.stringify(record) + '\n'), { overwrite: true });
      return { text: `Restore complete: ${rows} rows of ${table} restored into ${target} from ${point.id} (${point.type.toLowerCase()}, ${iso(point.startTs)}).\n`, json: { restored: record } };
    },
  };
}

export const hbaseRestore: RestoreCommand = {
  name: 'hbase',
  description: 'restore an HBase table from a verified backup, into a new table by default',
  options: (cmd: Command) =>
    cmd
      .requiredOption('--policy <name>', 'the hbase policy whose backups hold the table')
      .requiredOption('--table <table>', "the table to restore ('table' or 'namespace:table')")
      .option('--at <time>', 'the newest verified backup taken at or before this ISO-8601 time')
      .option('--to <table>', 'restore into this table (default: <table>_<backup id>, a new table)')
      .option('--overwrite', 'replace an existing target table (HBase restore -o)'),
  prepare,
};
