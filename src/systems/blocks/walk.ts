/**
 * The walk of a block backup's source (docs/blocks.md, "What a run does"): LISTSTATUS per directory,
 * then one GET_BLOCK_LOCATIONS per file, `concurrency` requests in flight (p-limit). No WebHDFS op
 * lists a directory with its block locations (LISTSTATUS calls getListing with needLocation=false:
 * docs/design/blocks-proposal.md §1.3), so a file whose fileId, length and modification time equal
 * the newest manifest's reuses that manifest's block list: every block change shows in that triple
 * (APPEND, TRUNCATE and CONCAT change length and mtime; CREATE with overwrite gives a new fileId).
 *
 * Skipped (recorded with the reason, never half backed up): files under construction (their last
 * block is still changing), erasure-coded files (ecBit; their block-group ids are negative longs
 * JSON.parse would round), ids that are not safe integers, symlinks, and a file or directory
 * deleted between its parent's LISTSTATUS and the next call (404: the walk goes on).
 */
import pLimit from 'p-limit';
import { getBlockLocations, listStatusEc, type FileStatusEc } from '../../hadoop/webhdfs-blocks.js';
import { WebHdfsError, type FileStatus, type WebHdfs } from '../../hadoop/webhdfs.js';
import { scratchTarget } from './restore-plan.js';
import type { LiveBlock, LiveFile, Manifest, ManifestDir } from './types.js';

export interface WalkResult {
  blockPoolId?: string;
  files: LiveFile[];
  dirs: ManifestDir[];
  skipped: Array<{ path: string; reason: string }>;
  /** requests made, for the run's figures (bench/blocks.ts) */
  requests: { listStatus: number; blockLocations: number };
}

export interface WalkOptions {
  concurrency: number;
  /** the newest manifest: files unchanged since it reuse its block lists */
  reuse?: Manifest | undefined;
  /** ask every file's block list (verify_every) */
  full?: boolean;
  timeoutMs?: number;
  /** the WebHDFS reads (the real ones unless a unit test passes its own) */
  ops?: WalkOps;
}

export interface WalkOps {
  getFileStatus(fs: WebHdfs, path: string): Promise<FileStatus>;
  listStatusEc: typeof listStatusEc;
  getBlockLocations: typeof getBlockLocations;
}
const realOps: WalkOps = { getFileStatus: (fs, path) => fs.getFileStatus(path), listStatusEc, getBlockLocations };

/** A path deleted (or renamed away) between LISTSTATUS and the next call: skipped, not a failed walk. */
const gone = (err: unknown): boolean => err instanceof WebHdfsError && err.notFound;
const GONE = 'deleted during the walk';

const join = (rel: string, name: string) => (rel ? `${rel}/${name}` : name);

