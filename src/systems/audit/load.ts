/** Loading an audit policy: its normal form and its cluster reference. It claims nothing: it never writes. */
import { isHdfsCluster } from '../../hadoop/cluster.js';
import type { SourceLocation } from '../../model/policy.js';
import { parseDuration } from '../../schema/duration.js';
import type { LoadContext } from '../types.js';
import type { AuditPolicy } from './types.js';

interface RawAuditPolicy {
  source: { cluster: string; path?: string };
  audit: { every?: string; cron?: string; min_replication?: number; min_trash?: string; quota_full?: string; concurrency?: number };
  rpo?: string;
}

export const DEFAULT_EVERY = 15 * 60_000;

export function loadAuditPolicy(ctx: LoadContext, name: string, rawIn: Record<string, unknown>, at: SourceLocation): AuditPolicy | undefined {
  const raw = rawIn as unknown as RawAuditPolicy;
  const a = raw.audit;
  let ok = true;
  if (raw.rpo !== undefined) {
    ctx.error(['rpo'], 'key', 'an audit makes no recovery points: rpo belongs on the policy that protects the path');
    ok = false;
  }
  const c = ctx.config.clusters[raw.source.cluster];
  if (!c) {
    ctx.error(['source', 'cluster'], 'value', `unknown cluster '${raw.source.cluster}'${ctx.suggest(raw.source.cluster, Object.keys(ctx.config.clusters), 'declared clusters')}`);
    ok = false;
  } else if (!isHdfsCluster(c)) {
    ctx.error(['source', 'cluster'], 'value', `cluster '${raw.source.cluster}' is a ${c.kind} cluster (${ctx.where(c.at)}); the audit reads an hdfs cluster`);
    ok = false;
  }
  // durations the core's value checks do not know (src/schema/values.ts checks `every`)
  let minTrash: number | undefined;
  if (a.min_trash !== undefined) {
    try {
      minTrash = parseDuration(a.min_trash);
    } catch (err) {
      ctx.error(['audit', 'min_trash'], 'value', (err as Error).message);
      ok = false;
    }
  }
  if (!ok) return undefined;
  return {
    name,
    kind: 'hdfs-audit',
    source: { cluster: raw.source.cluster, path: raw.source.path ?? '/' },
    audit: {
      schedule: a.cron !== undefined ? { cron: a.cron } : { every: a.every !== undefined ? parseDuration(a.every) : DEFAULT_EVERY },
      ...(a.min_replication !== undefined && { minReplication: a.min_replication }),
      ...(minTrash !== undefined && { minTrash }),
      quotaFull: a.quota_full !== undefined ? Number(a.quota_full.slice(0, -1)) / 100 : 0.9,
      concurrency: a.concurrency ?? 8,
    },
    at,
  };
}
