/**
 * The HBase backup system: full and incremental backups with HBase's own backup module, observed
 * over the REST gateway, each image checked against hbr's record of it (docs/hbase.md).
 */
import { hdfsEndpoint, isHdfsCluster } from '../../hadoop/cluster.js';
import type { Config } from '../../model/policy.js';
import type { System } from '../types.js';
import { checkHbaseStep } from './check.js';
import { drillHbase, removeHbaseDrillScratch } from './drill.js';
import { hbaseClaims, hbaseEndpoint, loadHbaseCluster, loadHbasePolicy } from './load.js';
import { observeHbase } from './observe.js';
import { planHbase } from './plan.js';
import { hbasePolicyPoints } from './recovery.js';
import { hbaseRestore } from './restore-command.js';
import { hbaseSchema } from './schema.js';
import { hbaseDeleteChecker } from './safety.js';
import { backupCreate } from './steps.js';
import { deleteChain } from './steps-delete.js';
import { deleteDebris, repair } from './steps-repair.js';
import { isHbaseCluster, KIND, type HbaseBackupPolicy } from './types.js';

/** A backup runs for minutes to hours (the copy runs inside the CLI's JVM). */
const BACKUP_DEADLINE = 360 * 60_000;
const REPAIR_DEADLINE = 30 * 60_000;

export const hbase: System<HbaseBackupPolicy> = {
  name: 'hbase',
  policyKind: 'hbase-backup',
  key: 'hbase',
  schema: hbaseSchema,
  loadCluster: (_kind, name, raw, at) => loadHbaseCluster(name, raw, at),
  load: loadHbasePolicy,
  claims: hbaseClaims,
  stepClaims(step, config: Config | undefined) {
    // The target (the backup root, or a debris path), and the HBase cluster as a whole: it runs one backup command at a time.
    const root = config?.clusters[step.target.cluster];
    const h = config?.clusters[String(step.params.hbase)];
    return [
      `${hdfsEndpoint(isHdfsCluster(root) ? root : undefined, step.target.cluster)}\u0000${step.target.path}`,
      `${hbaseEndpoint(isHbaseCluster(h) ? h : undefined, String(step.params.hbase))}\u0000backup`,
    ];
  },
  describeSource: (step) => (Array.isArray(step.params.tables) ? `${String(step.params.hbase)}: ${step.params.tables.join(',')}` : undefined),
  schedule: (p) => p.hbase.incremental,
  scope: (p) => [...new Set([p.source.cluster, p.hbase.root.cluster])].sort(),
  observe: observeHbase,
  plan: planHbase,
  checkStep: checkHbaseStep,
  safety: hbaseDeleteChecker,
  kinds: {
    [KIND.full]: { executor: backupCreate, deadline: BACKUP_DEADLINE },
    [KIND.incremental]: { executor: backupCreate, deadline: BACKUP_DEADLINE },
    [KIND.repair]: { executor: repair, deadline: REPAIR_DEADLINE },
    [KIND.debris]: { executor: deleteDebris, deadline: REPAIR_DEADLINE },
    [KIND.delete]: { executor: deleteChain, deadline: REPAIR_DEADLINE },
  },
  deletes: [KIND.debris, KIND.delete],
  recoveryPoints: hbasePolicyPoints,
  restore: hbaseRestore,
  drill: drillHbase,
  removeDrillScratch: removeHbaseDrillScratch,
};
