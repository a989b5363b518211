/**
 * Pure: what an audit's observation means (docs/audit.md has each check's runbook). Used by the
 * plan (warnings) and by the daemon (System.findings: /status rows, hbr_audit_findings).
 */
import { hdfsEndpoint, isHdfsCluster } from '../../hadoop/cluster.js';
import type { AuditReport, Finding, Protection } from '../../model/audit.js';
import type { Config } from '../../model/policy.js';
import { formatDuration } from '../../schema/duration.js';
import type { AuditObservation, AuditPolicy, Check } from './types.js';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `inner` is `outer` or under it. */
function covers(outer: string, inner: string): boolean {
  return outer === inner || outer === '/' || inner.startsWith(`${outer}/`);
}

const pct = (x: number) => `${(Math.floor(x * 1000) / 10).toString()}%`;
const bytes = (n: number) => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${n} B`);

export const WEBHDFS_DELETE_NOTE = 'WebHDFS DELETE never goes through trash (Hadoop 3.4.3 has no trash parameter on it): deletes over WebHDFS, HttpFS and most non-Java tools are immediate whatever the interval';

/** Findings of one audit policy; `o` undefined = nothing observed (only the config checks are made). */
export function auditFindings(p: AuditPolicy, o: AuditObservation | undefined, config: Config, protections: readonly Protection[]): AuditReport {
  const cluster = p.source.cluster;
  const path = p.source.path;
  const checked: Check[] = [];
  const findings: Finding[] = [];
  const add = (check: Check, count: number, message: string, at?: string) => {
    if (count > 0) findings.push({ check, cluster, ...(at !== undefined && { path: at }), count, message });
  };

  if (o?.blocks) {
    checked.push('missing-blocks', 'corrupt-blocks', 'low-redundancy-blocks');
    const b = o.blocks;
    const damaged = b.damaged?.length ? `; files under ${path} among them: ${b.damaged.slice(0, 5).join(', ')}${b.damaged.length > 5 ? ', ...' : ''}` : '';
    add('missing-blocks', b.missing, `${plural(b.missing, 'block')} missing on ${cluster} (no live replica anywhere; NameNode JMX MissingBlocks)${damaged}: the files holding them cannot be read; restore them from a copy (docs/audit.md)`);
    add('corrupt-blocks', b.corrupt, `${plural(b.corrupt, 'block')} with corrupt replicas on ${cluster} (NameNode JMX CorruptBlocks)`);
    add('low-redundancy-blocks', b.lowRedundancy, `${plural(b.lowRedundancy, 'block')} with fewer live replicas than their file asks for on ${cluster} (NameNode JMX LowRedundancyBlocks): one more disk or node lost may lose data`);
  }

  if (o?.trash) {
    checked.push('trash');
    const t = o.trash;
    const cp = t.checkpointMinutes !== undefined && t.checkpointMinutes > 0 && t.checkpointMinutes <= t.intervalMinutes ? `, checkpoints every ${t.checkpointMinutes} min` : '';
    if (t.intervalMinutes <= 0) {
      add('trash', 1, `trash is off on ${cluster} (the NameNode's fs.trash.interval is 0): a file deleted with 'hdfs dfs -rm' is gone at once; set fs.trash.interval on the NameNode. Note: ${WEBHDFS_DELETE_NOTE}`);
    } else if (p.audit.minTrash !== undefined && t.intervalMinutes * 60_000 < p.audit.minTrash) {
      add('trash', 1, `trash on ${cluster} keeps deleted files ${formatDuration(t.intervalMinutes * 60_000)} (fs.trash.interval ${t.intervalMinutes} min${cp}), shorter than the policy's min_trash ${formatDuration(p.audit.minTrash)}. Note: ${WEBHDFS_DELETE_NOTE}`);
    }
  }

  if (o?.walk && p.audit.minReplication !== undefined) {
    checked.push('low-replication');
    const w = o.walk;
    const shown = w.low.slice(0, 5).map((f) => `${f.path} (${f.replication})`).join(', ');
    add('low-replication', w.lowCount, `${plural(w.lowCount, 'file')} under ${cluster}:${path} with a replication factor below min_replication ${p.audit.minReplication}: ${shown}${w.lowCount > 5 ? `, ... ${w.lowCount - 5} more` : ''}; raise it with 'hdfs dfs -setrep ${p.audit.minReplication} <path>'`, path);
  }

  if (o?.quotas) {
    checked.push('quota');
    for (const q of o.quotas) {
      const share = q.quota > 0 ? q.used / q.quota : 1;
      if (share < p.audit.quotaFull) continue;
      const what = q.kind === 'names' ? `name quota (files + directories) ${q.used}/${q.quota}` : q.kind === 'space' ? `space quota ${bytes(q.used)}/${bytes(q.quota)} (raw, replicas included)` : `${q.kind.slice(5)} storage-type quota ${bytes(q.used)}/${bytes(q.quota)}`;
      add('quota', 1, `the ${what} on ${cluster}:${q.path} is ${pct(share)} used (${q.path === path ? 'the audited path' : `an ancestor of ${path}`}; threshold ${pct(p.audit.quotaFull)}): writes there will fail when it is full, restores and DR copies included`, q.path);
    }
  }

  // Pure, from the config: what the other policies protect (System.protects), by endpoint.
  checked.push('no-snapshots', 'no-dr-copy');
  const c = config.clusters[cluster];
  const endpoint = isHdfsCluster(c) ? hdfsEndpoint(c, cluster) : cluster;
  const here = protections.filter((x) => x.endpoint === endpoint);
  // a replication within this one NameNode is no DR copy: it goes with the cluster
  const by = (kinds: string[]) => here.filter((x) => kinds.includes(x.by) && !(x.by === 'replication' && x.copyAt === endpoint));
  const judge = (check: Check, kinds: string[], what: string) => {
    const list = by(kinds);
    if (list.some((x) => covers(x.path, path))) return;
    const under = [...new Set(list.filter((x) => covers(path, x.path)).map((x) => `${x.path} (${x.policy})`))];
    add(check, 1, `${cluster}:${path} has no ${what}${under.length ? `; only parts of it do: ${under.slice(0, 5).join(', ')}` : ''}`, path);
  };
  judge('no-snapshots', ['snapshots'], 'snapshot policy: a deletion or overwrite there cannot be undone from a snapshot');
  judge('no-dr-copy', ['replication', 'backup'], 'DR pair or backup: losing the cluster loses the data');

  return { checked: checked.map((check) => ({ cluster, check })), findings };
}
