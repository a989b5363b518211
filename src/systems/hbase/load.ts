/** Loading an HBase backup policy: its normal form, its references, its claims (docs/hbase.md). */
import { hdfsEndpoint, isHdfsCluster } from '../../hadoop/cluster.js';
import type { Config, Keep, SourceLocation } from '../../model/policy.js';
import { parseDuration } from '../../schema/duration.js';
import { normalizeKeep, normalizeSchedule } from '../../schema/values.js';
import type { Claim, LoadContext } from '../types.js';
import { isHbaseCluster, type HbaseBackupPolicy, type HbaseCluster } from './types.js';

type RawSchedule = { every?: string; cron?: string };
interface RawHbasePolicy {
  source: { cluster: string; path?: string };
  hbase: { tables?: string[]; namespace?: string; backup_root: { cluster: string; path: string }; full: RawSchedule; incremental: RawSchedule; keep?: Keep };
  rpo?: string;
  replicate?: unknown;
}

export function loadHbaseCluster(name: string, raw: Record<string, unknown>, at: SourceLocation): HbaseCluster {
  const r = raw as { rest: string; zookeeper: string; fs: string };
  return { name, kind: 'hbase', rest: r.rest.replace(/\/+$/, ''), zookeeper: r.zookeeper, fs: r.fs, at };
}

/** `t` → `default:t`; `ns:t` stays. */
export function qualifiedTable(t: string): string {
  return t.includes(':') ? t : `default:${t}`;
}

/** The canonical identity of an HBase cluster: its ZooKeeper quorum, hosts lower-cased, sorted. */
export function hbaseEndpoint(c: HbaseCluster | undefined, name: string): string {
  if (!c) return `cluster:${name}`;
  return `hbase://${c.zookeeper.toLowerCase().split(',').map((s) => s.trim()).sort().join(',')}`;
}

/** The backup root as a URI for the CLI (<fs><path>), given the config. */
export function rootUri(config: Config, p: HbaseBackupPolicy): string | undefined {
  const c = config.clusters[p.hbase.root.cluster];
  return isHdfsCluster(c) ? `${c.fs.replace(/\/+$/, '')}${p.hbase.root.path}` : undefined;
}

export function loadHbasePolicy(ctx: LoadContext, name: string, rawIn: Record<string, unknown>, at: SourceLocation): HbaseBackupPolicy {
  const raw = rawIn as unknown as RawHbasePolicy;
  const h = raw.hbase;
  const policy: HbaseBackupPolicy = {
    name,
    kind: 'hbase-backup',
    source: { cluster: raw.source.cluster },
    hbase: {
      ...(h.tables !== undefined && { tables: [...new Set(h.tables.map(qualifiedTable))].sort() }),
      ...(h.namespace !== undefined && { namespace: h.namespace }),
      root: { cluster: h.backup_root.cluster, path: h.backup_root.path.replace(/(.)\/+$/, '$1') },
      full: normalizeSchedule(h.full),
      incremental: normalizeSchedule(h.incremental),
      keep: normalizeKeep(h.keep),
    },
    ...(raw.rpo !== undefined && { rpo: parseDuration(raw.rpo) }),
    at,
  };
  const { config } = ctx;
  const c = config.clusters[policy.source.cluster];
  if (!c) ctx.error(['source', 'cluster'], 'value', `unknown cluster '${policy.source.cluster}'${ctx.suggest(policy.source.cluster, Object.keys(config.clusters), 'declared clusters')}`);
  else if (!isHbaseCluster(c)) ctx.error(['source', 'cluster'], 'value', `cluster '${c.name}' is a ${c.kind} cluster (${ctx.where(c.at)}); an hbase policy needs an hbase cluster`);
  if (raw.source.path !== undefined) ctx.error(['source', 'path'], 'key', "an hbase policy takes no path: it names its tables under 'hbase'");
  if (raw.replicate !== undefined) ctx.error(['replicate'], 'key', "'replicate' is for HDFS snapshot policies; HBase backups go to their backup_root");
  const r = config.clusters[policy.hbase.root.cluster];
  if (!r) ctx.error(['hbase', 'backup_root', 'cluster'], 'value', `unknown cluster '${policy.hbase.root.cluster}'${ctx.suggest(policy.hbase.root.cluster, Object.keys(config.clusters), 'declared clusters')}`);
  else if (!isHdfsCluster(r)) ctx.error(['hbase', 'backup_root', 'cluster'], 'value', `cluster '${r.name}' is a ${r.kind} cluster (${ctx.where(r.at)}); a backup root is on an hdfs cluster`);
  if (policy.hbase.root.path === '/') ctx.error(['hbase', 'backup_root', 'path'], 'value', 'the backup root cannot be / : hbr owns everything under it');
  const { full, incremental } = policy.hbase;
  if (full.every !== undefined && incremental.every !== undefined && incremental.every > full.every) {
    ctx.error(['hbase', 'incremental', 'every'], 'value', `incremental every ${h.incremental.every} is longer than full every ${h.full.every}: no incremental would ever be due`);
  }
  const shortest = Math.min(incremental.every ?? Infinity, full.every ?? Infinity);
  if (policy.rpo !== undefined && shortest !== Infinity && policy.rpo < shortest) {
    ctx.error(['rpo'], 'value', `rpo ${raw.rpo} is shorter than the backup interval ${h.incremental.every ?? h.full.every}: it would always be breached`);
  }
  return policy;
}

/** The tables (or namespace) on the HBase cluster, and the backup root on its HDFS cluster. */
export function hbaseClaims(p: HbaseBackupPolicy, config: Config): Claim[] {
  const c = config.clusters[p.source.cluster];
  const endpoint = hbaseEndpoint(isHbaseCluster(c) ? c : undefined, p.source.cluster);
  const tables: Claim[] = p.hbase.namespace !== undefined
    ? [{ endpoint, path: `/${p.hbase.namespace}`, match: 'dir', display: `${p.source.cluster}: namespace ${p.hbase.namespace}`, role: 'source', segs: ['hbase', 'namespace'], noun: 'backups' }]
    : (p.hbase.tables ?? []).map((t) => ({ endpoint, path: `/${t.replace(':', '/')}`, match: 'dir' as const, display: `${p.source.cluster}: table ${t}`, role: 'source', segs: ['hbase', 'tables'], noun: 'backups' }));
  const r = config.clusters[p.hbase.root.cluster];
  return [
    ...tables,
    {
      endpoint: hdfsEndpoint(isHdfsCluster(r) ? r : undefined, p.hbase.root.cluster),
      path: p.hbase.root.path,
      match: 'dir',
      display: `${p.hbase.root.cluster}:${p.hbase.root.path}`,
      role: 'target',
      segs: ['hbase', 'backup_root', 'path'],
      noun: 'backups',
    },
  ];
}
