/**
 * Observation for `hbr restore hdfs` (./restore-command.ts): the files under a path, as a flat
 * list relative to it, over WebHDFS; and the HDFS checksums where the comparison needs them.
 */
import pLimit from 'p-limit';
import type { WebHdfs } from '../../hadoop/webhdfs.js';
import type { Entry } from './restore-plan.js';

const limit = pLimit(16);

/** Every file and directory under `path` (the path itself as rel '' when it is a file); [] when it does not exist. */
export async function walk(fs: WebHdfs, path: string): Promise<Entry[]> {
  const top = await limit(() => fs.stat(path));
  if (!top) return [];
  if (top.type !== 'DIRECTORY') return [{ rel: '', type: top.type, length: top.length, mtime: top.modificationTime }];
  const out: Entry[] = [];
  const visit = async (rel: string): Promise<void> => {
    const list = await limit(() => fs.listStatus(rel ? `${path === '/' ? '' : path}/${rel}` : path));
    await Promise.all(
      list.map(async (st) => {
        const r = rel ? `${rel}/${st.pathSuffix}` : st.pathSuffix;
        out.push({ rel: r, type: st.type, length: st.length, mtime: st.modificationTime });
        if (st.type === 'DIRECTORY') await visit(r);
      }),
    );
  };
  await visit('');
  return out;
}

export function fileAt(base: string, rel: string): string {
  return rel ? `${base === '/' ? '' : base}/${rel}` : base;
}

/** Fills `checksum` of the entries of `a` and `b` (rooted at aBase, bBase) whose rel and length match on both sides. */
export async function checksumsWhereLengthsMatch(fsA: WebHdfs, aBase: string, a: Entry[], fsB: WebHdfs, bBase: string, b: Entry[]): Promise<void> {
  const inB = new Map(b.filter((e) => e.type === 'FILE').map((e) => [e.rel, e]));
  const pairs = a.filter((e) => e.type === 'FILE' && inB.get(e.rel)?.length === e.length).map((e) => [e, inB.get(e.rel)!] as const);
  await Promise.all(
    pairs.flatMap(([x, y]) => [
      limit(async () => void (x.checksum = (await fsA.getFileChecksum(fileAt(aBase, x.rel))).bytes)),
      limit(async () => void (y.checksum = (await fsB.getFileChecksum(fileAt(bBase, y.rel))).bytes)),
    ]),
  );
}
