/** The pure half of the block restore: src/systems/blocks/restore-plan.ts, restore-damaged.ts, damage.ts's pure parts. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  chooseManifest,
  cleanGlob,
  compareDestinations,
  insideSource,
  manifestKeyTime,
  restoreScratchName,
  scratchTarget,
  selectFiles,
  type Destination,
} from '../../src/systems/blocks/restore-plan.js';
import { planDamagedRestores, unattendedRefusal } from '../../src/systems/blocks/restore-damaged.js';
import { liveBlocks, underSource } from '../../src/systems/blocks/damage.js';
import { parseCorruptFiles } from '../../src/hadoop/corrupt-files.js';
import { checkRestoreStep } from '../../src/systems/blocks/restore-check.js';
import { verifiedChunks } from '../../src/stores/read-verified.js';
import { createHash } from 'node:crypto';
import { PlanBuilder } from '../../src/planner/builder.js';
import type { BlocksPolicy, BlocksPolicyObserved, Manifest, ManifestFile } from '../../src/systems/blocks/types.js';

const t = (s: string) => Date.parse(s);
const K1 = 'manifests/p/2026-12-01T00-00-00Z.json';
const K2 = 'manifests/p/2026-12-01T01-00-00Z.json';
const K3 = 'manifests/p/2026-12-01T02-00-00Z.json';

const file = (path: string, o: Partial<ManifestFile> = {}): ManifestFile => ({
  path,
  fileId: 100,
  length: 10,
  mtime: 1000,
  owner: 'u',
  group: 'g',
  permission: '644',
  replication: 1,
  blockSize: 1048576,
  checksum: { algorithm: 'MD5-of-0MD5-of-512CRC32C', bytes: 'aa', length: 28 },
  blocks: [{ id: 1073741825, gs: 1001, offset: 0, length: 10, sha256: 'x' }],
  ...o,
});
const manifest = (files: ManifestFile[], createdAt = t('2026-12-01T02:00:00Z')): Manifest => ({
  version: 1,
  policy: 'p',
  cluster: 'prod',
  path: '/data',
  createdAt,
  blockPoolId: 'BP-1',
  files,
  dirs: [],
  skipped: [],
});

test('manifest keys: the policy\'s own, real UTC times only', () => {
  assert.is(manifestKeyTime('p', K1), t('2026-12-01T00:00:00Z'));
  assert.is(manifestKeyTime('q', K1), undefined, "another policy's");
  assert.is(manifestKeyTime('p', 'manifests/p/2026-02-30T00-00-00Z.json'), undefined, 'no such day');
  assert.is(manifestKeyTime('p', 'manifests/p/2026-12-01T00-00-00Z.json.tmp'), undefined);
});

test('choose: newest, newest at or before --at, never one dated in the future', () => {
  const pick = (at: string, trusted = at) => {
    const c = chooseManifest('p', [K2, K1, K3, 'manifests/p/junk'], { at: t(at), trusted: t(trusted) });
    return 'error' in c ? c.error : c.key;
  };
  assert.is(pick('2026-12-01T05:00:00Z'), K3);
  assert.is(pick('2026-12-01T01:30:00Z', '2026-12-01T05:00:00Z'), K2);
  assert.is(pick('2026-12-01T01:00:00Z', '2026-12-01T05:00:00Z'), K2, 'at or before: equal counts');
  assert.is(pick('2026-12-01T05:00:00Z', '2026-12-01T01:30:00Z'), K2, 'K3 dated after the trusted clock is skipped');
  assert.match(pick('2026-11-30T00:00:00Z'), /no manifest of policy p dated at or before 2026-11-30/);
  const none = chooseManifest('p', [], { at: 0, trusted: 0 });
  assert.match('error' in none ? none.error : '', /has no manifest in its store yet/);
});

test('--path globs: * within a segment, ** across, a directory means what is under it; unmatched globs named', () => {
  const m = manifest(['a/x1.bin', 'a/x2.bin', 'a/sub/x3.bin', 'b/y.bin', 'top.bin'].map((p) => file(p)));
  const sel = (...g: string[]) => selectFiles(m, g).files.map((f) => f.path);
  assert.equal(sel(), ['a/x1.bin', 'a/x2.bin', 'a/sub/x3.bin', 'b/y.bin', 'top.bin'], 'no glob: all');
  assert.equal(sel('a/x*'), ['a/x1.bin', 'a/x2.bin']);
  assert.equal(sel('a'), ['a/x1.bin', 'a/x2.bin', 'a/sub/x3.bin']);
  assert.equal(sel('**/x3.bin'), ['a/sub/x3.bin']);
  assert.equal(sel('a/**/x?.bin'), ['a/x1.bin', 'a/x2.bin', 'a/sub/x3.bin']);
  assert.equal(sel('top.bin', 'b/*'), ['b/y.bin', 'top.bin']);
  assert.equal(sel('a.b'), [], 'a dot is a dot');
  assert.equal(selectFiles(m, ['nope/*', 'b']).unmatched, ['nope/*']);
  for (const g of ['', '/abs', 'a/../b', './a', 'a//b', 'a/']) assert.not.ok(cleanGlob(g), g);
  for (const g of ['a', 'a/*.bin', '**/x', 'a b/c']) assert.ok(cleanGlob(g), g);
});

