/**
 * A store holds archives (ZooKeeper archives today; HBase and block backups later): S3 or a local
 * directory. Writes are atomic (an object appears whole or not at all), every object carries
 * its SHA-256 (set on upload, checked on download), and a conditional create means two hbr
 * processes can never overwrite each other's object.
 */

export interface StoredObject {
  /** key relative to the store's prefix, e.g. "zookeeper-backup-eu-west1-2026-11-22T13-00-00Z.tar.gz" */
  key: string;
  size: number;
  lastModified: number;
  /** hex SHA-256 of the content, from the object's metadata; undefined if it has none (not written by hbr) */
  sha256?: string;
}

export interface PutResult {
  /** false when the key already existed (conditional create lost): nothing was written */
  created: boolean;
  sha256: string;
  size: number;
}

export interface Progress {
  bytes: number;
  total?: number;
}

export interface StoreClient {
  /** a human name for messages: s3://bucket/prefix or /srv/store */
  readonly url: string;
  /** every object whose key starts with `prefix` (relative to the store prefix), any order */
  list(prefix: string): Promise<StoredObject[]>;
  /** undefined when absent */
  head(key: string): Promise<StoredObject | undefined>;
  /**
   * Upload the local file `file` under `key`, only if `key` does not exist yet (S3 If-None-Match: *,
   * local link()). Atomic: on any failure no object is visible under `key` (S3: the multipart upload
   * is aborted; local: the temp file is removed). Computes the SHA-256 while reading and stores it
   * as metadata (S3 x-amz-meta-sha256; local: a sidecar "<key>.sha256" written before the rename).
   */
  putFile(key: string, file: string, opts?: PutOptions): Promise<PutResult>;
  /**
   * Optional (S3 only: a local store links a file, so it has nothing to gain). Put `body` under
   * `key` only if absent, like putFile, in one request, with the `sha256` the caller computed as
   * the bytes arrived: it is not hashed again here; the request carries it (`x-amz-checksum-sha256`
   * and the SigV4 payload hash) and the server refuses the put when the bytes it got differ
   * (./s3-upload.ts). Up to 5 GiB (one PutObject); the caller bounds the memory.
   */
  putBuffer?(key: string, body: Buffer, opts: PutOptions & { sha256: string }): Promise<PutResult>;
  /**
   * Download `key` to the local file `dest` (atomically: temp + rename) and verify its SHA-256 against
   * the stored one; throws ChecksumMismatchError (and leaves no `dest`) when they differ, or when the
   * object has no checksum.
   */
  getFile(key: string, dest: string, opts?: { onProgress?: (p: Progress) => void; signal?: AbortSignal }): Promise<StoredObject>;
  /**
   * The bytes of `key` as they arrive, never written locally, with its stored SHA-256 and size. The
   * iteration checks the SHA-256 as the bytes pass and throws ChecksumMismatchError after the last
   * chunk when it differs (./read-verified.ts); an object with no checksum is refused at once. Act on
   * the bytes only once the iteration has ended without an error.
   */
  readVerified(key: string, opts?: { signal?: AbortSignal }): Promise<{ size: number; sha256: string; chunks: AsyncIterable<Buffer> }>;
  /**
   * Optional (local store only: S3 writes object and metadata in one request). For an object that
   * has no checksum (a kill between the local put's link and its sidecar: ./local.ts), the caller
   * hashed the bytes that belong under `key`: when the stored bytes hash to `sha256`, the checksum
   * is written and true returned; false when they differ or the object is gone (nothing written).
   */
  repairChecksum?(key: string, sha256: string): Promise<boolean>;
  /** idempotent: deleting an absent key is not an error */
  delete(key: string): Promise<void>;
  /**
   * Uploads started under `prefix` and never completed or aborted (a killed process's): S3
   * ListMultipartUploads; local: the temp files a killed putFile left (`.<name>.tmp-<random>`).
   */
  listIncompleteUploads(prefix: string): Promise<IncompleteUpload[]>;
  /** Aborts one (S3 AbortMultipartUpload; local: removes the temp file); one already gone is not an error. */
  abortUpload(key: string, uploadId: string): Promise<void>;
}

export interface PutOptions {
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /**
   * The hex SHA-256 of `file` when the caller already knows it (it hashed the bytes as it wrote
   * them): the first hashing pass is skipped. The upload still hashes what it sends and refuses to
   * complete (nothing is written) when that differs.
   */
  sha256?: string;
}

export interface IncompleteUpload {
  /** the key the upload was for (relative to the store prefix) */
  key: string;
  uploadId: string;
  /** when it was started, ms */
  initiated: number;
}

export class ChecksumMismatchError extends Error {
  constructor(readonly key: string, readonly expected: string | undefined, readonly actual: string) {
    super(
      expected
        ? `checksum mismatch for ${key}: stored SHA-256 ${expected}, downloaded content has ${actual}; the archive is corrupt and was not used`
        : `${key} carries no SHA-256: not an archive hbr wrote, refusing to use it`,
    );
    this.name = 'ChecksumMismatchError';
  }
}
