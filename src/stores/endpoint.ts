/** The canonical identity of a store, shared by every system that writes to one (docs/architecture.md, "Claims"). */
import { resolve } from 'node:path';
import type { Store } from '../model/policy.js';

/**
 * `s3://<endpoint host:port, or aws/<region>>/<bucket>` or `file://<absolute path>`. Two store names
 * for one bucket are one store.
 */
export function storeEndpoint(store: Store): string {
  if (store.kind === 'local') return `file://${resolve(store.path)}`;
  let host = `aws/${store.region ?? ''}`;
  if (store.endpoint) {
    try {
      const u = new URL(store.endpoint);
      host = `${u.hostname.toLowerCase()}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
    } catch {
      host = store.endpoint.toLowerCase();
    }
  }
  return `s3://${host}/${store.bucket}`;
}
