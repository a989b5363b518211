/**
 * The HDFS block backup system (docs/blocks.md): every block of the files under an HDFS directory
 * copied once into a store, keyed by pool, block id and generation stamp; one manifest per run;
 * manifest retention and store-wide garbage collection of blocks no manifest references.
 * The restore half: blocks.restore (damaged files in the plan) and `hbr restore blocks` (restore-*.ts, damage.ts).
 */
import type { Step } from '../../model/plan.js';
import type { Config } from '../../model/policy.js';
import { storeEndpoint } from '../../stores/endpoint.js';
import type { System } from '../types.js';
import { checkBlocksStep } from './check.js';
import * as store from './exec-store.js';
import { upload } from './exec-upload.js';
import { blocksClaims, loadBlocksPolicy } from './load.js';
import { BLOCKS_PREFIX, MANIFESTS_PREFIX } from './names.js';
import { observeBlocks } from './observe.js';
import { planBlocksPolicy } from './plan.js';
import { blocksRecoveryPoints } from './recovery.js';
import { blocksDeleteChecker, blocksPart } from './safety.js';
import { blocksSchema } from './schema.js';
import { execRestore } from './restore-exec.js';
import { planDamagedRestores } from './restore-damaged.js';
import { blocksRestore } from './restore-command.js';
import { hdfsEndpoint, isHdfsCluster } from '../../hadoop/cluster.js';
import { KIND, type BlocksParams, type BlocksPolicy } from './types.js';

const HOUR = 3_600_000;

/**
 * What one step acts on. Uploads claim their own first key (put-if-absent makes parallel uploads
 * safe; one claim for all would run them one at a time: docs/design/blocks-proposal.md §6 point 4);
 * the manifest steps claim the policy's manifest prefix; gc and sweep the whole blocks/ prefix.
 */
function stepClaims(step: Step, config: Config | undefined): string[] {
  if (step.kind === KIND.restore) {
    // the file it writes, as the hdfs system claims a path (src/systems/hdfs/index.ts dirClaim)
    const c = config?.clusters[step.target.cluster];
    return [`${config ? hdfsEndpoint(isHdfsCluster(c) ? c : undefined, step.target.cluster) : `cluster:${step.target.cluster}`}\u0000${step.target.path}`];
  }
  const s = config?.stores[step.target.cluster];
  const ep = s ? storeEndpoint(s) : `store:${step.target.cluster}`;
  const base = s?.kind === 's3' ? (s.prefix ?? '') : '';
  switch (step.kind) {
    case KIND.upload:
      return [`${ep}\u0000${base}${step.target.path}`];
    case KIND.manifest:
    case KIND.manifestDelete:
      return [`${ep}\u0000${base}${MANIFESTS_PREFIX}${step.policy}/`];
    default:
      return [`${ep}\u0000${base}${BLOCKS_PREFIX}`];
  }
}

export const blocks: System<BlocksPolicy> = {
  name: 'blocks',
  policyKind: 'hdfs-blocks',
  key: 'backup',
  schema: blocksSchema,
  load: loadBlocksPolicy,
  claims: blocksClaims,
  stepClaims,
  describeSource(step) {
    const b = (step.params as BlocksParams).blocks;
    return step.kind === KIND.upload && b?.length ? `${b[0]!.path}${b.length > 1 ? ` (+${b.length - 1} blocks)` : ''}` : undefined;
  },
  // A block backup is a copy off the cluster, in a store: the audit's "no DR pair or backup" check counts it (docs/audit.md).
  protects(p, config) {
    const c = config.clusters[p.source.cluster];
    if (!isHdfsCluster(c)) return [];
    return [{ policy: p.name, endpoint: hdfsEndpoint(c, p.source.cluster), cluster: p.source.cluster, path: p.source.path, by: 'backup' }];
  },
  schedule: (p) => p.backup.schedule,
  scope: (p) => [...new Set([p.source.cluster, p.backup.to])].sort(),
  observe: observeBlocks,
  plan(b, policies, observed, now) {
    for (const p of [...policies].sort((x, y) => (x.name < y.name ? -1 : 1))) {
      planBlocksPolicy(b, p, observed, now);
      planDamagedRestores(b, p, blocksPart(observed, p.name), now);
    }
  },
  checkStep: checkBlocksStep,
  safety: blocksDeleteChecker,
  kinds: {
    [KIND.sweep]: { executor: store.sweep, deadline: 1 * HOUR },
    [KIND.upload]: { executor: upload, deadline: 6 * HOUR },
    [KIND.manifest]: { executor: store.manifest, deadline: 2 * HOUR },
    [KIND.manifestDelete]: { executor: store.manifestDelete, deadline: 1 * HOUR },
    [KIND.gc]: { executor: store.gc, deadline: 2 * HOUR },
    [KIND.restore]: { executor: execRestore, deadline: 6 * HOUR },
  },
  deletes: [KIND.manifestDelete, KIND.gc, KIND.sweep],
  recoveryPoints: blocksRecoveryPoints,
  restore: blocksRestore,
};
