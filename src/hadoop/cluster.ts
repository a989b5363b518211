/**
 * An HDFS cluster as the policies declare it (`clusters.<name>.hdfs`), shared by every system that
 * works on HDFS (snapshots and DR today; block backups next). Also its canonical endpoint, so two
 * names for one NameNode are seen as one (docs/architecture.md, "Claims").
 */
import { userInfo } from 'node:os';
import type { Cluster, SourceLocation } from '../model/policy.js';

export interface HdfsCluster {
  name: string;
  kind: 'hdfs';
  /** WebHDFS base URL, e.g. http://nn.prod:9870 */
  webhdfs: string;
  /** file system URI for Hadoop tools, e.g. hdfs://nn.prod:8020 */
  fs: string;
  /** simple-auth user for WebHDFS (user.name); default: none sent */
  user?: string;
  at: SourceLocation;
}

export function isHdfsCluster(c: Cluster | undefined): c is HdfsCluster {
  return c !== undefined && c.kind === 'hdfs';
}

/** The cluster `name` of the config when it is an HDFS one; throws otherwise. */
export function hdfsClusterOf(clusters: Record<string, Cluster>, name: string): HdfsCluster {
  const c = clusters[name];
  if (!isHdfsCluster(c)) throw new Error(`cluster '${name}' is not an HDFS cluster in the policies`);
  return c;
}

export function loadHdfsCluster(name: string, raw: Record<string, unknown>, at: SourceLocation): HdfsCluster {
  const r = raw as { webhdfs: string; fs: string; user?: string };
  return { name, kind: 'hdfs', webhdfs: r.webhdfs, fs: r.fs, ...(r.user !== undefined && { user: r.user }), at };
}

/** `host:port` of a URL, lower-cased, with the scheme's default port filled in. */
function authority(url: string, defaultPort: number): string {
  try {
    const u = new URL(url);
    return `${u.hostname.toLowerCase()}:${u.port || String(defaultPort)}`;
  } catch {
    return url.toLowerCase();
  }
}

/**
 * The canonical identity of a cluster's NameNode: its `fs` authority (hdfs://host:port, the RPC
 * address every Hadoop tool uses). Two cluster names with one `fs` are one cluster.
 */
export function hdfsEndpoint(c: HdfsCluster | undefined, name: string): string {
  return c ? `hdfs://${authority(c.fs, 8020)}` : `cluster:${name}`;
}

/**
 * The simple-auth user a WebHDFS (or HttpFS) request carries, as Hadoop's own clients pick it: the
 * cluster's `user`, else HADOOP_USER_NAME, else the OS user running hbr. Shared by HDFS and Ozone.
 */
export function simpleAuthUser(user: string | undefined): string {
  return user ?? process.env.HADOOP_USER_NAME ?? (osUser ??= userInfo().username);
}
/** The OS user, read once: userInfo() is a getpwuid call, and observation made a client per directory (README, issue 16). */
let osUser: string | undefined;
