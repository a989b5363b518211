/** The Ozone system's cluster, policy and step types (docs/ozone.md). */
import type { Keep, PolicyBase, Schedule } from '../../model/policy.js';
import type { Cluster } from '../../model/policy.js';
import type { Step } from '../../model/plan.js';
import type { PairSide } from '../../planner/snapshot-floors.js';

/** An Ozone cluster (`clusters.<name>.ozone`): its OM, its HttpFS gateway (WebHDFS) and its ofs:// root. */
export interface OzoneCluster extends Cluster {
  kind: 'ozone';
  /** the OM's RPC address, host:port (ozone.om.address) */
  om: string;
  /** the HttpFS gateway's base URL: observation and snapshots go through it (WebHDFS over ofs) */
  httpfs: string;
  /** the cluster's root for Hadoop tools (DistCp), ofs://host:port */
  fs: string;
  /** simple-auth user for the gateway (user.name); default: HADOOP_USER_NAME, else the OS user */
  user?: string;
  /** replication DistCp asks for when it writes into this cluster (ozone.replication); absent = the cluster's default */
  replication?: number;
}

export function isOzoneCluster(c: Cluster | undefined): c is OzoneCluster {
  return c !== undefined && c.kind === 'ozone';
}

/** A DR target of an Ozone policy: the same bucket names on another cluster, in `volume` (default: the source's). */
export interface OzoneTarget {
  cluster: string;
  volume: string;
  keep: Keep;
  /** a copy deleting or rewriting more than this share of the source's files since the common snapshot is held (0..1; absent: 0.5, src/planner/mass-change.ts) */
  maxChange?: number;
}

/** Snapshots of one Ozone bucket on a schedule, GFS retention per side, DR replication with DistCp -diff. */
export interface OzonePolicy extends PolicyBase {
  kind: 'ozone-snapshots';
  source: { cluster: string; volume: string; bucket: string };
  snapshots: { schedule: Schedule; keep: Keep };
  replicate: OzoneTarget[];
}

/** Parameters of the Ozone step kinds. */
export type OzoneParams = {
  /** replicate.*: the bucket the data comes from */
  source?: PairSide;
  /** replicate.diff: the common snapshot the diff starts from */
  fromSnapshot?: string;
  /** replicate.*: the source snapshot copied (the target gets the same name after) */
  toSnapshot?: string;
  /** replicate.bootstrap: the plan saw the DR bucket absent or empty (not a resume, not a replace): re-checked before the copy */
  expectEmpty?: boolean;
};

export type OzoneStep = Step<OzoneParams>;

export const KIND = {
  create: 'ozone.snapshot.create',
  delete: 'ozone.snapshot.delete',
  bootstrap: 'ozone.replicate.bootstrap',
  diff: 'ozone.replicate.diff',
  /** a DR bucket changed since the common snapshot (written behind hbr's back, a killed -diff): re-sync to the newest */
  repair: 'ozone.replicate.repair',
} as const;

const KINDS: ReadonlySet<string> = new Set(Object.values(KIND));

export function isOzoneStep(s: Step): s is OzoneStep {
  return KINDS.has(s.kind);
}

export function isOzonePolicy(p: PolicyBase | undefined): p is OzonePolicy {
  return p !== undefined && p.kind === 'ozone-snapshots';
}

/** Where a bucket's snapshots are listed (LISTSTATUS over HttpFS; ofs, not o3fs). */
export function snapshotDir(path: string): string {
  return `${path}/.snapshot`;
}

/** The bucket's path as HttpFS and ofs name it: /volume/bucket. */
export function bucketPath(volume: string, bucket: string): string {
  return `/${volume}/${bucket}`;
}

/** `bucket: "*"`: every bucket of the source volume, including buckets made later (docs/ozone.md, "Volume policies"). */
export const ALL_BUCKETS = '*';

export function isVolumePolicy(p: OzonePolicy): boolean {
  return p.source.bucket === ALL_BUCKETS;
}

/**
 * What a policy acts on, for claims and audits: its bucket on each side, or for a volume policy
 * the whole volume on each side (so no other policy can claim a bucket in it: src/schema/build.ts).
 */
export function claimedSides(p: OzonePolicy): BucketPair {
  if (!isVolumePolicy(p)) return pairFor(p, p.source.bucket);
  return {
    source: { cluster: p.source.cluster, path: `/${p.source.volume}` },
    targets: p.replicate.map((t) => ({ side: { cluster: t.cluster, path: `/${t.volume}` }, keep: t.keep })),
  };
}

/** One bucket pair of a policy: the source bucket and, per target, the same-named bucket on the DR cluster. */
export interface BucketPair {
  source: PairSide;
  targets: Array<{ side: PairSide; keep: Keep; maxChange?: number }>;
}

/** The pair of bucket `bucket` of policy `p` (its own bucket, or one of its volume's). */
export function pairFor(p: OzonePolicy, bucket: string): BucketPair {
  return {
    source: { cluster: p.source.cluster, path: bucketPath(p.source.volume, bucket) },
    targets: p.replicate.map((t) => ({ side: { cluster: t.cluster, path: bucketPath(t.volume, bucket) }, keep: t.keep, ...(t.maxChange !== undefined && { maxChange: t.maxChange }) })),
  };
}

/** What the observer saw beyond buckets: the buckets of each volume a volume policy covers. */
export interface OzonePart {
  /** by volumeKey(cluster, volume): bucket names, sorted; absent when the volume could not be listed */
  volumes: Record<string, string[]>;
  /**
   * by volumeKey of a volume policy's source: buckets gone from the source volume whose DR copy
   * holds hbr snapshots (listed in a target volume, not in the source's). They stay the policy's
   * buckets: the plan warns, and the source's recovery point for them is none (an RPO alert), so the
   * DR copy — now perhaps the only one — is never dropped from view in silence.
   */
  gone?: Record<string, string[]>;
}

export function volumeKey(cluster: string, volume: string): string {
  return `${cluster}\u0000/${volume}`;
}

/**
 * The buckets of policy `p` in an observation: its own, or for a volume policy those listed in its
 * source volume (undefined when the volume was not listed: nothing can be planned for it).
 */
export function bucketsOf(p: OzonePolicy, part: OzonePart | undefined): string[] | undefined {
  if (!isVolumePolicy(p)) return [p.source.bucket];
  const k = volumeKey(p.source.cluster, p.source.volume);
  const listed = part?.volumes[k];
  const gone = part?.gone?.[k] ?? [];
  return listed && (gone.length ? [...new Set([...listed, ...gone])].sort() : listed);
}

/**
 * The bucket name of `side` when it is one of policy `p`'s buckets (source or a target), as the
 * source or a target; undefined when it is not the policy's.
 */
export function bucketOfSide(p: OzonePolicy, side: { cluster: string; path: string }): { bucket: string; role: 'source' | 'target' } | undefined {
  const m = /^\/([^/]+)\/([^/]+)$/.exec(side.path);
  if (!m) return undefined;
  const [, volume, bucket] = m as unknown as [string, string, string];
  const ours = (b: string) => p.source.bucket === ALL_BUCKETS || p.source.bucket === b;
  if (side.cluster === p.source.cluster && volume === p.source.volume && ours(bucket)) return { bucket, role: 'source' };
  if (p.replicate.some((t) => t.cluster === side.cluster && t.volume === volume) && ours(bucket)) return { bucket, role: 'target' };
  return undefined;
}
