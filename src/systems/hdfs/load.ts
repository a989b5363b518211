/** Loading an HDFS snapshot policy: its normal form, its references, its RPO against its schedule. */
import type { Protection } from '../../model/audit.js';
import type { Config, Keep, SourceLocation } from '../../model/policy.js';
import { hdfsEndpoint, isHdfsCluster } from '../../hadoop/cluster.js';
import { formatDuration } from '../../schema/duration.js';
import { cronGapLongerThan, normalizeKeep, normalizeSchedule, parseMaxChange } from '../../schema/values.js';
import { parseDuration } from '../../schema/duration.js';
import type { Claim, LoadContext, Segment } from '../types.js';
import type { PreserveAttr } from './preserve.js';
import type { DistcpKnobs, HdfsLocation, HdfsSnapshotPolicy, ReplicationTarget } from './types.js';

interface RawHdfsPolicy {
  source: { cluster: string; path?: string };
  snapshots: { every?: string; cron?: string; keep?: Keep };
  rpo?: string;
  replicate?: Array<{ to: HdfsLocation; keep?: Keep; max_change?: string; distcp?: DistcpKnobs }>;
  preserve?: PreserveAttr[];
}

export function loadHdfsPolicy(ctx: LoadContext, name: string, rawIn: Record<string, unknown>, at: SourceLocation): HdfsSnapshotPolicy | undefined {
  const raw = rawIn as unknown as RawHdfsPolicy;
  if (raw.source.path === undefined) {
    ctx.error(['source'], 'key', "missing required key 'path': HDFS snapshot policies protect a directory, { cluster, path }");
    return undefined;
  }
  const replicate: ReplicationTarget[] = (raw.replicate ?? []).map((t) => ({
    to: { cluster: t.to.cluster, path: t.to.path },
    keep: normalizeKeep(t.keep),
    ...(t.max_change !== undefined && { maxChange: parseMaxChange(t.max_change) }),
    ...(t.distcp !== undefined && { distcp: { ...t.distcp } }),
  }));
  const policy: HdfsSnapshotPolicy = {
    name,
    kind: 'hdfs-snapshots',
    source: { cluster: raw.source.cluster, path: raw.source.path },
    snapshots: { schedule: normalizeSchedule(raw.snapshots), keep: normalizeKeep(raw.snapshots.keep) },
    ...(raw.rpo !== undefined && { rpo: parseDuration(raw.rpo) }),
    replicate,
    ...(raw.preserve !== undefined && { preserve: [...new Set(raw.preserve)] }),
    at,
  };

  // cluster references
  const checkRef = (segs: Segment[], loc: HdfsLocation) => {
    const c = ctx.config.clusters[loc.cluster];
    if (!c) {
      ctx.error([...segs, 'cluster'], 'value', `unknown cluster '${loc.cluster}'${ctx.suggest(loc.cluster, Object.keys(ctx.config.clusters), 'declared clusters')}`);
    } else if (!isHdfsCluster(c)) {
      ctx.error([...segs, 'cluster'], 'value', `cluster '${loc.cluster}' is a ${c.kind} cluster (${ctx.where(c.at)}); HDFS snapshots need an hdfs cluster`);
    }
  };
  checkRef(['source'], policy.source);
  policy.replicate.forEach((t, i) => checkRef(['replicate', i, 'to'], t.to));

  // rpo against the schedule
  if (policy.rpo !== undefined) {
    const { every, cron } = policy.snapshots.schedule;
    if (every !== undefined && policy.rpo < every) {
      ctx.error(['rpo'], 'value', `rpo ${raw.rpo} is shorter than the snapshot interval ${raw.snapshots.every}: it would always be breached`);
    } else if (cron !== undefined) {
      const g = cronGapLongerThan(cron, policy.rpo);
      if (g) {
        ctx.error(['rpo'], 'value', `rpo ${raw.rpo} is shorter than the ${formatDuration(g.gap)} gap between snapshots of cron '${cron}' (e.g. after ${new Date(g.after).toISOString().slice(0, 16)}Z): it would be breached`);
      }
    }
  }
  return policy;
}

/**
 * The directories a policy manages, canonical by NameNode (src/hadoop/cluster.ts): its source and
 * each DR target. A location on a cluster that is not an HDFS one claims nothing (the loader has
 * reported it).
 */
export function hdfsClaims(p: HdfsSnapshotPolicy, config: Config): Claim[] {
  const out: Claim[] = [];
  const add = (l: HdfsLocation, role: string, segs: Segment[]) => {
    const c = config.clusters[l.cluster];
    if (!isHdfsCluster(c)) return;
    out.push({ endpoint: hdfsEndpoint(c, l.cluster), path: l.path, match: 'dir', display: `${l.cluster}:${l.path}`, role, segs, noun: 'snapshots' });
  };
  add(p.source, 'source', ['source', 'path']);
  p.replicate.forEach((r, i) => add(r.to, 'target', ['replicate', i, 'to', 'path']));
  return out;
}

/**
 * What the policy protects, for audits (System.protects, docs/audit.md): its source by snapshots,
 * and by replication when it has a DR target; each target by snapshots (hbr's snapshots are made on
 * the DR side too) and by replication (it is one side of the pair).
 */
export function hdfsProtects(p: HdfsSnapshotPolicy, config: Config): Protection[] {
  const out: Protection[] = [];
  const endpointOf = (l: HdfsLocation) => {
    const c = config.clusters[l.cluster];
    return isHdfsCluster(c) ? hdfsEndpoint(c, l.cluster) : undefined;
  };
  const add = (l: HdfsLocation, by: Protection['by'], copyAt?: string) => {
    const endpoint = endpointOf(l);
    if (endpoint) out.push({ policy: p.name, endpoint, cluster: l.cluster, path: l.path, by, ...(copyAt !== undefined && { copyAt }) });
  };
  const source = endpointOf(p.source);
  add(p.source, 'snapshots');
  for (const r of p.replicate) {
    const target = endpointOf(r.to);
    if (target) add(p.source, 'replication', target);
    add(r.to, 'snapshots');
    if (source) add(r.to, 'replication', source);
  }
  return out;
}
