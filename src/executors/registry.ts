/** Step kind → executor. The one place that says which code carries out which kind of step. */
import * as distcp from './hdfs/distcp.js';
import * as snapshots from './hdfs/snapshots.js';
import * as zookeeper from './zookeeper/steps.js';
import type { ExecutorRegistry } from './types.js';

export const executors: ExecutorRegistry = {
  'hdfs.snapshot.allow': snapshots.allowSnapshot,
  'hdfs.snapshot.create': snapshots.createSnapshot,
  'hdfs.snapshot.delete': snapshots.deleteSnapshot,
  'replicate.bootstrap': distcp.bootstrap,
  'replicate.distcp-diff': distcp.diff,
  'replicate.repair-target': distcp.repair,
  'zk.archive': zookeeper.archive,
  'store.delete': zookeeper.deleteObject,
};
