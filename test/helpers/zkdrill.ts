/** Helpers for the ZooKeeper drill tests: doctoring archives and snapshots the way corruption would. */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import zookeeper from 'node-zookeeper-client';
import { adler32 } from '../../src/systems/zookeeper/format.js';
import { writeTarGz, type PackEntry } from '../../src/systems/zookeeper/tarball.js';

export async function tarEntries(file: string): Promise<Array<{ name: string; data: Buffer }>> {
  const gz = await readFile(file);
  return new Promise((resolve, reject) => {
    const out: Array<{ name: string; data: Buffer }> = [];
    const ex = tar.extract();
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => { out.push({ name: h.name, data: Buffer.concat(chunks) }); next(); });
    });
    ex.on('finish', () => resolve(out));
    ex.on('error', reject);
    ex.end(gunzipSync(gz));
  });
}

/** Repacks entries (same names, possibly changed bytes) as an hbr archive. */
export async function repack(out: string, entries: Array<{ name: string; data: Buffer }>): Promise<void> {
  await writeTarGz(out, entries.map((e): PackEntry => ({ name: e.name, data: e.data, size: e.data.length })));
}

/**
 * Rewrites the seals of a 3.9 snapshot (tree seal, digest seal, last-zxid seal: format.ts,
 * snapshot.ts) so that each carries the Adler32 of the bytes before it again: a snapshot changed
 * this way passes every checksum, and only the digest can tell.
 */
export function reseal(snap: Buffer): Buffer {
  const out = Buffer.from(snap);
  const n = out.length;
  const seals = [n - 67, n - 34, n - 13]; // ... seal(13) digest(20) seal(13) lastZxid(8) seal(13)
  for (const at of seals) {
    if (out.readInt32BE(at + 8) !== 1 || out[at + 12] !== 0x2f) throw new Error(`no seal at ${at}: not a 3.9 snapshot with digest and last zxid`);
  }
  for (const at of seals) out.writeBigUInt64BE(BigInt(adler32(out, 0, at)), at);
  return out;
}

/** A node-zookeeper-client call as a promise. */
const cb = <T = void>(fn: (done: (e: unknown, v?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((e, v) => (e ? reject(e instanceof Error ? e : new Error(String(e))) : resolve(v as T))));

/** Every znode of the server, by walking the tree from "/" (the root and /zookeeper included). */
export async function countZnodes(client: zookeeper.Client, path = '/'): Promise<number> {
  const children = await cb<string[]>((d) => client.getChildren(path, (e, c) => d(e, c)));
  let n = 1;
  for (const c of children) n += await countZnodes(client, path === '/' ? `/${c}` : `${path}/${c}`);
  return n;
}

export { cb };
