/**
 * Loading a block backup policy (docs/blocks.md, "Policy"): its normal form, its references, and
 * its claims. A block backup claims the store prefixes it writes and deletes under (`blocks/`,
 * `manifests/<policy>/`, `runs/<policy>/`): one block backup policy per store (prefix), since its
 * garbage collection is store-wide. It does NOT claim its HDFS source as a directory: it never
 * writes there on a backup, and a snapshot policy on the same directory is the main use case
 * (docs/design/blocks-proposal.md §7.4, decision (a)).
 */
import type { Config, Keep, SourceLocation } from '../../model/policy.js';
import { isHdfsCluster } from '../../hadoop/cluster.js';
import { parseDuration } from '../../schema/duration.js';
import { normalizeKeep, normalizeSchedule, parseMaxChange } from '../../schema/values.js';
import { storeEndpoint } from '../../stores/endpoint.js';
import type { Claim, LoadContext } from '../types.js';
import { BLOCKS_PREFIX, MANIFESTS_PREFIX, RUNS_PREFIX } from './names.js';
import type { BlocksPolicy } from './types.js';

export const DEFAULT_GC_GRACE = 86_400_000;
export const DEFAULT_CONCURRENCY = 4;

interface RawBlocksPolicy {
  source: { cluster: string; path?: string };
  backup: { to: string; every?: string; cron?: string; keep?: Keep; gc_grace?: string; concurrency?: number; verify_every?: number; max_change?: string };
  rpo?: string;
  replicate?: unknown;
}

export function loadBlocksPolicy(ctx: LoadContext, name: string, rawIn: Record<string, unknown>, at: SourceLocation): BlocksPolicy | undefined {
  const raw = rawIn as unknown as RawBlocksPolicy;
  if (raw.source.path === undefined) {
    ctx.error(['source'], 'key', "missing required key 'path': a block backup protects a directory, { cluster, path }");
    return undefined;
  }
  const b = raw.backup;
  const policy: BlocksPolicy = {
    name,
    kind: 'hdfs-blocks',
    source: { cluster: raw.source.cluster, path: raw.source.path },
    backup: {
      to: b.to,
      schedule: normalizeSchedule(b),
      gcGrace: b.gc_grace !== undefined ? parseDuration(b.gc_grace) : DEFAULT_GC_GRACE,
      keep: normalizeKeep(b.keep),
      concurrency: b.concurrency ?? DEFAULT_CONCURRENCY,
      ...(b.verify_every !== undefined && { verifyEvery: b.verify_every }),
      ...(b.max_change !== undefined && { maxChange: parseMaxChange(b.max_change) }),
    },
    ...(raw.rpo !== undefined && { rpo: parseDuration(raw.rpo) }),
    at,
  };
  const { config } = ctx;
  const c = config.clusters[policy.source.cluster];
  if (!c) {
    ctx.error(['source', 'cluster'], 'value', `unknown cluster '${policy.source.cluster}'${ctx.suggest(policy.source.cluster, Object.keys(config.clusters), 'declared clusters')}`);
  } else if (!isHdfsCluster(c)) {
    ctx.error(['source', 'cluster'], 'value', `cluster '${c.name}' is a ${c.kind} cluster (${ctx.where(c.at)}); a block backup needs an hdfs cluster`);
  }
  if (raw.replicate !== undefined) ctx.error(['replicate'], 'key', "'replicate' is for HDFS snapshot policies; block backups live in their store");
  if (!config.stores[b.to]) {
    ctx.error(['backup', 'to'], 'value', `unknown store '${b.to}'${ctx.suggest(b.to, Object.keys(config.stores), 'declared stores')}`);
  }
  const every = policy.backup.schedule.every;
  if (policy.rpo !== undefined && every !== undefined && policy.rpo < every) {
    ctx.error(['rpo'], 'value', `rpo ${raw.rpo} is shorter than the backup interval ${b.every}: it would always be breached`);
  }
  return policy;
}

/** The store key prefix (the store's own prefix included) the policy owns for `sub`. */
export function storeBase(config: Config, p: BlocksPolicy): { endpoint: string; base: string } | undefined {
  const store = config.stores[p.backup.to];
  if (!store) return undefined;
  return { endpoint: storeEndpoint(store), base: store.kind === 's3' ? (store.prefix ?? '') : '' };
}

export function blocksClaims(p: BlocksPolicy, config: Config): Claim[] {
  const s = storeBase(config, p);
  if (!s) return [];
  const claim = (path: string, noun: string): Claim => ({
    endpoint: s.endpoint,
    path: s.base + path,
    match: 'prefix',
    display: `prefix '${path}'`,
    within: `store '${p.backup.to}'`,
    role: 'backup',
    segs: ['backup', 'to'],
    noun,
  });
  return [claim(BLOCKS_PREFIX, 'blocks'), claim(`${MANIFESTS_PREFIX}${p.name}/`, 'manifests'), claim(`${RUNS_PREFIX}${p.name}/`, 'run markers')];
}
