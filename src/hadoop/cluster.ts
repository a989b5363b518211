/**
 * An HDFS cluster as the policies declare it (`clusters.<name>.hdfs`), shared by every system that
 * works on HDFS (snapshots and DR today; block backups next). Also its canonical endpoint, so two
 * names for one NameNode are seen as one (docs/architecture.md, "Claims"), and the checks of its
 * security keys (Kerberos, HTTPS, HA: docs/security.md, docs/design/secure-proposal.md §7.1).
 */
import { hostname, userInfo } from 'node:os';
import type { Cluster, SourceLocation } from '../model/policy.js';

/** One NameNode of an HA nameservice: its WebHDFS base URL and (for JVM tools) its RPC host:port. */
export interface NameNode {
  name: string;
  http: string;
  rpc?: string;
}

/** Kerberos: hbr logs in from a keytab (a path; hbr never reads it, only `hadoop dtutil` does). */
export interface KerberosAuth {
  kind: 'kerberos';
  principal: string;
  keytab: string;
  krb5Conf?: string;
}

export interface HdfsCluster {
  name: string;
  kind: 'hdfs';
  /**
   * WebHDFS base URL, e.g. http://nn.prod:9870. For an HA cluster (`namenodes`) the first
   * NameNode's: code that is not HA-aware reaches that one; the WebHDFS client tries them all.
   */
  webhdfs: string;
  /** file system URI for Hadoop tools, e.g. hdfs://nn.prod:8020; hdfs://<nameservice> for HA */
  fs: string;
  /** simple-auth user for WebHDFS (user.name); default: none sent. Never with `auth`. */
  user?: string;
  /** HA: the logical name of the NameNodes (dfs.nameservices) */
  nameservice?: string;
  /** HA: its NameNodes, in the policy's order (`webhdfs` is the one-NameNode shorthand) */
  namenodes?: NameNode[];
  /** HADOOP_CONF_DIR for every JVM call hbr runs against this cluster */
  confDir?: string;
  auth?: KerberosAuth;
  /** PEM file of the CA(s) that signed the NameNodes' and DataNodes' certificates */
  caBundle?: string;
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

interface RawHdfsCluster {
  webhdfs?: string;
  fs?: string;
  user?: string;
  nameservice?: string;
  namenodes?: Record<string, { http: string; rpc?: string }>;
  conf_dir?: string;
  auth?: { kerberos: { principal: string; keytab: string; krb5_conf?: string } };
  ca_bundle?: string;
}

export function loadHdfsCluster(name: string, raw: Record<string, unknown>, at: SourceLocation): HdfsCluster {
  const r = raw as RawHdfsCluster;
  const namenodes = r.namenodes ? Object.entries(r.namenodes).map(([n, v]) => ({ name: n, http: v.http, ...(v.rpc !== undefined && { rpc: v.rpc }) })) : undefined;
  const k = r.auth?.kerberos;
  return {
    name,
    kind: 'hdfs',
    webhdfs: r.webhdfs ?? namenodes?.[0]?.http ?? '',
    fs: r.fs ?? (r.nameservice !== undefined ? `hdfs://${r.nameservice}` : ''),
    ...(r.user !== undefined && { user: r.user }),
    ...(r.nameservice !== undefined && { nameservice: r.nameservice }),
    ...(namenodes && { namenodes }),
    ...(r.conf_dir !== undefined && { confDir: r.conf_dir }),
    ...(k && { auth: { kind: 'kerberos' as const, principal: hostPrincipal(k.principal), keytab: k.keytab, ...(k.krb5_conf !== undefined && { krb5Conf: k.krb5_conf }) } }),
    ...(r.ca_bundle !== undefined && { caBundle: r.ca_bundle }),
    at,
  };
}

/** The WebHDFS base URLs of a cluster's NameNodes, in the order they are tried. */
export function webhdfsUrls(c: HdfsCluster): string[] {
  return c.namenodes?.length ? c.namenodes.map((n) => n.http) : [c.webhdfs];
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
 * address every Hadoop tool uses). Two cluster names with one `fs` are one cluster. An HA cluster
 * is its nameservice, hdfs://<nameservice> lower-cased (docs/design/secure-proposal.md §4.3).
 */
export function hdfsEndpoint(c: HdfsCluster | undefined, name: string): string {
  if (c?.nameservice !== undefined) return `hdfs://${c.nameservice.toLowerCase()}`;
  return c ? `hdfs://${authority(c.fs, 8020)}` : `cluster:${name}`;
}

/** The short name of a Kerberos principal (hbr/edge1@REALM → hbr): the renewer of hbr's tokens. */
/**
 * `_HOST` in a principal (`hbr/_HOST@REALM`) as Hadoop's SecurityUtil.getServerPrincipal replaces
 * it: with this host's name, lower-cased, so one policy file serves every daemon of an HA group,
 * each with its own host principal in its keytab. The name is $HBR_HOSTNAME when set (a host whose
 * `hostname` is not the name in its principal), else the OS host name (Hadoop asks DNS for the
 * canonical name; hbr cannot synchronously: docs/security.md).
 */
export function hostPrincipal(principal: string, host = process.env.HBR_HOSTNAME || hostname()): string {
  return principal.includes('_HOST') ? principal.replace(/_HOST/g, host.toLowerCase()) : principal;
}

export function principalShortName(principal: string): string {
  return principal.split(/[/@]/)[0] ?? principal;
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
