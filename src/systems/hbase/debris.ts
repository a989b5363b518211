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

/**
 * Is `name` a table snapshot session `b` took? HBase names a full backup's snapshots
 * `snapshot_<ms>_<namespace>_<qualifier>` (FullTableBackupClient), but a RUNNING session's row holds no
 * snapshot names yet (seen on the test bed: they are written with the COMPLETE record), so a crashed
 * one's are proven by name: one of its tables, taken between its start and its end (or now, while it
 * runs). HBase runs one backup session at a time, so no other session took a snapshot in that window.
 */
export function snapshotOf(b: ObservedBackup, name: string): boolean {
  if (Object.values(b.snapshots).includes(name)) return true;
  const m = /^snapshot_(\d+)_(.+)$/.exec(name);
  if (!m) return false;
  const ts = Number(m[1]);
  const end = b.state === 'RUNNING' || !b.completeTs ? Infinity : b.completeTs;
  return ts >= b.startTs && ts <= end && b.tables.some((t) => m[2] === t.replace(':', '_'));
}

/** The HDFS cluster of the policies holding hbase.rootdir (`fs`), and the rootdir's path on it. */
export function rootdirOf(config: Config, c: HbaseCluster): { cluster: HdfsCluster; path: string } | undefined {
  let u: URL;
  try { u = new URL(c.fs); } catch { return undefined; }
  const endpoint = hdfsEndpoint({ name: '', kind: 'hdfs', webhdfs: '', fs: `hdfs://${u.host}`, at: c.at }, '');
  const cluster = Object.values(config.clusters).find((x): x is HdfsCluster => isHdfsCluster(x) && hdfsEndpoint(x, x.name) === endpoint);
  const path = u.pathname.replace(/\/+$/, '') || '/hbase';
  return cluster ? { cluster, path } : undefined;
}

/** Is `cluster:path` something session `b` left: its own image directory, or a table snapshot it took? */
export function isDebrisOf(b: ObservedBackup, p: HbaseBackupPolicy, rootdir: { cluster: HdfsCluster; path: string } | undefined, cluster: string, path: string): boolean {
  if (cluster === p.hbase.root.cluster && path === imageDir(p.hbase.root.path, b.id)) return true;
  const dir = rootdir ? `${rootdir.path}/.hbase-snapshot/` : undefined;
  return !!rootdir && !!dir && cluster === rootdir.cluster.name && path.startsWith(dir) && !path.slice(dir.length).includes('/') && snapshotOf(b, path.slice(dir.length));
}

/** What every FAILED, CANCELLED or RUNNING session of the root left that exists now. */
export async function observeDebris(
  backups: readonly ObservedBackup[],
  p: HbaseBackupPolicy,
  rootdir: { cluster: HdfsCluster; path: string } | undefined,
  fsOf: (cluster: string) => WebHdfs,
): Promise<Debris[]> {
  const out: Debris[] = [];
  const open = backups.filter((b) => b.state !== 'COMPLETE');
  if (!open.length) return out;
  let snapshots: string[] = [];
  if (rootdir) {
    const dir = `${rootdir.path}/.hbase-snapshot`;
    const fs = fsOf(rootdir.cluster.name);
    if (await fs.stat(dir)) snapshots = (await fs.listStatus(dir)).filter((f) => f.type === 'DIRECTORY').map((f) => f.pathSuffix).sort();
  }
  for (const b of open) {
    for (const n of snapshots) if (snapshotOf(b, n)) out.push({ id: b.id, what: 'snapshot', cluster: rootdir!.cluster.name, path: `${rootdir!.path}/.hbase-snapshot/${n}` });
    const image = imageDir(p.hbase.root.path, b.id);
    if (await fsOf(p.hbase.root.cluster).stat(image)) out.push({ id: b.id, what: 'image', cluster: p.hbase.root.cluster, path: image });
  }
  return out;
}
