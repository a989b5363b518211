/**
 * The facts the unattended restore of a damaged file is refused on (./restore-damaged.ts
 * unattendedRefusal; docs/blocks.md "Why apply restores it unattended"): GETFILESTATUS `aclBit`
 * (present, true, only with an ACL) and `storagePolicy` (the effective one: on Hadoop 3.4.3 a file
 * without its own reports its directory's, so a policy of its own is one that differs from the
 * directory's, which a new inode would inherit), GETXATTRS, and whether hbr may give a file
 * the manifest's owner: a SETOWNER probe on an empty file of hbr's own scratch name beside the
 * target (a killed probe is swept like any scratch: ./restore-exec.ts sweepScratch).
 */
import type { FileStatus, WebHdfs } from '../../hadoop/webhdfs.js';
import { baseName, joinPath, parentOf, restoreScratchName } from './restore-plan.js';
import type { UnattendedFacts } from './restore-damaged.js';
import type { ManifestFile } from './types.js';

type StatusFields = FileStatus & { aclBit?: boolean; storagePolicy?: number };

/**
 * The read-only facts (GETFILESTATUS of the file and its directory, GETXATTRS): the observer asks
 * them of every damaged file, so the plan itself shows a refusal (./damage.ts, ./restore-damaged.ts).
 */
export async function attributeFacts(fs: WebHdfs, target: string, st: FileStatus): Promise<UnattendedFacts> {
  const file = st as StatusFields;
  const parent = (await fs.stat(parentOf(target))) as StatusFields | undefined;
  return {
    xattrs: Object.keys(await fs.getXAttrs(target)).sort(),
    ...(file.aclBit !== undefined && { aclBit: file.aclBit }),
    ...(file.storagePolicy !== undefined && { storagePolicy: file.storagePolicy }),
    ...(parent?.storagePolicy !== undefined && { parentStoragePolicy: parent.storagePolicy }),
  };
}

/** attributeFacts again, and the SETOWNER probe (a write: only the executor does it). */
export async function unattendedFacts(fs: WebHdfs, target: string, st: FileStatus, m: ManifestFile): Promise<UnattendedFacts> {
  const facts = await attributeFacts(fs, target, st);
  const probe = joinPath(parentOf(target), restoreScratchName(baseName(target), Date.now()));
  await fs.create(probe, new Uint8Array(0), { overwrite: false });
  try {
    await fs.setOwner(probe, m.owner, m.group);
  } catch (err) {
    facts.ownerRefused = `SETOWNER ${m.owner}:${m.group} refused: ${(err as Error).message}`;
  } finally {
    await fs.delete(probe, false).catch(() => {});
  }
  return facts;
}
