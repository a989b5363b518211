/**
 * The S3 SDK client of an S3StoreClient, its options, and the mapping of SDK errors to messages.
 *
 * - Credentials come from the AWS SDK default chain only (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
 *   AWS_PROFILE, web identity, instance/container roles…), never from policy files, and are never
 *   logged: error messages carry the key, the store URL and the server's or the socket's message.
 * - Retries: `maxAttempts` 3 (SDK standard retry), connect timeout 5 s and socket idle timeout
 *   30 s, so a dead or unreachable server fails in seconds.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { S3Store } from '../model/policy.js';

export interface S3StoreClientOptions {
  /** ListObjectsV2 MaxKeys per page (default 1000, the S3 maximum) */
  pageSize?: number;
  /** multipart part size in bytes (default 8 MiB, minimum 5 MiB); files up to this size go in one PutObject */
  partSize?: number;
  /** parts uploaded in parallel (default 2) */
  queueSize?: number;
  /** SDK attempts per request (default 3) */
  maxAttempts?: number;
  /** TCP connect timeout in ms (default 5000) */
  connectionTimeoutMs?: number;
  /** socket idle timeout in ms (default 30000) */
  socketTimeoutMs?: number;
  /** a ready client (tests, or a caller that configures the SDK itself); the options above for the SDK are then ignored */
  client?: S3Client;
}

/** `opts.client`, else a new SDK client for the store's region, endpoint and path style. */
export function createS3Client(store: Pick<S3Store, 'region' | 'endpoint' | 'forcePathStyle'>, opts: S3StoreClientOptions): S3Client {
  // Region: the store's, else the SDK chain (AWS_REGION, profile); an S3-compatible endpoint
  // without any region configured gets us-east-1, which such servers accept.
  const region = store.region ?? (process.env.AWS_REGION ? undefined : store.endpoint ? 'us-east-1' : undefined);
  return (
    opts.client ??
    new S3Client({
      ...(region ? { region } : {}),
      ...(store.endpoint ? { endpoint: store.endpoint } : {}),
      ...(store.forcePathStyle !== undefined ? { forcePathStyle: store.forcePathStyle } : {}),
      maxAttempts: opts.maxAttempts ?? 3,
      requestHandler: {
        connectionTimeout: opts.connectionTimeoutMs ?? 5000,
        socketTimeout: opts.socketTimeoutMs ?? 30_000,
      },
    })
  );
}

/** The phase of an S3 operation that failed, kept with the error for the message. */
export class StepError extends Error {
  constructor(readonly step: string, override readonly cause: unknown) {
    super(`${step}: ${describeError(cause)}`);
  }
}

export function step<T>(name: string, p: Promise<T>): Promise<T> {
  return p.catch((err: unknown) => {
    throw err instanceof StepError ? err : new StepError(name, err);
  });
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  errors?: unknown[];
  $metadata?: { httpStatusCode?: number };
}

export function httpStatus(err: unknown): number | undefined {
  return (err as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
}

export function errName(err: unknown): string | undefined {
  const e = err as SdkErrorShape | undefined;
  return e?.Code ?? e?.name;
}

/** One line saying what the server or the socket said, without credentials or request details. */
export function describeError(err: unknown): string {
  if (err instanceof StepError) return err.message;
  const e = err as SdkErrorShape | undefined;
  if (!e || typeof e !== 'object') return String(err);
  let msg = e.message ?? '';
  if (!msg && Array.isArray(e.errors)) msg = e.errors.map((x) => describeError(x)).join('; ');
  if (!msg) msg = e.code ?? e.name ?? 'unknown error';
  const status = httpStatus(err);
  const name = errName(err);
  // Socket errors carry their own clear message (connect ECONNREFUSED 127.0.0.1:17070); service
  // errors get their S3 error code and HTTP status.
  if (status !== undefined) {
    const prefix = name && name !== 'Error' && !msg.startsWith(name) ? `${name}: ` : '';
    return `${prefix}${msg} (HTTP ${status})`;
  }
  return msg;
}

export function isNotFound(err: unknown): boolean {
  const name = errName(err);
  return httpStatus(err) === 404 || name === 'NotFound' || name === 'NoSuchKey';
}

export function isNoSuchUpload(err: unknown): boolean {
  return errName(err) === 'NoSuchUpload';
}

/** 412 PreconditionFailed, or 409 ConditionalRequestConflict (a concurrent conditional write). */
export function isConditionalConflict(err: unknown): boolean {
  const name = errName(err);
  const status = httpStatus(err);
  return status === 412 || name === 'PreconditionFailed' || name === 'ConditionalRequestConflict';
}
