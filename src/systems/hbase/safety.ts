/**
 * The floors of the HBase system's deletes (docs/architecture.md, "Safety"). Its only delete so far is
 * `hbase.debris.delete`:
 *   unverifiable   the policy is not an hbase policy, or its observation is missing
 *   foreign        the path is not what the named session left (./debris.ts: its named snapshot under
 *                  the rootdir, its own image directory in the policy's root)
 *   last-recovery-point  the session is COMPLETE (its image is a backup, never debris)
 *   delete-order   the session is RUNNING and the delete does not wait for the plan's repair of it
 * A delete of any other kind naming this system is refused (default deny).
 */
import type { Observed } from '../../model/observed.js';
import type { Plan, Step } from '../../model/plan.js';
import type { Config } from '../../model/policy.js';
import type { DeleteChecker, Violation } from '../types.js';
import { isDebrisOf, rootdirOf } from './debris.js';
import { isHbaseCluster, isHbasePolicy, KIND, type DebrisParams, type HbaseObserved } from './types.js';

export function hbaseDeleteChecker(plan: Plan, config: Config, observed: Observed): DeleteChecker {
  return (step, violation) => checkDebrisDelete(step as Step<DebrisParams>, plan, config, observed, violation);
}

function checkDebrisDelete(step: Step<DebrisParams>, plan: Plan, config: Config, observed: Observed, violation: Violation): void {
  if (step.kind !== KIND.debris) return violation('unverifiable', 'not a delete the hbase safety rules know');
  const p = config.policies[step.policy];
  const c = isHbasePolicy(p) ? config.clusters[p.source.cluster] : undefined;
  if (!isHbasePolicy(p) || !isHbaseCluster(c)) return violation('unverifiable', `policy ${step.policy} is not an hbase policy`);
  const o = (observed.parts?.hbase as HbaseObserved | undefined)?.[p.name];
  if (!o) return violation('unverifiable', `the backups of policy ${p.name} were not observed`);
  const session = o.backups.find((b) => b.id === step.params.id);
  if (!session) return violation('unverifiable', `no session ${step.params.id} in the backup root of policy ${p.name}`);
  if (!isDebrisOf(session, p, rootdirOf(config, c), step.target.cluster, step.target.path)) {
    violation('foreign', `${step.target.cluster}:${step.target.path} is not what backup ${session.id} left (its named snapshot, its own image directory)`);
  }
  if (session.state === 'COMPLETE') violation('last-recovery-point', `backup ${session.id} is COMPLETE: its image is a backup, not debris`);
  if (session.state === 'RUNNING') {
    const repair = plan.steps.find((s) => s.kind === KIND.repair && s.policy === p.name && (s.params as { id?: string }).id === session.id);
    if (!repair || !step.dependsOn.includes(repair.id)) violation('delete-order', `backup ${session.id} is RUNNING: its leftovers go only after the plan's repair of it`);
  }
}
