/**
 * Checks an Ozone step before it runs (a saved plan is a file anyone can edit): its policy is an
 * Ozone policy, its buckets are exactly the policy's own (source or a DR target, so every path is
 * one the loader validated), and every snapshot name is hbr's (nothing reaching DistCp's argv can
 * be read as an option).
 */
import { LOWER_CASE_NAMING } from '../../model/names.js';
import type { Step } from '../../model/plan.js';
import type { Config } from '../../model/policy.js';
import { bucketOfSide, isOzoneCluster, isOzonePolicy, isOzoneStep, KIND, pairFor } from './types.js';

export function checkOzoneStep(step: Step, config: Config): string[] {
  if (!isOzoneStep(step)) return [`kind ${step.kind} is not an Ozone step`];
  const policy = config.policies[step.policy];
  if (!isOzonePolicy(policy)) return [`policy ${step.policy} is not an Ozone policy`];
  const out: string[] = [];
  const mine = typeof step.target.cluster === 'string' && typeof step.target.path === 'string' ? bucketOfSide(policy, step.target) : undefined;
  if (!mine || !isOzoneCluster(config.clusters[step.target.cluster])) {
    out.push(`target ${step.target.cluster}:${step.target.path} is not a bucket of policy ${policy.name}`);
    return out;
  }
  const { source, targets } = pairFor(policy, mine.bucket);
  const same = (a: { cluster?: unknown; path?: unknown } | undefined, b: { cluster: string; path: string }) => a !== undefined && a.cluster === b.cluster && a.path === b.path;
  const p = step.params;
  if (step.kind === KIND.bootstrap || step.kind === KIND.diff || step.kind === KIND.repair) {
    if (!same(p.source, source)) out.push('source: not the policy source');
    if (!targets.some((t) => same(step.target, t.side))) out.push('target: not a DR target of the policy');
    if (p.toSnapshot === undefined) out.push('a copy needs toSnapshot');
  }
  if (step.kind === KIND.diff && p.fromSnapshot === undefined) out.push('a -diff copy needs fromSnapshot');
  if ((step.kind === KIND.create || step.kind === KIND.delete) && step.target.snapshot === undefined) out.push('no snapshot named');
  for (const [k, v] of [['target.snapshot', step.target.snapshot], ['fromSnapshot', p.fromSnapshot], ['toSnapshot', p.toSnapshot]] as Array<[string, unknown]>) {
    if (v !== undefined && (typeof v !== 'string' || LOWER_CASE_NAMING.parse(v) === undefined)) out.push(`${k}: ${JSON.stringify(v)} is not an hbr snapshot name`);
  }
  return out;
}
