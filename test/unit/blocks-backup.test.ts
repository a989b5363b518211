/**
 * The block backup's pure parts (docs/blocks.md): names, manifest validation, and the plan's
 * upload / manifest / retention / gc decisions with every floor, checked again by checkSafety.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type { Observed } from '../../src/model/observed.js';
import type { Plan } from '../../src/model/plan.js';
import type { Config, Keep } from '../../src/model/policy.js';
import { checkSafety, planAll } from '../../src/planner/plan.js';
import { parseManifest, serializeManifest, validateManifest } from '../../src/systems/blocks/manifest.js';
import { refuseMassChange } from '../../src/systems/blocks/mass-change.js';
import { blockKey, manifestKey, openRunKey, parseBlockKey, parseBlockRef, parseManifestKey, parseOpenRunKey, parseReleasedKey, parseRunBeatKey, releasedKey, runBeatKey } from '../../src/systems/blocks/names.js';
import type { BlocksObserved, BlocksPolicy, BlocksPolicyObserved, LiveFile, Manifest } from '../../src/systems/blocks/types.js';

const at = { file: 't.yaml', line: 1, col: 1 };
const H = 3_600_000;
const D = 24 * H;
const T0 = Date.UTC(2026, 10, 1, 3, 0, 0);
const POOL = 'BP-463844176-127.0.0.1-1796166454854';
const SHA = 'ab'.repeat(32);

function config(o: { keep?: Keep; grace?: number } = {}): Config {
  const p: BlocksPolicy = {
    name: 'bk',
    kind: 'hdfs-blocks',
    source: { cluster: 'prod', path: '/data' },
    backup: { to: 's3', schedule: { every: D }, gcGrace: o.grace ?? D, keep: o.keep ?? { last: 2 }, concurrency: 4 },
    at,
  };
  return {
    clusters: { prod: { name: 'prod', kind: 'hdfs', webhdfs: 'http://nn:9870', fs: 'hdfs://nn:8020', at } as Config['clusters'][string] },
    stores: { s3: { name: 's3', kind: 's3', bucket: 'b', prefix: 'p/', at } },
    webhooks: {},
    policies: { bk: p },
    files: ['t.yaml'],
  };
}

const file = (path: string, blocks: Array<[number, number, number]>): LiveFile => {
  let off = 0;
  return {
    path, fileId: blocks[0]?.[0] ?? 1, length: blocks.reduce((n, b) => n + b[2], 0), mtime: 1, owner: 'u', group: 'g', permission: '644', replication: 3, blockSize: 1 << 20,
    blocks: blocks.map(([id, gs, length]) => {
      const b = { id, gs, offset: off, length, state: 'ok' as const };
      off += length;
      return b;
    }),
  };
};

const manifestOf = (time: number, files: LiveFile[], policy = 'bk'): Manifest => ({
  version: 1, policy, cluster: 'prod', path: '/data', createdAt: time, blockPoolId: POOL,
  files: files.map(({ reused: _r, blocks, ...f }) => ({ ...f, blocks: blocks.map(({ state: _s, ...b }) => ({ ...b, sha256: SHA })) })),
  dirs: [], skipped: [],
});

interface ObsOpts {
  files: LiveFile[];
  /** `<id>_<gs>` → lastModified */
  stored: Record<string, number>;
  manifests: number[];
  referenced?: string[] | undefined;
  openRuns?: string[];
  runBeats?: string[];
  /** release records: key → time, and ref → newest release time; default none (read, empty) */
  released?: { records: Record<string, number>; refs: Record<string, number> } | null;
  unfinished?: Observed['unfinished'];
  incomplete?: Array<{ key: string; uploadId: string; initiated: number }>;
  /** the manifests read: time → manifest (the newest becomes `newest`, all give `sizes`) */
  read?: Record<number, Manifest>;
  errors?: Observed['errors'];
}

function observed(now: number, o: ObsOpts): Observed {
  const part: BlocksPolicyObserved = {
    live: { blockPoolId: POOL, files: o.files, dirs: [], skipped: [] },
    store: {
      pool: POOL,
      blocks: Object.fromEntries(Object.entries(o.stored).map(([k, t]) => [k, { lastModified: t, size: 1 }])),
      manifests: o.manifests.map((t) => manifestKey('bk', t)),
      ...(o.referenced ? { referenced: o.referenced } : {}),
      ...(o.read ? readParts(o.read) : {}),
      openRuns: o.openRuns ?? [],
      ...(o.runBeats ? { runBeats: o.runBeats } : {}),
      ...(o.released === null ? {} : { released: o.released ?? { records: {}, refs: {} } }),
      incompleteUploads: o.incomplete ?? [],
    },
  };
  return { at: now, dirs: {}, unfinished: o.unfinished ?? [], errors: o.errors ?? [], parts: { blocks: { policies: { bk: part } } satisfies BlocksObserved } };
}

