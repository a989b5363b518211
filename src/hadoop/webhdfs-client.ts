/** A WebHDFS client for a cluster of the policies, shared by every system that reads HDFS over WebHDFS. */
import { userInfo } from 'node:os';
import type { HdfsCluster } from './cluster.js';
import { WebHdfs } from './webhdfs.js';

/** The WebHDFS user under simple auth, as Hadoop's clients pick it: the cluster's `user`, HADOOP_USER_NAME, the OS user. */
export function webhdfsFor(c: HdfsCluster, timeoutMs?: number): WebHdfs {
  const user = c.user ?? process.env.HADOOP_USER_NAME ?? userInfo().username;
  return new WebHdfs({ baseUrl: c.webhdfs, user, ...(timeoutMs ? { timeoutMs } : {}) });
}
