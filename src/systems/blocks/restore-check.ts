/**
 * Checks a `blocks.restore` step before it runs (a saved plan is a file anyone can edit; the
 * backup half's ./check.ts hands restore steps here): it writes on its policy's cluster, reads a
 * manifest of its own policy, names files by clean relative paths, and writes under a clean
 * absolute directory.
 */
import type { Step } from '../../model/plan.js';
import { parseManifestKey } from './names.js';
import { joinPath } from './restore-plan.js';
import type { BlocksParams, BlocksPolicy } from './types.js';

const safeRel = (p: unknown) => typeof p === 'string' && p !== '' && !p.startsWith('/') && !p.split('/').some((s) => s === '' || s === '.' || s === '..');
const cleanAbs = (p: unknown) => typeof p === 'string' && p.startsWith('/') && (p === '/' || p.split('/').slice(1).every((s) => s !== '' && s !== '.' && s !== '..'));

export function checkRestoreStep(step: Step<BlocksParams>, p: BlocksPolicy): string[] {
  const out: string[] = [];
  const { params } = step;
  if (step.target.cluster !== p.source.cluster) out.push(`cluster ${step.target.cluster} is not the source cluster of policy ${p.name}`);
  if (typeof params.manifest !== 'string' || parseManifestKey(params.manifest)?.policy !== p.name) out.push(`${JSON.stringify(params.manifest)} is not a manifest of policy ${p.name}`);
  if (!Array.isArray(params.files) || !params.files.length) out.push('a restore names no files');
  for (const f of params.files ?? []) if (!safeRel(f)) out.push(`file ${JSON.stringify(f)} is not relative to the source`);
  if (params.to !== undefined && !cleanAbs(params.to)) out.push(`--to ${JSON.stringify(params.to)} is not a clean absolute path`);
  const root = params.to ?? p.source.path;
  if (params.files?.length === 1 && step.target.path !== joinPath(root, params.files[0]!)) out.push(`target ${step.target.path} is not where ${params.files[0]} is restored`);
  return out;
}
