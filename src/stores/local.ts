/**
 * StoreClient over a local directory (a disk, or an NFS/SMB mount). Keys may contain '/', which
 * become sub-directories. Each object `<key>` has a sidecar `<key>.sha256` in `sha256sum` format
 * (`<hex>  <name>`), so `cd dir && sha256sum -c name.sha256` checks an archive by hand.
 *
 * The store directory must exist (hbr never creates it: a missing mount must not turn into backups
 * on the root disk); sub-directories for keys are created as needed.
 *
 * putFile, in this order (crash-safe):
 *   1. copy the file into `.<name>.tmp-<random>` in the key's directory, hashing as it is read; fsync
 *   2. link(temp, key): the conditional create. EEXIST → `{ created: false }`; nothing else was
 *      touched, in particular not the existing object's sidecar. fsync the directory
 *   3. write the sidecar: `.<name>.sha256.tmp-<random>`, fsync, rename to `<key>.sha256`, fsync dir
 *   4. unlink the temp (the object keeps its second link), fsync the directory
 * The sidecar is written only by the writer that won the link, i.e. only for its own content, so
 * an object is never visible with another object's checksum. A crash between 2 and 3 leaves an
 * object without a sidecar, which every reader treats as "no checksum": getFile refuses it
 * (ChecksumMismatchError) and list/head report sha256 undefined; it is never used unverified. If
 * step 3 fails (disk full…), the object is unlinked again: no object stays visible without it.
 * Writing the sidecar first instead would overwrite the sidecar of an object that exists already
 * (the losing writer of a conditional create), or, created with link() too, leave a sidecar that
 * claims a key forever after a crash.
 *
 * delete removes the sidecar first (fsync), then the object (fsync): a crash in between leaves an
 * object without checksum (refused), never a sidecar without object that a later put of the same
 * key could briefly pair with its new content. (Only a delete racing with two puts of the same key
 * could pair a stale sidecar with new content; getFile verifies the content against the sidecar,
 * so even then wrong data is refused, never used.)
 *
 * repairChecksum closes the window between 2 and 3 (crash point `store.put:linked <key>`): the
 * caller re-read the bytes that belong under the key and hashed them; only when the object's own
 * bytes hash the same is the sidecar written, so it is still only ever the object's own checksum.
 *
 * Temp files (names starting with '.') and sidecars are not objects: list skips them, and keys
 * whose last segment starts with '.' or that end in '.sha256' are refused.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, lstat, mkdir, open, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { LocalStore } from '../model/policy.js';
import { ChecksumMismatchError, type IncompleteUpload, type Progress, type PutOptions, type PutResult, type StoreClient, type StoredObject } from './types.js';
import { localAbortUpload, localIncompleteUploads } from './local-sweep.js';
import { verifiedChunks } from './read-verified.js';
import { abortError, errorCode, fsyncDir, randomSuffix, sha256File, unlinkQuiet, walkStorePrefix } from './fsutil.js';
import { crashPoint } from '../model/faults.js';

const CHUNK = 1024 * 1024;
const SIDECAR = '.sha256';

async function writeAll(fh: FileHandle, buf: Buffer, len: number): Promise<void> {
  let off = 0;
  while (off < len) {
    const { bytesWritten } = await fh.write(buf, off, len - off);
    off += bytesWritten;
  }
}

/**
 * Copy `src` (an open handle) to a new file `dest` (created exclusively), hashing as it goes,
 * then fsync. Returns the hex SHA-256 and the size.
 */
async function copyHashing(
  src: FileHandle,
  dest: string,
  opts: { onProgress?: ((p: Progress) => void) | undefined; signal?: AbortSignal | undefined; total?: number },
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  const out = await open(dest, 'wx');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let size = 0;
    for (;;) {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      const { bytesRead } = await src.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      await writeAll(out, buf, bytesRead);
      size += bytesRead;
      opts.onProgress?.({ bytes: size, ...(opts.total !== undefined ? { total: opts.total } : {}) });
    }
    await out.sync();
    return { sha256: hash.digest('hex'), size };
  } finally {
    await out.close();
  }
}

/** Parse a sidecar (`<hex>  <name>`, sha256sum format); undefined when absent or malformed. */
async function readSidecar(path: string, name: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
  const m = /^([0-9a-f]{64}) [ *](.+)\n?$/.exec(text);
  if (!m || m[2] !== name) return undefined;
  return m[1];
}

export class LocalStoreClient implements StoreClient {
  readonly url: string;
  private readonly root: string;

  constructor(store: Pick<LocalStore, 'path'>) {
    this.root = resolve(store.path);
    this.url = this.root;
  }

