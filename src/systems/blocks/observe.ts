/**
 * Observes the block backup policies (docs/blocks.md): per policy, its store (store-observe.ts)
 * and the walk of its source (walk.ts, reusing the newest manifest's block lists), into
 * Observed.parts.blocks as BlocksObserved. What could not be observed is an error of the
 * cluster or store, and leaves its part undefined (the plan then says why nothing was planned).
 */
import { isHdfsCluster } from '../../hadoop/cluster.js';
import type { Observed } from '../../model/observed.js';
import type { Config } from '../../model/policy.js';
import { openStore } from '../../stores/open.js';
import type { ObservedPart, ObserveOptions } from '../types.js';
import { observeBlockStore } from './store-observe.js';
import type { BlocksObserved, BlocksPolicy, BlocksPolicyObserved } from './types.js';
import { walkSource } from './walk.js';
import { observeDamage } from './damage.js';
import { getBlockLocations } from '../../hadoop/webhdfs-blocks.js';

/** Moved to src/hadoop/webhdfs-client.ts (shared with the HBase system). */
export { webhdfsFor } from '../../hadoop/webhdfs-client.js';
import { webhdfsFor } from '../../hadoop/webhdfs-client.js';

export async function observePolicy(config: Config, p: BlocksPolicy, opts: ObserveOptions, errors: Observed['errors']): Promise<BlocksPolicyObserved> {
  const now = opts.now?.() ?? Date.now();
  const out: BlocksPolicyObserved = {};
  const store = config.stores[p.backup.to];
  let byPool: Map<string, Record<string, { lastModified: number; size: number; sha256?: string }>> | undefined;
  if (store) {
    try {
      const client = await openStore(store);
      const r = await observeBlockStore(client, p.name, now, p.backup.concurrency);
      out.store = r.store;
      byPool = r.byPool;
      for (const w of r.warnings) errors.push({ cluster: p.backup.to, path: 'manifests/', message: w });
    } catch (err) {
      errors.push({ cluster: p.backup.to, message: `cannot observe the block store of policy ${p.name}: ${(err as Error).message}` });
    }
  }
  const cluster = config.clusters[p.source.cluster];
  if (isHdfsCluster(cluster)) {
    const n = out.store?.manifests.length ?? 0;
    const full = p.backup.verifyEvery !== undefined && (n + 1) % p.backup.verifyEvery === 0;
    try {
      const w = await walkSource(webhdfsFor(cluster, opts.timeoutMs), p.source.path, {
        concurrency: p.backup.concurrency,
        reuse: out.store?.newest,
        full,
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      });
      out.live = {
        ...(w.blockPoolId !== undefined ? { blockPoolId: w.blockPoolId } : {}),
        files: w.files,
        dirs: w.dirs,
        skipped: w.skipped,
        requests: w.requests,
      };
    } catch (err) {
      errors.push({ cluster: p.source.cluster, path: p.source.path, message: `cannot walk ${p.source.path}: ${(err as Error).message}` });
    }
    // files with a block missing or corrupt (./damage.ts): the plan's restore steps
    const d = (await observeDamage(cluster, webhdfsFor(cluster, opts.timeoutMs), [p], getBlockLocations, opts.timeoutMs))[p.name];
    if (d?.damaged) out.damaged = d.damaged;
    if (d?.warning) out.damageWarning = d.warning;
  }
  if (out.store) {
    const pool = out.live?.blockPoolId ?? out.store.newest?.blockPoolId;
    out.store.blocks = (pool !== undefined && byPool?.get(pool)) || {};
    if (pool !== undefined) out.store.pool = pool;
    else delete out.store.pool;
  }
  return out;
}

export async function observeBlocks(config: Config, policies: BlocksPolicy[], opts: ObserveOptions): Promise<ObservedPart> {
  const errors: Observed['errors'] = [];
  const part: BlocksObserved = { policies: {} };
  const results = await Promise.all(policies.map((p) => observePolicy(config, p, opts, errors)));
  policies.forEach((p, i) => (part.policies[p.name] = results[i]!));
  return { errors, part };
}
