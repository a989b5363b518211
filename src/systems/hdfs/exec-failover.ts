/**
 * Executors of failover and failback (docs/failover.md): each sets or removes the failover mark
 * (./failover-mark.ts) with one WebHDFS call, so each is idempotent and a kill before or after it
 * leaves a state the next plan reads (mark or no mark). The copies around them are the ordinary
 * replication steps (./exec-distcp.ts).
 */
import type { Executor } from '../types.js';
import { fsFor, snapshotExists } from './exec-snapshots.js';
import { failoverMark, failoverValue } from './failover-mark.js';
import type { HdfsParams } from './types.js';

export const failover: Executor<HdfsParams> = async (step, ctx) => {
  const src = step.params.source;
  if (!src) throw new Error(`${step.id}: no source`);
  const fs = fsFor(ctx, step.target.cluster);
  const m = failoverMark(step.target.path);
  const value = failoverValue(step.target.path, src);
  if ((await fs.getXAttrs(m.dir))[m.name] === value) return { note: 'already failed over' };
  await fs.setXAttr(m.dir, m.name, value);
  ctx.log(`${step.target.cluster}:${step.target.path} is the writable copy of ${src.cluster}:${src.path}`);
  return {};
};

export const failback: Executor<HdfsParams> = async (step, ctx) => {
  const src = step.params.source;
  const snap = step.params.toSnapshot;
  if (!src || !snap) throw new Error(`${step.id}: needs source and toSnapshot`);
  // Never give the primary its role back before it holds the DR copy's final snapshot.
  if (!(await snapshotExists(fsFor(ctx, src.cluster), src.path, snap))) {
    throw new Error(`${src.cluster}:${src.path} does not hold ${snap} yet: the pair stays failed over (re-plan)`);
  }
  const fs = fsFor(ctx, step.target.cluster);
  const m = failoverMark(step.target.path);
  if ((await fs.getXAttrs(m.dir))[m.name] === undefined) return { note: 'already failed back' };
  // Writes on the DR copy after the final snapshot would be rolled back by the next copy
  // primary -> DR (a DR target that changed is repaired): keep the pair failed over instead.
  const d = await fs.getSnapshotDiff(step.target.path, snap, '');
  if (d.diffList.length > 0) {
    throw new Error(
      `${step.target.cluster}:${step.target.path} changed since ${snap} (${d.diffList.length} entries): its writers still write; stop them and run hbr failback again (the pair stays failed over)`,
    );
  }
  await fs.removeXAttr(m.dir, m.name);
  ctx.log(`${src.cluster}:${src.path} is the primary again; replication to ${step.target.cluster}:${step.target.path} resumes from ${snap}`);
  return {};
};
