/**
 * Observes the HDFS directories the policies name: existence, snapshottable, snapshots (with
 * creation times), size, and, for each DR target, whether it changed since the newest snapshot
 * it has in common with its source. All over WebHDFS, requests in parallel with a bound.
 *
 * Observers never plan: the only choice made here is *which* snapshot diff to ask a target for
 * (the newest name common with its source), because that is what the planner needs to see.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { dirKey, type Observed, type ObservedDir, type UnfinishedStep } from '../../model/observed.js';
import type { Config } from '../../model/policy.js';
import { isHdfsCluster, simpleAuthUser, type HdfsCluster } from '../../hadoop/cluster.js';
import { newestCommon, newestHbr, snapshotNames } from '../../hadoop/snapshots.js';
import { trustedUntil } from '../../model/names.js';
import { bootstrapMark, markedCopy, xattrsDisabled } from './scratch.js';
import { failedOverFrom } from './failover-mark.js';
import { isHdfsPolicy, type HdfsSnapshotPolicy } from './types.js';
import { webhdfsFor } from '../../hadoop/webhdfs-client.js';
import { snapshottablePath, type WebHdfs, type SnapshotDiffReport, type SnapshottableDirectory } from '../../hadoop/webhdfs.js';
import { observeFeatures, type FsFeatures } from './preserve.js';

export interface ObserveOptions {
  /** max requests in flight per run (default DEFAULT_CONCURRENCY) */
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
  return simpleAuthUser(cluster.user);
}

/** The cluster's WebHDFS client: simple auth or Kerberos, HTTPS, HA (src/hadoop/webhdfs-client.ts). */
export function clientFor(cluster: HdfsCluster, timeoutMs?: number): WebHdfs {
  return webhdfsFor(cluster, timeoutMs);
}

