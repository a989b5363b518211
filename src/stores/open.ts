/**
 * Opening a store client for the flows (observe, executors, restore), loading a store kind's SDK
 * only when a policy uses that kind: the AWS SDK alone adds ~22 MiB resident to a process that
 * imports it (bench/daemon, README "Tests and benchmarks"), which a daemon protecting only HDFS
 * never needs. Same clients as `openStore` in ./index.ts (which tests and tools use directly).
 */
import type { Store } from '../model/policy.js';
import { LocalStoreClient } from './local.js';
import type { S3StoreClientOptions } from './s3-client.js';
import type { StoreClient } from './types.js';

/** A client for `store`, its SDK loaded on first use. S3 credentials come from the AWS SDK default chain. */
export async function openStore(store: Store, opts: { s3?: S3StoreClientOptions } = {}): Promise<StoreClient> {
  switch (store.kind) {
    case 's3': {
      const { S3StoreClient } = await import('./s3.js');
      return new S3StoreClient(store, opts.s3);
    }
    case 'local':
      return new LocalStoreClient(store);
    default: {
      const never: never = store;
      throw new Error(`unknown store kind ${(never as { kind: string }).kind}`);
    }
  }
}
