/**
 * Executors of HBase backups (docs/hbase.md): re-observe (a RUNNING session or the lock refuses),
 * run `hbase backup create full|incremental <root> -t <tables>`, parse what it printed, observe the
 * session again over REST (exit codes lie), and record the COMPLETE image's files and bytes beside
 * it (./image.ts) so later observations can tell a partial or damaged image.
 */
import { hdfsClusterOf } from '../../hadoop/cluster.js';
import { webhdfsFor } from '../../hadoop/webhdfs-client.js';
import type { Config } from '../../model/policy.js';
import type { Executor } from '../types.js';
import { failureText, parseCreated, runHbase } from './cli.js';
import { writeRecord } from './image.js';
import { sameRoot } from './observe.js';
import { HbaseRest } from './rest.js';
import { isHbaseCluster, isHbasePolicy, KIND, type BackupParams, type HbaseCluster } from './types.js';

export function hbaseClusterOf(config: Config, name: string): HbaseCluster {
  const c = config.clusters[name];
  if (!isHbaseCluster(c)) throw new Error(`'${name}' is not an HBase cluster in the policies`);
  return c;
}

export const backupCreate: Executor<BackupParams> = async (step, ctx) => {
  const policy = ctx.config.policies[step.policy];
  if (!isHbasePolicy(policy)) throw new Error(`policy ${step.policy} is not an hbase policy`);
  const cluster = hbaseClusterOf(ctx.config, step.params.hbase);
  const rest = new HbaseRest(cluster.rest);
  const type = step.kind === KIND.full ? 'full' : 'incremental';
  const before = await rest.sessions();
  const running = before.find((s) => s.state === 'RUNNING');
  if (running) throw new Error(`backup session ${running.id} is RUNNING: HBase runs one backup at a time (repair it if no backup is running)`);
  if (await rest.locked()) throw new Error('the HBase backup lock is held: HBase runs one backup at a time');
  const known = new Set(before.map((s) => s.id));

  ctx.log(`hbase backup create ${type} ${step.params.root} -t ${step.params.tables.join(',')}`);
  const r = await runHbase(ctx, cluster, 'backup', ['create', type, step.params.root, '-t', step.params.tables.join(',')], step.id);
  const printed = parseCreated(r.output);

  // What HBase recorded decides, not the exit code: the session it printed, else a new one of this root.
  const after = await rest.sessions();
  const session = after.find((s) => s.id === printed.id) ?? after.find((s) => !known.has(s.id) && sameRoot(s.root, step.params.root));
  if (!session) throw new Error(`hbase backup create ${type} left no session in backup:system (exit ${r.code ?? r.signal}): ${failureText(r.output)}`);
  if (session.state !== 'COMPLETE') {
    throw new Error(`backup ${session.id} is ${session.state}${session.failedMessage ? `: ${session.failedMessage.split('\n')[0]}` : ''} (exit ${r.code ?? r.signal}: ${failureText(r.output)})`);
  }
  const fs = webhdfsFor(hdfsClusterOf(ctx.config.clusters, policy.hbase.root.cluster));
  // Rows as the backup completed, for drills (docs/hbase.md, "Drills"): counted after the fact, so a
  // table written to meanwhile differs by those writes; a count that fails leaves them out.
  const rows: Record<string, number> = {};
  for (const t of session.tables) rows[t] = await rest.countRows(t).catch(() => -1);
  const rec = await writeRecord(fs, policy.hbase.root.path, session.id, session.tables, Object.values(rows).every((n) => n >= 0) ? rows : undefined);
  return { filesCopied: rec.files, bytesCopied: rec.bytes, note: `${session.id} COMPLETE, image recorded (${rec.files} files)` };
};
