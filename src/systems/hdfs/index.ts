/**
 * The HDFS snapshot system: scheduled snapshots of a directory, GFS retention on both sides, and
 * DR replication with `hadoop distcp -update -diff` (docs/policies.md, docs/architecture.md).
 */
import { hdfsEndpoint, isHdfsCluster, loadHdfsCluster } from '../../hadoop/cluster.js';
import { checkHdfsCluster } from '../../hadoop/cluster-check.js';
import type { Step } from '../../model/plan.js';
import type { Config } from '../../model/policy.js';
import { pairSourceText, pairStepClaims } from '../../planner/pair-claims.js';
import type { System } from '../types.js';
import { checkHdfsStep } from './check.js';
import { hdfsDrill, removeHdfsDrillScratch } from './drill.js';
import * as distcp from './exec-distcp.js';
import * as snapshots from './exec-snapshots.js';
import * as failover from './exec-failover.js';
import { rollbackTorn } from './exec-torn.js';
import { pollHdfsHealth } from './health.js';
import { hdfsClaims, hdfsProtects, loadHdfsPolicy } from './load.js';
import { observeHdfs } from './observe.js';
import { planHdfs } from './plan.js';
import { snapshotPolicyPoints } from './recovery.js';
import { hdfsDeleteChecker } from './safety.js';
import { hdfsSchema } from './schema.js';
import { hdfsRestore } from './restore-command.js';
import { isHdfsStep, KIND, type HdfsSnapshotPolicy } from './types.js';

const MIN = 60_000;
/** A snapshot is metadata: minutes are plenty. */
const SNAPSHOT_DEADLINE = 2 * MIN;
/** DistCp of a large tree. */
const REPLICATE_DEADLINE = 360 * MIN;

/** The canonical endpoint of cluster `name` (by name when the config is not at hand). */
function endpointOf(config: Config | undefined, cluster: string): string {
  const c = config?.clusters[cluster];
  return config ? hdfsEndpoint(isHdfsCluster(c) ? c : undefined, cluster) : `cluster:${cluster}`;
}

export const hdfs: System<HdfsSnapshotPolicy> = {
  name: 'hdfs',
  policyKind: 'hdfs-snapshots',
  key: 'snapshots',
  schema: hdfsSchema,
  loadCluster: (_kind, name, raw, at, report) => {
    const c = loadHdfsCluster(name, raw, at);
    if (report) checkHdfsCluster(c, raw, report);
    return c;
  },
  load: loadHdfsPolicy,
  claims: hdfsClaims,
  protects: hdfsProtects,
  stepClaims: (step: Step, config) => pairStepClaims(step, isHdfsStep(step) ? step.params.source : undefined, (c) => endpointOf(config, c)),
  describeSource: (step) => (isHdfsStep(step) ? pairSourceText(step.params.source, step.params.toSnapshot) : undefined),
  schedule: (p) => p.snapshots.schedule,
  scope: (p) => [...new Set([p.source.cluster, ...p.replicate.map((r) => r.to.cluster)])].sort(),
  observe: (config, policies, opts) =>
    observeHdfs(config, { targets: policies.map((p) => p.name), ...(opts.timeoutMs && { timeoutMs: opts.timeoutMs }), ...(opts.now && { now: opts.now }) }),
  plan: planHdfs,
  checkStep: checkHdfsStep,
  safety: hdfsDeleteChecker,
  kinds: {
    [KIND.allow]: { executor: snapshots.allowSnapshot, deadline: SNAPSHOT_DEADLINE },
    [KIND.create]: { executor: snapshots.createSnapshot, deadline: SNAPSHOT_DEADLINE },
    [KIND.delete]: { executor: snapshots.deleteSnapshot, deadline: SNAPSHOT_DEADLINE },
    [KIND.bootstrap]: { executor: distcp.bootstrap, deadline: REPLICATE_DEADLINE },
    [KIND.diff]: { executor: distcp.diff, deadline: REPLICATE_DEADLINE },
    [KIND.repair]: { executor: distcp.repair, deadline: REPLICATE_DEADLINE },
    [KIND.failover]: { executor: failover.failover, deadline: SNAPSHOT_DEADLINE },
    [KIND.failback]: { executor: failover.failback, deadline: SNAPSHOT_DEADLINE },
    [KIND.rollbackTorn]: { executor: rollbackTorn, deadline: REPLICATE_DEADLINE },
  },
  deletes: [KIND.delete],
  recoveryPoints: snapshotPolicyPoints,
  health: pollHdfsHealth,
  restore: hdfsRestore,
  drill: hdfsDrill,
  removeDrillScratch: removeHdfsDrillScratch,
};
