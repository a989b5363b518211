/**
 * Uploads of an S3StoreClient: putFile's conditional PutObject or multipart upload, and the aborts
 * of multipart uploads that failed.
 *
 * - putBuffer (an S3-only StoreClient method) sends bytes held in memory whose SHA-256 the caller
 *   computed, in one PutObject the server verifies (below); the block upload uses it.
 * - putFile reads the file twice: a first pass computes the SHA-256 (it must be known when the
 *   upload starts, as `x-amz-meta-sha256`), the second uploads it, hashing again and refusing to
 *   complete when the file changed in between. Files up to `partSize` go in one PutObject, larger
 *   ones as a multipart upload (`partSize` 8 MiB, `queueSize` 2 parts in flight). Both carry
 *   `If-None-Match: *` (on PutObject, and on CompleteMultipartUpload): the object appears whole and
 *   only when the key is free. A 412 PreconditionFailed or 409 ConditionalRequestConflict means
 *   another writer won: `{ created: false }`.
 * - The multipart upload is done here with Create/UploadPart/Complete/AbortMultipartUpload rather
 *   than with lib-storage's `Upload`. `Upload` does forward IfNoneMatch to CompleteMultipartUpload,
 *   but (1) when its own abort fails (server gone) the abort error replaces the upload error and it
 *   gives up on the abort; (2) on an AbortSignal its done() rejects before the parts in flight have
 *   settled and before the abort is sent, so "no parts left when putFile returns" cannot be
 *   promised; (3) with Node's HTTP handler its progress is per part anyway. Here, on any failure,
 *   every part request is settled first, then the upload is aborted; an abort that cannot reach the
 *   server is remembered and retried after the next successful putFile of this client (or with
 *   `abortPending()`). Uploads left by a crashed process are not known to any client: give the
 *   bucket a lifecycle rule `AbortIncompleteMultipartUpload` (e.g. 1 day).
 * - Every upload carries a random `x-amz-meta-hbr-put-id`: when a request whose response was lost
 *   is retried (or CompleteMultipartUpload fails after it took effect) and the server then answers
 *   412, the object under the key is checked for that id, so our own earlier attempt is reported
 *   as created, not as "someone else won".
 */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Progress, PutOptions, PutResult } from './types.js';
import { abortError, randomSuffix, sha256File } from './fsutil.js';
import { StepError, describeError, httpStatus, isConditionalConflict, isNoSuchUpload, step } from './s3-client.js';

