/**
 * Observes the HDFS directories the policies name: existence, snapshottable, snapshots (with
 * creation times), size, and, for each DR target, whether it changed since the newest snapshot
 * it has in common with its source. All over WebHDFS, requests in parallel with a bound.
 *
 * Observers never plan: the only choice made here is *which* snapshot diff to ask a target for
 * (the newest name common with its source), because that is what the planner needs to see.
 */
import { userInfo } from 'node:os';
import pLimit from 'p-limit';
import { dirKey, type Observed, type ObservedDir, type UnfinishedStep } from '../../model/observed.js';
import type { Config } from '../../model/policy.js';
import { isHdfsCluster, type HdfsCluster } from '../../hadoop/cluster.js';
import { newestCommon } from '../../hadoop/snapshots.js';
import { trustedUntil } from '../../model/names.js';
import { bootstrapMark, markedCopy } from './scratch.js';
import { failedOverFrom } from './failover-mark.js';
import { isHdfsPolicy } from './types.js';
import { WebHdfs } from '../../hadoop/webhdfs.js';

export interface ObserveOptions {
  /** max requests in flight per run (default 16) */
  concurrency?: number;
  /** journal intents without an outcome (from src/engine), passed through to the planner */
  unfinished?: UnfinishedStep[];
  /** ask for content summaries (estimates); default true */
  sizes?: boolean;
  /** limit to these policies */
  targets?: string[];
  /** for tests: the clock */
  now?: () => number;
  /** per WebHDFS request, ms (default: the client's, 30 s) */
  timeoutMs?: number;
}

/**
 * The WebHDFS user, as Hadoop's own clients pick it under simple auth: the policy's `user`, else
 * HADOOP_USER_NAME, else the OS user running hbr.
 */
export function hdfsUser(cluster: HdfsCluster): string {
  return cluster.user ?? process.env.HADOOP_USER_NAME ?? userInfo().username;
}

export function clientFor(cluster: HdfsCluster, timeoutMs?: number): WebHdfs {
  return new WebHdfs({ baseUrl: cluster.webhdfs, user: hdfsUser(cluster), ...(timeoutMs ? { timeoutMs } : {}) });
}

