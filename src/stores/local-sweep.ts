/**
 * The temp files a killed LocalStoreClient.putFile leaves (`.<name>.tmp-<random>` and
 * `.<name>.sha256.tmp-<random>` in the key's directory: ./local.ts, putFile steps 1 and 3), which
 * `list` skips and nothing else removes: listed as incomplete uploads, removed by abortUpload.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { IncompleteUpload } from './types.js';
import { unlinkQuiet, walkStorePrefix } from './fsutil.js';

const TEMP_RE = /^\.(.+?)(\.sha256)?\.tmp-[0-9a-f]{12}$/;

/** Incomplete uploads under `prefix` of the store at `root`: uploadId is the temp file's name. */
export async function localIncompleteUploads(root: string, prefix: string): Promise<IncompleteUpload[]> {
  const out: IncompleteUpload[] = [];
  await walkStorePrefix(root, prefix, async (key, name, dir) => {
    const m = TEMP_RE.exec(name);
    if (!m) return;
    const slash = key.lastIndexOf('/');
    const target = slash >= 0 ? `${key.slice(0, slash)}/${m[1]}` : m[1]!;
    if (!target.startsWith(prefix)) return;
    const st = await lstat(join(dir, name)).catch(() => undefined);
    if (st) out.push({ key: target, uploadId: name, initiated: st.mtimeMs });
  });
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