/** putFile and the multipart-upload bookkeeping of one S3StoreClient (its SDK client, bucket and sizes). */
export class S3Uploader {
  /** multipart uploads whose abort could not reach the server: uploadId → full key */
  private readonly pendingAborts = new Map<string, string>();

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly url: string,
    private readonly partSize: number,
    private readonly queueSize: number,
  ) {}

  /** S3StoreClient.putFile of `key`, stored under `fullKey` (the store prefix + key). */
  async putFile(
    key: string,
    fullKey: string,
    file: string,
    opts: PutOptions = {},
  ): Promise<PutResult> {
    const { signal } = opts;
    signal?.throwIfAborted();
    const where = `upload of ${key} to ${this.url}`;
    let first: { sha256: string; size: number };
    try {
      // A known hash skips the first pass (the upload pass below still hashes and compares).
      first = opts.sha256 ? { sha256: opts.sha256, size: (await stat(file)).size } : await sha256File(file, signal);
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      throw new Error(`${where} failed: cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
    const putId = randomSuffix();
    const ctx: PutContext = {
      key,
      fullKey,
      file,
      sha256: first.sha256,
      size: first.size,
      putId,
      where,
      onProgress: opts.onProgress,
      signal,
    };
    const res = first.size <= this.partSize ? await this.putSingle(ctx) : await this.putMultipart(ctx);
    if (res.created && this.pendingAborts.size > 0) await this.abortPending().catch(() => undefined);
    return res;
  }

  /** Retry the aborts of multipart uploads this client could not abort earlier; returns how many are still pending. */
  async abortPending(): Promise<number> {
    for (const [uploadId, fullKey] of [...this.pendingAborts]) {
      if ((await this.abortUpload(fullKey, uploadId)) === undefined) this.pendingAborts.delete(uploadId);
    }
    return this.pendingAborts.size;
  }

  /** Multipart uploads this client started, failed, and could not abort yet (uploadId → full key). */
  get pendingAbortUploads(): ReadonlyMap<string, string> {
    return this.pendingAborts;
  }

  private metadata(ctx: PutContext): Record<string, string> {
    return { sha256: ctx.sha256, 'hbr-put-id': ctx.putId };
  }

  /** true when the object under the key is the one this put wrote (its put id), i.e. an earlier attempt took effect. */
  private async wasOurs(ctx: PutContext): Promise<boolean> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: ctx.fullKey }));
      return r.Metadata?.['hbr-put-id'] === ctx.putId;
    } catch {
      return false;
    }
  }

  private async putSingle(ctx: PutContext): Promise<PutResult> {
    let body: Buffer;
    try {
      const fh = await open(ctx.file, 'r');
      try {
        body = await fh.readFile();
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw new Error(`${ctx.where} failed: cannot read ${ctx.file}: ${(err as Error).message}`, { cause: err });
    }
    const again = createHash('sha256').update(body).digest('hex');
    if (again !== ctx.sha256) throw new Error(`${ctx.where} failed: ${ctx.file} changed while it was being uploaded; nothing was written`);
    return this.sendSingle(ctx, body, false);
  }

  /**
   * S3StoreClient.putBuffer: one conditional PutObject of `body`, whose SHA-256 the caller computed
   * as the bytes arrived. Nothing here hashes it again: the request carries the hash twice and the
   * server checks both against the bytes it receives, refusing the put (400, nothing written) on a
   * mismatch — `x-amz-checksum-sha256` (S3 additional checksums; BadDigest) and the SigV4 payload
   * hash `x-amz-content-sha256`, which the SDK's signer then takes as given instead of hashing the
   * body itself over http (@smithy/signature-v4 `getPayloadHash`: a request that already carries
   * the header keeps it). Both verified by versitygw on the test bed (docs/blocks.md, "Throughput").
   */
  async putBuffer(key: string, fullKey: string, body: Buffer, opts: PutOptions & { sha256: string }): Promise<PutResult> {
    opts.signal?.throwIfAborted();
    const ctx: PutContext = {
      key,
      fullKey,
      file: '(memory)',
      sha256: opts.sha256,
      size: body.length,
      putId: randomSuffix(),
      where: `upload of ${key} to ${this.url}`,
      onProgress: opts.onProgress,
      signal: opts.signal,
    };
    const res = await this.sendSingle(ctx, body, true);
    if (res.created && this.pendingAborts.size > 0) await this.abortPending().catch(() => undefined);
    return res;
  }

  /** The conditional PutObject of putSingle and putBuffer; `serverVerifies`: send the SHA-256 for the server to check. */
  private async sendSingle(ctx: PutContext, body: Buffer, serverVerifies: boolean): Promise<PutResult> {
    const { signal } = ctx;
    try {
      const cmd = new PutObjectCommand({
        Bucket: this.bucket,
        Key: ctx.fullKey,
        Body: body,
        ContentLength: body.length,
        ContentType: 'application/octet-stream',
        Metadata: this.metadata(ctx),
        IfNoneMatch: '*',
        ...(serverVerifies ? { ChecksumSHA256: Buffer.from(ctx.sha256, 'hex').toString('base64') } : {}),
      });
      if (serverVerifies) {
        cmd.middlewareStack.add(
          (next) => async (args) => {
            const req = args.request as { headers?: Record<string, string> };
            if (req.headers) req.headers['x-amz-content-sha256'] = ctx.sha256;
            return next(args);
          },
          { step: 'build', name: 'hbrKnownPayloadHash' },
        );
      }
      await this.client.send(cmd, signal ? { abortSignal: signal } : {});
    } catch (err) {
      if (isConditionalConflict(err)) {
        // A retried request whose first attempt took effect (response lost) is refused with 412:
        // the object under the key carries our put id then.
        if (await this.wasOurs(ctx)) return this.done(ctx);
        return { created: false, sha256: ctx.sha256, size: ctx.size };
      }
      if (signal?.aborted) throw abortError(signal);
      throw new Error(`${ctx.where} failed: ${describeError(err)}`, { cause: err });
    }
    return this.done(ctx);
  }

  private done(ctx: PutContext): PutResult {
    ctx.onProgress?.({ bytes: ctx.size, total: ctx.size });
    return { created: true, sha256: ctx.sha256, size: ctx.size };
  }

  private async putMultipart(ctx: PutContext): Promise<PutResult> {
    const { signal } = ctx;
    const sendOpts = signal ? { abortSignal: signal } : {};
    const partCount = Math.ceil(ctx.size / this.partSize);
    let uploadId: string | undefined;
    let conflict = false;
    let completeSent = false;
    let failure: unknown;
    const fh = await open(ctx.file, 'r').catch((err: unknown) => {
      throw new Error(`${ctx.where} failed: cannot read ${ctx.file}: ${(err as Error).message}`, { cause: err });
    });
    try {
      const created = await step(
        'CreateMultipartUpload',
        this.client.send(
          new CreateMultipartUploadCommand({
            Bucket: this.bucket,
            Key: ctx.fullKey,
            ContentType: 'application/octet-stream',
            Metadata: this.metadata(ctx),
            ChecksumAlgorithm: 'CRC32',
          }),
          sendOpts,
        ),
      );
      uploadId = created.UploadId;
      if (!uploadId) throw new StepError('CreateMultipartUpload', new Error('the server returned no UploadId'));

      // Parts are read in order by one reader (so the second hash pass is sequential) and sent by
      // `queueSize` workers. The first failure stops every worker from taking another part.
      const hash = createHash('sha256');
      let next = 1;
      let readChain: Promise<unknown> = Promise.resolve();
      const readPart = (): Promise<{ n: number; body: Buffer } | undefined> => {
        const p = readChain.then(async () => {
          if (failure !== undefined || signal?.aborted || next > partCount) return undefined;
          const n = next++;
          const start = (n - 1) * this.partSize;
          const len = Math.min(this.partSize, ctx.size - start);
          const body = Buffer.allocUnsafe(len);
          let off = 0;
          while (off < len) {
            const { bytesRead } = await fh.read(body, off, len - off, start + off);
            if (bytesRead === 0) throw new StepError(`reading ${ctx.file}`, new Error('the file got shorter while it was being uploaded'));
            off += bytesRead;
          }
          hash.update(body);
          return { n, body };
        });
        readChain = p.catch(() => undefined);
        return p;
      };
      const parts: CompletedPart[] = [];
      let sent = 0;
      const worker = async (): Promise<void> => {
        for (;;) {
          const part = await readPart();
          if (!part) return;
          const r = await step(
            `UploadPart ${part.n} of ${partCount}`,
            this.client.send(
              new UploadPartCommand({
                Bucket: this.bucket,
                Key: ctx.fullKey,
                UploadId: uploadId,
                PartNumber: part.n,
                Body: part.body,
                ContentLength: part.body.length,
                ChecksumAlgorithm: 'CRC32',
              }),
              sendOpts,
            ),
          );
          if (!r.ETag) throw new StepError(`UploadPart ${part.n} of ${partCount}`, new Error('the server returned no ETag'));
          parts.push({ PartNumber: part.n, ETag: r.ETag, ...(r.ChecksumCRC32 ? { ChecksumCRC32: r.ChecksumCRC32 } : {}) });
          sent += part.body.length;
          if (failure === undefined && !signal?.aborted) ctx.onProgress?.({ bytes: sent, total: ctx.size });
        }
      };
      // allSettled: every part request has ended (no part still landing) before we abort.
      await Promise.allSettled(
        Array.from({ length: Math.min(this.queueSize, partCount) }, () =>
          worker().catch((err: unknown) => {
            failure ??= err;
          }),
        ),
      );
      if (failure !== undefined) throw failure;
      if (signal?.aborted) throw abortError(signal);
      const again = hash.digest('hex');
      if (again !== ctx.sha256 || parts.length !== partCount) {
        throw new StepError('verifying the file', new Error(`${ctx.file} changed while it was being uploaded`));
      }
      parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
      try {
        completeSent = true;
        await this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key: ctx.fullKey,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
            IfNoneMatch: '*',
          }),
          sendOpts,
        );
        return this.done(ctx);
      } catch (err) {
        if (isConditionalConflict(err)) conflict = true;
        else throw new StepError('CompleteMultipartUpload', err);
      }
    } catch (err) {
      failure = err;
    } finally {
      await fh.close();
    }

    // Lost the race, or failed: the upload must not stay behind with its parts.
    let abortFailure: unknown;
    if (uploadId) abortFailure = await this.abortUpload(ctx.fullKey, uploadId);
    // CompleteMultipartUpload may have taken effect even though its answer was an error (lost
    // response, then a retried Complete refused with 412): then our own object is under the key.
    if (completeSent && (await this.wasOurs(ctx))) {
      if (uploadId) this.pendingAborts.delete(uploadId);
      return this.done(ctx);
    }
    // Another writer won; our parts are aborted (or remembered for a later abort): nothing visible.
    if (conflict) return { created: false, sha256: ctx.sha256, size: ctx.size };
    if (signal?.aborted && abortFailure === undefined) throw abortError(signal);

    const reason = signal?.aborted
      ? 'aborted'
      : failure instanceof StepError
        ? `${describeError(failure.cause)} (${failure.step})`
        : describeError(failure);
    const leftover =
      abortFailure !== undefined
        ? `; its multipart upload ${uploadId} could not be aborted (${describeError(abortFailure)}): the parts stay on the server, ` +
          'invisible, until this client aborts them after its next successful upload or a bucket lifecycle rule (AbortIncompleteMultipartUpload) removes them'
        : uploadId
          ? '; the multipart upload was aborted, nothing was written'
          : '; nothing was written';
    throw new Error(`${ctx.where} failed: ${reason}${leftover}`, { cause: failure instanceof StepError ? failure.cause : failure });
  }

  /** Abort a multipart upload; undefined on success (or when it is gone), else the error (and it is remembered). */
  private async abortUpload(fullKey: string, uploadId: string): Promise<unknown> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: fullKey, UploadId: uploadId }));
      this.pendingAborts.delete(uploadId);
      return undefined;
    } catch (err) {
      if (isNoSuchUpload(err) || httpStatus(err) === 404) {
        this.pendingAborts.delete(uploadId);
        return undefined;
      }
      this.pendingAborts.set(uploadId, fullKey);
      return err;
    }
  }
}

interface PutContext {
  key: string;
  fullKey: string;
  file: string;
  sha256: string;
  size: number;
  putId: string;
  where: string;
  onProgress: ((p: Progress) => void) | undefined;
  signal: AbortSignal | undefined;
}
