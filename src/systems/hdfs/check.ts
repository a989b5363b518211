/**
 * Checks an HDFS step before it runs (a saved plan is a file anyone can edit): its policy is an
 * HDFS snapshot policy, its directories are the policy's own on HDFS clusters, every path is a
 * clean absolute path, every snapshot name is hbr's (so nothing that reaches DistCp's argv can be
 * read as an option), and the repair mode is one hbr knows.
 */
import { isHbrSnapshot } from '../../model/names.js';
import type { Step } from '../../model/plan.js';
import type { Config } from '../../model/policy.js';
import { isHdfsCluster } from '../../hadoop/cluster.js';
import { isTornKeep } from './scratch.js';
import { isHdfsPolicy, isHdfsStep, KIND, type HdfsLocation } from './types.js';

/** A clean absolute path: no empty, `.` or `..` segment, no control character. */
export function cleanPath(p: unknown): p is string {
  if (typeof p !== 'string' || !p.startsWith('/')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) return false;
  return p === '/' || p.slice(1).split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

export function checkHdfsStep(step: Step, config: Config): string[] {
  const out: string[] = [];
  if (!isHdfsStep(step)) return [`kind ${step.kind} is not an HDFS step`];
  const policy = config.policies[step.policy];
  if (!isHdfsPolicy(policy)) return [`policy ${step.policy} is not an HDFS snapshot policy`];
  const mine: HdfsLocation[] = [policy.source, ...policy.replicate.map((r) => r.to)];
  const loc = (l: { cluster?: unknown; path?: unknown } | undefined, what: string): void => {
    if (!l || typeof l.cluster !== 'string' || !isHdfsCluster(config.clusters[l.cluster])) {
      out.push(`${what}: not an HDFS cluster of the policies`);
      return;
    }
    if (!cleanPath(l.path)) {
      out.push(`${what}: ${JSON.stringify(l.path)} is not a clean absolute path`);
      return;
    }
    if (!mine.some((m) => m.cluster === l.cluster && m.path === l.path)) out.push(`${what} ${l.cluster}:${l.path} is not a directory of policy ${policy.name}`);
  };
  loc(step.target, 'target');
  const p = step.params;
  const replicates = step.kind === KIND.bootstrap || step.kind === KIND.diff || step.kind === KIND.repair;
  const same = (a: HdfsLocation | undefined, b: HdfsLocation): boolean => a !== undefined && a.cluster === b.cluster && a.path === b.path;
  if (replicates) {
    loc(p.source, 'source');
    // A failed-over pair copies back (./failover.ts): from a DR target into the policy's source.
    const back = same(step.target, policy.source) && policy.replicate.some((r) => same(p.source, r.to));
    if (p.source && !back && p.source.cluster === policy.source.cluster && p.source.path !== policy.source.path) out.push('source: not the policy source');
  }
  if (step.kind === KIND.failover || step.kind === KIND.failback) {
    if (!same(p.source, policy.source)) out.push('source: not the policy source');
    if (!policy.replicate.some((r) => same(step.target, r.to))) out.push('target: not a DR target of the policy');
  }
  if (step.kind === KIND.rollbackTorn) {
    // The roll-back of a torn DR copy reads only the DR copy's own snapshot (./exec-torn.ts).
    if (!same(p.source, step.target)) out.push('source: a torn roll-back reads the target itself');
    if (!policy.replicate.some((r) => same(step.target, r.to))) out.push('target: not a DR target of the policy');
    if (typeof p.keepAs !== 'string' || !isTornKeep(p.keepAs)) out.push(`keepAs: ${JSON.stringify(p.keepAs)} is not an hbr-torn-<stamp> name`);
    if (p.baseSnapshot === undefined) out.push('a torn roll-back needs baseSnapshot');
  }
  const names: Array<[string, unknown]> = [
    ['target.snapshot', step.target.snapshot],
    ['fromSnapshot', p.fromSnapshot],
    ['toSnapshot', p.toSnapshot],
    ['baseSnapshot', p.baseSnapshot],
  ];
  for (const [k, v] of names) if (v !== undefined && (typeof v !== 'string' || !isHbrSnapshot(v))) out.push(`${k}: ${JSON.stringify(v)} is not an hbr snapshot name`);
  if (p.repair !== undefined && p.repair !== 'rdiff' && p.repair !== 'resync') out.push(`repair: ${JSON.stringify(p.repair)} is neither rdiff nor resync`);
  if ((step.kind === KIND.create || step.kind === KIND.delete) && step.target.snapshot === undefined) out.push('no snapshot named');
  if (step.kind === KIND.diff && (p.fromSnapshot === undefined || p.toSnapshot === undefined)) out.push('a -diff copy needs fromSnapshot and toSnapshot');
  return out;
}
