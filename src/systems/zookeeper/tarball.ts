/**
 * The archive container: a gzip'd tar (tar-stream), written to a temp file, fsync'd and renamed
 * into place; read back entry by entry. Its first entry is the manifest, `hbr-archive.json`.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import * as tar from 'tar-stream';

export const MANIFEST_NAME = 'hbr-archive.json';

export interface PackEntry {
  name: string;
  /** a file on disk, or the bytes themselves */
  path?: string;
  data?: Buffer;
  size: number;
}

/** fsync a directory, so a rename in it survives a crash (best effort where unsupported). */
export async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    /* some file systems refuse fsync on a directory */
  } finally {
    await fh?.close();
  }
}

/** Writes entries, in order, as a tar.gz to `outFile` atomically (temp + fsync + rename). */
export async function writeTarGz(outFile: string, entries: PackEntry[], opts: { signal?: AbortSignal; mtime?: Date } = {}): Promise<number> {
  const tmp = join(dirname(outFile), `.${basename(outFile)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const mtime = opts.mtime ?? new Date();
  try {
    const pack = tar.pack();
    const gz = createGzip({ level: 6 });
    const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
    const done = pipeline(Readable.from(pack), gz, out, opts.signal ? { signal: opts.signal } : {});
    const adding = (async () => {
      for (const e of entries) {
        opts.signal?.throwIfAborted();
        const header: Partial<tar.Header> & { name: string } = { name: e.name, size: e.size, mode: 0o644, mtime, type: 'file' };
        if (e.data) {
          const data = e.data;
          await new Promise<void>((res, rej) => pack.entry(header, data, (err) => (err ? rej(err) : res())));
        } else if (e.path) {
          const path = e.path;
          let entry!: ReturnType<typeof pack.entry>;
          const entryDone = new Promise<void>((res, rej) => {
            entry = pack.entry(header, (err) => (err ? rej(err) : res()));
          });
          for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
            if (!entry.write(chunk)) await new Promise<void>((res) => entry.once('drain', () => res()));
          }
          entry.end(null);
          await entryDone;
        } else {
          throw new Error(`archive entry ${e.name} has no content`);
        }
      }
      pack.finalize();
    })();
    // If the output side fails, stop adding; if adding fails, tear down the output.
    await Promise.all([
      adding.catch((err) => { pack.destroy(err as Error); throw err; }),
      done,
    ]);
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, outFile);
    await syncDir(dirname(outFile));
    return (await stat(outFile)).size;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export interface ArchiveEntry {
  name: string;
  type: string;
  size: number;
  /** the entry's content: iterate it (for await); what is left unread is skipped */
  stream: AsyncIterable<Buffer>;
}

/**
 * The entries of a tar.gz, one at a time. A corrupt or truncated file is an error, never a short
 * list. Breaking out of the loop closes the file.
 */
export class CorruptArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptArchiveError';
  }
}

export async function* readTarGz(file: string): AsyncGenerator<ArchiveEntry> {
  const src = createReadStream(file);
  const gunzip = createGunzip();
  const extract = tar.extract();
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= err;
    extract.destroy(err);
  };
  src.on('error', fail);
  gunzip.on('error', (err) => {
    // zlib checks the gzip trailer's CRC-32 and length: "incorrect data check" is a flipped bit.
    const crc = /incorrect data check|incorrect length check/.test(err.message) ? 'checksum mismatch' : err.message;
    fail(new CorruptArchiveError(`${file}: corrupt archive (gzip: ${crc})`));
  });
  src.pipe(gunzip).pipe(extract);
  try {
    for await (const entry of extract) {
      const stream = entry as AsyncIterable<Buffer>;
      yield { name: entry.header.name, type: entry.header.type ?? 'file', size: entry.header.size ?? 0, stream };
      // Whatever the consumer left unread is skipped (destroying an entry would end the archive).
      for await (const _ of stream) { /* drain */ }
    }
  } catch (err) {
    if (failure) throw failure;
    if (err instanceof Error && !(err instanceof CorruptArchiveError) && /tar|Unexpected end of data/i.test(err.message)) {
      throw new CorruptArchiveError(`${file}: corrupt archive (tar: ${err.message})`);
    }
    throw err;
  } finally {
    src.destroy();
    gunzip.destroy();
    extract.destroy();
  }
}
