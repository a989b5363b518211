/**
 * Observes the Ozone buckets the policies name, over each cluster's HttpFS gateway (WebHDFS on
 * ofs; docs/design/ozone-notes.md): GETFILESTATUS of /volume/bucket, LISTSTATUS of its `.snapshot`
 * (the gateway has no GETSNAPSHOTLIST), and for DR pairs a content summary (a target that holds
 * data but shares no snapshot is diverged; how much of a source changed since the common snapshot
 * is the max_change hold's measure). The shape is HDFS's (Observed.dirs), so the shared
 * snapshot helpers and floors (src/hadoop/snapshots.ts, src/planner/snapshot-floors.ts) read it.
 */
import pLimit from 'p-limit';
import { simpleAuthUser } from '../../hadoop/cluster.js';
import { WebHdfs } from '../../hadoop/webhdfs.js';
import { WebHdfsError } from '../../hadoop/webhdfs-wire.js';
import { newestCommon } from '../../hadoop/snapshots.js';
import { LOWER_CASE_NAMING, trustedUntil } from '../../model/names.js';
import { dirKey, type Observed, type ObservedDir } from '../../model/observed.js';
import type { Config } from '../../model/policy.js';
import type { ObservedPart } from '../types.js';
import { changedSince, sourceChangedSince } from './changes.js';
import { bucketsOf, isOzoneCluster, isVolumePolicy, pairFor, snapshotDir, volumeKey, type BucketPair, type OzoneCluster, type OzonePart, type OzonePolicy } from './types.js';

/** Requests in flight per run. */
const CONCURRENCY = 8;

export function gatewayFor(c: OzoneCluster, timeoutMs?: number): WebHdfs {
  return new WebHdfs({ baseUrl: c.httpfs, user: simpleAuthUser(c.user), ...(timeoutMs ? { timeoutMs } : {}) });
}

/** One bucket: exists, its snapshots oldest first, and (when asked) its size. */
export async function observeBucket(fs: WebHdfs, cluster: string, path: string, sized: boolean): Promise<ObservedDir> {
  const stat = await fs.stat(path);
  if (!stat) return { cluster, path, exists: false, snapshottable: false, snapshots: [] };
  const [snaps, summary] = await Promise.all([fs.listStatus(snapshotDir(path)), sized ? fs.getContentSummary(path) : Promise.resolve(undefined)]);
  return {
    cluster,
    path,
    exists: true,
    // every Ozone bucket takes snapshots (ozone.filesystem.snapshot.enabled): nothing to allow
    snapshottable: true,
    snapshots: snaps.map((s) => ({ name: s.pathSuffix, createdAt: s.modificationTime })).sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name)),
    ...(summary ? { size: { bytes: summary.length, files: summary.fileCount } } : {}),
  };
}

