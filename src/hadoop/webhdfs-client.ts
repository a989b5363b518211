/**
 * A WebHDFS client for a cluster of the policies, shared by every system that reads HDFS over
 * WebHDFS: simple auth (user.name), or, with auth.kerberos, hbr's delegation token (./dtoken.ts);
 * its CA bundle for https://; an HA cluster's NameNodes (docs/security.md).
 */
import { readFileSync } from 'node:fs';
import { simpleAuthUser, webhdfsUrls, type HdfsCluster } from './cluster.js';
import { tokenFor } from './dtoken.js';
import { WebHdfs } from './webhdfs.js';

/** CA bundles read once per process (a policy reload with a new path reads the new one). */
const caFiles = new Map<string, Buffer>();

function caOf(path: string): Buffer {
  let b = caFiles.get(path);
  if (!b) caFiles.set(path, (b = readFileSync(path)));
  return b;
}

/** The WebHDFS user under simple auth, as Hadoop's clients pick it: the cluster's `user`, HADOOP_USER_NAME, the OS user. */
export function webhdfsFor(c: HdfsCluster, timeoutMs?: number): WebHdfs {
  const urls = webhdfsUrls(c);
  return new WebHdfs({
    baseUrl: urls[0] ?? c.webhdfs,
    ...(c.auth ? { token: (refused?: string) => tokenFor(c, refused !== undefined ? { refused } : {}) } : { user: simpleAuthUser(c.user) }),
    ...(c.namenodes?.length && { nameNodes: { key: c.nameservice ?? c.name, names: c.namenodes.map((n) => n.name), urls } }),
    ...(c.caBundle && { ca: caOf(c.caBundle), caBundle: c.caBundle }),
    cluster: c.name,
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}
