/** The ZooKeeper archive system's cluster, policy and step types (docs/policies.md, "ZooKeeper archives"). */
import type { Cluster, Keep, PolicyBase, Schedule, SourceLocation } from '../../model/policy.js';
import type { Step } from '../../model/plan.js';

export interface ZookeeperCluster {
  name: string;
  kind: 'zookeeper';
  /** AdminServer base URL, e.g. http://zk1:8080 */
  admin?: string;
  /** client connect string, e.g. zk1:2181,zk2:2181 */
  connect?: string;
  /** the server's data dir, when hbr runs beside ZooKeeper (archive mode `datadir`) */
  datadir?: string;
  /**
   * How archives are taken: `admin` streams a snapshot from the AdminServer (ZooKeeper 3.9+, digest
   * auth from the environment); `datadir` packs the newest snapshot.* and the log.* files after it
   * from `datadir`, read while the server runs. Default: admin when `admin` is set, else datadir.
   */
  mode: 'admin' | 'datadir';
  at: SourceLocation;
}

export function isZookeeperCluster(c: Cluster | undefined): c is ZookeeperCluster {
  return c !== undefined && c.kind === 'zookeeper';
}

/** Archives of a ZooKeeper ensemble's data in a store, on a schedule, with GFS retention. */
export interface ZookeeperArchivePolicy extends PolicyBase {
  kind: 'zookeeper-archive';
  source: { cluster: string };
  archive: {
    /** store name */
    to: string;
    /** object key prefix under the store's own prefix, e.g. zookeeper-backup-eu-west1- */
    prefix: string;
    schedule: Schedule;
    keep: Keep;
  };
}

export function isArchivePolicy(p: PolicyBase | undefined): p is ZookeeperArchivePolicy {
  return p !== undefined && p.kind === 'zookeeper-archive';
}

/** Parameters of zk.archive (store.delete has none). */
export type ArchiveParams = {
  /** the ZooKeeper cluster archived */
  zookeeper?: string;
};

export const KIND = {
  archive: 'zk.archive',
  delete: 'store.delete',
} as const;

export type ArchiveStep = Step<ArchiveParams>;
