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

/** The bucket pairs of a policy: its source bucket and, per target, the same bucket on the DR cluster. */
export function pairsOf(p: OzonePolicy): { source: PairSide; targets: Array<{ side: PairSide; keep: Keep }> } {
  return {
    source: { cluster: p.source.cluster, path: bucketPath(p.source.volume, p.source.bucket) },
    targets: p.replicate.map((t) => ({ side: { cluster: t.cluster, path: bucketPath(t.volume, p.source.bucket) }, keep: t.keep })),
  };
}
