/**
 * Executors for HDFS snapshot steps, over WebHDFS. Each is idempotent: run twice, the second run
 * finds the work done and says so.
 */
import { isHbrSnapshot } from '../../model/names.js';
import type { Step } from '../../model/plan.js';
import type { Config } from '../../model/policy.js';
import { hdfsClusterOf, type HdfsCluster } from '../../hadoop/cluster.js';
import type { ExecContext, Executor, StepOutcome } from '../types.js';
import { clientFor } from './observe.js';
import { crashPoint } from '../../model/faults.js';
import { bootstrapMark, markedCopy, xattrsDisabled } from './scratch.js';
import { WebHdfsError, type WebHdfs } from '../../hadoop/webhdfs.js';

export function hdfsCluster(config: Config, name: string): HdfsCluster {
  return hdfsClusterOf(config.clusters, name);
}

export function fsFor(ctx: ExecContext, cluster: string): WebHdfs {
  return clientFor(hdfsCluster(ctx.config, cluster));
}

export async function snapshotExists(fs: WebHdfs, path: string, name: string): Promise<boolean> {
  return (await fs.stat(`${path === '/' ? '' : path}/.snapshot/${name}`)) !== undefined;
}

function snapshotOf(step: Step): string {
  const name = step.target.snapshot;
  if (!name) throw new Error(`${step.id}: no snapshot name`);
  return name;
}

export const allowSnapshot: Executor = async (step, ctx): Promise<StepOutcome> => {
  const fs = fsFor(ctx, step.target.cluster);
  const st = await fs.stat(step.target.path);
  if (!st) throw new Error(`${step.target.cluster}:${step.target.path} does not exist`);
  if (st.snapshotEnabled) return { note: 'already snapshottable' };
  await fs.allowSnapshot(step.target.path);
  return {};
};

export const createSnapshot: Executor = async (step, ctx): Promise<StepOutcome> => {
  const fs = fsFor(ctx, step.target.cluster);
  const name = snapshotOf(step);
  let note: string | undefined;
  if (await snapshotExists(fs, step.target.path, name)) note = 'already existed';
  else {
    try {
      await fs.createSnapshot(step.target.path, name);
    } catch (err) {
      // A concurrent or earlier interrupted create may have won between the check and the call.
      if (!(err instanceof WebHdfsError && (await snapshotExists(fs, step.target.path, name)))) throw err;
      note = 'already existed';
    }
    crashPoint(`snapshot:created ${step.id}`);
  }
  // The snapshot completes a bootstrap into this directory: its in-progress mark goes (./scratch.ts),
  // also when an interrupted run had made the snapshot already.
  const mark = bootstrapMark(step.target.path);
  const xattrs = await fs.getXAttrs(mark.dir).catch((err: unknown) => {
    if (xattrsDisabled(err)) return {} as Record<string, string>; // no marks on a cluster with xattrs off (./scratch.ts)
    throw err;
  });
  if (markedCopy(xattrs[mark.name], mark.base) !== undefined) await fs.removeXAttr(mark.dir, mark.name);
  return note ? { note } : {};
};

export const deleteSnapshot: Executor = async (step, ctx): Promise<StepOutcome> => {
  const name = snapshotOf(step);
  // Belt and braces: the planner's safety rules already refuse this; an executor never deletes
  // a snapshot whose name hbr does not own, whatever plan it is handed.
  if (!isHbrSnapshot(name)) throw new Error(`refusing to delete foreign snapshot '${name}' of ${step.target.path}`);
  const fs = fsFor(ctx, step.target.cluster);
  if (!(await snapshotExists(fs, step.target.path, name))) return { note: 'already gone' };
  await fs.deleteSnapshot(step.target.path, name);
  return {};
};
