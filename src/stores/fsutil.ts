/** Small file-system helpers shared by the store clients: hashing, fsync, temp names. */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** A short random suffix for temp files (hex). */
export function randomSuffix(): string {
  return randomBytes(6).toString('hex');
}

/** Hex SHA-256 and size of a local file, read once as a stream. */
export async function sha256File(file: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const stream = createReadStream(file, { highWaterMark: 1024 * 1024, ...(signal ? { signal } : {}) });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * fsync a directory so that a rename/link/unlink inside it survives a crash. Some file systems
 * refuse fsync on a directory (EINVAL/EISDIR/EPERM): that is not an error worth failing for.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'EBADF') throw err;
  } finally {
    await fh?.close();
  }
}

/** unlink that ignores an absent file. */
export async function unlinkQuiet(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const e = new Error('the operation was aborted');
  e.name = 'AbortError';
  return e;
}

/**
 * Walks a local store at `root` for the regular files whose keys may start with `prefix` (key =
 * path relative to root, `/`-separated), descending only into directories on the way to or under
 * the prefix and never into dot-directories; `onFile` gets each file's key, name and directory and
 * filters further (`list` skips dot-files, the sweep wants exactly those). A directory that is gone
 * is empty.
 */
export async function walkStorePrefix(root: string, prefix: string, onFile: (key: string, name: string, dir: string) => Promise<void>): Promise<void> {
  if (prefix.split('/').some((s) => s === '..' || s === '.')) throw new Error(`invalid prefix ${JSON.stringify(prefix)} for the local store ${root}`);
  const slash = prefix.lastIndexOf('/');
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
      } else if (e.isFile()) {
        await onFile(key, e.name, dir);
      }
    }
  };
  await walk(slash >= 0 ? prefix.slice(0, slash) : '');
}
