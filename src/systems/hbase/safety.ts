/**
 * The floors of the HBase system's deletes (docs/architecture.md, "Safety"). Its only delete so far is
 * `hbase.debris.delete`:
 *   unverifiable   the policy is not an hbase policy, or its observation is missing
 *   foreign        the path is not what the named session left (./debris.ts: its named snapshot under
 *                  the rootdir, its own image directory in the policy's root)
 *   last-recovery-point  the session is COMPLETE (its image is a backup, never debris)
 *   delete-order   the session is RUNNING and the delete does not wait for the plan's repair of it
 * and `hbase.backup.delete` (retention, ./retention.ts):
 *   foreign        the ids are not exactly one observed chain (its full, then its COMPLETE incrementals)
 *   last-recovery-point  the chain holds the newest recovery point
 *   in-use         the chain is the newest one (the next incremental builds on it)
 *   referenced     HBase's delete cascade would reach a COMPLETE backup outside the chain
 *   future         a member is dated in the future (not trusted)
 *   delete-order   the plan makes a new backup of the policy and the delete does not wait for it
 * A delete of any other kind naming this system is refused (default deny).
 */
import type { Observed } from '../../model/observed.js';
import type { Plan, Step } from '../../model/plan.js';
import type { Config } from '../../model/policy.js';
import type { DeleteChecker, Violation } from '../types.js';
import { isDebrisOf, rootdirOf } from './debris.js';
import { checkNow } from '../../planner/safety.js';
import { chainsOf, policyTables, trusted } from './chains.js';
import { cascadeEscapes, chainIds } from './retention.js';
import { isHbaseCluster, isHbasePolicy, KIND, type DebrisParams, type DeleteParams, type HbaseObserved } from './types.js';

export function hbaseDeleteChecker(plan: Plan, config: Config, observed: Observed): DeleteChecker {
  return (step, violation) => checkDebrisDelete(step as Step<DebrisParams>, plan, config, observed, violation);
}

function checkDebrisDelete(step: Step<DebrisParams>, plan: Plan, config: Config, observed: Observed, violation: Violation): void {
  if (step.kind === KIND.delete) return checkChainDelete(step as unknown as Step<DeleteParams>, plan, config, observed, violation);
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

function checkChainDelete(step: Step<DeleteParams>, plan: Plan, config: Config, observed: Observed, violation: Violation): void {
  const p = config.policies[step.policy];
  if (!isHbasePolicy(p)) return violation('unverifiable', `policy ${step.policy} is not an hbase policy`);
  const o = (observed.parts?.hbase as HbaseObserved | undefined)?.[p.name];
  if (!o) return violation('unverifiable', `the backups of policy ${p.name} were not observed`);
  const now = checkNow(plan, observed);
  const { backups, future } = trusted(o, now);
  const ids = Array.isArray(step.params.ids) ? step.params.ids : [];
  if (ids.some((id) => future.some((f) => f.id === id))) violation('future', 'a member is dated in the future (not trusted: check the clocks)');
  const chains = chainsOf(backups);
  const chain = chains.find((c) => c.full.id === ids[0]);
  if (!chain || JSON.stringify(chainIds(chain)) !== JSON.stringify(ids)) return violation('foreign', `${ids.join(',')} is not one whole chain of the backup root of policy ${p.name}`);
  const tables = policyTables(p, o);
  const newestGood = [...chains].reverse().find((c) => c.good.length > 0 && tables.every((t) => c.full.tables.includes(t)));
  if (newestGood === chain) violation('last-recovery-point', `the chain of ${chain.full.id} holds the newest recovery point of policy ${p.name}`);
  if (chains[chains.length - 1] === chain) violation('in-use', `the chain of ${chain.full.id} is the newest: the next incremental builds on it`);
  const escapes = cascadeEscapes(ids, o.backups);
  if (escapes.length) violation('referenced', `hbase backup delete would cascade to ${escapes.map((e) => e.id).join(', ')}, outside the chain`);
  const create = plan.steps.find((s) => (s.kind === KIND.full || s.kind === KIND.incremental) && s.policy === p.name);
  if (create && !step.dependsOn.includes(create.id)) violation('delete-order', `must run after step ${create.id}`);
}
