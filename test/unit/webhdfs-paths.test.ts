/**
 * snapshottablePath: GETSNAPSHOTTABLEDIRECTORYLIST entries carry no full path, only the parent's
 * (null for the root) and the directory's own name (hadoop-hdfs JsonUtil.toJsonMap(SnapshottableDirectoryStatus)).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { snapshottablePath, type FileStatus, type SnapshottableDirectory } from '../../src/hadoop/webhdfs.js';

const entry = (parentFullPath: string | null, pathSuffix: string): SnapshottableDirectory => ({
  snapshotNumber: 0,
  snapshotQuota: 65536,
  parentFullPath,
  dirStatus: { pathSuffix, type: 'DIRECTORY' } as FileStatus,
});

test('full paths from parent and name', () => {
  assert.is(snapshottablePath(entry('/bench/plan', 'd0001')), '/bench/plan/d0001');
  assert.is(snapshottablePath(entry('/', 'data')), '/data');
  assert.is(snapshottablePath(entry(null, '')), '/');
  assert.is(snapshottablePath(entry('', '')), '/');
});

test.run();
