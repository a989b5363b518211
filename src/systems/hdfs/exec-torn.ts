/**
 * The roll-back of a torn DR copy before an unplanned failover (docs/failover.md, "A copy cut
 * short"; planned by ./failover.ts planUnplanned, only with the operator's word):
 *
 *   1. keep the torn live tree as snapshot `keepAs` (./scratch.ts tornKeep): it may hold the newest
 *      version of files the lost primary had, so it is never thrown away; hbr never deletes it;
 *   2. roll the live tree back to the newest hbr snapshot with the repair executor (./exec-distcp.ts):
 *      `distcp -update -rdiff <scratch> <base> <dr> <dr>`, the DR directory being its own source
 *      (the primary is gone; -rdiff reads the changed files from `<dr>/.snapshot/<base>`), then the
 *      re-anchor of <base>, all of it crash-safe as for any repair.
 *
 * Idempotent: the tree already equal to <base> is done; a torn state already kept by an earlier,
 * killed run (an `hbr-torn-*` snapshot with no change since, or a roll-back's scratch snapshot
 * present: the keep comes before it) is not kept twice.
 */
import { crashPoint } from '../../model/faults.js';
import type { Executor } from '../types.js';
import { repair } from './exec-distcp.js';
import { fsFor } from './exec-snapshots.js';
import { isTornKeep, renamedBase, SCRATCH_PREFIX } from './scratch.js';
import type { HdfsParams } from './types.js';

export const rollbackTorn: Executor<HdfsParams> = async (step, ctx) => {
  const { keepAs, baseSnapshot: base } = step.params;
  if (!keepAs || !base || !isTornKeep(keepAs)) throw new Error(`${step.id}: needs keepAs (hbr-torn-<stamp>) and baseSnapshot`);
  const dst = step.target;
  const fs = fsFor(ctx, dst.cluster);
  const names = (await fs.getSnapshotList(dst.path)).map((s) => s.dirStatus.pathSuffix);
  const rollingBack = names.some((n) => n.startsWith(SCRATCH_PREFIX) || renamedBase.of(n) === base);
  if (!rollingBack && names.includes(base) && (await fs.getSnapshotDiff(dst.path, base, '')).diffList.length === 0) {
    return { note: `${dst.cluster}:${dst.path} is ${base} already`, bytesCopied: 0 };
  }
  if (!rollingBack && !names.includes(keepAs)) {
    let kept: string | undefined;
    for (const k of names.filter(isTornKeep)) {
      if ((await fs.getSnapshotDiff(dst.path, k, '')).diffList.length === 0) kept = k;
    }
    if (kept) ctx.log(`the torn tree is kept already as ${kept}`);
    else {
      await fs.createSnapshot(dst.path, keepAs);
      ctx.log(`kept the torn tree of ${dst.cluster}:${dst.path} as snapshot ${keepAs}`);
    }
  }
  crashPoint(`torn:kept ${step.id}`);
  const outcome = await repair({ ...step, params: { source: { cluster: dst.cluster, path: dst.path }, repair: 'rdiff', baseSnapshot: base } }, ctx);
  return { ...outcome, note: `torn tree kept as ${keepAs}; ${outcome.note ?? `rolled back to ${base}`}` };
};
