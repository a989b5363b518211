/**
 * Which files a manifest holds (src/systems/blocks/manifest-build.ts): a file this run skipped
 * keeps its previous version, marked carried, so its blocks stay referenced (safety finding 2).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildManifestFiles } from '../../src/systems/blocks/manifest-build.js';
import { referencedRefs, serializeManifest, parseManifest } from '../../src/systems/blocks/manifest.js';
import { blockKey, blockRef } from '../../src/systems/blocks/names.js';
import type { LiveFile, Manifest, ManifestFile } from '../../src/systems/blocks/types.js';

const POOL = 'BP-463844176-127.0.0.1-1796166454854';
const SHA = 'ab'.repeat(32);
const M1 = 'manifests/bk/20261101T030000Z.json';

const v1: ManifestFile = { path: 'a', fileId: 1001, length: 10, mtime: 5, owner: 'o', group: 'g', permission: '644', replication: 1, blockSize: 128, blocks: [{ id: 1, gs: 1, offset: 0, length: 10, sha256: SHA }] };
const b1: ManifestFile = { ...v1, path: 'b', fileId: 1002, blocks: [{ id: 2, gs: 1, offset: 0, length: 10, sha256: SHA }] };
const m1: Manifest = { version: 1, policy: 'bk', cluster: 'prod', path: '/data', createdAt: 1, blockPoolId: POOL, files: [v1, b1], dirs: [{ path: '', owner: 'o', group: 'g', permission: '755', mtime: 1 }], skipped: [] };

// a appended: block 1 got a new gs 2 and a new block 3 is missing on the cluster, neither in the store
const aNow: LiveFile = { path: 'a', fileId: 1001, length: 20, mtime: 9, owner: 'o', group: 'g', permission: '644', replication: 1, blockSize: 128, blocks: [{ id: 1, gs: 2, offset: 0, length: 10, state: 'ok' }, { id: 3, gs: 3, offset: 10, length: 10, state: 'missing' }] };
const bNow: LiveFile = { ...b1, blocks: [{ id: 2, gs: 1, offset: 0, length: 10, state: 'ok' }], reused: true };
const inStore = new Map([blockKey(POOL, 1, 1), blockKey(POOL, 2, 1)].map((k) => [k, { sha256: SHA }]));
const base = { pool: POOL, inStore, concurrency: 2, headSha: async () => undefined, fileChecksum: async () => undefined };

const build = async (walk: { files: LiveFile[]; skipped: Array<{ path: string; reason: string }> }, previous = { key: M1, manifest: m1 }) => {
  const r = await buildManifestFiles({ ...base, walk, previous });
  const m: Manifest = { ...m1, createdAt: 2, files: r.files, skipped: r.skipped };
  return { ...r, m: parseManifest(serializeManifest(m), 'M2') };
};

test('a file skipped as unreadable/changed keeps its previous version, carried, and its blocks stay referenced', async () => {
  const { m } = await build({ files: [aNow, bNow], skipped: [] });
  const a = m.files.find((f) => f.path === 'a');
  assert.ok(a, 'a is in the new manifest');
  assert.equal(a!.blocks, v1.blocks);
  assert.equal(a!.length, 10);
  assert.equal(a!.carried?.from, M1);
  assert.match(a!.carried!.reason, /changed during the run/);
  assert.ok(m.skipped.some((s) => s.path === 'a'), 'still reported skipped');
  assert.ok(referencedRefs(m).includes(blockRef(POOL, 1, 1)));
  assert.equal(m.files.find((f) => f.path === 'b')?.carried, undefined);
});

test('a file the walk skipped (open for write) keeps its version; a deleted file is not carried', async () => {
  const { m } = await build({ files: [], skipped: [{ path: 'a', reason: 'under construction (open for write)' }] });
  assert.equal(m.files.map((f) => f.path), ['a']);
  assert.equal(m.files[0]!.carried, { from: M1, reason: 'under construction (open for write)' });
});

test('a block without a checksum in the store: the previous version is carried', async () => {
  const noSha = new Map<string, { sha256?: string }>([...inStore, [blockKey(POOL, 1, 2), {}], [blockKey(POOL, 3, 3), {}]]);
  const r = await buildManifestFiles({ ...base, inStore: noSha, walk: { files: [aNow], skipped: [] }, previous: { key: M1, manifest: m1 } });
  const a = r.files.find((f) => f.path === 'a');
  assert.equal(a?.blocks, v1.blocks);
  assert.match(a!.carried!.reason, /no checksum/);
});

test('carried across runs: keeps the manifest it was first recorded in; taken again once the file is whole', async () => {
  const { m: m2 } = await build({ files: [], skipped: [{ path: 'a', reason: 'under construction (open for write)' }] });
  const { m: m3 } = await build({ files: [], skipped: [{ path: 'a', reason: 'under construction (open for write)' }] }, { key: 'manifests/bk/20261102T030000Z.json', manifest: m2 });
  assert.equal(m3.files[0]!.carried?.from, M1);
  const whole: LiveFile = { ...aNow, blocks: [{ id: 1, gs: 1, offset: 0, length: 10, state: 'ok' }], length: 10 };
  const { m: m4 } = await build({ files: [whole], skipped: [] }, { key: 'manifests/bk/20261103T030000Z.json', manifest: m3 });
  assert.equal(m4.files[0]!.carried, undefined);
});

test('a malformed carried field is refused when read', () => {
  const bad = JSON.parse(serializeManifest({ ...m1, files: [{ ...v1, carried: { from: M1, reason: 'x' } }] }));
  bad.files[0].carried = { from: 3 };
  assert.throws(() => parseManifest(JSON.stringify(bad), 'M'), /carried is malformed/);
});

test.run();
