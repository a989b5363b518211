/**
 * What a session that did not complete leaves behind (docs/design/hbase-notes.md, measured: after a
 * kill -9 and `backup repair`, a table snapshot `snapshot_<ts>_<ns>_<table>` under the rootdir's
 * `.hbase-snapshot/` and a partial `<root>/<backup id>` directory). Only what is proven from the
 * observation is debris: a snapshot the session's own BackupInfo names (backup_table_info.snapshot_name),
 * present under the rootdir; the session's own image directory in the policy's root. Never anything of
 * a COMPLETE session, nor of one still RUNNING (its repair comes first).
 */
import { hdfsEndpoint, isHdfsCluster, type HdfsCluster } from '../../hadoop/cluster.js';
import type { WebHdfs } from '../../hadoop/webhdfs.js';
import type { Config } from '../../model/policy.js';
import { imageDir } from './image.js';
import type { Debris, HbaseBackupPolicy, HbaseCluster, ObservedBackup } from './types.js';

/** HBase's snapshot names: `snapshot_<ms>_<namespace>_<qualifier>` (TableBackupClient), nothing else. */
const SNAPSHOT = /^snapshot_\d+_[A-Za-z0-9_]+_[A-Za-z0-9_.-]+$/;

/** The HDFS cluster of the policies holding hbase.rootdir (`fs`), and the rootdir's path on it. */
export function rootdirOf(config: Config, c: HbaseCluster): { cluster: HdfsCluster; path: string } | undefined {
  let u: URL;
  try { u = new URL(c.fs); } catch { return undefined; }
  const endpoint = hdfsEndpoint({ name: '', kind: 'hdfs', webhdfs: '', fs: `hdfs://${u.host}`, at: c.at }, '');
  const cluster = Object.values(config.clusters).find((x): x is HdfsCluster => isHdfsCluster(x) && hdfsEndpoint(x, x.name) === endpoint);
  const path = u.pathname.replace(/\/+$/, '') || '/hbase';
  return cluster ? { cluster, path } : undefined;
}

/** The paths a not-completed session may have left: its named snapshots and its image directory. */
export function candidates(b: ObservedBackup, p: HbaseBackupPolicy, rootdir: { cluster: HdfsCluster; path: string } | undefined): Debris[] {
  const out: Debris[] = [];
  if (rootdir) {
    for (const name of Object.values(b.snapshots).sort()) {
      if (SNAPSHOT.test(name)) out.push({ id: b.id, what: 'snapshot', cluster: rootdir.cluster.name, path: `${rootdir.path}/.hbase-snapshot/${name}` });
    }
  }
  out.push({ id: b.id, what: 'image', cluster: p.hbase.root.cluster, path: imageDir(p.hbase.root.path, b.id) });
  return out;
}

/** Pure check that a debris path is what `candidates` would name for this session (the safety floor and checkStep use it). */
export function isDebrisOf(b: ObservedBackup, p: HbaseBackupPolicy, rootdir: { cluster: HdfsCluster; path: string } | undefined, cluster: string, path: string): boolean {
  return candidates(b, p, rootdir).some((d) => d.cluster === cluster && d.path === path);
}

/** The candidates of every FAILED, CANCELLED or RUNNING session of the root that exist now. */
export async function observeDebris(
  backups: readonly ObservedBackup[],
  p: HbaseBackupPolicy,
  rootdir: { cluster: HdfsCluster; path: string } | undefined,
  fsOf: (cluster: string) => WebHdfs,
): Promise<Debris[]> {
  const out: Debris[] = [];
  for (const b of backups) {
    if (b.state === 'COMPLETE') continue;
    for (const d of candidates(b, p, rootdir)) if (await fsOf(d.cluster).stat(d.path)) out.push(d);
  }
  return out;
}
