/**
 * Executors of the repair of a crashed session and of the deletes of what it left (./plan-repair.ts).
 * Each re-observes first (idempotent: a second run finds the work done) and checks the result by
 * observing again, never by the exit code (docs/design/hbase-notes.md). `backup repair` acts on the
 * first RUNNING session of backup:system (BackupCommands.RepairCommand, hbase-backup 2.6), and with
 * none re-runs a failed delete or merge: it is run only while the planned session is still RUNNING.
 */
import { hdfsClusterOf } from '../../hadoop/cluster.js';
import { webhdfsFor } from '../../hadoop/webhdfs-client.js';
import type { Executor } from '../types.js';
import { failureText, runHbase } from './cli.js';
import { rootdirOf, isDebrisOf } from './debris.js';
import { HbaseRest } from './rest.js';
import { hbaseClusterOf } from './steps.js';
import { isHbasePolicy, type DebrisParams, type RepairParams } from './types.js';

export const repair: Executor<RepairParams> = async (step, ctx) => {
  const cluster = hbaseClusterOf(ctx.config, step.params.hbase);
  const rest = new HbaseRest(cluster.rest);
  const before = await rest.sessions();
  const running = before.filter((s) => s.state === 'RUNNING');
  const mine = running.find((s) => s.id === step.params.id);
  if (!mine) {
    if (running.length) throw new Error(`session ${step.params.id} is no longer RUNNING, but ${running[0]!.id} is: not repaired (plan again)`);
    return { note: `session ${step.params.id} is ${before.find((s) => s.id === step.params.id)?.state ?? 'gone'}: already repaired` };
  }
  if (running.length > 1 || running[0]!.id !== mine.id) throw new Error(`several sessions are RUNNING (${running.map((s) => s.id).join(', ')}): hbase backup repair would repair ${running[0]!.id} first; not run`);
  const r = await runHbase(ctx, cluster, 'backup', ['repair'], step.id);
  const after = (await rest.sessions()).find((s) => s.id === mine.id);
  if (!after || after.state === 'RUNNING') throw new Error(`hbase backup repair left ${mine.id} ${after?.state ?? 'gone'} (exit ${r.code ?? r.signal}): ${failureText(r.output)}`);
  if (await rest.locked()) throw new Error(`hbase backup repair marked ${mine.id} ${after.state} but the backup lock is still held (exit ${r.code ?? r.signal}): ${failureText(r.output)}`);
  return { note: `${mine.id} ${after.state}, backup lock released` };
};

export const deleteDebris: Executor<DebrisParams> = async (step, ctx) => {
  const p = ctx.config.policies[step.policy];
  if (!isHbasePolicy(p)) throw new Error(`policy ${step.policy} is not an hbase policy`);
  const cluster = hbaseClusterOf(ctx.config, step.params.hbase);
  // The session is read again: never the leftovers of one that completed or runs again.
  const session = (await new HbaseRest(cluster.rest).sessions()).find((s) => s.id === step.params.id);
  if (!session) throw new Error(`session ${step.params.id} is not in backup:system: not deleting ${step.target.path}`);
  if (session.state === 'COMPLETE' || session.state === 'RUNNING') throw new Error(`backup ${session.id} is ${session.state}: ${step.target.path} is not debris`);
  if (!isDebrisOf({ ...session, image: 'unchecked' }, p, rootdirOf(ctx.config, cluster), step.target.cluster, step.target.path)) {
    throw new Error(`${step.target.cluster}:${step.target.path} is not what backup ${session.id} left`);
  }
  const fs = webhdfsFor(hdfsClusterOf(ctx.config.clusters, step.target.cluster));
  if (!(await fs.stat(step.target.path))) return { note: 'already gone' };
  await fs.delete(step.target.path, true);
  return { note: `${step.params.what} of ${session.id} deleted` };
};
