/**
 * The block walk with its WebHDFS reads passed in (src/systems/blocks/walk.ts, ops): a file or a
 * directory deleted between LISTSTATUS and the next call is skipped, the walk goes on (finding 6).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebHdfsError, type FileStatus, type WebHdfs } from '../../src/hadoop/webhdfs.js';
import type { LocatedBlocks } from '../../src/hadoop/webhdfs-blocks.js';
import { walkSource, type WalkOps } from '../../src/systems/blocks/walk.js';

const POOL = 'BP-463844176-127.0.0.1-1796166454854';
const st = (pathSuffix: string, type: FileStatus['type'], fileId: number, length = 0): FileStatus => ({
  pathSuffix, type, length, owner: 'o', group: 'g', permission: '644', modificationTime: 5, accessTime: 5, replication: 1, blockSize: 128, fileId, childrenNum: 0,
});
const notFound = (op: string, path: string) => new WebHdfsError(`${op} ${path}: File does not exist: ${path}`, op, path, 404, 'FileNotFoundException');
const located = (id: number, len: number): LocatedBlocks => ({
  fileLength: len, isUnderConstruction: false, isLastBlockComplete: true,
  locatedBlocks: [{ block: { blockId: id, blockPoolId: POOL, generationStamp: 1, numBytes: len }, startOffset: 0, isCorrupt: false, locations: [{ hostName: 'dn' }] }],
});

// /src holds a (kept), gone (deleted before GET_BLOCK_LOCATIONS), d/ (deleted before its LISTSTATUS)
const ops: WalkOps = {
  getFileStatus: async () => st('', 'DIRECTORY', 1),
  listStatusEc: async (_fs, path) => {
    if (path === '/src') return [st('a', 'FILE', 2, 10), st('gone', 'FILE', 3, 10), st('d', 'DIRECTORY', 4)];
    throw notFound('LISTSTATUS', path);
  },
  getBlockLocations: async (_fs, path) => {
    if (path === '/src/a') return located(1001, 10);
    throw notFound('GET_BLOCK_LOCATIONS', path);
  },
};
const fs = {} as WebHdfs;
const rejects = async (p: Promise<unknown>, re: RegExp) => {
  const err = await p.then(() => undefined, (e: Error) => e);
  assert.ok(err, 'rejected');
  assert.match(err!.message, re);
};

test('a file and a directory deleted during the walk are skipped; the walk succeeds', async () => {
  const w = await walkSource(fs, '/src', { concurrency: 2, ops });
  assert.equal(w.files.map((f) => f.path), ['a']);
  assert.equal(w.skipped, [{ path: 'd', reason: 'deleted during the walk' }, { path: 'gone', reason: 'deleted during the walk' }]);
  assert.is(w.blockPoolId, POOL);
});

test('the source itself gone, or another error: the walk fails', async () => {
  await rejects(walkSource(fs, '/src', { concurrency: 2, ops: { ...ops, listStatusEc: async (_f, p) => { throw notFound('LISTSTATUS', p); } } }), /File does not exist/);
  const boom = new WebHdfsError('GET_BLOCK_LOCATIONS /src/a: connection refused', 'GET_BLOCK_LOCATIONS', '/src/a', undefined, undefined);
  await rejects(walkSource(fs, '/src', { concurrency: 2, ops: { ...ops, getBlockLocations: async () => { throw boom; } } }), /connection refused/);
});

test.run();