export async function observeHdfs(config: Config, opts: ObserveOptions = {}): Promise<Observed> {
  const limit = pLimit(opts.concurrency ?? 16);
  const errors: Observed['errors'] = [];
  const dirs: Record<string, ObservedDir> = {};
  const down = new Set<string>(); // clusters that failed: skip their other dirs quickly

  const policies = Object.values(config.policies)
    .filter(isHdfsPolicy)
    .filter((p) => !opts.targets || opts.targets.includes(p.name))
    .sort((a, b) => a.name.localeCompare(b.name));

  const observeDir = async (clusterName: string, path: string, withSize: boolean): Promise<ObservedDir | undefined> => {
    const key = dirKey(clusterName, path);
    if (dirs[key]) return dirs[key];
    if (down.has(clusterName)) return undefined;
    const cluster = config.clusters[clusterName];
    if (!isHdfsCluster(cluster)) return undefined;
    const fs = clientFor(cluster, opts.timeoutMs);
    try {
      const stat = await limit(() => fs.stat(path));
      let dir: ObservedDir;
      if (!stat) {
        dir = { cluster: clusterName, path, exists: false, snapshottable: false, snapshots: [] };
      } else {
        const snapshottable = stat.snapshotEnabled === true;
        const [snaps, summary] = await Promise.all([
          snapshottable ? limit(() => fs.getSnapshotList(path)) : Promise.resolve([]),
          withSize ? limit(() => fs.getContentSummary(path)) : Promise.resolve(undefined),
        ]);
        dir = {
          cluster: clusterName,
          path,
          exists: true,
          snapshottable,
          snapshots: snaps
            .filter((s) => s.deletionStatus !== 'DELETED')
            .map((s) => ({ name: s.dirStatus.pathSuffix, createdAt: s.dirStatus.modificationTime }))
            .sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name)),
          ...(summary ? { size: { bytes: summary.length, files: summary.fileCount } } : {}),
        };
      }
      dirs[key] = dir;
      return dir;
    } catch (err) {
      down.add(clusterName);
      errors.push({ cluster: clusterName, path, message: (err as Error).message });
      return undefined;
    }
  };

  await Promise.all(
    policies.map(async (p) => {
      const source = await observeDir(p.source.cluster, p.source.path, opts.sizes !== false);
      await Promise.all(
        p.replicate.map(async (r) => {
          const target = await observeDir(r.to.cluster, r.to.path, opts.sizes !== false);
          // The marks are read even when the source does not answer: an unplanned failover's mark must be seen then.
          if (!target || !target.exists) return;
          // Is a bootstrap of hbr's into it unfinished (or finished but its mark left by a kill)? A mark on the parent says so.
          try {
            const mark = bootstrapMark(r.to.path);
            const xattrs = await limit(() => clientFor(config.clusters[r.to.cluster] as HdfsCluster, opts.timeoutMs).getXAttrs(mark.dir));
            const copy = markedCopy(xattrs[mark.name], mark.base);
            if (copy !== undefined) target.copyInProgress = copy;
            const from = failedOverFrom(xattrs, r.to.path);
            if (from !== undefined) target.failedOverFrom = from;
          } catch (err) {
            errors.push({ cluster: r.to.cluster, path: r.to.path, message: (err as Error).message });
          }
          // A failed-over pair replicates DR → primary (docs/failover.md): what the planner needs is
          // whether the old primary changed since the newest snapshot it shares with the DR copy.
          if (target.failedOverFrom === `${p.source.cluster}:${p.source.path}`) {
            const back = source?.exists && source.snapshottable ? newestCommon(target, source, trustedUntil((opts.now ?? Date.now)())) : undefined;
            if (!back || !source) return;
            try {
              const d = await limit(() => clientFor(config.clusters[p.source.cluster] as HdfsCluster, opts.timeoutMs).getSnapshotDiff(p.source.path, back.name, ''));
              source.changedSince = { snapshot: back.name, changed: d.diffList.length > 0, entries: d.diffList.length };
            } catch (err) {
              errors.push({ cluster: p.source.cluster, path: p.source.path, message: (err as Error).message });
            }
            return;
          }
          if (!source) return;
          // The same notion of "common" as the planner's (hbr names only, newest by name time).
          const common = target.snapshottable ? newestCommon(source, target, trustedUntil((opts.now ?? Date.now)())) : undefined;
          if (!common) return;
          const cluster = config.clusters[r.to.cluster] as HdfsCluster;
          try {
            const diff = await limit(() => clientFor(cluster, opts.timeoutMs).getSnapshotDiff(r.to.path, common.name, ''));
            target.changedSince = { snapshot: common.name, changed: diff.diffList.length > 0, entries: diff.diffList.length };
          } catch (err) {
            errors.push({ cluster: r.to.cluster, path: r.to.path, message: (err as Error).message });
          }
          // How much of the source changed since the common snapshot: a mass deletion or rewrite is
          // held by the planner (max_change) before a copy carries it over.
          if (source.size) {
            const sc = config.clusters[p.source.cluster] as HdfsCluster;
            const fs = clientFor(sc, opts.timeoutMs);
            try {
              const [then, d] = await Promise.all([
                limit(() => fs.getContentSummary(`${p.source.path === '/' ? '' : p.source.path}/.snapshot/${common.name}`)),
                limit(() => fs.getSnapshotDiff(p.source.path, common.name, '')),
              ]);
              const deletes = d.diffList.filter((e) => e.type === 'DELETE').length;
              // A directory whose children changed is itself reported as modified: only entries
              // that are no other entry's ancestor count (files, or a directory's own metadata).
              const paths = d.diffList.map((e) => e.sourcePath);
              const modified = d.diffList.filter(
                (e) => e.type === 'MODIFY' && e.sourcePath !== '' && !paths.some((q) => q.startsWith(`${e.sourcePath}/`)),
              ).length;
              // A deleted directory is one entry: the drop in the file count catches what is under it.
              const deleted = Math.max(deletes, then.fileCount - source.size.files);
              target.sourceChangedSince = { snapshot: common.name, files: then.fileCount, deleted, modified };
            } catch (err) {
              errors.push({ cluster: p.source.cluster, path: p.source.path, message: (err as Error).message });
            }
          }
        }),
      );
    }),
  );

  return { at: (opts.now ?? Date.now)(), dirs, unfinished: opts.unfinished ?? [], errors };
}
