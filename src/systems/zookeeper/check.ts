/**
 * Checks a ZooKeeper archive step before it runs (a saved plan is a file anyone can edit): its
 * policy is an archive policy writing to the step's store, the key is an hbr archive key of the
 * policy's prefix, and the ensemble archived is the policy's.
 */
import { parseArchiveKey } from '../../model/names.js';
import type { Step } from '../../model/plan.js';
import type { Config } from '../../model/policy.js';
import { isArchivePolicy, KIND } from './types.js';

export function checkArchiveStep(step: Step, config: Config): string[] {
  const policy = config.policies[step.policy];
  if (!isArchivePolicy(policy)) return [`policy ${step.policy} is not a ZooKeeper archive policy`];
  const out: string[] = [];
  if (step.target.cluster !== policy.archive.to) out.push(`store ${step.target.cluster} is not the store of policy ${policy.name}`);
  if (parseArchiveKey(policy.archive.prefix, step.target.path) === undefined) out.push(`${JSON.stringify(step.target.path)} is not an archive key of prefix '${policy.archive.prefix}'`);
  if (step.kind === KIND.archive && step.params.zookeeper !== policy.source.cluster) out.push(`zookeeper: ${JSON.stringify(step.params.zookeeper)} is not the ensemble of policy ${policy.name}`);
  return out;
}
