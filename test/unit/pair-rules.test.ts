/**
 * The shared DR pair rules (src/planner/pair-rules.ts), used by HDFS (src/systems/hdfs/replication.ts)
 * and Ozone (src/systems/ozone/plan.ts): examples of each rule, and properties over random pairs
 * checked against an oracle written here, plus "the same pair in Ozone's lower-case names decides
 * the same".
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { LOWER_CASE_NAMING, snapshotName } from '../../src/model/names.js';
import type { ObservedDir } from '../../src/model/observed.js';
import { decidePair, type PairDecision, type PairInput } from '../../src/planner/pair-rules.js';

const H = 3_600_000;
const BASE = Date.UTC(2030, 0, 1);
const NOW = BASE + 100 * H;

function dir(names: string[], extra: Partial<ObservedDir> = {}): ObservedDir {
  return { cluster: 'c', path: '/p', exists: true, snapshottable: true, snapshots: names.map((name) => ({ name, createdAt: 0 })), ...extra };
}
const at = (h: number) => snapshotName(BASE + h * H);

function input(source: ObservedDir, target: ObservedDir, newest: string, more: Partial<PairInput> = {}): PairInput {
  return { sourceText: 'a:/s', targetText: 'b:/t', source, target, newest, until: NOW, resuming: false, allowOverwrite: false, unit: 'files', ...more };
}

test('no target, an empty target, a resumed copy: bootstrap', () => {
  const S = dir([at(1)]);
  assert.equal(decidePair(input(S, { ...dir([]), exists: false }, at(1))), { rule: 'bootstrap', target: 'absent' });
  assert.equal(decidePair(input(S, dir([], { size: { files: 0, bytes: 0 } }), at(1))), { rule: 'bootstrap', target: 'empty' });
  assert.equal(decidePair(input(S, dir([], { size: { files: 3, bytes: 9 } }), at(1), { resuming: true })), { rule: 'bootstrap', target: 'resuming' });
});

test('a target holding data or snapshots, sharing none: held, a replace only with the operator word', () => {
  const S = dir([at(1)]);
  const T = dir(['manual'], { size: { files: 3, bytes: 9 } });
  const held = decidePair(input(S, T, at(1), { unit: 'keys' }));
  assert.is(held.rule, 'held-diverged');
  assert.match((held as { message: string }).message, 'b:/t holds 3 keys, 9 bytes and 1 snapshot but shares no snapshot with a:/s');
  assert.not.match((held as { message: string }).message, 'promote');
  assert.match((decidePair(input(S, T, at(1), { promoteHint: true })) as { message: string }).message, 'promote b:/t, or allow');
  assert.equal(decidePair(input(S, T, at(1), { allowOverwrite: true })), { rule: 'bootstrap-replace', what: '3 files, 9 bytes and 1 snapshot' });
  // unknown size is not empty
  assert.is(decidePair(input(S, dir([]), at(1))).rule, 'held-diverged');
});

test('common = newest: in sync, with the target state since it', () => {
  const S = dir([at(1), at(2)]);
  const T = dir([at(1), at(2)], { changedSince: { snapshot: at(2), changed: true, entries: 2, shown: ['+ ./x'] } });
  assert.equal(decidePair(input(S, T, at(2))), { rule: 'in-sync', common: at(2), since: { state: 'changed', entries: 2, shown: ['+ ./x'] } });
  assert.equal(decidePair(input(S, dir([at(2)]), at(2))).rule, 'in-sync');
  assert.equal((decidePair(input(S, dir([at(2)]), at(2))) as { since: unknown }).since, { state: 'unknown', detail: 'no changedSince' });
});

test('a newer source snapshot: incremental; a mass change held, a replace with the word', () => {
  const S = dir([at(1), at(2), at(3)]);
  const T = dir([at(1)], { changedSince: { snapshot: at(1), changed: false, entries: 0 }, sourceChangedSince: { snapshot: at(1), files: 10, deleted: 6, modified: 0 } });
  const held = decidePair(input(S, T, at(3)));
  assert.is(held.rule, 'held-mass-change');
  assert.match((held as { message: string }).message, '6 of 10 files (60%: 6 deleted, 0 rewritten) changed on a:/s since');
  const allowed = decidePair(input(S, T, at(3), { allowOverwrite: true }));
  assert.is(allowed.rule, 'incremental');
  assert.ok((allowed as { mass?: string }).mass);
  assert.equal(decidePair(input(S, T, at(3), { maxChange: 0.75 })), { rule: 'incremental', common: at(1), since: { state: 'unchanged' } });
});

test('a future-dated common name is not trusted; a common handed in (HDFS re-anchoring) wins', () => {
  const future = snapshotName(NOW + 48 * H);
  const S = dir([at(1), future]);
  const T = dir([at(1), future]);
  assert.is((decidePair(input(S, T, at(1))) as { common: string }).common, at(1));
  assert.is((decidePair(input(S, dir([at(1)]), at(2), { common: at(2) })) as { common: string }).common, at(2));
});

// --- properties ---

const pairArb = fc.record({
  hours: fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 12 }),
  onTarget: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  foreign: fc.boolean(),
  exists: fc.boolean(),
  size: fc.option(fc.record({ files: fc.nat(5), bytes: fc.nat(50) }), { nil: undefined }),
  changed: fc.constantFrom('unchanged', 'changed', 'other', 'none'),
  deleted: fc.nat(10),
  resuming: fc.boolean(),
  allow: fc.boolean(),
});

type Case = typeof pairArb extends fc.Arbitrary<infer T> ? T : never;

function build(c: Case, lower: boolean): PairInput {
  const nm = (h: number) => (lower ? at(h).toLowerCase() : at(h));
  const src = c.hours.map(nm);
  const tgt = c.hours.filter((_, i) => c.onTarget[i]).map(nm);
  if (c.foreign) tgt.push('manual');
  const trusted = c.hours.filter((h) => BASE + h * H <= NOW + 5 * 60_000);
  const common = c.hours.filter((h, i) => c.onTarget[i] && trusted.includes(h)).sort((a, b) => b - a)[0];
  const newest = Math.max(...c.hours);
  const cs = common === undefined ? undefined : c.changed === 'none' ? undefined : { snapshot: c.changed === 'other' ? 'x' : nm(common), changed: c.changed === 'changed', entries: c.changed === 'changed' ? 1 : 0 };
  const T = dir(tgt, {
    exists: c.exists,
    ...(c.size ? { size: c.size } : {}),
    ...(cs ? { changedSince: cs } : {}),
    ...(common !== undefined ? { sourceChangedSince: { snapshot: nm(common), files: 10, deleted: c.deleted, modified: 0 } } : {}),
  });
  return input(dir(src), T, nm(newest), { resuming: c.resuming && tgt.length === 0, allowOverwrite: c.allow, ...(lower ? { parse: LOWER_CASE_NAMING.parse, unit: 'keys' as const } : {}) });
}

/** the oracle: the rules as docs/policies.md states them */
function expected(c: Case): string {
  const tgtHours = c.hours.filter((_, i) => c.onTarget[i]);
  const common = tgtHours.filter((h) => BASE + h * H <= NOW + 5 * 60_000).sort((a, b) => b - a)[0];
  if (!c.exists) return 'bootstrap';
  if (common === undefined) {
    const resuming = c.resuming && tgtHours.length === 0 && !c.foreign;
    if (resuming) return 'bootstrap';
    const holds = c.foreign || tgtHours.length > 0 || !c.size || c.size.files > 0 || c.size.bytes > 0;
    if (!holds) return 'bootstrap';
    return c.allow ? 'bootstrap-replace' : 'held-diverged';
  }
  if (common === Math.max(...c.hours)) return 'in-sync';
  return c.deleted > 5 && !c.allow ? 'held-mass-change' : 'incremental';
}

const strip = (d: PairDecision) => JSON.stringify({ ...d, message: undefined, what: undefined, mass: undefined }).toLowerCase();

test('property: the decision follows the rules, and never copies over a diverged or mass-changed pair without the word', () => {
  fc.assert(
    fc.property(pairArb, (c) => {
      // the resuming mark is only ever handed in for a target without snapshots (both rooms check that)
      const inp = build(c, false);
      if (inp.target.snapshots.length > 0) inp.resuming = false;
      const d = decidePair(inp);
      const want = expected({ ...c, resuming: inp.resuming && !c.foreign });
      assert.is(d.rule, want);
      if (!c.allow) assert.ok(d.rule !== 'bootstrap-replace' && !(d.rule === 'incremental' && d.mass));
    }),
    { numRuns: 500 },
  );
});

test('property: Ozone lower-case names decide as HDFS names do', () => {
  fc.assert(
    fc.property(pairArb, (c) => {
      const hdfs = build(c, false);
      const oz = build(c, true);
      if (hdfs.target.snapshots.length > 0) hdfs.resuming = oz.resuming = false;
      assert.is(strip(decidePair(oz)), strip(decidePair(hdfs)));
    }),
    { numRuns: 300 },
  );
});

test.run();
