/**
 * The ZooKeeper archive system: archives of an ensemble's data in a store (S3 or a local
 * directory) on a schedule, GFS retention, restore (docs/policies.md, docs/architecture.md).
 */
import type { Step } from '../../model/plan.js';
import type { Config } from '../../model/policy.js';
import type { System } from '../types.js';
import { checkArchiveStep } from './check.js';
import { drillArchivePolicy } from './drill.js';
import { archiveClaims, loadArchivePolicy, loadZookeeperCluster, storeEndpoint } from './load.js';
import { observeStores } from './observe.js';
import { planArchivePolicy } from './plan.js';
import { archivePolicyPoints } from './recovery.js';
import { zookeeperRestore } from './restore-command.js';
import { archiveDeleteChecker } from './safety.js';
import { zookeeperSchema } from './schema.js';
import * as steps from './steps.js';
import { KIND, type ZookeeperArchivePolicy } from './types.js';

/** As before the systems had deadlines of their own: the engine's fallback of 6 h. */
const ARCHIVE_DEADLINE = 360 * 60_000;
const DELETE_DEADLINE = 360 * 60_000;

/** `<store endpoint>\0<key>` (by store name when the config is not at hand). */
function keyClaim(config: Config | undefined, step: Step): string {
  const store = config?.stores[step.target.cluster];
  return `${store ? storeEndpoint(store) : `store:${step.target.cluster}`}\u0000${step.target.path}`;
}

export const zookeeper: System<ZookeeperArchivePolicy> = {
  name: 'zookeeper',
  policyKind: 'zookeeper-archive',
  key: 'archive',
  schema: zookeeperSchema,
  loadCluster: (_kind, name, raw, at) => loadZookeeperCluster(name, raw, at),
  load: loadArchivePolicy,
  claims: archiveClaims,
  stepClaims: (step, config) => [keyClaim(config, step)],
  schedule: (p) => p.archive.schedule,
  scope: (p) => [...new Set([p.source.cluster, p.archive.to])].sort(),
  observe: (config, policies) => observeStores(config, { targets: policies.map((p) => p.name) }),
  plan(b, policies, observed, now) {
    for (const p of [...policies].sort((x, y) => (x.name < y.name ? -1 : 1))) planArchivePolicy(b, p, observed, now);
  },
  checkStep: checkArchiveStep,
  safety: archiveDeleteChecker,
  kinds: {
    [KIND.archive]: { executor: steps.archive, deadline: ARCHIVE_DEADLINE },
    [KIND.delete]: { executor: steps.deleteObject, deadline: DELETE_DEADLINE },
  },
  deletes: [KIND.delete],
  recoveryPoints: archivePolicyPoints,
  restore: zookeeperRestore,
  drill: drillArchivePolicy,
};