export async function observeOzone(config: Config, policies: OzonePolicy[], opts: { timeoutMs?: number; now?: () => number }): Promise<ObservedPart & { at: number; part: OzonePart }> {
  const limit = pLimit(CONCURRENCY);
  const dirs: Record<string, ObservedDir> = {};
  const errors: Observed['errors'] = [];
  const part: OzonePart = { volumes: {} };
  const gateway = (cluster: string) => gatewayFor(config.clusters[cluster] as OzoneCluster, opts.timeoutMs);

  // The buckets of each volume a volume policy covers (`bucket: "*"`): one LISTSTATUS of /volume,
  // every run, so a bucket made after the policy was written is in the next plan.
  // Their target volumes are listed too: a bucket gone from the source whose DR copy holds hbr
  // snapshots stays in view (OzonePart.gone), never dropped in silence (review of 2026-12-02).
  const volumes = new Map<string, { cluster: string; volume: string; source: boolean }>();
  for (const p of policies) {
    if (!isVolumePolicy(p) || !isOzoneCluster(config.clusters[p.source.cluster])) continue;
    volumes.set(volumeKey(p.source.cluster, p.source.volume), { cluster: p.source.cluster, volume: p.source.volume, source: true });
    for (const t of p.replicate) {
      const k = volumeKey(t.cluster, t.volume);
      if (isOzoneCluster(config.clusters[t.cluster]) && !volumes.has(k)) volumes.set(k, { cluster: t.cluster, volume: t.volume, source: false });
    }
  }
  await Promise.all(
    [...volumes.entries()].map(([k, v]) =>
      limit(async () => {
        try {
          const list = await gateway(v.cluster).listStatus(`/${v.volume}`);
          part.volumes[k] = list.filter((s) => s.type === 'DIRECTORY').map((s) => s.pathSuffix).sort();
        } catch (err) {
          // a target volume the first bootstrap has not made yet holds no bucket (the gateway
          // answers LISTSTATUS of a missing volume "OMException: Volume … is not found", seen on 2.2.0)
          if (!v.source && ozoneNotFound(err)) part.volumes[k] = [];
          else errors.push({ cluster: v.cluster, path: `/${v.volume}`, message: `cannot list the buckets of volume ${v.volume}: ${(err as Error).message}` });
        }
      }),
    ),
  );

  // DR buckets of a volume policy with no source bucket of that name: candidates for `gone`
  const candidates = new Map<OzonePolicy, string[]>();
  for (const p of policies) {
    const listed = isVolumePolicy(p) ? part.volumes[volumeKey(p.source.cluster, p.source.volume)] : undefined;
    if (!listed) continue;
    const onDr = new Set(p.replicate.flatMap((t) => part.volumes[volumeKey(t.cluster, t.volume)] ?? []));
    const extra = [...onDr].filter((b) => !listed.includes(b)).sort();
    if (extra.length) candidates.set(p, extra);
  }
  const pairs: BucketPair[] = policies.flatMap((p) => [...(bucketsOf(p, part) ?? []), ...(candidates.get(p) ?? [])].map((b) => pairFor(p, b)));
  const wanted = new Map<string, { cluster: string; path: string; sized: boolean }>();
  for (const { source, targets } of pairs) {
    for (const side of [source, ...targets.map((t) => t.side)]) {
      const k = dirKey(side.cluster, side.path);
      const w = wanted.get(k);
      wanted.set(k, { ...side, sized: (w?.sized ?? false) || targets.length > 0 });
    }
  }
  const down = new Set<string>();
  await Promise.all(
    [...wanted.entries()].map(([k, w]) =>
      limit(async () => {
        if (!isOzoneCluster(config.clusters[w.cluster]) || down.has(w.cluster)) return;
        try {
          dirs[k] = await observeBucket(gateway(w.cluster), w.cluster, w.path, w.sized);
        } catch (err) {
          // Only a cluster that cannot be reached is skipped for its other buckets: a bucket that
          // answers an HTTP error (403 for hbr's user, a 404 for a bucket deleted since the volume
          // was listed, a link bucket) is that bucket's error, and the others are still observed
          // (the review of 2026-12-02: one unreadable bucket of a `bucket: "*"` volume stopped
          // every policy on the cluster).
          if (!(err instanceof WebHdfsError) || err.status === undefined) down.add(w.cluster);
          errors.push({ cluster: w.cluster, path: w.path, message: (err as Error).message });
        }
      }),
    ),
  );
  // A DR bucket written behind hbr's back (or left half-copied by a killed -diff) since the newest
  // snapshot it shares with its source: compared over the gateway (./changes.ts).
  const until = trustedUntil((opts.now ?? Date.now)());
  // one comparison per source and common snapshot, however many targets share them
  const sourceChanges = new Map<string, Promise<NonNullable<ObservedDir['sourceChangedSince']>>>();
  await Promise.all(
    pairs.flatMap(({ source, targets }) => {
      const S = dirs[dirKey(source.cluster, source.path)];
      return targets.map(async (t) => {
        const T = dirs[dirKey(t.side.cluster, t.side.path)];
        const common = T?.exists ? newestCommon(S, T, until, LOWER_CASE_NAMING.parse) : undefined;
        if (!T || !common || T.changedSince) return;
        try {
          T.changedSince = await changedSince(gateway(t.side.cluster), t.side.path, common.name, limit);
        } catch (err) {
          errors.push({ cluster: t.side.cluster, path: t.side.path, message: `cannot compare ${t.side.path} with its snapshot ${common.name}: ${(err as Error).message}` });
        }
        // How much of the source changed since the common snapshot: a mass deletion or rewrite is
        // held by the planner (max_change, src/planner/mass-change.ts) before a copy carries it over.
        if (!S?.size) return;
        try {
          const k = `${dirKey(source.cluster, source.path)}@${common.name}`;
          if (!sourceChanges.has(k)) sourceChanges.set(k, sourceChangedSince(gateway(source.cluster), source.path, common.name, S.size.files, limit));
          T.sourceChangedSince = await sourceChanges.get(k)!;
        } catch (err) {
          errors.push({ cluster: source.cluster, path: source.path, message: `cannot compare ${source.path} with its snapshot ${common.name}: ${(err as Error).message}` });
        }
      });
    }),
  );
  // a candidate is `gone` when one of its DR copies holds an hbr snapshot (else it is not hbr's)
  for (const [p, extra] of candidates) {
    const gone = extra.filter((b) => pairFor(p, b).targets.some((t) => dirs[dirKey(t.side.cluster, t.side.path)]?.snapshots.some((s) => LOWER_CASE_NAMING.parse(s.name) !== undefined)));
    if (gone.length) (part.gone ??= {})[volumeKey(p.source.cluster, p.source.volume)] = gone;
  }
  return { at: (opts.now ?? Date.now)(), dirs, errors, part };
}

/**
 * A missing volume or bucket as the HttpFS gateway answers it: a 404, or an OMException in a
 * non-404 answer ("Volume vol is not found" on a volume's LISTSTATUS, "Volume not found: vol" on a
 * bucket's under a missing volume: both seen on 2.2.0).
 */
export function ozoneNotFound(err: unknown): boolean {
  return err instanceof WebHdfsError && (err.notFound || /(Volume|Bucket) (\S+ is )?not found/.test(err.message));
}
