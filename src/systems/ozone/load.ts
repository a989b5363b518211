/** Loading Ozone clusters and policies: normal form, references (file:line:col through ctx.error), claims. */
import type { Protection } from '../../model/audit.js';
import type { Config, Keep, SourceLocation } from '../../model/policy.js';
import { parseDuration } from '../../schema/duration.js';
import { normalizeKeep, normalizeSchedule, parseMaxChange } from '../../schema/values.js';
import type { Claim, LoadContext } from '../types.js';
import { claimedSides, isOzoneCluster, type OzoneCluster, type OzonePolicy } from './types.js';

export function loadOzoneCluster(name: string, raw: Record<string, unknown>, at: SourceLocation): OzoneCluster {
  const r = raw as { om: string; httpfs: string; fs: string; user?: string; replication?: number };
  return {
    name,
    kind: 'ozone',
    om: r.om,
    httpfs: r.httpfs,
    fs: r.fs.replace(/\/+$/, ''),
    ...(r.user !== undefined && { user: r.user }),
    ...(r.replication !== undefined && { replication: r.replication }),
    at,
  };
}

/** The canonical identity of an Ozone cluster: its ofs:// authority, lower-cased (docs/architecture.md, "Claims"). */
export function ozoneEndpoint(c: OzoneCluster | undefined, name: string): string {
  if (!c) return `cluster:${name}`;
  try {
    const u = new URL(c.fs);
    return `ofs://${u.hostname.toLowerCase()}:${u.port || '9862'}`;
  } catch {
    return c.fs.toLowerCase();
  }
}

interface RawOzonePolicy {
  source: { cluster: string; path?: string };
  ozone: { volume: string; bucket: string; every?: string; cron?: string; keep?: Keep; replicate?: Array<{ to: string; volume?: string; keep?: Keep; max_change?: string }> };
  rpo?: string;
}

export function loadOzonePolicy(ctx: LoadContext, name: string, rawIn: Record<string, unknown>, at: SourceLocation): OzonePolicy | undefined {
  const raw = rawIn as unknown as RawOzonePolicy;
  if (raw.source.path !== undefined) {
    ctx.error(['source', 'path'], 'key', "an Ozone policy names its bucket under 'ozone' (volume, bucket), not a source path");
    return undefined;
  }
  const o = raw.ozone;
  const policy: OzonePolicy = {
    name,
    kind: 'ozone-snapshots',
    source: { cluster: raw.source.cluster, volume: o.volume, bucket: o.bucket },
    snapshots: { schedule: normalizeSchedule(o), keep: normalizeKeep(o.keep) },
    replicate: (o.replicate ?? []).map((t) => ({ cluster: t.to, volume: t.volume ?? o.volume, keep: normalizeKeep(t.keep), ...(t.max_change !== undefined && { maxChange: parseMaxChange(t.max_change) }) })),
    ...(raw.rpo !== undefined && { rpo: parseDuration(raw.rpo) }),
    at,
  };
  const checkRef = (segs: Array<string | number>, cluster: string) => {
    const c = ctx.config.clusters[cluster];
    if (!c) ctx.error(segs, 'value', `unknown cluster '${cluster}'${ctx.suggest(cluster, Object.keys(ctx.config.clusters), 'declared clusters')}`);
    else if (!isOzoneCluster(c)) ctx.error(segs, 'value', `cluster '${cluster}' is a ${c.kind} cluster (${ctx.where(c.at)}); Ozone bucket snapshots need an ozone cluster`);
  };
  checkRef(['source', 'cluster'], policy.source.cluster);
  policy.replicate.forEach((t, i) => {
    checkRef(['ozone', 'replicate', i, 'to'], t.cluster);
    if (t.cluster === policy.source.cluster && t.volume === policy.source.volume) ctx.error(['ozone', 'replicate', i, 'to'], 'value', 'a bucket cannot be replicated onto itself');
  });
  const every = policy.snapshots.schedule.every;
  if (policy.rpo !== undefined && every !== undefined && policy.rpo < every) {
    ctx.error(['rpo'], 'value', `rpo ${raw.rpo} is shorter than the snapshot interval ${o.every}: it would always be breached`);
  }
  return policy;
}

/** The buckets (or, for `bucket: "*"`, the volumes) a policy manages, canonical by OM (ofs authority): its source and each DR target. */
export function ozoneClaims(p: OzonePolicy, config: Config): Claim[] {
  const { source, targets } = claimedSides(p);
  const out: Claim[] = [];
  const add = (cluster: string, path: string, role: string, segs: Array<string | number>) => {
    const c = config.clusters[cluster];
    if (!isOzoneCluster(c)) return;
    out.push({ endpoint: ozoneEndpoint(c, cluster), path, match: 'dir', display: `${cluster}:${path}`, role, segs, noun: 'snapshots' });
  };
  add(source.cluster, source.path, 'source', ['ozone', 'bucket']);
  targets.forEach((t, i) => add(t.side.cluster, t.side.path, 'target', ['ozone', 'replicate', i, 'to']));
  return out;
}

/** What the policy protects, for audits (docs/audit.md): as HDFS's, by snapshots and by replication. */
export function ozoneProtects(p: OzonePolicy, config: Config): Protection[] {
  const { source, targets } = claimedSides(p);
  const ep = (cluster: string) => {
    const c = config.clusters[cluster];
    return isOzoneCluster(c) ? ozoneEndpoint(c, cluster) : undefined;
  };
  const out: Protection[] = [];
  const add = (cluster: string, path: string, by: Protection['by'], copyAt?: string) => {
    const endpoint = ep(cluster);
    if (endpoint) out.push({ policy: p.name, endpoint, cluster, path, by, ...(copyAt !== undefined && { copyAt }) });
  };
  add(source.cluster, source.path, 'snapshots');
  for (const t of targets) {
    const te = ep(t.side.cluster);
    const se = ep(source.cluster);
    if (te) add(source.cluster, source.path, 'replication', te);
    add(t.side.cluster, t.side.path, 'snapshots');
    if (se) add(t.side.cluster, t.side.path, 'replication', se);
  }
  return out;
}
