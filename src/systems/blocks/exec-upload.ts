/**
 * blocks.upload (docs/blocks.md, "What a run does"): for each block of the step, `concurrency` at a
 * time:
 *   1. skip it when the store has its key already (a re-run after a kill, or another file's block),
 *      unless the object has no checksum (local store: a kill between link and sidecar): then it is
 *      read and checked as below and the store's repairChecksum writes the sidecar if the bytes match;
 *   2. OPEN offset/length over WebHDFS into memory (a block up to bufferMax(), S3 stores) or else a
 *      private temp file, hashing as the bytes arrive (the DataNode verifies HDFS checksums as it
 *      reads: src/hadoop/webhdfs-blocks.ts);
 *   3. ask GET_BLOCK_LOCATIONS at that offset again and require the same block id, generation stamp
 *      and length: a file overwritten or appended between the walk and the read would otherwise put
 *      other bytes under a key that put-if-absent makes permanent (docs/design/blocks-proposal.md §2.1).
 *      A block that changed is left out (the manifest step skips its file; the next run uploads it);
 *      GETFILESTATUS before the OPEN and after the read must give the planned fileId as well;
 *   4. put-if-absent with the known SHA-256: from memory putBuffer (one PutObject; the server checks
 *      the bytes against that hash, nothing hashes them again: src/stores/s3-upload.ts), else putFile
 *      (one hashing pass fewer; the store re-hashes what it sends and refuses on a mismatch).
 * At most `concurrency` blocks of a policy are in flight in the process, across its upload steps.
 * Before the first upload the run's marker runs/<policy>/<runAt>.open is put (put-if-absent), and
 * its heartbeat (./heartbeat.ts) runs while the step works: a fresh process anywhere sees the run
 * is unfinished and alive until the manifest step removes them.
 * Crash points: `blocks.upload:marked`, `blocks.upload:part <key>` after each part (and after a
 * whole single-request put) and `blocks.upload:block <key>` after each block.
 */
import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit, { type LimitFunction } from 'p-limit';
import { scratchDir } from '../../engine/scratch.js';
import { hdfsClusterOf } from '../../hadoop/cluster.js';
import { getBlockLocations, openRange } from '../../hadoop/webhdfs-blocks.js';
import { WebHdfsError } from '../../hadoop/webhdfs.js';
import { crashPoint } from '../../model/faults.js';
import { openStore } from '../../stores/open.js';
import type { StoreClient } from '../../stores/types.js';
import type { Executor, ExecContext } from '../types.js';
import { putText, startHeartbeat } from './heartbeat.js';
import { blockKey, openRunKey, parseBlockKey } from './names.js';
import { webhdfsFor } from './observe.js';
import { isBlocksPolicy, type BlocksParams, type BlocksPolicy } from './types.js';

const MIB = 1024 * 1024;

/** Bytes, rate and ETA of a step's uploads, logged at most every 2 s. */
export class UploadProgress {
  private done = 0;
  private last = 0;
  private readonly t0 = Date.now();
  constructor(private readonly ctx: Pick<ExecContext, 'log'>, private readonly total: number, private readonly what: string) {}
  add(bytes: number): void {
    this.done += bytes;
    const now = Date.now();
    if (now - this.last < 2000 || this.total < 4 * MIB) return;
    this.last = now;
    const secs = Math.max(0.001, (now - this.t0) / 1000);
    const rate = this.done / secs;
    const eta = rate > 0 ? Math.max(0, (this.total - this.done) / rate) : NaN;
    this.ctx.log(`${this.what} ${(this.done / MIB).toFixed(1)} / ${(this.total / MIB).toFixed(1)} MiB, ${(rate / MIB).toFixed(1)} MiB/s, ETA ${Number.isFinite(eta) ? `${Math.ceil(eta)} s` : '?'}`);
  }
}

/**
 * The largest block read into memory before its put (bytes): HBR_BLOCK_BUFFER_MAX, default 128 MiB
 * (HDFS's default block size); 0 sends every block through a temp file. Memory is bounded by
 * `concurrency` × this (docs/blocks.md, "Throughput").
 */
