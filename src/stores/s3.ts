/**
 * StoreClient over an S3 bucket (AWS S3 or any S3-compatible server: versitygw, MinIO, Ceph RGW).
 *
 * - The SDK client, its credentials and retries, and the mapping of SDK errors: s3-client.ts.
 * - putFile (conditional PutObject or multipart upload, aborts of failed uploads): s3-upload.ts.
 * - Object keys are `${store.prefix}${key}`; `url` is `s3://bucket/prefix`.
 * - list() returns `sha256: undefined`: ListObjectsV2 carries no user metadata and a HeadObject per
 *   object would be too expensive; head() and getFile() read it.
 */
import { createHash } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import {
  type S3Client,
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import type { S3Store } from '../model/policy.js';
import { ChecksumMismatchError, type IncompleteUpload, type Progress, type PutOptions, type PutResult, type StoreClient, type StoredObject } from './types.js';
import { abortError, fsyncDir, randomSuffix, unlinkQuiet } from './fsutil.js';
import { createS3Client, describeError, errName, httpStatus, isNoSuchUpload, isNotFound, type S3StoreClientOptions } from './s3-client.js';
import { S3Uploader } from './s3-upload.js';
import { verifiedChunks } from './read-verified.js';

export type { S3StoreClientOptions } from './s3-client.js';

const MIB = 1024 * 1024;

async function writeAll(fh: import('node:fs/promises').FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

export class S3StoreClient implements StoreClient {
  readonly url: string;
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly pageSize: number;
  private readonly uploader: S3Uploader;

  constructor(store: Pick<S3Store, 'bucket' | 'prefix' | 'region' | 'endpoint' | 'forcePathStyle'>, opts: S3StoreClientOptions = {}) {
    this.bucket = store.bucket;
    this.prefix = store.prefix ?? '';
    this.url = `s3://${store.bucket}/${this.prefix}`;
    this.pageSize = opts.pageSize ?? 1000;
    const partSize = Math.max(opts.partSize ?? 8 * MIB, 5 * MIB);
    const queueSize = Math.max(1, opts.queueSize ?? 2);
    if (this.pageSize < 1 || this.pageSize > 1000) throw new Error(`pageSize must be 1..1000, got ${this.pageSize}`);
    this.client = createS3Client(store, opts);
    this.uploader = new S3Uploader(this.client, this.bucket, this.url, partSize, queueSize);
  }

  private fullKey(key: string): string {
    return `${this.prefix}${key}`;
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.fullKey(prefix),
            MaxKeys: this.pageSize,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const o of page.Contents ?? []) {
          if (!o.Key || !o.Key.startsWith(this.prefix)) continue;
          out.push({ key: o.Key.slice(this.prefix.length), size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
        if (page.IsTruncated && !token) throw new Error('the server said the listing is truncated but gave no continuation token');
      } while (token);
    } catch (err) {
      throw new Error(`listing ${prefix || '(everything)'} in ${this.url} failed: ${describeError(err)}`, { cause: err });
    }
    return out;
  }

  async head(key: string): Promise<StoredObject | undefined> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
      return {
        key,
        size: r.ContentLength ?? 0,
        lastModified: r.LastModified?.getTime() ?? 0,
        ...(r.Metadata?.sha256 ? { sha256: r.Metadata.sha256 } : {}),
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new Error(`head of ${key} in ${this.url} failed: ${describeError(err)}`, { cause: err });
    }
  }

  async putFile(key: string, file: string, opts: PutOptions = {}): Promise<PutResult> {
    return this.uploader.putFile(key, this.fullKey(key), file, opts);
  }

  async putBuffer(key: string, body: Buffer, opts: PutOptions & { sha256: string }): Promise<PutResult> {
    return this.uploader.putBuffer(key, this.fullKey(key), body, opts);
  }

  /** Retry the aborts of multipart uploads this client could not abort earlier; returns how many are still pending. */
  async abortPending(): Promise<number> {
    return this.uploader.abortPending();
  }

  /** Multipart uploads this client started, failed, and could not abort yet (uploadId → full key). */
  get pendingAbortUploads(): ReadonlyMap<string, string> {
    return this.uploader.pendingAbortUploads;
  }

  /** GetObject of `key`, its failures said as "<where> failed: ..." (absent: "no object ..."). */
  private async getObject(key: string, where: string, signal: AbortSignal | undefined) {
    try {
      return await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }), signal ? { abortSignal: signal } : {});
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      if (isNotFound(err)) throw new Error(`${where} failed: no object ${key} in ${this.url}`, { cause: err });
      throw new Error(`${where} failed: ${describeError(err)}`, { cause: err });
    }
  }

  async readVerified(key: string, opts: { signal?: AbortSignal } = {}): Promise<{ size: number; sha256: string; chunks: AsyncIterable<Buffer> }> {
    const { signal } = opts;
    signal?.throwIfAborted();
    const where = `read of ${key} from ${this.url}`;
    const res = await this.getObject(key, where, signal);
    const body = res.Body as Readable | undefined;
    if (!body) throw new Error(`${where} failed: the server sent no body`);
    const expected = res.Metadata?.sha256;
    if (!expected) {
      body.destroy();
      throw new ChecksumMismatchError(key, undefined, '');
    }
    return { size: res.ContentLength ?? 0, sha256: expected, chunks: verifiedChunks(body as AsyncIterable<Buffer>, key, expected) };
  }

  async getFile(key: string, dest: string, opts: { onProgress?: (p: Progress) => void; signal?: AbortSignal } = {}): Promise<StoredObject> {
    const { signal, onProgress } = opts;
    signal?.throwIfAborted();
    const where = `download of ${key} from ${this.url} to ${dest}`;
    const res = await this.getObject(key, where, signal);
    const body = res.Body as Readable | undefined;
    const expected = res.Metadata?.sha256;
    if (!body) throw new Error(`${where} failed: the server sent no body`);
    if (!expected) {
      body.destroy();
      throw new ChecksumMismatchError(key, undefined, '');
    }
    const total = res.ContentLength;
    const tmp = `${dest}.part-${randomSuffix()}`;
    const onAbort = () => body.destroy(signal ? abortError(signal) : undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    let renamed = false;
    try {
      const hash = createHash('sha256');
      let bytes = 0;
      const fh = await open(tmp, 'wx');
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          hash.update(chunk);
          await writeAll(fh, chunk);
          bytes += chunk.length;
          onProgress?.({ bytes, ...(total !== undefined ? { total } : {}) });
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      const actual = hash.digest('hex');
      if (actual !== expected) throw new ChecksumMismatchError(key, expected, actual);
      await rename(tmp, dest);
      renamed = true;
      await fsyncDir(dirname(dest));
      return { key, size: bytes, lastModified: res.LastModified?.getTime() ?? 0, sha256: actual };
    } catch (err) {
      if (err instanceof ChecksumMismatchError) throw err;
      if (signal?.aborted) throw abortError(signal);
      throw new Error(`${where} failed: ${describeError(err)}`, { cause: err });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!renamed) await unlinkQuiet(tmp);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
    } catch (err) {
      if (isNotFound(err) && errName(err) !== 'NoSuchBucket') return;
      throw new Error(`delete of ${key} in ${this.url} failed: ${describeError(err)}`, { cause: err });
    }
  }

  async listIncompleteUploads(prefix: string): Promise<IncompleteUpload[]> {
    const out: IncompleteUpload[] = [];
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    try {
      for (;;) {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: this.fullKey(prefix),
            ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
            ...(idMarker !== undefined ? { UploadIdMarker: idMarker } : {}),
          }),
        );
        for (const u of page.Uploads ?? []) {
          if (!u.Key || !u.UploadId || !u.Key.startsWith(this.prefix)) continue;
          out.push({ key: u.Key.slice(this.prefix.length), uploadId: u.UploadId, initiated: u.Initiated?.getTime() ?? 0 });
        }
        if (!page.IsTruncated) break;
        if (page.NextKeyMarker === keyMarker && page.NextUploadIdMarker === idMarker) throw new Error('the server said the listing is truncated but gave no new markers');
        keyMarker = page.NextKeyMarker;
        idMarker = page.NextUploadIdMarker;
      }
    } catch (err) {
      throw new Error(`listing the incomplete uploads under ${prefix || '(everything)'} in ${this.url} failed: ${describeError(err)}`, { cause: err });
    }
    return out;
  }

  async abortUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.fullKey(key), UploadId: uploadId }));
    } catch (err) {
      if (isNoSuchUpload(err) || httpStatus(err) === 404) return;
      throw new Error(`abort of the upload ${uploadId} of ${key} in ${this.url} failed: ${describeError(err)}`, { cause: err });
    }
  }

  /** Close the SDK client's sockets. */
  destroy(): void {
    this.client.destroy();
  }
}
