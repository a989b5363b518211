/**
 * Damaged files under a blocks policy's source (docs/blocks.md "Restore"; brief:
 * docs/design/blocks-proposal.md §3.2): the NameNode's counts (FSNamesystem MissingBlocks +
 * CorruptBlocks), then NameNodeInfo CorruptFiles (src/hadoop/corrupt-files.ts) filtered to the
 * source, each file confirmed with GET_BLOCK_LOCATIONS (`locations` empty = missing, `isCorrupt` =
 * every replica corrupt) and its identity read with GETFILESTATUS. Fills
 * BlocksPolicyObserved.damaged; a list the NameNode could not give is a warning, not a guess.
 */
import type { HdfsCluster } from '../../hadoop/cluster.js';
import { readCorruptFiles, type CorruptFiles } from '../../hadoop/corrupt-files.js';
import type { WebHdfs } from '../../hadoop/webhdfs.js';
import { attributeFacts } from './restore-unattended.js';
import type { BlocksPolicy, BlocksPolicyObserved, LiveBlock } from './types.js';

/** What GET_BLOCK_LOCATIONS says of one block (the fields read here). */
export interface LocatedBlockView {
  block: { blockId: number; generationStamp: number; numBytes: number };
  startOffset: number;
  isCorrupt: boolean;
  locations: unknown[];
}

export type Locate = (fs: WebHdfs, path: string) => Promise<{ locatedBlocks: LocatedBlockView[] }>;

export interface DamageResult {
  damaged?: NonNullable<BlocksPolicyObserved['damaged']>;
  /** could not tell (or only partly): said as a plan warning */
  warning?: string;
}

/** The state of each block, as GET_BLOCK_LOCATIONS reports it (brief §1.1: isCorrupt only when every replica is). */
export function liveBlocks(located: readonly LocatedBlockView[]): LiveBlock[] {
  return located.map((b) => ({
    id: b.block.blockId,
    gs: b.block.generationStamp,
    offset: b.startOffset,
    length: b.block.numBytes,
    state: b.locations.length === 0 ? 'missing' : b.isCorrupt ? 'corrupt' : 'ok',
  }));
}

/** The paths of `files` under `root`, relative to it (pure). */
export function underSource(root: string, files: CorruptFiles['files']): string[] {
  const prefix = root === '/' ? '/' : `${root}/`;
  const rel = files.filter((f) => f.path.startsWith(prefix)).map((f) => f.path.slice(prefix.length));
  return [...new Set(rel)].sort();
}

/** The damaged files of each policy (all on `cluster`), one CorruptFiles read for them all. */
export async function observeDamage(cluster: HdfsCluster, fs: WebHdfs, policies: readonly BlocksPolicy[], locate: Locate, timeoutMs?: number): Promise<Record<string, DamageResult>> {
  const out: Record<string, DamageResult> = {};
  let corrupt: CorruptFiles;
  try {
    corrupt = await readCorruptFiles(cluster, timeoutMs);
  } catch (err) {
    for (const p of policies) out[p.name] = { warning: `damaged files under ${cluster.name}:${p.source.path} not known: ${(err as Error).message}` };
    return out;
  }
  for (const p of policies) {
    const res: DamageResult = { damaged: [] };
    if (corrupt.incomplete) res.warning = `cluster ${cluster.name}: ${corrupt.incomplete}; files under ${p.source.path} with a missing block may not be listed`;
    for (const rel of underSource(p.source.path, corrupt.files)) {
      const abs = p.source.path === '/' ? `/${rel}` : `${p.source.path}/${rel}`;
      try {
        const st = await fs.stat(abs);
        if (!st || st.type !== 'FILE') continue; // gone since the NameNode listed it
        const blocks = liveBlocks((await locate(fs, abs)).locatedBlocks);
        if (!blocks.some((b) => b.state !== 'ok')) continue; // healthy again (a replica came back)
        const attributes = await attributeFacts(fs, abs, st).catch(() => undefined);
        res.damaged!.push({ path: rel, blocks, fileId: st.fileId, length: st.length, mtime: st.modificationTime, ...(attributes ? { attributes } : {}) });
      } catch (err) {
        res.warning = `${res.warning ? `${res.warning}; ` : ''}${cluster.name}:${abs} is listed with a missing block but could not be checked: ${(err as Error).message}`;
      }
    }
    out[p.name] = res;
  }
  return out;
}
