/**
 * Pure: what a crashed or failed session left, planned away (docs/hbase.md, "Repair"). A RUNNING
 * session of the policy's own root blocks every HBase backup command ("Active session found"); hbr
 * owns that root and, under its state-dir lock with the children of a killed run reaped, runs no step
 * behind it, so it plans `hbase backup repair` (which marks it FAILED and releases the lock). Then the
 * debris a FAILED, CANCELLED or just-repaired session of the root left (./debris.ts) is deleted, after
 * the repair. A RUNNING session of another root is not hbr's: warned about, never repaired.
 */
import { Action, stepId } from '../../model/plan.js';
import type { PlanBuilder } from '../../planner/builder.js';
import { sameRoot } from './observe.js';
import { KIND, type DebrisParams, type HbaseBackupPolicy, type HbasePolicyObserved, type RepairParams } from './types.js';

/** Plans the repair of a RUNNING session of the root, and the deletes of debris; returns whether a repair was planned. */
export function planRepair(b: PlanBuilder, p: HbaseBackupPolicy, o: HbasePolicyObserved, root: string): boolean {
  const P = p.name;
  const mine = o.running.filter((r) => sameRoot(r.root, root));
  let repairId: string | undefined;
  const r = mine[0];
  if (r) {
    const target = { cluster: p.hbase.root.cluster, path: p.hbase.root.path, snapshot: r.id };
    repairId = b.add({
      id: stepId(KIND.repair, target),
      kind: KIND.repair,
      action: Action.Update,
      policy: P,
      target,
      params: { hbase: p.source.cluster, id: r.id } satisfies RepairParams,
      reason: `backup session ${r.id} is RUNNING (phase ${r.phase}) with no hbr step behind it: hbase backup repair marks it FAILED and releases the backup lock`,
      dependsOn: [],
    });
  }
  for (const d of o.debris ?? []) {
    const session = o.backups.find((x) => x.id === d.id);
    if (!session || session.state === 'COMPLETE') continue;
    // A RUNNING session's leftovers go only after its repair, in the same plan.
    if (session.state === 'RUNNING' && !(repairId && d.id === r?.id)) continue;
    const target = { cluster: d.cluster, path: d.path };
    b.add({
      id: stepId(KIND.debris, target),
      kind: KIND.debris,
      action: Action.Delete,
      policy: P,
      target,
      params: { hbase: p.source.cluster, id: d.id, what: d.what } satisfies DebrisParams,
      reason: d.what === 'snapshot'
        ? `table snapshot left by backup ${d.id} (${session.state === 'RUNNING' ? 'being repaired' : session.state}): one of its tables, taken while it ran; not a recovery point`
        : `partial image of backup ${d.id} (${session.state === 'RUNNING' ? 'being repaired' : session.state}): never a recovery point`,
      dependsOn: session.state === 'RUNNING' && repairId ? [repairId] : [],
    });
  }
  return repairId !== undefined;
}