function readParts(read: Record<number, Manifest>): { newest?: Manifest; sizes: Record<string, { files: number; bytes: number }> } {
  const times = Object.keys(read).map(Number).sort((a, b) => a - b);
  const newest = times.length ? read[times[times.length - 1]!] : undefined;
  return {
    ...(newest ? { newest } : {}),
    sizes: Object.fromEntries(times.map((t) => [manifestKey('bk', t), { files: read[t]!.files.length, bytes: read[t]!.files.reduce((n, f) => n + f.length, 0) }])),
  };
}

const lines = (p: Plan) => p.steps.map((s) => `${s.action} ${s.kind} ${s.target.path}`);
const ref = (n: string) => `${POOL}/${n}`;

test('names: block keys, manifest keys and run markers round-trip; anything else is not hbr\'s', () => {
  assert.is(blockKey(POOL, 1073741825, 1001), `blocks/${POOL}/1073741825_1001`);
  assert.equal(parseBlockKey(`blocks/${POOL}/1073741825_1001`), { pool: POOL, id: 1073741825, gs: 1001 });
  for (const k of [`blocks/${POOL}/1073741825`, `blocks/${POOL}/x_1`, `blocks/${POOL}/-5_1001`, `blocks/nopool/1_2`, `blocks/${POOL}/99999999999999999_1`, `other/${POOL}/1_2`, `blocks/${POOL}/1_2/x`]) {
    assert.is(parseBlockKey(k), undefined, k);
  }
  assert.is(parseBlockRef(`${POOL}/7_8`)?.id, 7);
  const t = Date.UTC(2026, 10, 22, 13, 0, 0);
  assert.is(manifestKey('bk', t), 'manifests/bk/2026-11-22T13-00-00Z.json');
  assert.equal(parseManifestKey('manifests/bk/2026-11-22T13-00-00Z.json'), { policy: 'bk', time: t });
  assert.is(parseManifestKey('manifests/bk/2026-02-30T00-00-00Z.json'), undefined);
  assert.is(parseManifestKey('manifests/bk/latest.json'), undefined);
  assert.equal(parseOpenRunKey(openRunKey('bk', t)), { policy: 'bk', time: t });
});

test('manifest: round-trips; an unknown version, a gap in a file\'s blocks or a bad hash is refused', () => {
  const m = manifestOf(T0, [file('a/b.bin', [[10, 1001, 100], [11, 1002, 50]])]);
  assert.equal(parseManifest(serializeManifest(m), 'm'), m);
  assert.throws(() => validateManifest({ ...m, version: 2 }, 'm'), /version 2 is not one this hbr reads/);
  const gap = structuredClone(m);
  gap.files[0]!.blocks[1]!.offset = 120;
  assert.throws(() => validateManifest(gap, 'm'), /starts at 120, not 100/);
  const short = structuredClone(m);
  short.files[0]!.length = 999;
  assert.throws(() => validateManifest(short, 'm'), /cover 150 bytes of 999/);
  const bad = structuredClone(m);
  bad.files[0]!.blocks[0]!.sha256 = 'xyz';
  assert.throws(() => validateManifest(bad, 'm'), /malformed/);
  const escape = structuredClone(m);
  escape.files[0]!.path = '../etc/passwd';
  assert.throws(() => validateManifest(escape, 'm'), /malformed/);
  assert.throws(() => parseManifest('{', 'm'), /not JSON/);
  // the manifest step's walk (finding 9): kept when well formed, refused when not
  const walked = { ...m, walk: { start: T0 + 5000, end: T0 + 9000 } };
  assert.equal(parseManifest(serializeManifest(walked), 'm').walk, { start: T0 + 5000, end: T0 + 9000 });
  assert.throws(() => validateManifest({ ...m, walk: { start: T0 + 9000, end: T0 } }, 'm'), /'walk' is not/);
  assert.throws(() => validateManifest({ ...m, walk: 'later' }, 'm'), /'walk' is not/);
});

