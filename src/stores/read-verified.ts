/**
 * A store object's bytes as they arrive, checked against the SHA-256 it was stored with
 * (StoreClient.readVerified, ./types.ts): for consumers that pass the bytes on (the block restore
 * streams them into an HDFS scratch file) instead of keeping a local copy, which getFile writes and
 * fsyncs. The check ends the iteration: a consumer must not act on the bytes before it has ended
 * without an error.
 */
import { createHash } from 'node:crypto';
import { ChecksumMismatchError } from './types.js';

export async function* verifiedChunks(body: AsyncIterable<Buffer>, key: string, expected: string): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  for await (const chunk of body) {
    hash.update(chunk);
    yield chunk;
  }
  const actual = hash.digest('hex');
  if (actual !== expected) throw new ChecksumMismatchError(key, expected, actual);
}