test('compare: absent +, same version or same checksum nothing, different refused without --overwrite, -/+ with it', () => {
  const files = [file('new'), file('same'), file('copy'), file('changed'), file('longer'), file('dir'), file('broken'), file('broken-other')];
  const d = (o: Partial<Destination>): Destination => ({ type: 'FILE', fileId: 100, length: 10, mtime: 1000, ...o });
  const dest: Record<string, Destination | undefined> = {
    same: d({}),
    copy: d({ fileId: 7, mtime: 5, checksum: { algorithm: 'MD5-of-0MD5-of-512CRC32C', bytes: 'aa', length: 28 } }),
    changed: d({ fileId: 7, checksum: { algorithm: 'MD5-of-0MD5-of-512CRC32C', bytes: 'bb', length: 28 } }),
    longer: d({ length: 11, mtime: 2000 }),
    dir: d({ type: 'DIRECTORY' }),
    broken: d({ damaged: true }),
    'broken-other': d({ damaged: true, fileId: 8 }),
  };
  const kept = compareDestinations(files, dest, false);
  assert.equal(kept.restore.map((r) => `${r.action} ${r.file.path}`), ['create new', 'replace broken'], 'the damaged same version is replaced even without --overwrite');
  assert.equal(kept.same.map((f) => f.path), ['same', 'copy']);
  assert.equal(kept.refused.map((r) => r.file.path), ['changed', 'longer', 'broken-other']);
  assert.match(kept.refused[1]!.why, /11 bytes, backed up 10/);
  assert.equal(kept.blocked.map((r) => r.file.path), ['dir']);
  const over = compareDestinations(files, dest, true);
  assert.equal(over.restore.map((r) => `${r.action} ${r.file.path}`), ['create new', 'replace changed', 'replace longer', 'replace broken', 'replace broken-other']);
  assert.equal(over.blocked.map((r) => r.file.path), ['dir'], 'a directory is never replaced by a file');
  const otherAlg = compareDestinations([file('x')], { x: d({ fileId: 7, checksum: { algorithm: 'MD5-of-0MD5-of-1024CRC32C', bytes: 'aa', length: 28 } }) }, false);
  assert.equal(otherAlg.refused.length, 1, 'checksums of another algorithm say nothing');
  const noSum = file('n', { checksum: undefined } as Partial<ManifestFile>);
  delete (noSum as { checksum?: unknown }).checksum;
  assert.equal(compareDestinations([noSum], { n: d({ fileId: 7 }) }, false).same.length, 1, 'no checksum in the manifest: a restored copy is known by its length and mtime');
  assert.equal(compareDestinations([noSum], { n: d({ fileId: 7, mtime: 5 }) }, false).refused.length, 1);
});

test('a file recognised as already restored by its length and mtime alone is said so; --to inside the source is refused (finding 12)', () => {
  const d = (o: Partial<Destination>): Destination => ({ type: 'FILE', fileId: 100, length: 10, mtime: 1000, ...o });
  const noSum = file('n');
  delete (noSum as { checksum?: unknown }).checksum;
  const empty = { ...file('e'), length: 0 };
  delete (empty as { checksum?: unknown }).checksum;
  const files = [file('same'), file('copy'), noSum, empty];
  const cmp = compareDestinations(files, {
    same: d({}),
    copy: d({ fileId: 7, checksum: { algorithm: 'MD5-of-0MD5-of-512CRC32C', bytes: 'aa', length: 28 } }),
    n: d({ fileId: 7 }),
    e: d({ fileId: 7, length: 0 }),
  }, false);
  assert.equal(cmp.same.map((f) => f.path), ['same', 'copy', 'n', 'e']);
  assert.equal(cmp.weak.map((f) => f.path), ['n'], 'only the non-empty file without a checksum, another inode');
  assert.ok(insideSource('/data', '/data/restored'));
  assert.ok(insideSource('/', '/restored'));
  assert.not.ok(insideSource('/data', '/data'), 'in place is the ordinary restore');
  assert.not.ok(insideSource('/data', '/database/x'));
  assert.not.ok(insideSource('/data/x', '/data'));
});

