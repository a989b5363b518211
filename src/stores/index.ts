/** Opening a store client from a validated policy store; see types.ts for the contract. */
import type { Store } from '../model/policy.js';
import { LocalStoreClient } from './local.js';
import { S3StoreClient, type S3StoreClientOptions } from './s3.js';
import type { StoreClient } from './types.js';

export { ChecksumMismatchError } from './types.js';
export type { IncompleteUpload, Progress, PutOptions, PutResult, StoreClient, StoredObject } from './types.js';
export { LocalStoreClient } from './local.js';
export { S3StoreClient, type S3StoreClientOptions } from './s3.js';

/** A client for `store`. S3 credentials come from the AWS SDK default chain (environment, profile, role). */
export function openStore(store: Store, opts: { s3?: S3StoreClientOptions } = {}): StoreClient {
  switch (store.kind) {
    case 's3':
      return new S3StoreClient(store, opts.s3);
    case 'local':
      return new LocalStoreClient(store);
    default: {
      const never: never = store;
      throw new Error(`unknown store kind ${(never as { kind: string }).kind}`);
    }
  }
}