  /** Refuse keys that would escape the store or collide with temp files and sidecars. */
  private pathOf(key: string): string {
    const bad = (why: string) => new Error(`invalid key ${JSON.stringify(key)} for the local store ${this.url}: ${why}`);
    if (key === '') throw bad('empty');
    if (key.includes('\0') || key.includes('\\')) throw bad('contains NUL or a backslash');
    const segs = key.split('/');
    if (segs.some((s) => s === '' || s === '.' || s === '..')) throw bad("empty, '.' or '..' path segment");
    if (segs[segs.length - 1]!.startsWith('.')) throw bad("a name starting with '.' (reserved for temp files)");
    if (key.endsWith(SIDECAR)) throw bad(`ends in ${SIDECAR} (reserved for checksum sidecars)`);
    return join(this.root, ...segs);
  }

  private async checkRoot(): Promise<void> {
    try {
      const st = await stat(this.root);
      if (!st.isDirectory()) throw new Error(`the local store ${this.url} is not a directory`);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') throw new Error(`the local store directory ${this.url} does not exist; create it (hbr does not, in case a mount is missing)`);
      throw err;
    }
  }

  /** mkdir -p below the root, fsyncing the parent of every directory it creates. */
  private async ensureDir(dir: string): Promise<void> {
    if (dir === this.root) return;
    try {
      await mkdir(dir);
    } catch (err) {
      const code = errorCode(err);
      if (code === 'EEXIST') return;
      if (code !== 'ENOENT') throw err;
      await this.ensureDir(dirname(dir));
      try {
        await mkdir(dir);
      } catch (e) {
        if (errorCode(e) !== 'EEXIST') throw e;
        return;
      }
    }
    await fsyncDir(dirname(dir));
  }

  async list(prefix: string): Promise<StoredObject[]> {
    await this.checkRoot();
    const out: StoredObject[] = [];
    await walkStorePrefix(this.root, prefix, async (key, name, dir) => {
      // dot-files are temp files (./local-sweep.ts); sidecars carry the checksum of their object
      if (name.startsWith('.') || name.endsWith(SIDECAR) || !key.startsWith(prefix)) return;
      const obj = await this.statObject(key, join(dir, name));
      if (obj) out.push(obj);
    });
    return out;
  }

  private async statObject(key: string, path: string): Promise<StoredObject | undefined> {
    let st;
    try {
      st = await lstat(path);
    } catch (err) {
      if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return undefined;
      throw err;
    }
    if (!st.isFile()) return undefined;
    const sha256 = await readSidecar(path + SIDECAR, basename(path));
    return { key, size: st.size, lastModified: st.mtimeMs, ...(sha256 ? { sha256 } : {}) };
  }

  async head(key: string): Promise<StoredObject | undefined> {
    return this.statObject(key, this.pathOf(key));
  }