test('scratch names: recognised after a kill, only for their own target', () => {
  const n = restoreScratchName('a.bin', t('2026-12-02T09:00:00Z'));
  assert.is(n, '.a.bin.hbr-restore-20261202T090000Z');
  assert.is(scratchTarget(n), 'a.bin');
  assert.is(scratchTarget('.a.bin.hbr-restore-x'), undefined);
  assert.is(scratchTarget('a.bin.hbr-restore-20261202T090000Z'), undefined);
  assert.is(scratchTarget('.a.bin.tmp'), undefined);
});

const policy = { name: 'p', kind: 'hdfs-blocks', source: { cluster: 'prod', path: '/data' } } as unknown as BlocksPolicy;
const lost = [{ id: 1073741825, gs: 1001, offset: 0, length: 10, state: 'missing' as const }];

test('damaged files in the ordinary plan: -/+ blocks.restore only for the manifest\'s own version, else a warning', () => {
  const m = manifest([file('a.bin'), file('b.bin', { fileId: 200 })]);
  const part: BlocksPolicyObserved = {
    damaged: [
      { path: 'a.bin', blocks: lost, fileId: 100, length: 10, mtime: 1000 },
      { path: 'b.bin', blocks: lost, fileId: 201, length: 10, mtime: 1000 },
      { path: 'c.bin', blocks: lost, fileId: 300, length: 10, mtime: 1000 },
    ],
    store: { blocks: {}, manifests: [K1, K3], newest: m, openRuns: [], incompleteUploads: [] },
  };
  const b = new PlanBuilder();
  planDamagedRestores(b, policy, part, t('2026-12-01T03:00:00Z'));
  assert.is(b.steps.length, 1);
  const s = b.steps[0]!;
  assert.is(s.kind, 'blocks.restore');
  assert.is(s.action, '-/+');
  assert.equal(s.target, { cluster: 'prod', path: '/data/a.bin' });
  assert.equal(s.params, { manifest: K3, files: ['a.bin'], overwrite: true, damaged: true, expect: { 'a.bin': { fileId: 100, length: 10, mtime: 1000 } } });
  assert.match(s.reason, /1 missing block/);
  assert.is(b.warnings.length, 2);
  assert.match(b.warnings[0]!.message, /prod:\/data\/b\.bin has 1 missing block, but it is not the version .*hbr restore blocks --policy p --path b\.bin --overwrite/);
  assert.match(b.warnings[1]!.message, /c\.bin .*not in the newest manifest/);
});

test('damaged: a file with an ACL, xattrs or a storage policy of its own is not restored by apply; the plan says why and what to run', () => {
  const m = manifest([file('a.bin'), file('b.bin', { fileId: 200 }), file('c.bin', { fileId: 300 }), file('d.bin', { fileId: 400 })]);
  const part: BlocksPolicyObserved = {
    damaged: [
      { path: 'a.bin', blocks: lost, fileId: 100, length: 10, mtime: 1000, attributes: { xattrs: ['user.app.tag'] } },
      { path: 'b.bin', blocks: lost, fileId: 200, length: 10, mtime: 1000, attributes: { aclBit: true, xattrs: [] } },
      { path: 'c.bin', blocks: lost, fileId: 300, length: 10, mtime: 1000, attributes: { storagePolicy: 2, parentStoragePolicy: 7, xattrs: [] } },
      { path: 'd.bin', blocks: lost, fileId: 400, length: 10, mtime: 1000, attributes: { storagePolicy: 7, parentStoragePolicy: 7, xattrs: [] } },
    ],
    store: { blocks: {}, manifests: [K1, K3], newest: m, openRuns: [], incompleteUploads: [] },
  };
  const b = new PlanBuilder();
  planDamagedRestores(b, policy, part, t('2026-12-01T03:00:00Z'));
  assert.equal(b.steps.map((s) => s.target.path), ['/data/d.bin'], 'an inherited storage policy is kept by a new inode');
  assert.equal(b.warnings.map((w) => w.message.match(/it (has [^,]+(?:\([^)]*\))?)/)?.[1]), ['has extended attributes (user.app.tag)', 'has an ACL', 'has a storage policy of its own (2)']);
  assert.ok(b.warnings.every((w) => /not restored by apply; `hbr restore blocks --policy p --path [a-c]\.bin --overwrite`/.test(w.message)), JSON.stringify(b.warnings));
});

test('damaged: a newest manifest dated in the future is not used; nothing damaged, nothing planned', () => {
  const m = manifest([file('a.bin')]);
  const part: BlocksPolicyObserved = {
    damaged: [{ path: 'a.bin', blocks: lost, fileId: 100, length: 10, mtime: 1000 }],
    store: { blocks: {}, manifests: [K3], newest: m, openRuns: [], incompleteUploads: [] },
  };
  const b = new PlanBuilder();
  planDamagedRestores(b, policy, part, t('2026-12-01T01:00:00Z'));
  assert.is(b.steps.length, 0);
  assert.match(b.warnings[0]!.message, /no manifest to restore it from|not in the newest manifest/);
  const quiet = new PlanBuilder();
  planDamagedRestores(quiet, policy, { damaged: [] }, 0);
  planDamagedRestores(quiet, policy, undefined, 0);
  assert.is(quiet.steps.length + quiet.warnings.length, 0);
});

