/**
 * Checks an HBase step before it runs (a saved plan is a file anyone can edit): its policy is an
 * hbase policy, the target is the policy's backup root, and every parameter that reaches the
 * command line is the policy's.
 */
import type { Step } from '../../model/plan.js';
import type { Config } from '../../model/policy.js';
import { rootUri } from './load.js';
import { rootdirOf } from './debris.js';
import { imageDir } from './image.js';
import { isHbaseCluster, isHbasePolicy, KIND } from './types.js';

const TABLE = /^[A-Za-z0-9_]+:[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export function checkHbaseStep(step: Step, config: Config): string[] {
  const p = config.policies[step.policy];
  if (!isHbasePolicy(p)) return [`policy ${step.policy} is not an hbase policy`];
  const out: string[] = [];
  const params = step.params as { hbase?: unknown; id?: unknown; what?: unknown };
  if (step.kind === KIND.debris) {
    if (params.hbase !== p.source.cluster) out.push(`hbase: ${JSON.stringify(params.hbase)} is not the cluster of policy ${p.name}`);
    if (typeof params.id !== 'string' || !/^backup_\d+$/.test(params.id)) out.push(`id: ${JSON.stringify(params.id)} is not a backup id`);
    const c = config.clusters[p.source.cluster];
    const rootdir = isHbaseCluster(c) ? rootdirOf(config, c) : undefined;
    const ok = params.what === 'image'
      ? step.target.cluster === p.hbase.root.cluster && step.target.path === imageDir(p.hbase.root.path, String(params.id))
      : params.what === 'snapshot' && rootdir !== undefined && step.target.cluster === rootdir.cluster.name && /^snapshot_\d+_[A-Za-z0-9_]+_[A-Za-z0-9_.-]+$/.test(step.target.path.slice(`${rootdir.path}/.hbase-snapshot/`.length)) && step.target.path.startsWith(`${rootdir.path}/.hbase-snapshot/`);
    if (!ok) out.push(`${step.target.cluster}:${step.target.path} is not a ${String(params.what)} a backup of policy ${p.name} can leave`);
    return out;
  }
  if (step.target.cluster !== p.hbase.root.cluster || step.target.path !== p.hbase.root.path) out.push(`${step.target.cluster}:${step.target.path} is not the backup root of policy ${p.name}`);
  if (step.kind === KIND.delete) {
    const ids = (step.params as { ids?: unknown }).ids;
    if (params.hbase !== p.source.cluster) out.push(`hbase: ${JSON.stringify(params.hbase)} is not the cluster of policy ${p.name}`);
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((i) => typeof i === 'string' && /^backup_\d+$/.test(i))) out.push(`ids: ${JSON.stringify(ids)} is not a list of backup ids`);
    else if (step.target.snapshot !== ids[0]) out.push(`the target names ${String(step.target.snapshot)}, the ids start with ${String(ids[0])}`);
  } else if (step.kind === KIND.repair) {
    if (params.hbase !== p.source.cluster) out.push(`hbase: ${JSON.stringify(params.hbase)} is not the cluster of policy ${p.name}`);
    if (typeof params.id !== 'string' || !/^backup_\d+$/.test(params.id)) out.push(`id: ${JSON.stringify(params.id)} is not a backup id`);
  } else if (step.kind === KIND.full || step.kind === KIND.incremental) {
    const params = step.params as { hbase?: unknown; root?: unknown; tables?: unknown };
    if (params.hbase !== p.source.cluster) out.push(`hbase: ${JSON.stringify(params.hbase)} is not the cluster of policy ${p.name}`);
    if (params.root !== rootUri(config, p)) out.push(`root: ${JSON.stringify(params.root)} is not the backup root of policy ${p.name}`);
    const tables = params.tables;
    if (!Array.isArray(tables) || tables.length === 0 || !tables.every((t) => typeof t === 'string' && TABLE.test(t))) out.push(`tables: ${JSON.stringify(tables)} is not a list of namespace:table names`);
    else if (p.hbase.tables && tables.some((t) => !p.hbase.tables!.includes(t as string))) out.push(`tables: ${JSON.stringify(tables)} are not the tables of policy ${p.name}`);
    else if (p.hbase.namespace !== undefined && tables.some((t) => !(t as string).startsWith(`${p.hbase.namespace}:`))) out.push(`tables: ${JSON.stringify(tables)} are not in namespace ${p.hbase.namespace}`);
  } else {
    out.push(`unknown step kind ${step.kind}`);
  }
  return out;
}
