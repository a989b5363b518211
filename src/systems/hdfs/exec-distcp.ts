/**
 * Executors for DR replication with Hadoop DistCp (run as a child process, arguments as an array):
 *
 *   bootstrap   distcp -update -delete <src>/.snapshot/<S> <dst>         (full copy of snapshot S)
 *   diff        distcp -update -diff <from> <to> <src> <dst>             (incremental, from the common snapshot)
 *   repair      rdiff:  snapshot the target's current state as a scratch snapshot, then
 *                       distcp -update -rdiff <scratch> <base> <src> <dst> rolls the target back to <base>,
 *                       then re-anchor <base> on the target (delete + create) so the next -diff finds a
 *                       target with no changes since <base>, and drop the scratch snapshot;
 *               resync: distcp -update -delete <src>/.snapshot/<S> <dst> (copies only files that differ)
 *
 * Every copy also carries the policy's -p<attrs> (./preserve.ts), added in runDistcp only.
 *
 * DistCp 3.x fails ("DistCp sync failed") rather than silently falling back to a full copy when
 * -diff's preconditions do not hold, so a full copy only ever happens when the plan says so.
 */
import { crashPoint } from '../../model/faults.js';
import { runDistcpJob } from '../../hadoop/distcp.js';
import { distcpAccess } from '../../hadoop/distcp-access.js';
import type { ExecContext, Executor, StepOutcome } from '../types.js';
import { fsFor, hdfsCluster, snapshotExists } from './exec-snapshots.js';
import { bootstrapMark, renamedBase, SCRATCH_PREFIX, xattrsDisabled } from './scratch.js';
import { isHdfsPolicy, type HdfsParams, type HdfsStep as Step } from './types.js';
import { ALL_PRESERVE, observeFeatures, preserveArgs, unsupported } from './preserve.js';

export { SCRATCH_PREFIX } from './scratch.js';

function uri(ctx: ExecContext, cluster: string, path: string): string {
  return `${hdfsCluster(ctx.config, cluster).fs.replace(/\/+$/, '')}${path}`;
}

function snapPath(path: string, snapshot: string): string {
  return `${path === '/' ? '' : path}/.snapshot/${snapshot}`;
}

/**
 * Runs one DistCp between two clusters of a policy, with the policy's preserve flags
 * (./preserve.ts): every copy hbr makes (bootstrap, -diff, repair, re-sync, restore) goes through
 * here, so none forgets them. The clusters' ACL and xattr switches are observed now (not cached):
 * an attribute a side does not support is left out, with a line in the log, instead of DistCp
 * refusing the whole copy.
 */
export async function runDistcp(
  ctx: ExecContext,
  copy: { id: string; policy: string; clusters: [string, string]; expectedBytes?: number },
  args: string[],
): Promise<StepOutcome & { argv: string[] }> {
  const policy = ctx.config.policies[copy.policy];
  const wanted = (isHdfsPolicy(policy) ? policy.preserve : undefined) ?? ALL_PRESERVE;
  const sides = await Promise.all(
    [...new Set(copy.clusters)].map(async (name) => ({ name, features: await observeFeatures(hdfsCluster(ctx.config, name)) })),
  );
  const drop = unsupported(wanted, sides);
  for (const d of drop) ctx.log(`not preserving ${d.attr}: ${d.why}`);
  const argv = [...preserveArgs(wanted, drop.map((d) => d.attr)), ...args];
  // the replication target's queue / -m / -bandwidth, for copies into it
  const knobs = (isHdfsPolicy(policy) ? policy.replicate : []).find((t) => t.to.cluster === copy.clusters[1])?.distcp;
  // Kerberos (hbr's keytab launcher) and YARN (tagged, killed through the RM) from the clusters
  const access = distcpAccess(copy.clusters.map((c) => hdfsCluster(ctx.config, c)), { stateDir: ctx.stateDir, hadoop: ctx.hadoop, policy: copy.policy, ...(ctx.config.coordination && { coordination: ctx.config.coordination.zookeeper }) });
  const expected = copy.expectedBytes !== undefined ? { expectedBytes: copy.expectedBytes } : {};
  return { ...(await runDistcpJob(copy.id, { ...ctx, ...knobs, ...access, ...expected }, argv)), argv };
}