test('CorruptFiles and block states as the NameNode writes them', () => {
  assert.equal(parseCorruptFiles('["blk_1073741830\\t1\\t/data/a.bin","blk_1073741831\\t/other/b","junk"]'), [
    { blockId: 1073741830, path: '/data/a.bin' },
    { blockId: 1073741831, path: '/other/b' },
  ]);
  assert.equal(parseCorruptFiles('[]'), []);
  assert.equal(parseCorruptFiles('not json'), []);
  assert.equal(underSource('/data', [{ blockId: 1, path: '/data/a.bin' }, { blockId: 2, path: '/data/a.bin' }, { blockId: 3, path: '/database/x' }, { blockId: 4, path: '/data/s/b' }]), ['a.bin', 's/b']);
  const lb = (locations: unknown[], isCorrupt: boolean) => ({ block: { blockId: 1, generationStamp: 2, numBytes: 3 }, startOffset: 0, isCorrupt, locations });
  assert.equal(liveBlocks([lb([], false), lb([{}], true), lb([{}], false)]).map((b) => b.state), ['missing', 'corrupt', 'ok']);
});

test('a saved plan\'s restore step is checked: its cluster, a manifest of its policy, relative files, a clean --to', () => {
  const step = (o: Record<string, unknown> = {}, target = { cluster: 'prod', path: '/data/a.bin' }) =>
    ({ id: 'x', kind: 'blocks.restore', action: '-/+', policy: 'p', target, params: { manifest: K3, files: ['a.bin'], overwrite: true, ...o }, reason: '', dependsOn: [] }) as never;
  assert.equal(checkRestoreStep(step(), policy), []);
  assert.equal(checkRestoreStep(step({ to: '/restore' }, { cluster: 'prod', path: '/restore/a.bin' }), policy), []);
  assert.match(checkRestoreStep(step({ manifest: 'manifests/q/2026-12-01T02-00-00Z.json' }), policy).join(), /not a manifest of policy p/);
  assert.match(checkRestoreStep(step({ files: ['../etc/passwd'] }), policy).join(), /not relative to the source/);
  assert.match(checkRestoreStep(step({ to: '/a/../b' }), policy).join(), /not a clean absolute path/);
  assert.match(checkRestoreStep(step({}, { cluster: 'dr', path: '/data/a.bin' }), policy).join(), /not the source cluster/);
  assert.match(checkRestoreStep(step({}, { cluster: 'prod', path: '/data/b.bin' }), policy).join(), /not where a\.bin is restored/);
});

test('readVerified: the bytes pass through, a wrong SHA-256 fails the iteration after them', async () => {
  const parts = [Buffer.from('hello '), Buffer.from('world')];
  const sha = createHash('sha256').update('hello world').digest('hex');
  async function* body() {
    yield* parts;
  }
  const got: string[] = [];
  for await (const c of verifiedChunks(body(), 'k', sha)) got.push(c.toString());
  assert.equal(got, ['hello ', 'world']);
  let err: Error | undefined;
  try {
    for await (const _ of verifiedChunks(body(), 'k', '0'.repeat(64))) void _;
  } catch (e) {
    err = e as Error;
  }
  assert.match(err?.message ?? '', /checksum mismatch for k/);
});

test('the unattended restore of a damaged file is refused when a new inode would lose an ACL, xattrs, its own storage policy or its owner (finding 7)', () => {
  assert.is(unattendedRefusal({ xattrs: [], storagePolicy: 0, parentStoragePolicy: 0 }), undefined);
  assert.is(unattendedRefusal({ xattrs: [], storagePolicy: 7, parentStoragePolicy: 7 }), undefined, 'inherited from its directory: the new inode inherits it too');
  assert.is(unattendedRefusal({ xattrs: [], aclBit: true }), 'has an ACL');
  assert.is(unattendedRefusal({ xattrs: ['user.a', 'user.b'] }), 'has extended attributes (user.a, user.b)');
  assert.is(unattendedRefusal({ xattrs: [], storagePolicy: 2, parentStoragePolicy: 7 }), 'has a storage policy of its own (2)');
  assert.is(unattendedRefusal({ xattrs: [], storagePolicy: 2 }), 'has a storage policy of its own (2)');
  assert.match(unattendedRefusal({ xattrs: ['user.a'], aclBit: true, ownerRefused: 'SETOWNER alice:staff refused: not a super user' }) ?? '', /^has an ACL, has extended attributes \(user.a\), would not keep its owner \(SETOWNER alice:staff refused/);
});

test.run();
