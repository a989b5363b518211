/** Loading a ZooKeeper archive policy: its normal form, its references, its RPO against its schedule. */
import type { Config, Keep, SourceLocation } from '../../model/policy.js';
import { storeEndpoint } from '../../stores/endpoint.js';
import { parseDuration } from '../../schema/duration.js';
import { normalizeKeep, normalizeSchedule } from '../../schema/values.js';
import type { Claim, LoadContext } from '../types.js';
import { isZookeeperCluster, type ZookeeperArchivePolicy, type ZookeeperCluster } from './types.js';

interface RawArchivePolicy {
  source: { cluster: string; path?: string };
  archive: { to: string; prefix: string; every?: string; cron?: string; keep?: Keep };
  rpo?: string;
  replicate?: unknown;
}

export function loadZookeeperCluster(name: string, raw: Record<string, unknown>, at: SourceLocation): ZookeeperCluster {
  const zk = raw as { admin?: string; connect?: string; datadir?: string; mode?: 'admin' | 'datadir' };
  return {
    name,
    kind: 'zookeeper',
    ...(zk.admin !== undefined && { admin: zk.admin }),
    ...(zk.connect !== undefined && { connect: zk.connect }),
    ...(zk.datadir !== undefined && { datadir: zk.datadir }),
    mode: zk.mode ?? (zk.admin !== undefined ? 'admin' : 'datadir'),
    at,
  };
}

export function loadArchivePolicy(ctx: LoadContext, name: string, rawIn: Record<string, unknown>, at: SourceLocation): ZookeeperArchivePolicy {
  const raw = rawIn as unknown as RawArchivePolicy;
  const a = raw.archive;
  const policy: ZookeeperArchivePolicy = {
    name,
    kind: 'zookeeper-archive',
    source: { cluster: raw.source.cluster },
    archive: { to: a.to, prefix: a.prefix, schedule: normalizeSchedule(a), keep: normalizeKeep(a.keep) },
    ...(raw.rpo !== undefined && { rpo: parseDuration(raw.rpo) }),
    at,
  };
  const { config } = ctx;
  const c = config.clusters[policy.source.cluster];
  if (!c) {
    ctx.error(['source', 'cluster'], 'value', `unknown cluster '${policy.source.cluster}'${ctx.suggest(policy.source.cluster, Object.keys(config.clusters), 'declared clusters')}`);
  } else if (!isZookeeperCluster(c)) {
    ctx.error(['source', 'cluster'], 'value', `cluster '${c.name}' is a ${c.kind} cluster (${ctx.where(c.at)}); an archive policy needs a zookeeper cluster`);
  } else if (c.mode === 'admin' && !c.admin) {
    ctx.error(['source', 'cluster'], 'value', `cluster '${c.name}' archives through its AdminServer (mode admin) but declares no 'admin' URL (${ctx.where(c.at)})`);
  } else if (c.mode === 'datadir' && !c.datadir) {
    ctx.error(['source', 'cluster'], 'value', `cluster '${c.name}' archives its data dir (mode datadir) but declares no 'datadir' (${ctx.where(c.at)})`);
  }
  if (raw.source.path !== undefined) ctx.error(['source', 'path'], 'key', 'a ZooKeeper archive policy takes no path: it archives the whole ensemble');
  if (raw.replicate !== undefined) ctx.error(['replicate'], 'key', "'replicate' is for HDFS snapshot policies; archives live in their store");
  if (!config.stores[policy.archive.to]) {
    ctx.error(['archive', 'to'], 'value', `unknown store '${policy.archive.to}'${ctx.suggest(policy.archive.to, Object.keys(config.stores), 'declared stores')}`);
  }
  const every = policy.archive.schedule.every;
  if (policy.rpo !== undefined && every !== undefined && policy.rpo < every) {
    ctx.error(['rpo'], 'value', `rpo ${raw.rpo} is shorter than the archive interval ${a.every}: it would always be breached`);
  }
  return policy;
}

/** The canonical identity of a store (moved to src/stores/endpoint.ts, shared with the blocks system). */
export { storeEndpoint } from '../../stores/endpoint.js';

/** The key prefix an archive policy writes under, in its store (the store's own prefix included). */
export function archiveClaims(p: ZookeeperArchivePolicy, config: Config): Claim[] {
  const store = config.stores[p.archive.to];
  if (!store) return [];
  const base = store.kind === 's3' ? store.prefix : '';
  return [
    {
      endpoint: storeEndpoint(store),
      path: base + p.archive.prefix,
      match: 'prefix',
      display: `prefix '${p.archive.prefix}'`,
      within: `store '${p.archive.to}'`,
      role: 'archive',
      segs: ['archive', 'prefix'],
      noun: 'archives',
    },
  ];
}