async function distcp(step: Step, ctx: ExecContext, args: string[], expectedBytes?: number): Promise<StepOutcome> {
  const src = step.params.source?.cluster ?? step.target.cluster;
  const { argv: _argv, ...outcome } = await runDistcp(ctx, { id: step.id, policy: step.policy, clusters: [src, step.target.cluster], ...(expectedBytes !== undefined && { expectedBytes }) }, args);
  return outcome;
}

/** The bytes under a snapshot (one GETCONTENTSUMMARY), for a copy's progress; undefined if it cannot tell. */
async function sizeOf(ctx: ExecContext, cluster: string, path: string): Promise<number | undefined> {
  try {
    return (await fsFor(ctx, cluster).getContentSummary(path)).length;
  } catch {
    return undefined;
  }
}

function params(step: Step) {
  const src = step.params.source;
  if (!src) throw new Error(`${step.id}: no source`);
  return { src, dst: step.target };
}

export const bootstrap: Executor<HdfsParams> = async (step, ctx) => {
  const { src, dst } = params(step);
  const snap = step.params.toSnapshot;
  if (!snap) throw new Error(`${step.id}: no snapshot to copy`);
  const target = fsFor(ctx, dst.cluster);
  if ((await target.stat(dst.path))?.snapshotEnabled && (await snapshotExists(target, dst.path, snap))) {
    return { note: `target already has ${snap}`, bytesCopied: 0 };
  }
  const mark = bootstrapMark(dst.path);
  // The plan saw no target, or an empty one; someone may have written there since (a saved plan, a
  // long apply), and -update -delete would delete it. Look again; only hbr's own partial copy of this
  // very step (its mark) may be there.
  if (step.params.expectEmpty) {
    const there = (await target.stat(dst.path)) ? await target.listStatus(dst.path) : [];
    const ours = there.length > 0 && (await target.getXAttrs(mark.dir).catch(() => ({}) as Record<string, string>))[mark.name] === `${mark.base}|${src.cluster}:${src.path}@${snap}`;
    if (there.length > 0 && !ours) {
      const names = there.slice(0, 3).map((e) => e.pathSuffix).join(', ');
      throw new Error(`the DR target ${dst.cluster}:${dst.path} is no longer empty (${there.length} entr${there.length === 1 ? 'y' : 'ies'}: ${names}${there.length > 3 ? ', …' : ''}): it was empty when this was planned, and a bootstrap (-update -delete) would overwrite it; nothing copied — plan again: the pair is held as diverged`);
    }
  }
  // Mark the target as hbr's copy in progress before a byte moves (./scratch.ts): a crash mid-copy
  // leaves files and no snapshot, which without the mark would look like a diverged target.
  await target.mkdirs(dst.path);
  try {
    await target.setXAttr(mark.dir, mark.name, `${mark.base}|${src.cluster}:${src.path}@${snap}`);
  } catch (err) {
    // xattrs off on this cluster: copy unmarked; a kill mid-copy then leaves a target that is held
    // as diverged (the operator's --allow-overwrite resumes it), never overwritten on hbr's own.
    if (!xattrsDisabled(err)) throw err;
    ctx.log(`${step.id}: xattrs are off on ${dst.cluster}; the bootstrap runs without its in-progress mark`);
  }
  crashPoint(`bootstrap:marked ${step.id}`);
  const from = snapPath(src.path, snap);
  return distcp(step, ctx, ['-update', '-delete', uri(ctx, src.cluster, from), uri(ctx, dst.cluster, dst.path)], await sizeOf(ctx, src.cluster, from));
};

