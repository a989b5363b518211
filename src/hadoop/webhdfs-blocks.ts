/**
 * WebHDFS READ operations the block backup needs (docs/blocks.md), beside the client in ./webhdfs.ts
 * (which is near its size limit). Write operations live in ./webhdfs-write.ts.
 *
 * - `getBlockLocations`: the undocumented but kept op GET_BLOCK_LOCATIONS, the only WebHDFS op that
 *   carries block ids, generation stamps and the block pool id. Hadoop 3.4.3
 *   NamenodeWebHdfsMethods l.1219-1224 answers it with `JsonUtil.toJsonString(LocatedBlocks)`;
 *   GETFILEBLOCKLOCATIONS (l.1207-1215) drops the ids (docs/design/blocks-proposal.md §1.1-1.2).
 * Both go through the client's `call` (token, CA bundle, HA), so they work on a Kerberized HTTPS
 * cluster too (docs/security.md).
 * - `openRange`: OPEN with offset and length, streamed (never held in memory): the NameNode
 *   redirects to a DataNode holding the block at `offset` (NamenodeWebHdfsMethods.chooseDatanode
 *   l.286-352); the DataNode seeks and sends min(length, visible - offset) bytes, verifying HDFS
 *   checksums as it reads (WebHdfsHandler.onOpen l.248-286).
 */
import http from 'node:http';
import https from 'node:https';
import { WebHdfsError, type FileStatus, type WebHdfs } from './webhdfs.js';

/** One located block, as hadoop-hdfs JsonUtil.toJsonMap(LocatedBlock) writes it (the fields hbr reads). */
export interface LocatedBlock {
  block: { blockId: number; blockPoolId: string; generationStamp: number; numBytes: number };
  startOffset: number;
  isCorrupt: boolean;
  locations: Array<{ ipAddr?: string; hostName?: string }>;
}

export interface LocatedBlocks {
  fileLength: number;
  isUnderConstruction: boolean;
  isLastBlockComplete: boolean;
  locatedBlocks: LocatedBlock[];
  lastLocatedBlock?: LocatedBlock | null;
}

/** LISTSTATUS entries carry ecBit for erasure-coded files (hadoop-hdfs JsonUtil.toJsonMap(HdfsFileStatus)). */
export type FileStatusEc = FileStatus & { ecBit?: boolean };

/** A NameNode op's JSON answer, through the client (its token, CA bundle and active NameNode: ./webhdfs.ts `call`). */
async function getJson<T>(fs: WebHdfs, path: string, op: string, params: Record<string, string | number>, timeoutMs: number): Promise<T> {
  return (await (await fs.call('GET', path, op, params, timeoutMs)).json()) as T;
}

/**
 * GET_BLOCK_LOCATIONS of a file: every block when `range` is absent, else the blocks overlapping
 * [offset, offset+length). Needs READ on the file (FSDirStatAndListingOp.getBlockLocations l.148-193).
 */
export async function getBlockLocations(fs: WebHdfs, path: string, range?: { offset: number; length: number }, timeoutMs = 30_000): Promise<LocatedBlocks> {
  const params: Record<string, number> = range ? { offset: range.offset, length: range.length } : {};
  const r = await getJson<{ LocatedBlocks: LocatedBlocks | null }>(fs, path, 'GET_BLOCK_LOCATIONS', params, timeoutMs);
  return r.LocatedBlocks ?? { fileLength: 0, isUnderConstruction: false, isLastBlockComplete: true, locatedBlocks: [] };
}

/** LISTSTATUS with the EC bit kept. */
export async function listStatusEc(fs: WebHdfs, path: string, timeoutMs = 30_000): Promise<FileStatusEc[]> {
  return (await getJson<{ FileStatuses: { FileStatus: FileStatusEc[] } }>(fs, path, 'LISTSTATUS', {}, timeoutMs)).FileStatuses.FileStatus;
}

/**
 * OPEN `path` at [offset, offset+length) and hand each chunk to `onData` as it arrives (the caller
 * writes and hashes it); resolves with the byte count. Aborts with `signal`.
 */
export async function openRange(
  fs: WebHdfs,
  path: string,
  range: { offset: number; length: number },
  onData: (chunk: Buffer) => Promise<void> | void,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<number> {
  const loc = await getJson<{ Location?: string }>(fs, path, 'OPEN', { offset: range.offset, length: range.length, noredirect: 'true' }, opts.timeoutMs ?? 30_000);
  if (!loc.Location) throw new WebHdfsError(`OPEN ${path}: no DataNode location`, 'OPEN', path, undefined, undefined);
  const location = loc.Location;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise<number>((resolve, reject) => {
    let bytes = 0;
    let done = false;
    const fail = (msg: string, status?: number) => {
      if (done) return;
      done = true;
      reject(new WebHdfsError(`OPEN ${path}: DataNode ${new URL(location).host}: ${msg}`, 'OPEN', path, status, undefined));
    };
    // https:// on an HTTPS_ONLY cluster (with its CA bundle); the Location carries the NameNode's
    // delegation= on a Kerberized one (NamenodeWebHdfsMethods.redirectURI): only its host is ever shown.
    const get = location.startsWith('https:') ? https.get : http.get;
    const req = get(location, { timeout: timeoutMs, ...fs.dataNodeTls(), ...(opts.signal ? { signal: opts.signal } : {}) });
    req.on('timeout', () => req.destroy(new Error(`no data in ${timeoutMs} ms`)));
    req.on('error', (err) => fail(err.message));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 400) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => fail(`HTTP ${status} ${Buffer.concat(chunks).toString('utf8').split('\n')[0]?.slice(0, 300) ?? ''}`, status));
        return;
      }
      (async () => {
        for await (const chunk of res as AsyncIterable<Buffer>) {
          bytes += chunk.length;
          await onData(chunk);
        }
      })().then(
        () => {
          if (done) return;
          if (!res.complete) return fail('the connection closed before the whole range was sent');
          done = true;
          resolve(bytes);
        },
        (err: unknown) => fail((err as Error).message),
      );
    });
  });
}