export async function observeHdfs(config: Config, opts: ObserveOptions = {}): Promise<Observed> {
  const limit = pLimit(opts.concurrency ?? DEFAULT_CONCURRENCY);
  const errors: Observed['errors'] = [];
  const dirs: Record<string, ObservedDir> = {};
  const pending = new Map<string, Promise<ObservedDir | undefined>>(); // one observation per directory
  const down = new Set<string>(); // clusters that failed: skip their other dirs quickly
  // ACL / xattr switches, once per cluster (./preserve.ts): never fails, an unreadable /conf is unknown
  const features = new Map<string, Promise<FsFeatures>>();
  const featuresOf = (name: string, c: HdfsCluster) => {
    if (!features.has(name)) features.set(name, limit(() => observeFeatures(c, opts.timeoutMs)));
    return features.get(name)!;
  };

  const policies = Object.values(config.policies)
    .filter(isHdfsPolicy)
    .filter((p) => !opts.targets || opts.targets.includes(p.name))
    .sort((a, b) => a.name.localeCompare(b.name));

  // A content summary only where a step may need it: both sides of a DR pair (a bootstrap's
  // estimate, a target's emptiness, max_change). A source that replicates nowhere needs none.
  const sized = new Set<string>();
  if (opts.sizes !== false) {
    for (const p of policies) {
      if (!p.replicate.length) continue;
      sized.add(dirKey(p.source.cluster, p.source.path));
      for (const r of p.replicate) sized.add(dirKey(r.to.cluster, r.to.path));
    }
  }
  const listed = snapshottableLists(config, policies, limit, opts.timeoutMs);

  const observeDir = (clusterName: string, path: string): Promise<ObservedDir | undefined> => {
    const key = dirKey(clusterName, path);
    let p = pending.get(key);
    if (!p) {
      p = observeOne(clusterName, path, key);
      pending.set(key, p);
    }
    return p;
  };
  const observeOne = async (clusterName: string, path: string, key: string): Promise<ObservedDir | undefined> => {
    if (down.has(clusterName)) return undefined;
    const cluster = config.clusters[clusterName];
    if (!isHdfsCluster(cluster)) return undefined;
    const fs = clientFor(cluster, opts.timeoutMs);
    try {
      // The cluster's snapshottable list (when asked) already says "exists, snapshottable, n
      // snapshots" for the directories in it; any other directory is asked on its own.
      const known = (await listed.get(clusterName))?.get(path);
      if (down.has(clusterName)) return undefined;
      const stat = known ? known.dirStatus : await limit(() => fs.stat(path));
      let dir: ObservedDir;
      if (!stat) {
        dir = { cluster: clusterName, path, exists: false, snapshottable: false, snapshots: [], features: await featuresOf(clusterName, cluster) };
      } else {
        const snapshottable = known !== undefined || stat.snapshotEnabled === true;
        const none = known !== undefined && known.snapshotNumber === 0;
        const [snaps, summary, feats] = await Promise.all([
          snapshottable && !none ? limit(() => fs.getSnapshotList(path)) : Promise.resolve([]),
          sized.has(key) ? limit(() => fs.getContentSummary(path)) : Promise.resolve(undefined),
          featuresOf(clusterName, cluster),
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
          features: feats,
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
      const source = await observeDir(p.source.cluster, p.source.path);
      await Promise.all(
        p.replicate.map(async (r) => {
          const target = await observeDir(r.to.cluster, r.to.path);
          // The marks are read even when the source does not answer: an unplanned failover's mark must be seen then.
          if (!target || !target.exists) return;
          // Is a bootstrap of hbr's into it unfinished (or finished but its mark left by a kill)? A mark on the parent says so.
          try {
            const mark = bootstrapMark(r.to.path);
            // A cluster with xattrs off holds no marks (./scratch.ts, xattrsDisabled): none is read,
            // none is missed — hbr could not have written one there.
            const xattrs = await limit(() => clientFor(config.clusters[r.to.cluster] as HdfsCluster, opts.timeoutMs).getXAttrs(mark.dir)).catch((err: unknown) => {
              if (xattrsDisabled(err)) return {} as Record<string, string>;
              throw err;
            });
            const copy = markedCopy(xattrs[mark.name], mark.base);
            if (copy !== undefined) target.copyInProgress = copy;
            const from = failedOverFrom(xattrs, r.to.path);
            if (from !== undefined) target.failedOverFrom = from;
          } catch (err) {
            // Without the marks hbr cannot tell a failed-over pair (DR is the writable copy) from an
            // ordinary one whose target changed: planned as ordinary, a repair would roll DR's new
            // writes back. The target counts as not observed: nothing is copied into it and the
            // floors refuse every delete of the pair (safety.ts, "unverifiable").
            delete dirs[dirKey(r.to.cluster, r.to.path)];
            errors.push({ cluster: r.to.cluster, path: r.to.path, message: `cannot read hbr's marks on ${r.to.path}'s parent: ${(err as Error).message}` });
            return;
          }
          // A failover mark that names another source (the cluster renamed in the policies, the
          // source path edited while failed over): never ignored as if there were none — the same
          // reasoning as above.
          const self = `${p.source.cluster}:${p.source.path}`;
          if (target.failedOverFrom !== undefined && target.failedOverFrom !== self) {
            delete dirs[dirKey(r.to.cluster, r.to.path)];
            errors.push({
              cluster: r.to.cluster,
              path: r.to.path,
              message: `${r.to.path} is failed over from ${target.failedOverFrom}, not from this policy's source ${self} (docs/failover.md): nothing is planned into it until the policy names that source again or the mark is removed by hand`,
            });
            return;
          }
          // A failed-over pair replicates DR → primary (docs/failover.md): what the planner needs is
          // whether the old primary changed since the newest snapshot it shares with the DR copy.
          if (target.failedOverFrom === `${p.source.cluster}:${p.source.path}`) {
            // The copy back may be a bootstrap of the old primary, which marks the old primary's parent
            // before a byte moves (./exec-distcp.ts, ./scratch.ts): read the mark there too, or a
            // bootstrap killed mid-copy would look like a diverged old primary and be held forever.
            // One GET, only for a failed-over pair (an ordinary pair's source is never a bootstrap's target).
            if (source?.exists) {
              try {
                const m = bootstrapMark(p.source.path);
                // xattrs off there: no mark can have been written (as for the DR side above)
                const x = await limit(() => clientFor(config.clusters[p.source.cluster] as HdfsCluster, opts.timeoutMs).getXAttrs(m.dir)).catch((err: unknown) => {
                  if (xattrsDisabled(err)) return {} as Record<string, string>;
                  throw err;
                });
                const copy = markedCopy(x[m.name], m.base);
                if (copy !== undefined) source.copyInProgress = copy;
              } catch (err) {
                // Without it a killed bootstrap is held as diverged (the safe side): reported, not fatal.
                errors.push({ cluster: p.source.cluster, path: p.source.path, message: `cannot read hbr's marks on ${p.source.path}'s parent: ${(err as Error).message}` });
              }
            }
            const back = source?.exists && source.snapshottable ? newestCommon(target, source, trustedUntil((opts.now ?? Date.now)())) : undefined;
            if (!back || !source) return;
            try {
              const d = await limit(() => clientFor(config.clusters[p.source.cluster] as HdfsCluster, opts.timeoutMs).getSnapshotDiff(p.source.path, back.name, ''));
              source.changedSince = { snapshot: back.name, changed: d.diffList.length > 0, entries: d.diffList.length };
            } catch (err) {
              errors.push({ cluster: p.source.cluster, path: p.source.path, message: (err as Error).message });
            }
            // The copy back carries a mass deletion or rewrite on the writable DR copy to the old
            // primary just as the forward copy would: the same max_change hold (replication.ts).
            if (target.size) {
              try {
                source.sourceChangedSince = await changeSince(target, back.name);
              } catch (err) {
                errors.push({ cluster: r.to.cluster, path: r.to.path, message: (err as Error).message });
              }
            }
            return;
          }
          if (!source) {
            // The source does not answer (an unplanned failover is what may follow): is the target's
            // live tree still its newest hbr snapshot, or a copy cut short when the source fell
            // (a torn tree, docs/failover.md)? One diff, only when the source is not observed.
            const newest = target.snapshottable ? newestHbr(snapshotNames(target), trustedUntil((opts.now ?? Date.now)())) : undefined;
            if (!newest) return;
            try {
              const d = await limit(() => clientFor(config.clusters[r.to.cluster] as HdfsCluster, opts.timeoutMs).getSnapshotDiff(r.to.path, newest.name, ''));
              target.changedSince = changed(newest.name, d.diffList);
            } catch (err) {
              errors.push({ cluster: r.to.cluster, path: r.to.path, message: (err as Error).message });
            }
            return;
          }
          // The same notion of "common" as the planner's (hbr names only, newest by name time).
          const common = target.snapshottable ? newestCommon(source, target, trustedUntil((opts.now ?? Date.now)())) : undefined;
          if (!common) return;
          const cluster = config.clusters[r.to.cluster] as HdfsCluster;
          try {
            const diff = await limit(() => clientFor(cluster, opts.timeoutMs).getSnapshotDiff(r.to.path, common.name, ''));
            target.changedSince = changed(common.name, diff.diffList);
          } catch (err) {
            errors.push({ cluster: r.to.cluster, path: r.to.path, message: (err as Error).message });
          }
          // How much of the source changed since the common snapshot: a mass deletion or rewrite is
          // held by the planner (max_change) before a copy carries it over.
          if (source.size) {
            try {
              target.sourceChangedSince = await changeSince(source, common.name);
            } catch (err) {
              errors.push({ cluster: p.source.cluster, path: p.source.path, message: (err as Error).message });
            }
          }
        }),
      );
    }),
  );

  return { at: (opts.now ?? Date.now)(), dirs, unfinished: opts.unfinished ?? [], errors };

  /**
   * How much of `dir` changed since its snapshot `snap` (a copy's source since the common
   * snapshot), for the planner's max_change hold.
   */
  async function changeSince(dir: ObservedDir, snap: string): Promise<NonNullable<ObservedDir['sourceChangedSince']>> {
    const fs = clientFor(config.clusters[dir.cluster] as HdfsCluster, opts.timeoutMs);
    const [then, d] = await Promise.all([
      limit(() => fs.getContentSummary(`${dir.path === '/' ? '' : dir.path}/.snapshot/${snap}`)),
      limit(() => fs.getSnapshotDiff(dir.path, snap, '')),
    ]);
    const deletes = d.diffList.filter((e) => e.type === 'DELETE').length;
    // A directory whose children changed is itself reported as modified: only entries
    // that are no other entry's ancestor count (files, or a directory's own metadata).
    const paths = d.diffList.map((e) => e.sourcePath);
    const modified = d.diffList.filter(
      (e) => e.type === 'MODIFY' && e.sourcePath !== '' && !paths.some((q) => q.startsWith(`${e.sourcePath}/`)),
    ).length;
    // A deleted directory is one entry: the drop in the file count catches what is under it.
    const deleted = Math.max(deletes, then.fileCount - (dir.size?.files ?? then.fileCount));
    return { snapshot: snap, files: then.fileCount, deleted, modified };
  }
}

/** How many diff entries an observation keeps to show in a plan (the count is always whole). */
export const SHOWN_ENTRIES = 20;

/**
 * A GETSNAPSHOTDIFF report from `snapshot` to the live tree as the planner reads it: changed or not,
 * how many entries, and the first SHOWN_ENTRIES in `hdfs snapshotDiff`'s notation (`+ f`, `- f`,
 * `M f`, `R f -> g`; SnapshotDiffReport.DiffType in hadoop-hdfs-client), paths relative to the directory.
 */
export function changed(snapshot: string, list: SnapshotDiffReport['diffList']): NonNullable<ObservedDir['changedSince']> {
  const sign = { CREATE: '+', DELETE: '-', MODIFY: 'M', RENAME: 'R' } as Record<string, string>;
  const rel = (p: string) => `./${p}`.replace(/\/$/, '');
  const shown = list.slice(0, SHOWN_ENTRIES).map((e) => `${sign[e.type] ?? e.type} ${rel(e.sourcePath)}${e.targetPath !== undefined ? ` -> ${rel(e.targetPath)}` : ''}`);
  return { snapshot, changed: list.length > 0, entries: list.length, ...(list.length ? { shown } : {}) };
}

/**
 * Requests in flight per observation, by default. Measured on the test bed (1,000 directories, one
 * snapshottable list + 1,000 snapshot lists, 2 cores, load ~10; medians of 3): 4 → 1.59 s,
 * 8 → 1.34 s, 16 → 1.10 s, 32 → 1.14 s, 64 → 1.69 s (README, "Tests and benchmarks").
 */
export const DEFAULT_CONCURRENCY = 16;

/**
 * From this many directories on one cluster, observation starts with one
 * GETSNAPSHOTTABLEDIRECTORYLIST instead of one GETFILESTATUS per directory. Below it (the daemon
 * observes one policy per reconcile) the list, which names every snapshottable directory of the
 * cluster, would cost more than it saves.
 */
export const LIST_FROM_DIRS = 4;

/**
 * Per cluster with at least LIST_FROM_DIRS directories to observe: its snapshottable directories
 * by full path. The NameNode lists them all for a superuser and only the caller's own otherwise
 * (FSDirSnapshotOp.getSnapshottableDirListing: `pc.isSuperUser() ? null : pc.getUser()`), so a
 * directory missing from it is still asked on its own. Each entry is JsonUtil's map
 * (hadoop-hdfs JsonUtil.toJsonMap(SnapshottableDirectoryStatus)): snapshotNumber, snapshotQuota,
 * parentFullPath, dirStatus. A cluster whose list fails is left to the per-directory calls, which
 * report the error where it belongs.
 */
function snapshottableLists(
  config: Config,
  policies: HdfsSnapshotPolicy[],
  limit: LimitFunction,
  timeoutMs: number | undefined,
): Map<string, Promise<Map<string, SnapshottableDirectory> | undefined>> {
  const perCluster = new Map<string, Set<string>>();
  for (const p of policies) {
    for (const l of [p.source, ...p.replicate.map((r) => r.to)]) {
      const paths = perCluster.get(l.cluster) ?? new Set<string>();
      paths.add(l.path);
      perCluster.set(l.cluster, paths);
    }
  }
  const out = new Map<string, Promise<Map<string, SnapshottableDirectory> | undefined>>();
  for (const [name, paths] of perCluster) {
    const cluster = config.clusters[name];
    if (paths.size < LIST_FROM_DIRS || !isHdfsCluster(cluster)) continue;
    const fs = clientFor(cluster, timeoutMs);
    out.set(
      name,
      limit(() => fs.getSnapshottableDirectoryList()).then(
        (list) => new Map(list.map((d) => [snapshottablePath(d), d])),
        () => undefined,
      ),
    );
  }
  return out;
}