  async putFile(key: string, file: string, opts: PutOptions = {}): Promise<PutResult> {
    const { signal } = opts;
    signal?.throwIfAborted();
    const final = this.pathOf(key);
    const where = `upload of ${key} to ${this.url}`;
    await this.checkRoot();
    const dir = dirname(final);
    const name = basename(final);
    const tmp = join(dir, `.${name}.tmp-${randomSuffix()}`);
    const sideTmp = join(dir, `.${name}${SIDECAR}.tmp-${randomSuffix()}`);
    let linked = false;
    let published = false;
    try {
      await this.ensureDir(dir);
      let copied: { sha256: string; size: number };
      const src = await open(file, 'r').catch((err: unknown) => {
        throw new Error(`${where} failed: cannot read ${file}: ${(err as Error).message}`, { cause: err });
      });
      try {
        const total = (await src.stat()).size;
        copied = await copyHashing(src, tmp, { onProgress: opts.onProgress, signal, total });
      } finally {
        await src.close();
      }
      signal?.throwIfAborted();
      // a caller that knew the hash: the bytes copied must be those it hashed
      if (opts.sha256 && opts.sha256 !== copied.sha256) throw new Error(`${file} changed while it was being uploaded (SHA-256 ${copied.sha256}, expected ${opts.sha256}); nothing was written`);

      // 2. the conditional create
      try {
        await link(tmp, final);
      } catch (err) {
        if (errorCode(err) === 'EEXIST') return { created: false, sha256: copied.sha256, size: copied.size };
        throw err;
      }
      linked = true;
      await fsyncDir(dir);
      // a kill here leaves an object without a sidecar: repairChecksum below, docs/blocks.md
      crashPoint(`store.put:linked ${key}`);

      // 3. the sidecar, only for the content we linked
      const fh = await open(sideTmp, 'wx');
      try {
        await fh.writeFile(`${copied.sha256}  ${name}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(sideTmp, final + SIDECAR);
      published = true;

      // 4. drop the temp name
      await unlink(tmp);
      await fsyncDir(dir);
      return { created: true, sha256: copied.sha256, size: copied.size };
    } catch (err) {
      if (linked && !published) await this.unpublish(final, tmp);
      if (signal?.aborted) throw abortError(signal);
      if ((err as Error).message?.startsWith(where)) throw err;
      throw new Error(`${where} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      await unlinkQuiet(tmp).catch(() => undefined);
      await unlinkQuiet(sideTmp).catch(() => undefined);
    }
  }

  /** Undo a link whose sidecar could not be written: remove the object if it is still ours (same inode as the temp). */
  async repairChecksum(key: string, sha256: string): Promise<boolean> {
    const final = this.pathOf(key);
    const dir = dirname(final);
    const name = basename(final);
    if (!(await this.statObject(key, final)) || !/^[0-9a-f]{64}$/.test(sha256)) return false;
    let got: { sha256: string };
    try {
      got = await sha256File(final);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return false;
      throw err;
    }
    if (got.sha256 !== sha256) return false;
    const sideTmp = join(dir, `.${name}${SIDECAR}.tmp-${randomSuffix()}`);
    try {
      const fh = await open(sideTmp, 'wx');
      try {
        await fh.writeFile(`${sha256}  ${name}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(sideTmp, final + SIDECAR);
      await fsyncDir(dir);
      return true;
    } finally {
      await unlinkQuiet(sideTmp).catch(() => undefined);
    }
  }

  private async unpublish(final: string, tmp: string): Promise<void> {
    try {
      const [a, b] = await Promise.all([lstat(final), lstat(tmp)]);
      if (a.ino === b.ino && a.dev === b.dev) {
        await unlink(final);
        await fsyncDir(dirname(final));
      }
    } catch {
      // best effort: what is left is an object without sidecar, which readers refuse
    }
  }

  async readVerified(key: string, opts: { signal?: AbortSignal } = {}): Promise<{ size: number; sha256: string; chunks: AsyncIterable<Buffer> }> {
    opts.signal?.throwIfAborted();
    const path = this.pathOf(key);
    const where = `read of ${key} from ${this.url}`;
    let st;
    try {
      st = await stat(path);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') throw new Error(`${where} failed: no object ${key} in ${this.url}`, { cause: err });
      throw new Error(`${where} failed: ${(err as Error).message}`, { cause: err });
    }
    if (!st.isFile()) throw new Error(`${where} failed: ${path} is not a regular file`);
    const expected = await readSidecar(path + SIDECAR, basename(path));
    if (!expected) throw new ChecksumMismatchError(key, undefined, '');
    const body = createReadStream(path, opts.signal ? { signal: opts.signal } : {});
    return { size: st.size, sha256: expected, chunks: verifiedChunks(body as AsyncIterable<Buffer>, key, expected) };
  }

  async getFile(key: string, dest: string, opts: { onProgress?: (p: Progress) => void; signal?: AbortSignal } = {}): Promise<StoredObject> {
    const { signal } = opts;
    signal?.throwIfAborted();
    const path = this.pathOf(key);
    const where = `download of ${key} from ${this.url} to ${dest}`;
    let src: FileHandle;
    try {
      src = await open(path, 'r');
    } catch (err) {
      if (errorCode(err) === 'ENOENT') throw new Error(`${where} failed: no object ${key} in ${this.url}`, { cause: err });
      throw new Error(`${where} failed: ${(err as Error).message}`, { cause: err });
    }
    const tmp = `${dest}.part-${randomSuffix()}`;
    let renamed = false;
    try {
      const st = await src.stat();
      if (!st.isFile()) throw new Error(`${where} failed: ${path} is not a regular file`);
      const expected = await readSidecar(path + SIDECAR, basename(path));
      if (!expected) throw new ChecksumMismatchError(key, undefined, '');
      const got = await copyHashing(src, tmp, { onProgress: opts.onProgress, signal, total: st.size });
      if (got.sha256 !== expected) throw new ChecksumMismatchError(key, expected, got.sha256);
      await rename(tmp, dest);
      renamed = true;
      await fsyncDir(dirname(dest));
      return { key, size: got.size, lastModified: st.mtimeMs, sha256: got.sha256 };
    } catch (err) {
      if (err instanceof ChecksumMismatchError) throw err;
      if (signal?.aborted) throw abortError(signal);
      if ((err as Error).message?.startsWith(where)) throw err;
      throw new Error(`${where} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      await src.close();
      if (!renamed) await unlinkQuiet(tmp).catch(() => undefined);
    }
  }

  async listIncompleteUploads(prefix: string): Promise<IncompleteUpload[]> {
    await this.checkRoot();
    return localIncompleteUploads(this.root, prefix);
  }

  async abortUpload(key: string, uploadId: string): Promise<void> {
    this.pathOf(key);
    await localAbortUpload(this.root, key, uploadId);
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await unlinkQuiet(path + SIDECAR);
      await fsyncDir(dirname(path)).catch((err: unknown) => {
        if (errorCode(err) !== 'ENOENT') throw err;
      });
      await unlinkQuiet(path);
      await fsyncDir(dirname(path)).catch((err: unknown) => {
        if (errorCode(err) !== 'ENOENT') throw err;
      });
    } catch (err) {
      if (errorCode(err) === 'ENOTDIR') return;
      throw new Error(`delete of ${key} in ${this.url} failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