test('first run: every block once (a block two files share too), in batches, the manifest after all uploads', () => {
  const files = [file('a', [[1, 1, 10], [2, 1, 10]]), file('b', [[3, 1, 10]]), file('c', [])];
  const plan = planAll({ config: config(), observed: observed(T0, { files, stored: {}, manifests: [], referenced: [] }), now: T0 });
  assert.equal(lines(plan), [`+ blocks.upload blocks/${POOL}/1_1`, `+ blocks.manifest ${manifestKey('bk', T0)}`]);
  const up = plan.steps[0]!;
  assert.is((up.params as { blocks: unknown[] }).blocks.length, 3);
  assert.equal(plan.steps[1]!.dependsOn, [up.id]);
});

test('second run with nothing new: no upload, one manifest (the RPO); inside the interval nothing at all', () => {
  const files = [file('a', [[1, 1, 10]])];
  const o = { files, stored: { '1_1': T0 }, manifests: [T0], referenced: [ref('1_1')] };
  assert.equal(lines(planAll({ config: config(), observed: observed(T0 + D, o), now: T0 + D })), [`+ blocks.manifest ${manifestKey('bk', T0 + D)}`]);
  assert.equal(lines(planAll({ config: config(), observed: observed(T0 + H, o), now: T0 + H })), []);
});

test('append: only the new generation stamp of the last block is uploaded', () => {
  const o = { files: [file('a', [[1, 1, 10], [2, 2, 15]])], stored: { '1_1': T0, '2_1': T0 }, manifests: [T0], referenced: [ref('1_1'), ref('2_1')] };
  const plan = planAll({ config: config(), observed: observed(T0 + D, o), now: T0 + D });
  const up = plan.steps.find((s) => s.kind === 'blocks.upload')!;
  assert.equal((up.params as { blocks: Array<{ id: number; gs: number }> }).blocks.map((b) => `${b.id}_${b.gs}`), ['2_2']);
});

test('a block the cluster cannot serve and the store lacks is not uploaded and is warned about', () => {
  const f = file('a', [[1, 1, 10]]);
  f.blocks[0]!.state = 'missing';
  const plan = planAll({ config: config(), observed: observed(T0, { files: [f], stored: {}, manifests: [], referenced: [] }), now: T0 });
  assert.equal(lines(plan), [`+ blocks.manifest ${manifestKey('bk', T0)}`]);
  assert.ok(plan.warnings.some((w) => /cannot serve/.test(w.message)));
});

test('gc: only unreferenced blocks past gc_grace, in a plan that writes no manifest; checkSafety agrees', () => {
  const now = T0 + 3 * D + H;
  const o = {
    files: [file('a', [[1, 1, 10]])],
    // 1_1 live; 2_1 referenced by a kept manifest; 3_1 unreferenced and old; 4_1 unreferenced but young
    stored: { '1_1': T0, '2_1': T0, '3_1': T0, '4_1': now - H },
    manifests: [T0 + 2 * D, T0 + 3 * D],
    referenced: [ref('1_1'), ref('2_1')],
  };
  const plan = planAll({ config: config(), observed: observed(now, o), now });
  const gc = plan.steps.filter((s) => s.kind === 'blocks.gc');
  assert.equal(gc.map((s) => (s.params as { keys: string[] }).keys), [[ref('3_1')]]);
  assert.equal(checkSafety(plan, config(), observed(now, o)), []);
});

test('gc floors: each refuses an edited plan (referenced, live, grace, future, foreign, unfinished, unreadable manifest)', () => {
  const now = T0 + 3 * D + H;
  const base = { files: [file('a', [[1, 1, 10]])], stored: { '1_1': T0, '2_1': T0, '3_1': T0, '4_1': now - H, '5_1': now + D }, manifests: [T0 + 3 * D], referenced: [ref('2_1')] };
  const plan = planAll({ config: config(), observed: observed(now, base), now });
  const gc = plan.steps.find((s) => s.kind === 'blocks.gc')!;
  const rulesFor = (keys: string[], o: ObsOpts = base) => {
    const edited: Plan = { ...plan, steps: plan.steps.map((s) => (s === gc ? { ...s, params: { keys } } : s)) };
    return [...new Set(checkSafety(edited, config(), observed(now, o)).map((v) => v.rule))];
  };
  assert.equal(rulesFor([ref('3_1')]), []);
  assert.equal(rulesFor([ref('2_1')]), ['referenced']);
  assert.equal(rulesFor([ref('1_1')]), ['referenced'], 'a live block (the next manifest references it)');
  assert.equal(rulesFor([ref('4_1')]), ['grace']);
  assert.equal(rulesFor([ref('5_1')]), ['grace'], 'a block dated in the future');
  assert.equal(rulesFor(['BP-1-1.2.3.4-5/3_1']), ['foreign', 'grace']);
  assert.equal(rulesFor([ref('3_1')], { ...base, openRuns: [openRunKey('bk', now - 60_000)] }), ['unfinished']);
  assert.equal(rulesFor([ref('3_1')], { ...base, unfinished: [{ stepId: 'blocks.upload:s3:x', kind: 'blocks.upload', policy: 'bk', startedAt: now - H }] }), ['unfinished']);
  assert.equal(rulesFor([ref('3_1')], { ...base, referenced: undefined }), ['referenced'], 'a manifest could not be read');
});

