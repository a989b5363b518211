/**
 * The temp files a killed LocalStoreClient.putFile leaves (`.<name>.tmp-<random>` and
 * `.<name>.sha256.tmp-<random>` in the key's directory: ./local.ts, putFile steps 1 and 3), which
 * `list` skips and nothing else removes: listed as incomplete uploads, removed by abortUpload.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { IncompleteUpload } from './types.js';
import { errorCode, unlinkQuiet } from './fsutil.js';

const TEMP_RE = /^\.(.+?)(\.sha256)?\.tmp-[0-9a-f]{12}$/;

/** Incomplete uploads under `prefix` of the store at `root`: uploadId is the temp file's name. */
export async function localIncompleteUploads(root: string, prefix: string): Promise<IncompleteUpload[]> {
  if (prefix.split('/').some((s) => s === '..' || s === '.')) throw new Error(`invalid prefix ${JSON.stringify(prefix)} for the local store ${root}`);
  const slash = prefix.lastIndexOf('/');
  const startRel = slash >= 0 ? prefix.slice(0, slash) : '';
  const out: IncompleteUpload[] = [];
  const walk = async (rel: string): Promise<void> => {
    const dir = rel ? join(root, ...rel.split('/')) : root;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return;
      throw err;
    }
    for (const e of entries) {
      const key = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!e.name.startsWith('.') && (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`))) await walk(key);
        continue;
      }
      const m = TEMP_RE.exec(e.name);
      if (!m || !e.isFile()) continue;
      const target = rel ? `${rel}/${m[1]}` : m[1]!;
      if (!target.startsWith(prefix)) continue;
      const st = await lstat(join(dir, e.name)).catch(() => undefined);
      if (st) out.push({ key: target, uploadId: e.name, initiated: st.mtimeMs });
    }
  };
  await walk(startRel);
  return out;
}

/** Removes the temp file `uploadId` a putFile of `key` left (only a name of that form, in the key's directory). */
export async function localAbortUpload(root: string, key: string, uploadId: string): Promise<void> {
  const m = TEMP_RE.exec(uploadId);
  const segs = key.split('/');
  const name = segs.pop();
  if (!m || m[1] !== name || uploadId.includes('/') || segs.some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`refusing to remove ${JSON.stringify(uploadId)}: not a temp file of ${key} in ${root}`);
  }
  await unlinkQuiet(join(root, ...segs, uploadId));
}
