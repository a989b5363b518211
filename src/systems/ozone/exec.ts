/**
 * Executors of the Ozone step kinds; each is idempotent (run twice, the second finds the work
 * done). Snapshots over the HttpFS gateway (CREATESNAPSHOT / DELETESNAPSHOT on /volume/bucket);
 * copies with DistCp over ofs:// through the shared launcher (src/hadoop/distcp.ts: argv array,
 * tracked child, reaped after a kill):
 *
 *   bootstrap   distcp -update -delete ofs://A/vol/bucket/.snapshot/S ofs://B/vol/bucket
 *   diff        distcp -update -diff FROM TO ofs://A/vol/bucket ofs://B/vol/bucket
 *   repair      distcp -update -delete ofs://A/vol/bucket/.snapshot/S ofs://B/vol/bucket  (a DR bucket
 *               changed since the common snapshot: only what differs moves, what DR has that S has
 *               not goes; Ozone has no -rdiff base to roll back to without a snapshot diff of the
 *               live tree, so the target is brought to the newer S instead of back to the common one)
 *
 * DistCp 3.x refuses `-diff` ("DistCp sync failed") when the target changed since FROM, rather than
 * falling back to a full copy (src/systems/hdfs/exec-distcp.ts), so a DR bucket written behind
 * hbr's back is never silently overwritten by a diff.
 */
import { runDistcpJob } from '../../hadoop/distcp.js';
import { WebHdfsError, type WebHdfs } from '../../hadoop/webhdfs.js';
import { crashPoint } from '../../model/faults.js';
import { LOWER_CASE_NAMING } from '../../model/names.js';
import type { Config } from '../../model/policy.js';
import type { ExecContext, Executor } from '../types.js';
import { gatewayFor, ozoneNotFound } from './observe.js';
import { isOzoneCluster, snapshotDir, type OzoneCluster, type OzoneParams } from './types.js';

function cluster(config: Config, name: string): OzoneCluster {
  const c = config.clusters[name];
  if (!isOzoneCluster(c)) throw new Error(`cluster '${name}' is not an Ozone cluster in the policies`);
  return c;
}

async function hasSnapshot(fs: WebHdfs, path: string, name: string): Promise<boolean> {
  return (await fs.stat(`${snapshotDir(path)}/${name}`)) !== undefined;
}

export const createSnapshot: Executor<OzoneParams> = async (step, ctx) => {
  const { path, snapshot } = step.target;
  if (!snapshot) throw new Error(`${step.id}: no snapshot name`);
  const fs = gatewayFor(cluster(ctx.config, step.target.cluster));
  if (await hasSnapshot(fs, path, snapshot)) return { note: 'already existed' };
  try {
    await fs.createSnapshot(path, snapshot);
  } catch (err) {
    // an interrupted earlier run may have made it between the check and the call
    if (err instanceof WebHdfsError && (await hasSnapshot(fs, path, snapshot))) return { note: 'already existed' };
    throw err;
  }
  crashPoint(`snapshot:created ${step.id}`);
  return {};
};

export const deleteSnapshot: Executor<OzoneParams> = async (step, ctx) => {
  const { path, snapshot } = step.target;
  // Belt and braces: the floors already refuse this; an executor never deletes a name hbr does not own.
  if (!snapshot || LOWER_CASE_NAMING.parse(snapshot) === undefined) throw new Error(`refusing to delete foreign snapshot '${snapshot ?? ''}' of ${path}`);
  const fs = gatewayFor(cluster(ctx.config, step.target.cluster));
  if (!(await hasSnapshot(fs, path, snapshot))) return { note: 'already gone' };
  await fs.deleteSnapshot(path, snapshot);
  return {};
};

/** Generic options for a copy into `to`: the replication the target cluster asks for. */
function distcpOptions(to: OzoneCluster): string[] {
  return to.replication !== undefined ? [`-Dozone.replication=${to.replication}`] : [];
}

function copyArgs(step: Parameters<Executor<OzoneParams>>[0], ctx: ExecContext) {
  const src = step.params.source;
  const snap = step.params.toSnapshot;
  if (!src || !snap) throw new Error(`${step.id}: needs a source and a snapshot`);
  const from = cluster(ctx.config, src.cluster);
  const to = cluster(ctx.config, step.target.cluster);
  return { src, snap, from, to, srcUri: `${from.fs}${src.path}`, dstUri: `${to.fs}${step.target.path}` };
}

export const bootstrap: Executor<OzoneParams> = async (step, ctx) => {
  const { src, snap, to, srcUri, dstUri } = copyArgs(step, ctx);
  const target = gatewayFor(to);
  if (await hasSnapshot(target, step.target.path, snap).catch(() => false)) return { note: `target already has ${snap}`, bytesCopied: 0 };
  // The plan saw no DR bucket, or an empty one; between that plan and now (a saved plan, a long
  // apply) someone may have written there: -update -delete would delete it. Look again, refuse if
  // anything is there: the next plan holds the pair as diverged (src/planner/pair-rules.ts).
  if (step.params.expectEmpty) {
    const there = await target.listStatus(step.target.path).catch((err: unknown) => {
      if (ozoneNotFound(err)) return [];
      throw err;
    });
    if (there.length > 0) {
      const names = there.slice(0, 3).map((e) => e.pathSuffix).join(', ');
      throw new Error(`the DR bucket ${step.target.cluster}:${step.target.path} is no longer empty (${there.length} entr${there.length === 1 ? 'y' : 'ies'}: ${names}${there.length > 3 ? ', …' : ''}): it was empty when this was planned, and a bootstrap (-update -delete) would overwrite it; nothing copied — plan again: the pair is held as diverged`);
    }
  }
  // MKDIRS of /volume/bucket makes the volume and the bucket (docs/design/ozone-notes.md)
  await target.mkdirs(step.target.path);
  crashPoint(`bootstrap:marked ${step.id}`);
  ctx.log(`bootstrap ${src.cluster}:${src.path}@${snap} -> ${step.target.cluster}:${step.target.path}`);
  return runDistcpJob(step.id, ctx, [...distcpOptions(to), '-update', '-delete', `${srcUri}/.snapshot/${snap}`, dstUri]);
};

export const diff: Executor<OzoneParams> = async (step, ctx) => {
  const { snap, to, srcUri, dstUri } = copyArgs(step, ctx);
  const from = step.params.fromSnapshot;
  if (!from) throw new Error(`${step.id}: needs fromSnapshot`);
  if (await hasSnapshot(gatewayFor(to), step.target.path, snap)) return { note: `target already has ${snap}`, bytesCopied: 0 };
  return runDistcpJob(step.id, ctx, [...distcpOptions(to), '-update', '-diff', from, snap, srcUri, dstUri]);
};

export const repair: Executor<OzoneParams> = async (step, ctx) => {
  const { src, snap, to, srcUri, dstUri } = copyArgs(step, ctx);
  if (await hasSnapshot(gatewayFor(to), step.target.path, snap)) return { note: `target already has ${snap}`, bytesCopied: 0 };
  ctx.log(`re-sync ${step.target.cluster}:${step.target.path} from ${src.cluster}:${src.path}@${snap}`);
  return runDistcpJob(step.id, ctx, [...distcpOptions(to), '-update', '-delete', `${srcUri}/.snapshot/${snap}`, dstUri]);
};
