/**
 * Checks an HBase step before it runs (a saved plan is a file anyone can edit): its policy is an
 * hbase policy, the target is the policy's backup root, and every parameter that reaches the
 * command line is the policy's.
 */
import type { Step } from '../../model/plan.js';
import type { Config } from '../../model/policy.js';
import { rootUri } from './load.js';
import { isHbasePolicy, KIND } from './types.js';

const TABLE = /^[A-Za-z0-9_]+:[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export function checkHbaseStep(step: Step, config: Config): string[] {
  const p = config.policies[step.policy];
  if (!isHbasePolicy(p)) return [`policy ${step.policy} is not an hbase policy`];
  const out: string[] = [];
  if (step.target.cluster !== p.hbase.root.cluster || step.target.path !== p.hbase.root.path) out.push(`${step.target.cluster}:${step.target.path} is not the backup root of policy ${p.name}`);
  if (step.kind === KIND.full || step.kind === KIND.incremental) {
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
