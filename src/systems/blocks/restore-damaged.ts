/**
 * Pure: the ordinary plan's restore of damaged files (issue #12: "files whose blocks the NameNode
 * reports missing or corrupt are shown with a restore step"; docs/blocks.md "Restore"). A file
 * with a block that has no live replica gets a `-/+ blocks.restore` step when the newest manifest
 * holds the very same version of it (same fileId, length and mtime): the file is unreadable, so the
 * store holds its last good copy, and `hbr apply` restores it unattended. Any other damaged file
 * is a warning naming the command that can replace it (`hbr restore blocks --overwrite`), and so is
 * one whose ACL, xattrs or storage policy of its own a new inode would lose (observed read-only).
 */
import { Action, stepId } from '../../model/plan.js';
import { trustedUntil } from '../../model/names.js';
import type { PlanBuilder } from '../../planner/builder.js';
import { chooseManifest, joinPath, sameVersion } from './restore-plan.js';
import { KIND, type BlocksParams, type BlocksPolicy, type BlocksPolicyObserved, type BlocksStep } from './types.js';

export function planDamagedRestores(b: PlanBuilder, policy: BlocksPolicy, part: BlocksPolicyObserved | undefined, now: number): void {
  if (part?.damageWarning) b.warn(part.damageWarning, policy.name);
  const damaged = part?.damaged;
  if (!damaged?.length) return;
  const store = part?.store;
  const newest = store?.newest;
  const chosen = store ? chooseManifest(policy.name, store.manifests, { at: now, trusted: trustedUntil(now) }) : undefined;
  const usable = newest && chosen && 'key' in chosen && newest.createdAt === chosen.time ? { manifest: newest, key: chosen.key } : undefined;
  for (const d of damaged) {
    const abs = joinPath(policy.source.path, d.path);
    const lost = d.blocks.filter((x) => x.state !== 'ok');
    const what = `${lost.length} ${lost.every((x) => x.state === 'missing') ? 'missing' : lost.every((x) => x.state === 'corrupt') ? 'corrupt' : 'missing or corrupt'} block${lost.length === 1 ? '' : 's'}`;
    const m = usable?.manifest.files.find((f) => f.path === d.path);
    if (!usable || !m) {
      b.warn(`${policy.source.cluster}:${abs} has ${what} and ${usable ? 'is not in the newest manifest' : store ? 'the policy has no manifest to restore it from' : 'the store could not be read'}: nothing restores it`, policy.name);
      continue;
    }
    if (!sameVersion(m, d)) {
      b.warn(
        `${policy.source.cluster}:${abs} has ${what}, but it is not the version the newest manifest holds (changed since ${new Date(usable.manifest.createdAt).toISOString()}): not restored by apply; \`hbr restore blocks --policy ${policy.name} --path ${d.path} --overwrite\` replaces it with that version`,
        policy.name,
      );
      continue;
    }
    // What a new inode would lose (finding 7), known from the observation: shown here, not left to
    // the executor (which checks again, with the owner probe the plan cannot make).
    const refusal = d.attributes ? unattendedRefusal(d.attributes) : undefined;
    if (refusal) {
      b.warn(
        `${policy.source.cluster}:${abs} has ${what}, but it ${refusal}, which a restored copy (a new inode) would not keep: not restored by apply; \`hbr restore blocks --policy ${policy.name} --path ${d.path} --overwrite\` replaces it with ${usable.key}'s version on an operator's word`,
        policy.name,
      );
      continue;
    }
    const target = { cluster: policy.source.cluster, path: abs };
    const params: BlocksParams = {
      manifest: usable.key,
      files: [d.path],
      overwrite: true,
      damaged: true,
      expect: { [d.path]: { fileId: m.fileId, length: m.length, mtime: m.mtime } },
    };
    const step: BlocksStep = {
      id: stepId(KIND.restore, target),
      kind: KIND.restore,
      action: Action.Replace,
      policy: policy.name,
      target,
      params,
      reason: `${what}: rewritten from ${usable.key} (the same version: fileId ${m.fileId}, ${m.length} bytes), verified, renamed over`,
      dependsOn: [],
      estimate: { bytes: m.length, files: 1 },
    };
    b.add(step);
  }
}

/** What GETFILESTATUS, GETXATTRS and a SETOWNER probe say of a damaged file (./restore-unattended.ts). */
export interface UnattendedFacts {
  /** GETFILESTATUS `aclBit`: the file has an ACL beyond its permission bits */
  aclBit?: boolean;
  /** GETFILESTATUS `storagePolicy` of the file and of its directory (a file inherits its directory's) */
  storagePolicy?: number;
  parentStoragePolicy?: number;
  /** GETXATTRS names (those hbr's user may read) */
  xattrs: readonly string[];
  /** SETOWNER to the manifest's owner and group was refused (needs an HDFS superuser) */
  ownerRefused?: string;
}

/**
 * Pure: why the unattended restore of a damaged file must not run (safety review finding 7;
 * docs/blocks.md "Why apply restores it unattended"). The restore writes a new inode: it would lose
 * what the manifest does not record (ACL, extended attributes, a storage policy of its own), or be
 * owned by hbr's user. Such a file is left to `hbr restore blocks --overwrite`, an operator's word.
 */
export function unattendedRefusal(f: UnattendedFacts): string | undefined {
  const why: string[] = [];
  if (f.aclBit) why.push('has an ACL');
  if (f.xattrs.length) why.push(`has extended attributes (${f.xattrs.join(', ')})`);
  if (f.storagePolicy !== undefined && f.storagePolicy !== (f.parentStoragePolicy ?? 0)) why.push(`has a storage policy of its own (${f.storagePolicy})`);
  if (f.ownerRefused) why.push(`would not keep its owner (${f.ownerRefused})`);
  return why.length ? why.join(', ') : undefined;
}