test('a killed run: no gc planned, and the plan says why; the sweep aborts its uploads before any upload', () => {
  const now = T0 + 3 * D + H;
  const o = {
    files: [file('a', [[1, 1, 10]]), file('b', [[6, 1, 10]])],
    stored: { '1_1': T0, '3_1': T0 },
    manifests: [T0 + 3 * D],
    referenced: [ref('1_1')],
    unfinished: [{ stepId: 'blocks.upload:s3:x', kind: 'blocks.upload', policy: 'bk', startedAt: now - H }],
    openRuns: [openRunKey('bk', now - H)],
    incomplete: [{ key: `blocks/${POOL}/6_1`, uploadId: 'u1', initiated: now - H }],
  };
  const plan = planAll({ config: config(), observed: observed(now, o), now });
  assert.equal(plan.steps.filter((s) => s.kind === 'blocks.gc'), []);
  assert.ok(plan.warnings.some((w) => /garbage collection held: a run of policy bk is unfinished/.test(w.message)), JSON.stringify(plan.warnings));
  const sweep = plan.steps.find((s) => s.kind === 'blocks.sweep');
  assert.ok(sweep);
  const up = plan.steps.find((s) => s.kind === 'blocks.upload');
  assert.is(up, undefined, 'not due: the killed run is finished by the next due run');
  assert.equal(checkSafety(plan, config(), observed(now, o)), []);
});

test('a run killed after its manifest was written: its marker is stale, swept, and holds no gc (found by blocks-crash)', () => {
  const now = T0 + 3 * D + H;
  const o = { files: [file('a', [[1, 1, 10]])], stored: { '1_1': T0, '3_1': T0 }, manifests: [T0 + 3 * D], referenced: [ref('1_1')], openRuns: [openRunKey('bk', T0 + 3 * D)] };
  const plan = planAll({ config: config(), observed: observed(now, o), now });
  const sweep = plan.steps.find((s) => s.kind === 'blocks.sweep');
  assert.equal((sweep?.params as { keys?: string[] } | undefined)?.keys, [openRunKey('bk', T0 + 3 * D)]);
  assert.equal(plan.steps.filter((s) => s.kind === 'blocks.gc').flatMap((s) => (s.params as { keys: string[] }).keys), [ref('3_1')]);
  assert.equal(checkSafety(plan, config(), observed(now, o)), []);
  // a marker of a live run (younger than RUN_STALE_MS) is open: not swept (edited plan refused), gc held
  const open = { ...o, openRuns: [openRunKey('bk', now - 60_000)] };
  const p2 = planAll({ config: config(), observed: observed(now, open), now });
  assert.is(p2.steps.find((s) => s.kind === 'blocks.sweep'), undefined);
  assert.equal(p2.steps.filter((s) => s.kind === 'blocks.gc'), []);
  const edited = { ...plan, steps: plan.steps.map((s) => (s.kind === 'blocks.sweep' ? { ...s, params: { keys: open.openRuns } } : s)).filter((s) => s.kind !== 'blocks.gc') };
  assert.equal(checkSafety(edited, config(), observed(now, open)).map((v) => v.rule), ['unfinished']);
});

