/**
 * The floors for archives in a store (docs/architecture.md, "Safety"):
 *   foreign              never delete an object that is not an hbr archive of the policy's prefix
 *                        carrying its checksum (hbr did not write it)
 *   planned              never delete the archive this plan creates
 *   last-recovery-point  never delete the newest good archive
 *   delete-order         a store delete runs after the plan's new archive of that policy
 */
import { parseArchiveKey, trustedUntil } from '../../model/names.js';
import { storeKey, type Observed, type ObservedStorePrefix } from '../../model/observed.js';
import type { Plan, Step } from '../../model/plan.js';
import type { Config } from '../../model/policy.js';
import { checkNow, type Floor } from '../../planner/safety.js';
import type { DeleteChecker, Violation } from '../types.js';
import { isArchivePolicy, KIND, type ZookeeperArchivePolicy } from './types.js';

/**
 * The floors protecting objects of a store under an archive policy's prefix: anything not an
 * hbr archive of this prefix with its checksum (foreign: never deleted), the archive this plan
 * creates, and the newest good archive (the last recovery point).
 */
export function archiveFloors(policy: ZookeeperArchivePolicy, listing: ObservedStorePrefix, plannedKey: string | undefined, now: number): Floor[] {
  const bySha = new Map(listing.objects.map((o) => [o.key, o.sha256]));
  const until = trustedUntil(now);
  let newest: { key: string; time: number } | undefined;
  for (const o of listing.objects) {
    const t = parseArchiveKey(policy.archive.prefix, o.key);
    if (t !== undefined && t <= until && o.sha256 && (!newest || t > newest.time)) newest = { key: o.key, time: t };
  }
  return [
    {
      rule: 'foreign',
      why: `not an archive hbr wrote for prefix '${policy.archive.prefix}' (name or checksum)`,
      protects: (k) => parseArchiveKey(policy.archive.prefix, k) === undefined || (bySha.has(k) && !bySha.get(k)),
    },
    { rule: 'future', why: 'named in the future (not trusted: check the clocks)', protects: (k) => (parseArchiveKey(policy.archive.prefix, k) ?? -Infinity) > until },
    { rule: 'planned', why: 'created by this plan', protects: (k) => k === plannedKey },
    { rule: 'last-recovery-point', why: `newest good archive of policy ${policy.name}`, protects: (k) => k === newest?.key },
  ];
}

/** The checker `checkSafety` (src/planner/check.ts) runs on every store.delete of a finished plan. */
export function archiveDeleteChecker(plan: Plan, config: Config, observed: Observed): DeleteChecker {
  return (step, violation) => checkStoreDelete(step, plan, config, observed, violation);
}

function checkStoreDelete(step: Step, plan: Plan, config: Config, observed: Observed, violation: Violation): void {
  if (step.kind !== KIND.delete) {
    violation('unverifiable', 'not an archive delete the safety rules know');
    return;
  }
  const policy = config.policies[step.policy];
  if (!isArchivePolicy(policy) || policy.archive.to !== step.target.cluster) {
    violation('unverifiable', `no archive policy ${step.policy} writes to store ${step.target.cluster}`);
    return;
  }
  const listing = observed.stores?.[storeKey(policy.archive.to, policy.archive.prefix)];
  if (!listing) {
    violation('unverifiable', `store ${policy.archive.to} was not observed`);
    return;
  }
  const create = plan.steps.find((s) => s.kind === KIND.archive && s.policy === policy.name);
  for (const f of archiveFloors(policy, listing, create?.target.path, checkNow(plan, observed))) if (f.protects(step.target.path)) violation(f.rule, f.why);
  if (create && !step.dependsOn.includes(create.id)) violation('delete-order', `must run after step ${create.id}`);
}
