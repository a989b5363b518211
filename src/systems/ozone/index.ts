/**
 * The Ozone system (issue 14, docs/ozone.md): scheduled hbr snapshots of Ozone buckets over the
 * HttpFS gateway, GFS retention per side with the shared snapshot floors, and DR replication to
 * the same-named bucket of another Ozone cluster with `hadoop distcp -update -diff` over ofs://.
 */
import type { Step } from '../../model/plan.js';
import type { Config } from '../../model/policy.js';
import { pairSourceText, pairStepClaims } from '../../planner/pair-claims.js';
import type { System } from '../types.js';
import { checkOzoneStep } from './check.js';
import * as exec from './exec.js';
import { loadOzoneCluster, loadOzonePolicy, ozoneClaims, ozoneEndpoint, ozoneProtects } from './load.js';
import { observeOzone } from './observe.js';
import { planOzone } from './plan.js';
import { ozonePoints } from './recovery.js';
import { ozoneRestore } from './restore.js';
import { ozoneDeleteChecker } from './safety.js';
import { ozoneSchema } from './schema.js';
import { isOzoneCluster, isOzoneStep, KIND, type OzonePolicy } from './types.js';

const MIN = 60_000;

/** The canonical endpoint of cluster `name` (by name when the config is not at hand). */
function endpointOf(config: Config | undefined, cluster: string): string {
  const c = config?.clusters[cluster];
  return config ? ozoneEndpoint(isOzoneCluster(c) ? c : undefined, cluster) : `cluster:${cluster}`;
}

export const ozone: System<OzonePolicy> = {
  name: 'ozone',
  policyKind: 'ozone-snapshots',
  key: 'ozone',
  schema: ozoneSchema,
  loadCluster: (_kind, name, raw, at) => loadOzoneCluster(name, raw, at),
  load: loadOzonePolicy,
  claims: ozoneClaims,
  protects: ozoneProtects,
  stepClaims: (step: Step, config) => pairStepClaims(step, isOzoneStep(step) ? step.params.source : undefined, (c) => endpointOf(config, c)),
  describeSource: (step) => (isOzoneStep(step) ? pairSourceText(step.params.source, step.params.toSnapshot) : undefined),
  schedule: (p) => p.snapshots.schedule,
  scope: (p) => [...new Set([p.source.cluster, ...p.replicate.map((r) => r.cluster)])].sort(),
  observe: (config, policies, opts) => observeOzone(config, policies, opts),
  plan: planOzone,
  checkStep: checkOzoneStep,
  safety: ozoneDeleteChecker,
  kinds: {
    [KIND.create]: { executor: exec.createSnapshot, deadline: 2 * MIN },
    [KIND.delete]: { executor: exec.deleteSnapshot, deadline: 2 * MIN },
    // its unfinished intent is the resume mark (./plan.ts): a later finished bootstrap ends it
    [KIND.bootstrap]: { executor: exec.bootstrap, deadline: 360 * MIN, supersedes: true },
    [KIND.diff]: { executor: exec.diff, deadline: 360 * MIN },
    [KIND.repair]: { executor: exec.repair, deadline: 360 * MIN },
  },
  deletes: [KIND.delete],
  recoveryPoints: ozonePoints,
  restore: ozoneRestore,
};


