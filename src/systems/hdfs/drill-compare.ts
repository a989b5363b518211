/**
 * What an HDFS restore drill compares (./drill.ts, docs/drills.md): every file of a restored tree
 * against every file of the snapshot it should equal, by relative path, type, length and the
 * file checksum the DataNodes compute (WebHDFS GETFILECHECKSUM, src/hadoop/webhdfs.ts).
 *
 * Every file, not a sample: GETFILECHECKSUM is computed by the DataNodes from the block CRCs
 * they store (the `.meta` files, 4 bytes per 512), not by reading the data, so it costs one
 * NameNode and one DataNode round trip per file whatever its size; the restore itself already
 * read every byte (the HDFS client verifies each block's CRCs as DistCp reads it). A sample would
 * save those round trips and leave most files unproven; the round trips are bounded by a small
 * concurrency instead.
 *
 * The MD5-of-MD5-of-CRC checksum depends on the block size and the checksum type, so it is only
 * comparable between copies with equal ones: the drill copies with `distcp -pbc` (block size and
 * checksum type preserved), and a pair whose algorithms still differ (a DR copy replicated
 * without `-pb`) is reported as not comparable, never as equal.
 */
import pLimit from 'p-limit';
import type { FileChecksum, WebHdfs } from '../../hadoop/webhdfs.js';

export interface TreeEntry {
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK';
  length: number;
  checksum?: FileChecksum;
}

/** relative path ('a/b.txt') → entry */
export type Tree = Map<string, TreeEntry>;

function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** Lists `root` recursively with the checksum of every file (`concurrency` requests at a time). */
export async function checksumTree(fs: WebHdfs, root: string, signal: AbortSignal, concurrency = 8): Promise<Tree> {
  const tree: Tree = new Map();
  const limit = pLimit(concurrency);
  const base = root.replace(/\/+$/, '');
  const walk = async (rel: string): Promise<void> => {
    signal.throwIfAborted();
    const list = await limit(() => fs.listStatus(rel === '' ? base || '/' : `${base}/${rel}`));
    const jobs: Array<Promise<void>> = [];
    for (const s of list) {
      const p = join(rel, s.pathSuffix);
      if (s.type === 'DIRECTORY') {
        tree.set(p, { type: 'DIRECTORY', length: 0 });
        jobs.push(walk(p));
      } else if (s.type === 'FILE') {
        const e: TreeEntry = { type: 'FILE', length: s.length };
        tree.set(p, e);
        jobs.push(
          limit(async () => {
            signal.throwIfAborted();
            const c = await fs.getFileChecksum(`${base}/${p}`);
            // an empty file may have no checksum object: length 0 says all there is
            e.checksum = c ?? { algorithm: 'none', bytes: '', length: 0 };
          }),
        );
      } else {
        tree.set(p, { type: s.type, length: s.length });
      }
    }
    await Promise.all(jobs);
  };
  await walk('');
  return tree;
}

export interface TreeDiff {
  missing: string[];
  extra: string[];
  /** type, length or checksum differ */
  differ: string[];
  /** checksums of different algorithms (block size or checksum type differ) */
  incomparable: Array<{ path: string; expected: string; got: string }>;
  files: number;
  bytes: number;
}

/** Pure: `got` (the restore) against `want` (what was protected). */
export function compareTrees(want: Tree, got: Tree): TreeDiff {
  const d: TreeDiff = { missing: [], extra: [], differ: [], incomparable: [], files: 0, bytes: 0 };
  for (const [p, w] of want) {
    const g = got.get(p);
    if (!g) {
      d.missing.push(p);
      continue;
    }
    if (g.type !== w.type || g.length !== w.length) {
      d.differ.push(p);
      continue;
    }
    if (w.type !== 'FILE') continue;
    d.files++;
    d.bytes += g.length;
    if (w.checksum && g.checksum) {
      if (w.checksum.algorithm !== g.checksum.algorithm && w.length > 0) {
        d.incomparable.push({ path: p, expected: w.checksum.algorithm, got: g.checksum.algorithm });
      } else if (w.checksum.bytes !== g.checksum.bytes && w.length > 0) {
        d.differ.push(p);
      }
    }
  }
  for (const p of got.keys()) if (!want.has(p)) d.extra.push(p);
  for (const k of ['missing', 'extra', 'differ'] as const) d[k].sort();
  return d;
}

function some(paths: string[], max = 10): string {
  return paths.length <= max ? paths.join(', ') : `${paths.slice(0, max).join(', ')} and ${paths.length - max} more`;
}

/** Pure: why a diff fails, naming the files; undefined when the trees are equal. */
export function describeDiff(d: TreeDiff): string | undefined {
  const parts: string[] = [];
  if (d.differ.length) parts.push(`content differs: ${some(d.differ)}`);
  if (d.missing.length) parts.push(`missing from the restore: ${some(d.missing)}`);
  if (d.extra.length) parts.push(`restored but not protected: ${some(d.extra)}`);
  if (d.incomparable.length) {
    const x = d.incomparable[0]!;
    parts.push(
      `checksums not comparable (block size or checksum type differ, e.g. ${x.path}: ${x.expected} vs ${x.got}; ${d.incomparable.length} file(s)): ` +
        'replicate with block size preserved (distcp -pb) to make the DR copy provable',
    );
  }
  return parts.length ? parts.join('; ') : undefined;
}