export function bufferMax(): number {
  const v = process.env.HBR_BLOCK_BUFFER_MAX;
  const n = v === undefined || v === '' ? 128 * MIB : Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`HBR_BLOCK_BUFFER_MAX must be a number of bytes, got ${JSON.stringify(v)}`);
  return n;
}

/**
 * One limiter per policy in this process, shared by its upload steps: the engine runs several
 * upload steps at once (each its own claim), and `concurrency` bounds the blocks in flight across
 * all of them (temp disk and memory grow with it), not per step.
 */
const limiters = new Map<string, { n: number; limit: LimitFunction }>();
function limiterOf(p: BlocksPolicy): LimitFunction {
  const n = Math.max(1, p.backup.concurrency);
  let l = limiters.get(p.name);
  if (!l || l.n !== n) limiters.set(p.name, (l = { n, limit: pLimit(n) }));
  return l.limit;
}

export function policyOf(ctx: ExecContext, name: string): BlocksPolicy {
  const p = ctx.config.policies[name];
  if (!isBlocksPolicy(p)) throw new Error(`policy ${name} is not a block backup policy`);
  return p;
}

export async function storeOf(ctx: ExecContext, p: BlocksPolicy): Promise<StoreClient> {
  const store = ctx.config.stores[p.backup.to];
  if (!store) throw new Error(`unknown store ${p.backup.to}`);
  return openStore(store);
}