export async function walkSource(fs: WebHdfs, root: string, opts: WalkOptions): Promise<WalkResult> {
  const limit = pLimit(Math.max(1, opts.concurrency));
  const ops = opts.ops ?? realOps;
  const out: WalkResult = { files: [], dirs: [], skipped: [], requests: { listStatus: 0, blockLocations: 0 } };
  const pools = new Set<string>();
  // a carried entry (./manifest-build.ts) is an older version the last run could not take: never reused
  const previous = new Map((opts.full ? [] : (opts.reuse?.files ?? [])).filter((f) => !f.carried).map((f) => [f.path, f]));
  const abs = (rel: string) => (rel ? `${root === '/' ? '' : root}/${rel}` : root);

  const visitFile = async (rel: string, st: FileStatusEc): Promise<void> => {
    const base = {
      path: rel,
      fileId: st.fileId,
      length: st.length,
      mtime: st.modificationTime,
      owner: st.owner,
      group: st.group,
      permission: st.permission,
      replication: st.replication,
      blockSize: st.blockSize,
    };
    if (scratchTarget(st.pathSuffix) !== undefined) {
      // a half-written restore a kill left (./restore-exec.ts): never a version of a file to keep
      out.skipped.push({ path: rel, reason: 'hbr restore scratch (a killed restore left it; the next restore of its file removes it)' });
      return;
    }
    if (st.ecBit) {
      out.skipped.push({ path: rel, reason: 'erasure coded (not backed up in v1)' });
      return;
    }
    const prev = previous.get(rel);
    if (prev && opts.reuse && prev.fileId === st.fileId && prev.length === st.length && prev.mtime === st.modificationTime) {
      pools.add(opts.reuse.blockPoolId);
      out.files.push({ ...base, reused: true, blocks: prev.blocks.map((b) => ({ id: b.id, gs: b.gs, offset: b.offset, length: b.length, state: 'ok' })) });
      return;
    }
    out.requests.blockLocations++;
    let lb: Awaited<ReturnType<typeof getBlockLocations>>;
    try {
      lb = await limit(() => ops.getBlockLocations(fs, abs(rel), undefined, opts.timeoutMs));
    } catch (err) {
      if (!gone(err)) throw err;
      out.skipped.push({ path: rel, reason: GONE });
      return;
    }
    if (lb.isUnderConstruction) {
      out.skipped.push({ path: rel, reason: 'under construction (open for write)' });
      return;
    }
    const blocks: LiveBlock[] = [];
    for (const l of lb.locatedBlocks) {
      const { blockId, generationStamp, numBytes, blockPoolId } = l.block;
      if (!Number.isSafeInteger(blockId) || blockId <= 0 || !Number.isSafeInteger(generationStamp)) {
        out.skipped.push({ path: rel, reason: `block id ${blockId} is not a safe positive integer` });
        return;
      }
      pools.add(blockPoolId);
      blocks.push({
        id: blockId,
        gs: generationStamp,
        offset: l.startOffset,
        length: numBytes,
        state: l.isCorrupt ? 'corrupt' : l.locations.length === 0 ? 'missing' : 'ok',
      });
    }
    const covered = blocks.reduce((n, b) => n + b.length, 0);
    if (covered !== lb.fileLength) {
      out.skipped.push({ path: rel, reason: `changed while it was walked (${covered} of ${lb.fileLength} bytes located)` });
      return;
    }
    out.files.push({ ...base, length: lb.fileLength, blocks });
  };

  const visitDir = async (rel: string): Promise<void> => {
    out.requests.listStatus++;
    let entries: FileStatusEc[];
    try {
      entries = await limit(() => ops.listStatusEc(fs, abs(rel), opts.timeoutMs));
    } catch (err) {
      if (rel === '' || !gone(err)) throw err;
      out.skipped.push({ path: rel, reason: GONE });
      return;
    }
    await Promise.all(
      entries.map(async (st) => {
        const path = join(rel, st.pathSuffix);
        if (st.type === 'DIRECTORY') {
          out.dirs.push({ path, owner: st.owner, group: st.group, permission: st.permission, mtime: st.modificationTime });
          return visitDir(path);
        }
        if (st.type === 'FILE') return visitFile(path, st);
        out.skipped.push({ path, reason: 'symlink' });
        return undefined;
      }),
    );
  };

  const top = await limit(() => ops.getFileStatus(fs, root));
  if (top.type !== 'DIRECTORY') throw new Error(`${root} is not a directory`);
  out.dirs.push({ path: '', owner: top.owner, group: top.group, permission: top.permission, mtime: top.modificationTime });
  await visitDir('');
  if (pools.size > 1) throw new Error(`${root} holds blocks of ${pools.size} block pools (${[...pools].join(', ')}): one pool per policy`);
  const [pool] = pools;
  if (pool !== undefined) out.blockPoolId = pool;
  const byPath = <T extends { path: string }>(a: T, b: T) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  out.files.sort(byPath);
  out.dirs.sort(byPath);
  out.skipped.sort(byPath);
  return out;
}
