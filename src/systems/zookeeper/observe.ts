/**
 * Observes the stores the archive policies write to: one listing per (store, prefix), and the
 * checksum metadata of every object named like an hbr archive of that prefix (a HEAD each: a
 * listing does not carry user metadata). Bounded parallelism.
 */
import pLimit from 'p-limit';
import { parseArchiveKey } from '../../model/names.js';
import { storeKey, type Observed, type ObservedStorePrefix } from '../../model/observed.js';
import type { Config } from '../../model/policy.js';
import { openStore } from '../../stores/open.js';
import { isArchivePolicy } from './types.js';

export async function observeStores(
  config: Config,
  opts: { targets?: string[]; concurrency?: number } = {},
): Promise<{ stores: Record<string, ObservedStorePrefix>; errors: Observed['errors'] }> {
  const limit = pLimit(opts.concurrency ?? 16);
  const stores: Record<string, ObservedStorePrefix> = {};
  const errors: Observed['errors'] = [];
  const policies = Object.values(config.policies)
    .filter(isArchivePolicy)
    .filter((p) => !opts.targets || opts.targets.includes(p.name));
  await Promise.all(
    policies.map(async (p) => {
      const { to, prefix } = p.archive;
      const key = storeKey(to, prefix);
      if (stores[key]) return;
      const store = config.stores[to];
      if (!store) return;
      const client = await openStore(store);
      try {
        const listed = await limit(() => client.list(prefix));
        const objects = await Promise.all(
          listed.map(async (o) => {
            if (parseArchiveKey(prefix, o.key) === undefined) return { key: o.key, size: o.size, lastModified: o.lastModified };
            const head = await limit(() => client.head(o.key));
            return { key: o.key, size: o.size, lastModified: o.lastModified, ...(head?.sha256 ? { sha256: head.sha256 } : {}) };
          }),
        );
        stores[key] = { store: to, prefix, objects: objects.sort((a, b) => (a.key < b.key ? -1 : 1)) };
      } catch (err) {
        errors.push({ cluster: to, path: prefix, message: `cannot list ${client.url}: ${(err as Error).message}` });
      }
    }),
  );
  return { stores, errors };
}