export const upload: Executor<BlocksParams> = async (step, ctx) => {
  const p = policyOf(ctx, step.policy);
  const pool = parseBlockKey(step.target.path)?.pool;
  if (!pool) throw new Error(`${step.target.path} is not a block key`);
  if (step.params.runAt === undefined) throw new Error('the step carries no run time');
  const blocks = step.params.blocks ?? [];
  const client = await storeOf(ctx, p);
  const fs = webhdfsFor(hdfsClusterOf(ctx.config.clusters, p.source.cluster));
  const abs = (rel: string) => `${p.source.path === '/' ? '' : p.source.path}/${rel}`;
  const dir = scratchDir(ctx.stateDir, 'blocks-');
  let copied = 0;
  let files = 0;
  const changed: string[] = [];
  const present: string[] = [];
  const repaired: string[] = [];
  let stopBeat: (() => Promise<void>) | undefined;
  try {
    await putText(client, openRunKey(p.name, step.params.runAt), `${new Date(step.params.runAt).toISOString()}\n`, dir);
    stopBeat = await startHeartbeat(client, p.name, step.params.runAt, dir, ctx.log);
    crashPoint(`blocks.upload:marked ${step.id}`);
    const progress = new UploadProgress(ctx, blocks.reduce((n, b) => n + b.length, 0), `upload of ${blocks.length} blocks:`);
    const limit = limiterOf(p);
    // One failed block stops the step's other blocks (queued ones never start, running ones are
    // aborted) and the step ends only once all have settled: nothing outlives it, as restoreFiles
    // in ./restore-exec.ts does. A file deleted since the walk (404) is a change, not a failure.
    const ac = new AbortController();
    const signal = AbortSignal.any([ctx.signal, ac.signal]);
    const gone = (err: unknown) => err instanceof WebHdfsError && err.notFound;
    const one = async (b: (typeof blocks)[number]): Promise<void> => {
      signal.throwIfAborted();
      const key = blockKey(pool, b.id, b.gs);
      // An object without a checksum (local store killed between link and sidecar) is not
      // taken as present: the manifest would skip its file every run. Re-read and repair it.
      const have = await client.head(key);
      const repair = have !== undefined && !have.sha256 && client.repairChecksum !== undefined;
      if (have && !repair) {
        present.push(key);
        progress.add(b.length);
        return;
      }
      // OPEN and GET_BLOCK_LOCATIONS resolve the path: the inode is checked before the read and
      // after the re-check too, so a swap and swap-back around the read shows (finding 10)
      const sameFile = async () => b.fileId === undefined || (await fs.getFileStatus(abs(b.path))).fileId === b.fileId;
      if (!(await sameFile())) {
        changed.push(`${b.path}@${b.offset}`);
        progress.add(b.length);
        return;
      }
      const tmp = join(dir, `${b.id}_${b.gs}`);
      const hash = createHash('sha256');
      const range = { offset: b.offset, length: b.length };
      // In memory when the store sends from memory and the block is within the bound (at most
      // `concurrency` such buffers at once: limiterOf); else through a temp file.
      const body = client.putBuffer && b.length <= bufferMax() ? Buffer.allocUnsafe(b.length) : undefined;
      let got: number;
      if (body) {
        let at = 0;
        got = await openRange(fs, abs(b.path), range, (chunk) => {
          hash.update(chunk);
          // more bytes than the block: `got` shows it and the block is left to the next run
          if (at + chunk.length <= body.length) chunk.copy(body, at);
          at += chunk.length;
        }, { signal });
      } else {
        const fh = await open(tmp, 'wx');
        try {
          got = await openRange(fs, abs(b.path), range, async (chunk) => {
            hash.update(chunk);
            await fh.write(chunk);
          }, { signal });
        } finally {
          await fh.close();
        }
      }
      const sha256 = hash.digest('hex');
      const again = (await getBlockLocations(fs, abs(b.path), { offset: b.offset, length: 1 })).locatedBlocks.find((l) => l.startOffset === b.offset)?.block;
      if (got !== b.length || !(await sameFile()) || !again || again.blockId !== b.id || again.generationStamp !== b.gs || again.numBytes !== b.length || again.blockPoolId !== pool) {
        changed.push(`${b.path}@${b.offset}`);
        await rm(tmp, { force: true });
        progress.add(b.length);
        return;
      }
      if (repair) {
        await rm(tmp, { force: true });
        if (!(await client.repairChecksum!(key, sha256))) throw new Error(`${key} in ${client.url} has no checksum and its bytes are not those of block ${b.id}_${b.gs} of ${b.path}: left as it is`);
        repaired.push(key);
        progress.add(b.length);
        return;
      }
      let sent = 0;
      const putOpts = {
        sha256,
        signal,
        onProgress: (pr: { bytes: number }) => {
          crashPoint(`blocks.upload:part ${key}`);
          progress.add(pr.bytes - sent);
          sent = pr.bytes;
        },
      };
      const put = body ? await client.putBuffer!(key, body, putOpts) : await client.putFile(key, tmp, putOpts);
      await rm(tmp, { force: true });
      if (put.created) {
        copied += put.size;
        files++;
      } else present.push(key);
      crashPoint(`blocks.upload:block ${key}`);
    };
    const settled = await Promise.allSettled(
      blocks.map((b) =>
        limit(async () => {
          try {
            await one(b);
          } catch (err) {
            if (gone(err) && !signal.aborted) {
              changed.push(`${b.path}@${b.offset}`);
              await rm(join(dir, `${b.id}_${b.gs}`), { force: true });
              return;
            }
            ac.abort(err);
            throw err;
          }
        }),
      ),
    );
    // the first failure aborted the others: that one is the step's error
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw ac.signal.aborted ? ac.signal.reason : failed.reason;
  } finally {
    await stopBeat?.();
    await rm(dir, { recursive: true, force: true });
  }
  if (changed.length) ctx.log(`${changed.length} block${changed.length === 1 ? '' : 's'} changed since the walk (${changed.slice(0, 3).join(', ')}): left to the next run`);
  const notes = [`${files} uploaded`, ...(present.length ? [`${present.length} already in the store`] : []), ...(repaired.length ? [`${repaired.length} without a checksum repaired`] : []), ...(changed.length ? [`${changed.length} changed since the walk`] : [])];
  return { bytesCopied: copied, filesCopied: files, note: notes.join(', ') };
};
