/**
 * Checks a block backup step before it runs (a saved plan is a file anyone can edit): its policy
 * writes to the step's store, its keys are hbr names of that policy, and every path it reads is
 * relative and inside the source.
 */
import type { Step } from '../../model/plan.js';
import type { Config } from '../../model/policy.js';
import { BLOCKS_PREFIX, manifestKey, parseBlockKey, parseBlockRef, parseManifestKey, parseOpenRunKey, parseReleasedKey, parseRunBeatKey } from './names.js';
import { isBlocksPolicy, KIND, type BlocksParams } from './types.js';
import { checkRestoreStep } from './restore-check.js';

const safeRel = (p: unknown) => typeof p === 'string' && p !== '' && !p.startsWith('/') && !p.split('/').some((s) => s === '' || s === '.' || s === '..');

export function checkBlocksStep(stepIn: Step, config: Config): string[] {
  const step = stepIn as Step<BlocksParams>;
  const p = config.policies[step.policy];
  if (!isBlocksPolicy(p)) return [`policy ${step.policy} is not a block backup policy`];
  const out: string[] = [];
  if (step.kind === KIND.restore) return checkRestoreStep(step, p);
  if (step.target.cluster !== p.backup.to) out.push(`store ${step.target.cluster} is not the store of policy ${p.name}`);
  const { params } = step;
  switch (step.kind) {
    case KIND.upload:
      if (!parseBlockKey(step.target.path)) out.push(`${JSON.stringify(step.target.path)} is not a block key`);
      if (!Array.isArray(params.blocks) || !params.blocks.length) out.push('an upload names no blocks');
      for (const b of params.blocks ?? []) {
        if (!safeRel(b.path)) out.push(`block path ${JSON.stringify(b.path)} is not relative to the source`);
        if (![b.id, b.gs, b.offset, b.length].every((n) => Number.isSafeInteger(n) && n >= 0)) out.push(`block ${JSON.stringify(b)} has a bad id, stamp, offset or length`);
      }
      if (!Number.isSafeInteger(params.runAt)) out.push('an upload carries no run time');
      break;
    case KIND.manifest:
      if (params.runAt === undefined || step.target.path !== manifestKey(p.name, params.runAt)) out.push(`${JSON.stringify(step.target.path)} is not the manifest of policy ${p.name} at its run time`);
      break;
    case KIND.manifestDelete:
      if (parseManifestKey(step.target.path)?.policy !== p.name) out.push(`${JSON.stringify(step.target.path)} is not a manifest of policy ${p.name}`);
      break;
    case KIND.gc:
      for (const k of params.keys ?? []) if (!parseBlockRef(k)) out.push(`${JSON.stringify(k)} is not a block key`);
      break;
    case KIND.sweep:
      for (const u of params.uploads ?? []) if (!u.key.startsWith(BLOCKS_PREFIX)) out.push(`upload of ${JSON.stringify(u.key)} is not under ${BLOCKS_PREFIX}`);
      for (const k of params.keys ?? []) if (parseOpenRunKey(k)?.policy !== p.name && parseRunBeatKey(k)?.policy !== p.name && parseReleasedKey(k)?.policy !== p.name) out.push(`${JSON.stringify(k)} is not a run marker or release record of policy ${p.name}`);
      break;
    default:
      out.push(`unknown step kind ${step.kind}`);
  }
  return out;
}