export const diff: Executor<HdfsParams> = async (step, ctx) => {
  const { src, dst } = params(step);
  const { fromSnapshot: from, toSnapshot: to } = step.params;
  if (!from || !to) throw new Error(`${step.id}: needs fromSnapshot and toSnapshot`);
  if (await snapshotExists(fsFor(ctx, dst.cluster), dst.path, to)) return { note: `target already has ${to}`, bytesCopied: 0 };
  return distcp(step, ctx, ['-update', '-diff', from, to, uri(ctx, src.cluster, src.path), uri(ctx, dst.cluster, dst.path)]);
};

export const repair: Executor<HdfsParams> = async (step, ctx) => {
  const { src, dst } = params(step);
  const target = fsFor(ctx, dst.cluster);
  if (step.params.repair === 'resync') {
    const snap = step.params.toSnapshot;
    if (!snap) throw new Error(`${step.id}: resync needs toSnapshot`);
    return distcp(step, ctx, ['-update', '-delete', uri(ctx, src.cluster, snapPath(src.path, snap)), uri(ctx, dst.cluster, dst.path)]);
  }
  const base = step.params.baseSnapshot;
  if (!base) throw new Error(`${step.id}: rdiff needs baseSnapshot`);

  // An earlier repair killed while re-anchoring left the base under a scratch name: put it back,
  // then drop every scratch snapshot (they are hbr's own, never recovery points).
  const names = (await target.getSnapshotList(dst.path)).map((s) => s.dirStatus.pathSuffix);
  if (!names.includes(base)) {
    const back = [renamedBase.fresh(base), renamedBase.old(base)].find((n) => names.includes(n));
    if (back) {
      await target.renameSnapshot(dst.path, back, base);
      ctx.log(`restored ${base} on ${dst.cluster}:${dst.path} from ${back} (an interrupted repair)`);
      names.splice(names.indexOf(back), 1, base);
    }
  }
  for (const name of names) if (name.startsWith(SCRATCH_PREFIX)) await target.deleteSnapshot(dst.path, name);
  const baseOnTarget = await snapshotExists(target, dst.path, base);
  if (baseOnTarget) {
    const d = await target.getSnapshotDiff(dst.path, base, '');
    if (d.diffList.length === 0) return { note: `target unchanged since ${base}`, bytesCopied: 0 };
  } else {
    throw new Error(`target ${dst.cluster}:${dst.path} no longer has ${base}; a re-sync is needed (re-plan)`);
  }
  const scratch = `${SCRATCH_PREFIX}${Date.now().toString(36)}`;
  await target.createSnapshot(dst.path, scratch);
  crashPoint(`repair:scratch ${step.id}`);
  const outcome = await distcp(step, ctx, ['-update', '-rdiff', scratch, base, uri(ctx, src.cluster, src.path), uri(ctx, dst.cluster, dst.path)]);
  crashPoint(`repair:rolled-back ${step.id}`);
  // Re-anchor: the target's content is <base> again, but its snapshot diff still shows the churn
  // of the roll-back. A fresh <base> makes the next `-diff <base> ...` precondition hold. Made
  // under a scratch name and swapped in by renames, so no instant is without a <base>.
  await target.createSnapshot(dst.path, renamedBase.fresh(base));
  crashPoint(`repair:fresh ${step.id}`);
  await target.renameSnapshot(dst.path, base, renamedBase.old(base));
  crashPoint(`repair:old-aside ${step.id}`);
  await target.renameSnapshot(dst.path, renamedBase.fresh(base), base);
  crashPoint(`repair:fresh-in ${step.id}`);
  await target.deleteSnapshot(dst.path, renamedBase.old(base));
  crashPoint(`repair:old-gone ${step.id}`);
  await target.deleteSnapshot(dst.path, scratch);
  ctx.log(`rolled ${dst.cluster}:${dst.path} back to ${base}`);
  return { ...outcome, note: `rolled back to ${base}` };
};