test('run markers (finding 8): a live run (marker or heartbeat within 10 min) is never swept, nor its uploads, even under a newer manifest; gc held', () => {
  const now = T0 + 3 * D + H;
  const runA = T0 + 3 * D; // started an hour ago, still beating
  const o = {
    files: [file('a', [[1, 1, 10]])],
    stored: { '1_1': T0, '3_1': T0 },
    // another process's run wrote a newer manifest meanwhile
    manifests: [T0 + 3 * D + 30 * 60_000],
    referenced: [ref('1_1')],
    openRuns: [openRunKey('bk', runA)],
    runBeats: [runBeatKey('bk', runA, now - 60_000)],
    incomplete: [{ key: `blocks/${POOL}/6_1`, uploadId: 'u1', initiated: now - 30_000 }],
  };
  const plan = planAll({ config: config(), observed: observed(now, o), now });
  assert.is(plan.steps.find((s) => s.kind === 'blocks.sweep'), undefined, lines(plan).join('\n'));
  assert.equal(plan.steps.filter((s) => s.kind === 'blocks.gc'), []);
  assert.ok(plan.warnings.some((w) => /not swept: a run of policy bk is alive/.test(w.message)), JSON.stringify(plan.warnings));
  assert.ok(plan.warnings.some((w) => /garbage collection held: a run of policy bk is unfinished .*alive/.test(w.message)), JSON.stringify(plan.warnings));
  const sweep = { id: 'blocks.sweep:x', kind: 'blocks.sweep', action: 'delete', policy: 'bk', target: { cluster: 's3', path: 'blocks/' }, params: { uploads: [{ key: `blocks/${POOL}/6_1`, uploadId: 'u1' }], keys: [openRunKey('bk', runA)] }, reason: '', dependsOn: [] } as unknown as Plan['steps'][number];
  assert.equal([...new Set(checkSafety({ ...plan, steps: [...plan.steps, sweep] }, config(), observed(now, o)).map((v) => v.rule))], ['unfinished']);
});

test('run markers: a dead run (nothing for 10 min) is swept with its heartbeats and holds gc only until then; one dated in the future is reported and holds nothing', () => {
  const now = T0 + 3 * D + H;
  const runA = T0 + 3 * D + 10 * 60_000;
  const base = { files: [file('a', [[1, 1, 10]])], stored: { '1_1': T0, '3_1': T0 }, manifests: [T0 + 3 * D], referenced: [ref('1_1')] };
  const dead = { ...base, openRuns: [openRunKey('bk', runA)], runBeats: [runBeatKey('bk', runA, now - 11 * 60_000), runBeatKey('bk', T0, T0 + 60_000)] };
  const p1 = planAll({ config: config(), observed: observed(now, dead), now });
  const sweep = p1.steps.find((s) => s.kind === 'blocks.sweep');
  assert.equal((sweep?.params as { keys?: string[] }).keys, [runBeatKey('bk', T0, T0 + 60_000), runBeatKey('bk', runA, now - 11 * 60_000), openRunKey('bk', runA)].sort());
  assert.match(sweep!.reason, /dead runs \(no heartbeat for 10 min/);
  assert.equal(p1.steps.filter((s) => s.kind === 'blocks.gc'), [], 'held until the marker is swept');
  assert.equal(checkSafety(p1, config(), observed(now, dead)), []);
  // swept: the next plan collects
  const p2 = planAll({ config: config(), observed: observed(now, base), now });
  assert.equal(p2.steps.filter((s) => s.kind === 'blocks.gc').flatMap((s) => (s.params as { keys: string[] }).keys), [ref('3_1')]);
  // a marker dated a day ahead: reported, not swept, no hold on gc
  const future = { ...base, openRuns: [openRunKey('bk', now + D)] };
  const p3 = planAll({ config: config(), observed: observed(now, future), now });
  assert.ok(p3.warnings.some((w) => /run marker or heartbeat of policy bk dated in the future .*holds nothing/.test(w.message)), JSON.stringify(p3.warnings));
  assert.is(p3.steps.find((s) => s.kind === 'blocks.sweep'), undefined);
  assert.equal(p3.steps.filter((s) => s.kind === 'blocks.gc').flatMap((s) => (s.params as { keys: string[] }).keys), [ref('3_1')]);
  assert.equal(checkSafety(p3, config(), observed(now, future)), []);
  // a heartbeat dated in the future does not keep a marker alive
  const fb = { ...base, openRuns: [openRunKey('bk', runA)], runBeats: [runBeatKey('bk', runA, now + D)] };
  const p4 = planAll({ config: config(), observed: observed(now, fb), now });
  assert.equal((p4.steps.find((s) => s.kind === 'blocks.sweep')?.params as { keys?: string[] }).keys, [openRunKey('bk', runA)]);
  assert.equal(parseRunBeatKey(runBeatKey('bk', runA, now)), { policy: 'bk', run: runA, time: now });
});

test('gc_grace counts from the release (the last referencing manifest deleted), not the upload; old release records are swept; an unreadable one holds gc', () => {
  const now = T0 + 10 * D;
  const rel = releasedKey('bk', now - H, T0);
  const old = releasedKey('bk', now - 3 * D, T0 - D);
  const base = { files: [file('a', [[1, 1, 10]])], stored: { '1_1': T0, '3_1': T0, '4_1': T0 }, manifests: [now - 2 * H], referenced: [ref('1_1')] };
  const o = { ...base, released: { records: { [rel]: now - H, [old]: now - 3 * D }, refs: { [ref('3_1')]: now - H, [ref('4_1')]: now - 3 * D } } };
  const plan = planAll({ config: config(), observed: observed(now, o), now });
  // 3_1 was uploaded 10 days ago but released an hour ago: kept; 4_1 released 3 days ago: collected
  assert.equal(plan.steps.filter((s) => s.kind === 'blocks.gc').flatMap((s) => (s.params as { keys: string[] }).keys), [ref('4_1')]);
  assert.equal((plan.steps.find((s) => s.kind === 'blocks.sweep')?.params as { keys?: string[] }).keys, [old]);
  assert.equal(checkSafety(plan, config(), observed(now, o)), []);
  const gc = plan.steps.find((s) => s.kind === 'blocks.gc')!;
  const sweep = plan.steps.find((s) => s.kind === 'blocks.sweep')!;
  const edited: Plan = { ...plan, steps: plan.steps.map((s) => (s === gc ? { ...s, params: { keys: [ref('3_1')] } } : s === sweep ? { ...s, params: { keys: [rel] } } : s)) };
  assert.equal([...new Set(checkSafety(edited, config(), observed(now, o)).map((v) => v.rule))], ['grace']);
  // a release dated in the future keeps its blocks; an unreadable record holds every gc
  const future = { ...base, released: { records: { [releasedKey('bk', now + D, T0)]: now + D }, refs: { [ref('3_1')]: now + D } } };
  assert.equal(planAll({ config: config(), observed: observed(now, future), now }).steps.filter((s) => s.kind === 'blocks.gc').flatMap((s) => (s.params as { keys: string[] }).keys), [ref('4_1')]);
  const unread = planAll({ config: config(), observed: observed(now, { ...base, released: null }), now });
  assert.equal(unread.steps.filter((s) => s.kind === 'blocks.gc'), []);
  assert.ok(unread.warnings.some((w) => /release record .* could not be read/.test(w.message)));
  assert.equal(parseReleasedKey(rel), { policy: 'bk', time: now - H, manifest: T0 });
});

test('manifest retention keeps the newest and never trusts a future name; a delete runs after the new manifest', () => {
  const now = T0 + 5 * D;
  const o = { files: [file('a', [[1, 1, 10]])], stored: { '1_1': T0 }, manifests: [T0, T0 + D, T0 + 2 * D, now + 10 * D], referenced: [ref('1_1')] };
  const plan = planAll({ config: config({ keep: { last: 1 } }), observed: observed(now, o), now });
  const dels = plan.steps.filter((s) => s.kind === 'blocks.manifest.delete');
  // the newest observed manifest stays until a later plan (the floor), though keep last 1 counts the new one
  assert.equal(dels.map((s) => s.target.path).sort(), [manifestKey('bk', T0), manifestKey('bk', T0 + D)]);
  const m = plan.steps.find((s) => s.kind === 'blocks.manifest')!;
  assert.ok(dels.every((d) => d.dependsOn.includes(m.id)));
  assert.ok(plan.warnings.some((w) => /dated in the future/.test(w.message)));
  // edited: deleting the future one, or the newest with no new manifest, is refused
  const edit = (path: string, steps = plan.steps.filter((s) => s.kind !== 'blocks.manifest')) => {
    const d = { ...dels[0]!, id: `x:${path}`, target: { ...dels[0]!.target, path }, params: { keys: [path] }, dependsOn: [] };
    return checkSafety({ ...plan, steps: [...steps, d] }, config({ keep: { last: 1 } }), observed(now, o)).map((v) => v.rule);
  };
  assert.ok(edit(manifestKey('bk', now + 10 * D)).includes('future'));
  assert.ok(edit(manifestKey('bk', T0 + 2 * D)).includes('last-recovery-point'));
  assert.ok(edit('manifests/other/2026-11-01T03-00-00Z.json').includes('foreign'));
});

test('mass deletion (#12 finding 1): an emptied source is held; no manifest, no retention, no gc until --allow-overwrite', () => {
  const keep = {};
  const a = file('a', [[1, 1, 10]]);
  const M1 = manifestOf(T0, [a]);
  const old = T0 - 90 * D;
  // plan 1: the walk finds nothing, the newest manifest had a file
  const o1 = { files: [], stored: { '1_1': old }, manifests: [T0], referenced: [ref('1_1')], read: { [T0]: M1 } };
  const now1 = T0 + D;
  const p1 = planAll({ config: config({ keep }), observed: observed(now1, o1), now: now1 });
  assert.equal(lines(p1), []);
  assert.equal(p1.holds?.map((h) => [h.policy, h.reason, h.target]), [['bk', 'mass-change', 'prod:/data']]);
  assert.ok(p1.warnings.some((w) => /declares no backup\.keep/.test(w.message)), 'an omitted keep is warned about');
  assert.match(p1.holds![0]!.message, /1 of 1 files .*max_change 50%.*--allow-overwrite prod:\/data/);
  // the operator allows it: the (empty) manifest is written, shown as a replace, and not held at apply time
  const allowed = planAll({ config: config({ keep }), observed: observed(now1, o1), now: now1, allowOverwrite: ['prod:/data'] });
  assert.equal(lines(allowed), [`-/+ blocks.manifest ${manifestKey('bk', now1)}`]);
  assert.equal(allowed.steps[0]!.params, { runAt: now1, allowMassChange: true });
  assert.equal(checkSafety(allowed, config({ keep }), observed(now1, o1)), []);
  // plans 2 and 3: the empty manifest is the newest; the last good one and its blocks stay
  const M2 = manifestOf(now1, []);
  for (const now of [T0 + 2 * D, T0 + 3 * D]) {
    const o = { files: [], stored: { '1_1': old }, manifests: [T0, now1], referenced: [ref('1_1')], read: { [T0]: M1, [now1]: M2 } };
    const p = planAll({ config: config({ keep }), observed: observed(now, o), now });
    assert.equal(lines(p), [`+ blocks.manifest ${manifestKey('bk', now)}`]);
    assert.equal(p.holds ?? [], []);
    const d = { ...p.steps[0]!, id: 'x', kind: 'blocks.manifest.delete', action: '-', target: { cluster: 's3', path: manifestKey('bk', T0) }, params: { keys: [manifestKey('bk', T0)] }, dependsOn: [p.steps[0]!.id] } as Plan['steps'][number];
    assert.equal(checkSafety({ ...p, steps: [...p.steps, d] }, config({ keep }), observed(now, o)).map((v) => v.rule), ['last-recovery-point']);
  }
  // a source that holds half again makes its manifest the last good one
  const half = { files: [a], stored: { '1_1': old }, manifests: [T0, now1, T0 + 2 * D], referenced: [ref('1_1')], read: { [T0]: M1, [now1]: M2, [T0 + 2 * D]: manifestOf(T0 + 2 * D, [a]) } };
  const p4 = planAll({ config: config({ keep }), observed: observed(T0 + 4 * D, half), now: T0 + 4 * D });
  assert.ok(lines(p4).includes(`- blocks.manifest.delete ${manifestKey('bk', T0)}`), lines(p4).join('\n'));
});

test('mass deletion: a held plan\'s deletes are refused by checkSafety; a small change is not held', () => {
  const a = file('a', [[1, 1, 10]]);
  const b = file('b', [[2, 1, 10]]);
  const c = file('c', [[3, 1, 10]]);
  const M1 = manifestOf(T0, [a, b, c]);
  const o = { files: [a, b], stored: { '1_1': T0, '2_1': T0, '3_1': T0 }, manifests: [T0], referenced: [ref('1_1'), ref('2_1'), ref('3_1')], read: { [T0]: M1 } };
  assert.equal(planAll({ config: config(), observed: observed(T0 + D, o), now: T0 + D }).holds ?? [], []);
  const gone = { ...o, files: [a] };
  const p = planAll({ config: config(), observed: observed(T0 + D, gone), now: T0 + D });
  assert.equal(p.holds?.length, 1);
  const d = { id: 'x', kind: 'blocks.manifest.delete', action: '-', policy: 'bk', target: { cluster: 's3', path: manifestKey('bk', T0) }, params: { keys: [manifestKey('bk', T0)] }, reason: '', dependsOn: [] } as unknown as Plan['steps'][number];
  assert.ok(checkSafety({ ...p, steps: [d] }, config(), observed(T0 + D, gone)).map((v) => v.rule).includes('held'));
});

test('mass deletion at apply time: the manifest executor\'s re-check refuses unless the plan carried --allow-overwrite', () => {
  const p = (config().policies.bk as BlocksPolicy);
  const prev = { key: manifestKey('bk', T0), manifest: manifestOf(T0, [file('a', [[1, 1, 10]]), file('b', [[2, 1, 10]])]) };
  assert.throws(() => refuseMassChange(p, prev, [], undefined), /held at apply time: 2 of 2 files.*--allow-overwrite prod:\/data/);
  assert.throws(() => refuseMassChange(p, prev, [{ path: 'a', fileId: 9, length: 10, mtime: 2 }], undefined), /1 deleted, 1 rewritten/);
  // a file hbr restored: a new fileId, the manifest's length and mtime — not a rewrite
  refuseMassChange(p, prev, [{ path: 'a', fileId: 9, length: 10, mtime: 1 }, { path: 'b', fileId: 8, length: 10, mtime: 1 }], undefined);
  refuseMassChange(p, prev, [], true);
  refuseMassChange(p, prev, [{ path: 'a', fileId: 1, length: 20, mtime: 5 }], undefined); // an append, one deleted of two: 50% is not more than 50%
  refuseMassChange({ ...p, backup: { ...p.backup, maxChange: 1 } }, prev, [], undefined);
  refuseMassChange(p, undefined, [], undefined);
});

test('an unreadable newest manifest (#12 finding 5): retention deletes no manifest', () => {
  const a = file('a', [[1, 1, 10]]);
  const now = T0 + 3 * D + H;
  // the newest (T0+2D) is unreadable: no `newest`, no `referenced`, an error observed
  const o = { files: [a], stored: { '1_1': T0 }, manifests: [T0, T0 + D, T0 + 2 * D], read: { [T0]: manifestOf(T0, [a]), [T0 + D]: manifestOf(T0 + D, [a]) }, errors: [{ cluster: 's3', path: 'manifests/', message: 'cannot read manifest' }] };
  const obs = observed(now, o);
  delete (obs.parts!.blocks as BlocksObserved).policies.bk!.store!.newest;
  const plan = planAll({ config: config({ keep: { last: 1 } }), observed: obs, now });
  assert.equal(plan.steps.filter((s) => s.kind === 'blocks.manifest.delete').map((s) => s.target.path), []);
  const d = { id: 'x', kind: 'blocks.manifest.delete', action: '-', policy: 'bk', target: { cluster: 's3', path: manifestKey('bk', T0) }, params: { keys: [manifestKey('bk', T0)] }, reason: '', dependsOn: plan.steps.filter((s) => s.kind === 'blocks.manifest').map((s) => s.id) } as unknown as Plan['steps'][number];
  assert.ok(checkSafety({ ...plan, steps: [...plan.steps, d] }, config({ keep: { last: 1 } }), obs).map((v) => v.rule).includes('unverifiable'));
});

test('property: whatever the store holds, no planned gc touches a referenced, live, young or foreign block, and checkSafety passes', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ id: fc.integer({ min: 1, max: 40 }), age: fc.integer({ min: 0, max: 10 * D }), ref: fc.boolean(), live: fc.boolean() }), { maxLength: 40 }),
      fc.boolean(),
      fc.boolean(),
      (blocks, due, open) => {
        const now = T0 + 20 * D;
        const stored: Record<string, number> = {};
        const referenced: string[] = [];
        const live: Array<[number, number, number]> = [];
        for (const b of blocks) {
          stored[`${b.id}_1`] = now - b.age;
          if (b.ref) referenced.push(ref(`${b.id}_1`));
          if (b.live && !live.some((l) => l[0] === b.id)) live.push([b.id, 1, 10]);
        }
        const o = { files: live.length ? [file('a', live)] : [], stored, manifests: [due ? now - 2 * D : now - H], referenced, ...(open ? { openRuns: [openRunKey('bk', now - 60_000)] } : {}) };
        const obs = observed(now, o);
        const plan = planAll({ config: config({ grace: 3 * D }), observed: obs, now });
        const collected = plan.steps.filter((s) => s.kind === 'blocks.gc').flatMap((s) => (s.params as { keys: string[] }).keys);
        for (const k of collected) {
          const n = k.slice(POOL.length + 1);
          if (referenced.includes(k) || live.some((l) => `${l[0]}_1` === n) || now - stored[n]! < 3 * D) return false;
        }
        if ((due || open) && collected.length) return false;
        return checkSafety(plan, config({ grace: 3 * D }), obs).length === 0;
      },
    ),
    { numRuns: 300 },
  );
});

test.run();
