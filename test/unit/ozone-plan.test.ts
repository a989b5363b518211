/**
 * The Ozone system's pure parts (src/systems/ozone, docs/ozone.md): its lower-case hbr names, the
 * plan of a bucket pair (bootstrap, -diff, a diverged DR bucket held), retention with the shared
 * floors (a hand-made snapshot never deleted, the newest common kept), the safety re-check, and
 * the max_change hold of a mass deletion on the source (src/planner/mass-change.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LOWER_CASE_NAMING, snapshotName } from '../../src/model/names.js';
import { dirKey, type ObservedDir } from '../../src/model/observed.js';
import { Action, type Plan } from '../../src/model/plan.js';
import type { Config, Keep } from '../../src/model/policy.js';
import { checkSafety, planAll } from '../../src/planner/plan.js';
import { countSourceChange, type TreeChange } from '../../src/systems/ozone/changes.js';
import type { OzoneCluster, OzonePolicy } from '../../src/systems/ozone/types.js';
import { ozonePoints } from '../../src/systems/ozone/recovery.js';
import { at, H, observed } from './helpers-planner.js';
import { loadConfig } from '../../src/schema/load.js';
import { expectOne, fixture, removeFixtures } from '../fixtures/policy-errors.js';

const loc0 = { file: 'test.yaml', line: 1, col: 1 };
const NOW = at('2026-11-22T13:00:00Z');
const oz = (t: number) => LOWER_CASE_NAMING.name(t);
const SRC = { cluster: 'oz1', path: '/vol1/sales' };
const DR = { cluster: 'oz2', path: '/vol1/sales' };

function cfg(keep: Keep = {}, drKeep: Keep = {}, replicate = true): Config {
  const cluster = (name: string, port: number): OzoneCluster => ({ name, kind: 'ozone', om: `${name}:${port}`, httpfs: `http://${name}:14000`, fs: `ofs://${name}:${port}`, at: loc0 });
  const p: OzonePolicy = {
    name: 'sales',
    kind: 'ozone-snapshots',
    source: { cluster: 'oz1', volume: 'vol1', bucket: 'sales' },
    snapshots: { schedule: { every: H }, keep },
    replicate: replicate ? [{ cluster: 'oz2', volume: 'vol1', keep: drKeep }] : [],
    at: loc0,
  };
  return { clusters: { oz1: cluster('oz1', 9862), oz2: cluster('oz2', 9862) }, stores: {}, policies: { sales: p }, webhooks: {}, files: ['test.yaml'] };
}

function bucket(l: { cluster: string; path: string }, snaps: string[], o: { exists?: boolean; size?: ObservedDir['size'] } = {}): ObservedDir {
  const exists = o.exists ?? true;
  return {
    ...l,
    exists,
    snapshottable: exists,
    snapshots: snaps.map((name, i) => ({ name, createdAt: LOWER_CASE_NAMING.parse(name) ?? i })).sort((a, b) => a.createdAt - b.createdAt),
    ...(o.size ? { size: o.size } : {}),
  };
}

const summary = (plan: Plan) => plan.steps.map((s) => `${s.action} ${s.kind} ${s.target.cluster}:${s.target.path}${s.target.snapshot ? `@${s.target.snapshot}` : ''}`);

test('names: lower-case on Ozone (it refuses upper-case snapshot names); each form is foreign to the other', () => {
  assert.is(oz(NOW), 'hbr-20261122t130000z');
  assert.is(LOWER_CASE_NAMING.parse('hbr-20261122t130000z'), NOW);
  assert.is(LOWER_CASE_NAMING.parse(snapshotName(NOW)), undefined, "HDFS's form is not hbr's on Ozone");
  assert.is(LOWER_CASE_NAMING.parse('hbr-20261131t130000z'), undefined, 'an impossible date');
  assert.is(LOWER_CASE_NAMING.parse('hbr-20261122t130000z-copy'), undefined);
});

test('a fresh pair: create, bootstrap into a bucket that does not exist, the same name on DR; then nothing', () => {
  const c = cfg({ last: 2 }, { last: 2 });
  const obs = observed([bucket(SRC, [], { size: { bytes: 10, files: 1 } }), bucket(DR, [], { exists: false })]);
  const plan = planAll({ config: c, observed: obs, now: NOW });
  const n = oz(NOW);
  assert.equal(summary(plan), [`+ ozone.snapshot.create oz1:/vol1/sales@${n}`, `+ ozone.replicate.bootstrap oz2:/vol1/sales@${n}`, `+ ozone.snapshot.create oz2:/vol1/sales@${n}`]);
  assert.equal(plan.steps[1]!.params, { source: SRC, toSnapshot: n, expectEmpty: true }, 'the executor re-checks that the bucket is still empty');
  assert.equal(plan.steps[1]!.dependsOn, [plan.steps[0]!.id]);
  assert.equal(plan.steps[2]!.dependsOn, [plan.steps[1]!.id]);
  const after = observed([bucket(SRC, [n]), bucket(DR, [n])]);
  assert.equal(planAll({ config: c, observed: after, now: NOW + H / 2 }).steps, []);
});

test('incremental: -diff from the newest common; retention keeps last 2 plus the floors, never a hand-made snapshot', () => {
  const c = cfg({ last: 2 }, { last: 2 });
  const t = [0, 1, 2].map((h) => oz(NOW - (3 - h) * H));
  const obs = observed([bucket(SRC, ['before-upgrade', ...t]), bucket(DR, ['by-hand', ...t])]);
  const plan = planAll({ config: c, observed: obs, now: NOW });
  const n = oz(NOW);
  assert.equal(summary(plan), [
    `+ ozone.snapshot.create oz1:/vol1/sales@${n}`,
    `~ ozone.replicate.diff oz2:/vol1/sales@${n}`,
    `+ ozone.snapshot.create oz2:/vol1/sales@${n}`,
    `- ozone.snapshot.delete oz1:/vol1/sales@${t[0]}`,
    `- ozone.snapshot.delete oz1:/vol1/sales@${t[1]}`,
    `- ozone.snapshot.delete oz2:/vol1/sales@${t[0]}`,
    `- ozone.snapshot.delete oz2:/vol1/sales@${t[1]}`,
  ]);
  assert.equal(plan.steps[1]!.params, { source: SRC, fromSnapshot: t[2], toSnapshot: n });
  // a source delete waits for the new common snapshot on DR (delete-order)
  assert.ok(plan.steps[3]!.dependsOn.includes(plan.steps[2]!.id));
  assert.equal(checkSafety(plan, c, obs), []);
});

test('a DistCp temporary snapshot an interrupted -diff left on the DR bucket is reported, never deleted; other names are not reported', () => {
  const c = cfg({ last: 2 }, { last: 2 });
  const t = [0, 1, 2].map((h) => oz(NOW - (3 - h) * H));
  const temp = 'temp0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4ds20261122-120102.345';
  const obs = observed([bucket(SRC, t), bucket(DR, [temp, 'temp-by-hand', ...t])]);
  const plan = planAll({ config: c, observed: obs, now: NOW });
  assert.ok(!plan.steps.some((s) => s.target.snapshot === temp || s.target.snapshot === 'temp-by-hand'), 'nothing done to either');
  const warned = plan.warnings.filter((w) => /temporary snapshot/.test(w.message));
  assert.is(warned.length, 1);
  assert.match(warned[0]!.message, new RegExp(`oz2:/vol1/sales holds 1 temporary snapshot .*\\(${temp}\\).*ozone sh snapshot delete /vol1/sales <name>`));
  assert.equal(checkSafety(plan, c, obs), []);
});

test('the floors refuse a hand-made, the newest common, or a not-replicated snapshot, whatever a saved plan says', () => {
  const c = cfg({ last: 1 });
  const [a, b2] = [oz(NOW - 2 * H), oz(NOW - H)];
  const obs = observed([bucket(SRC, ['by-hand', a, b2]), bucket(DR, [a])]);
  const del = (snapshot: string) => ({
    id: `ozone.snapshot.delete:oz1:/vol1/sales@${snapshot}`,
    kind: 'ozone.snapshot.delete',
    action: Action.Delete,
    policy: 'sales',
    target: { ...SRC, snapshot },
    params: {},
    reason: 'edited',
    dependsOn: [],
  });
  const plan: Plan = { version: 1, createdAt: NOW, steps: [del('by-hand'), del(a), del(b2)], warnings: [] } as unknown as Plan;
  const rules = checkSafety(plan, c, obs).map((d) => `${d.snapshot}:${d.rule}`);
  assert.ok(rules.includes('by-hand:foreign'), rules.join(' '));
  assert.ok(rules.includes(`${a}:newest-common`), rules.join(' '));
  assert.ok(rules.includes(`${b2}:not-replicated`), rules.join(' '));
  assert.ok(rules.includes(`${b2}:last-recovery-point`), rules.join(' '));
});

test('a DR bucket with keys but no common snapshot is held, deletes nothing; --allow-overwrite makes it a -/+ replace', () => {
  const c = cfg({ last: 1 }, { last: 1 });
  const obs = observed([bucket(SRC, [oz(NOW - H)]), bucket(DR, ['theirs'], { size: { bytes: 5, files: 1 } })]);
  const plan = planAll({ config: c, observed: obs, now: NOW });
  assert.equal(plan.holds?.map((h) => `${h.reason} ${h.target}`), ['diverged oz2:/vol1/sales']);
  assert.not.ok(plan.steps.some((s) => s.kind !== 'ozone.snapshot.create' || s.target.cluster !== 'oz1'), summary(plan).join('\n'));
  const allowed = planAll({ config: c, observed: obs, now: NOW, allowOverwrite: ['oz2:/vol1/sales'] });
  const boot = allowed.steps.find((s) => s.kind === 'ozone.replicate.bootstrap');
  assert.is(boot?.action, Action.Replace);
  assert.match(boot!.reason, /REPLACES the diverged target/);
});

test('a bucket not observed plans nothing there and deletes nothing', () => {
  const c = cfg({ last: 1 }, { last: 1 });
  const obs = observed([bucket(SRC, [oz(NOW - 3 * H), oz(NOW - 2 * H)])], { errors: [{ cluster: 'oz2', path: '/vol1/sales', message: 'connection refused' }] });
  const plan = planAll({ config: c, observed: obs, now: NOW });
  assert.not.ok(plan.steps.some((s) => s.action === Action.Delete), summary(plan).join('\n'));
  assert.ok(plan.warnings.some((w) => /connection refused/.test(w.message)));
  assert.is(dirKey(SRC.cluster, SRC.path) in obs.dirs, true);
});

test('a DR bucket changed since the common snapshot: a fresh source snapshot off schedule, then a re-sync shown with what changed', () => {
  const c = cfg();
  const common = oz(NOW - H / 2);
  const T = bucket(DR, [common]);
  T.changedSince = { snapshot: common, changed: true, entries: 1, shown: ['+ ./theirs.txt'] };
  const plan = planAll({ config: c, observed: observed([bucket(SRC, [common]), T]), now: NOW });
  const n = oz(NOW);
  assert.equal(summary(plan), [`+ ozone.snapshot.create oz1:/vol1/sales@${n}`, `~ ozone.replicate.repair oz2:/vol1/sales@${n}`, `+ ozone.snapshot.create oz2:/vol1/sales@${n}`]);
  assert.match(plan.steps[0]!.reason, /changed since .*: a newer snapshot to re-sync it to/);
  assert.match(plan.steps[1]!.reason, /1 entry \(\+ \.\/theirs\.txt\); re-sync from/);
  assert.equal(plan.steps[1]!.params, { source: SRC, fromSnapshot: common, toSnapshot: n });
});

test('a bootstrap killed mid-copy (its journal intent has no outcome) is resumed, not held as diverged', () => {
  const c = cfg();
  const n = oz(NOW - H / 2);
  const obs = observed([bucket(SRC, [n]), bucket(DR, [], { size: { bytes: 4096, files: 2 } })], {
    unfinished: [{ stepId: `ozone.replicate.bootstrap:oz2:/vol1/sales@${n}`, kind: 'ozone.replicate.bootstrap', policy: 'sales', startedAt: NOW - H / 3 }],
  });
  const plan = planAll({ config: c, observed: obs, now: NOW });
  assert.equal(plan.holds ?? [], []);
  const boot = plan.steps.find((s) => s.kind === 'ozone.replicate.bootstrap');
  assert.is(boot?.action, Action.Create);
  assert.match(boot!.reason, /resumes hbr's interrupted copy/);
  assert.is(boot!.params.expectEmpty, undefined, 'a resume expects its own partial copy there');
  // without the journal's word the same bucket is diverged
  const held = planAll({ config: c, observed: observed([bucket(SRC, [n]), bucket(DR, [], { size: { bytes: 4096, files: 2 } })]), now: NOW });
  assert.equal(held.holds?.map((h) => h.reason), ['diverged']);
});

test('bucket: "*": every listed bucket of the volume gets its own snapshots and pair; an unlisted volume plans nothing', () => {
  const c = cfg();
  const p = c.policies.sales as OzonePolicy;
  p.source.bucket = '*';
  const old = oz(NOW - H / 2);
  const b1 = { cluster: 'oz1', path: '/vol1/b-one' };
  const b2 = { cluster: 'oz1', path: '/vol1/b-two-made-later' };
  const obs = observed([bucket(b1, [old]), bucket({ ...b1, cluster: 'oz2' }, [old]), bucket(b2, []), bucket({ ...b2, cluster: 'oz2' }, [], { exists: false })]);
  obs.parts = { ozone: { volumes: { 'oz1\u0000/vol1': ['b-one', 'b-two-made-later'] } } };
  const plan = planAll({ config: c, observed: obs, now: NOW });
  const n = oz(NOW);
  assert.equal(summary(plan), [
    `+ ozone.snapshot.create oz1:/vol1/b-two-made-later@${n}`,
    `+ ozone.replicate.bootstrap oz2:/vol1/b-two-made-later@${n}`,
    `+ ozone.snapshot.create oz2:/vol1/b-two-made-later@${n}`,
  ]);
  assert.equal(checkSafety(plan, c, obs), []);
  // the floors know the volume's buckets as the policy's: the newest common of b-one is protected
  const del: Plan = { createdAt: NOW, steps: [{ id: 'x', kind: 'ozone.snapshot.delete', action: Action.Delete, policy: 'sales', target: { ...b1, snapshot: old }, params: {}, reason: 'edited', dependsOn: [] }], warnings: [] } as unknown as Plan;
  assert.ok(checkSafety(del, c, obs).some((v) => v.rule === 'newest-common'));
  const unlisted = planAll({ config: c, observed: observed([]), now: NOW });
  assert.equal(unlisted.steps, []);
  assert.ok(unlisted.warnings.some((w) => /were not listed/.test(w.message)));
});


test('bucket: "*": a bucket gone from the source volume whose DR copy holds hbr snapshots stays in view: a warning, nothing deleted on DR, no source recovery point (RPO alert)', () => {
  const c = cfg({ last: 1 }, { last: 1 });
  const p = c.policies.sales as OzonePolicy;
  p.source.bucket = '*';
  p.rpo = 2 * H;
  const t = [0, 1, 2].map((h) => oz(NOW - (3 - h) * H));
  const kept = { cluster: 'oz1', path: '/vol1/kept' };
  const gone = { cluster: 'oz1', path: '/vol1/gone' };
  const obs = observed([bucket(kept, [t[2]!]), bucket({ ...kept, cluster: 'oz2' }, [t[2]!]), bucket(gone, [], { exists: false }), bucket({ ...gone, cluster: 'oz2' }, t)]);
  obs.parts = { ozone: { volumes: { 'oz1\u0000/vol1': ['kept'], 'oz2\u0000/vol1': ['gone', 'kept'] }, gone: { 'oz1\u0000/vol1': ['gone'] } } };
  const plan = planAll({ config: c, observed: obs, now: NOW });
  assert.ok(plan.warnings.some((w) => /source bucket oz1:\/vol1\/gone does not exist \(deleted or renamed\?\) while its DR copy remains: oz2:\/vol1\/gone holds 3 hbr snapshots/.test(w.message)), JSON.stringify(plan.warnings));
  assert.not.ok(plan.steps.some((s) => s.target.path === '/vol1/gone'), 'nothing planned on the gone bucket, retention included');
  const points = ozonePoints(p, obs, NOW);
  assert.is(points.find((x) => x.site === 'source')?.newestAt, undefined, JSON.stringify(points));
  // without `gone` (before the fix) the policy looked healthy: only the kept bucket counted
  const before = { ...obs, parts: { ozone: { volumes: { 'oz1\u0000/vol1': ['kept'] } } } };
  assert.ok(ozonePoints(p, before, NOW).find((x) => x.site === 'source')?.newestAt !== undefined);
});

test('max_change: most of the source deleted since the common snapshot holds the pair (no copy, no delete on either side); --allow-overwrite makes the copy a -/+ replace', () => {
  const c = cfg({ last: 2 }, { last: 2 });
  const t = [0, 1, 2].map((h) => oz(NOW - (3 - h) * H));
  const dr = bucket(DR, t);
  dr.sourceChangedSince = { snapshot: t[2]!, files: 10, deleted: 7, modified: 1 };
  const obs = observed([bucket(SRC, t, { size: { bytes: 20, files: 3 } }), dr]);
  const plan = planAll({ config: c, observed: obs, now: NOW });
  assert.equal(plan.holds?.map((h) => `${h.reason} ${h.source} -> ${h.target}`), ['mass-change oz1:/vol1/sales -> oz2:/vol1/sales']);
  assert.match(
    plan.holds![0]!.message,
    `DR pair oz1:/vol1/sales -> oz2:/vol1/sales is held: 8 of 10 files (80%: 7 deleted, 1 rewritten) changed on oz1:/vol1/sales since ${t[2]}, more than max_change 50%`,
  );
  assert.match(plan.holds![0]!.message, 'hbr apply --allow-overwrite oz2:/vol1/sales');
  // the schedule's snapshot is still taken; nothing is copied and retention deletes nothing on either side
  assert.equal(summary(plan), [`+ ozone.snapshot.create oz1:/vol1/sales@${oz(NOW)}`]);
  // a saved plan that deletes there anyway is refused (the held floor, src/planner/snapshot-floors.ts)
  const edited = { ...plan, steps: [...plan.steps, { id: `ozone.snapshot.delete:oz2:/vol1/sales@${t[0]}`, kind: 'ozone.snapshot.delete', action: Action.Delete, policy: 'sales', target: { ...DR, snapshot: t[0] }, params: {}, reason: 'edited', dependsOn: [] }] } as Plan;
  assert.ok(checkSafety(edited, c, obs).some((d) => d.rule === 'held'));

  const allowed = planAll({ config: c, observed: obs, now: NOW, allowOverwrite: ['oz2:/vol1/sales'] });
  assert.equal(allowed.holds ?? [], []);
  const diff = allowed.steps.find((s) => s.kind === 'ozone.replicate.diff');
  assert.is(diff?.action, Action.Replace, summary(allowed).join('\n'));
  assert.match(diff!.reason, /REPLACES most of the target \(8 of 10 files .*allowed by the operator\)/);

  // within the policy's max_change (90%): copied as usual
  (c.policies.sales as OzonePolicy).replicate[0]!.maxChange = 0.9;
  const within = planAll({ config: c, observed: obs, now: NOW });
  assert.equal(within.holds ?? [], []);
  assert.is(within.steps.find((s) => s.kind === 'ozone.replicate.diff')?.action, Action.Update);
});

test('max_change unmeasured (the source comparison failed): no copy, a warning naming why; --allow-overwrite lets it go', () => {
  const c = cfg({ last: 2 }, { last: 2 });
  const t = [0, 1, 2].map((h) => oz(NOW - (3 - h) * H));
  // the source is sized (a replicated source always is) but its comparison with t[2] failed
  const obs = observed([bucket(SRC, t, { size: { bytes: 20, files: 3 } }), bucket(DR, t)]);
  const plan = planAll({ config: c, observed: obs, now: NOW });
  assert.not.ok(plan.steps.some((s) => s.kind.startsWith('ozone.replicate')), summary(plan).join('\n'));
  assert.ok(plan.warnings.some((w) => /not copied: how much of oz1:\/vol1\/sales changed since \S+ could not be measured/.test(w.message)), JSON.stringify(plan.warnings));
  const allowed = planAll({ config: c, observed: obs, now: NOW, allowOverwrite: ['oz2:/vol1/sales'] });
  assert.ok(allowed.steps.some((s) => s.kind === 'ozone.replicate.diff'));
  // measured and within max_change: copied
  const measured = bucket(DR, t);
  measured.sourceChangedSince = { snapshot: t[2]!, files: 3, deleted: 0, modified: 1 };
  const ok = planAll({ config: c, observed: observed([bucket(SRC, t, { size: { bytes: 20, files: 3 } }), measured]), now: NOW });
  assert.ok(ok.steps.some((s) => s.kind === 'ozone.replicate.diff'));
});

test('max_change also holds the re-sync of a DR bucket that changed (its -delete would carry the loss too); allowed, the repair is -/+', () => {
  const c = cfg();
  const t = [oz(NOW - 2 * H), oz(NOW - H)];
  const dr = bucket(DR, [t[0]!]);
  dr.changedSince = { snapshot: t[0]!, changed: true, entries: 1, shown: ['+ ./x'] };
  dr.sourceChangedSince = { snapshot: t[0]!, files: 4, deleted: 4, modified: 0 };
  const obs = observed([bucket(SRC, t, { size: { bytes: 0, files: 0 } }), dr]);
  const plan = planAll({ config: c, observed: obs, now: NOW - H / 2 });
  assert.equal(plan.holds?.map((h) => h.reason), ['mass-change']);
  assert.not.ok(plan.steps.some((s) => s.kind === 'ozone.replicate.repair'));
  const allowed = planAll({ config: c, observed: obs, now: NOW - H / 2, allowOverwrite: ['oz2:/vol1/sales'] });
  assert.is(allowed.steps.find((s) => s.kind === 'ozone.replicate.repair')?.action, Action.Replace, summary(allowed).join('\n'));
});

const MAX_CHANGE_YAML = (value: string) => `version: 1
clusters:
  a: { ozone: { om: "h:9862", httpfs: http://h:14000, fs: "ofs://h:9862" } }
  b: { ozone: { om: "g:9862", httpfs: http://g:14000, fs: "ofs://g:9862" } }
policies:
  s:
    source: { cluster: a }
    ozone:
      volume: vol1
      bucket: sales
      every: 1h
      replicate:
        - to: b
          max_change: ${value}
`;

test('max_change on an Ozone target: "25%" loads as 0.25; a bad one is an error at its file:line:col', async () => {
  const r = await loadConfig([fixture({ 'p.yaml': MAX_CHANGE_YAML('25%') })]);
  assert.ok('config' in r, JSON.stringify(r));
  assert.is((r.config.policies.s as OzonePolicy).replicate[0]!.maxChange, 0.25);
  await expectOne({ 'p.yaml': MAX_CHANGE_YAML('150%') }, 'p.yaml', 14, 23, ["invalid value '150%'", 'a percentage from 0% to 100%']);
});

test('the source measure: a rename (same length and mtime) is no delete, a deleted directory counts by the drop in keys, M keys are rewritten', () => {
  const f = (op: TreeChange['op'], path: string, sig: string, dir = false): TreeChange => ({ op, path, dir, sig });
  const changes = [
    f('-', './dir/moved.bin', 'FILE:1048576:100'),
    f('+', './moved-here.bin', 'FILE:1048576:100'),
    f('-', './dir/gone.txt', 'FILE:5000:100'),
    f('M', './edit.txt', 'FILE:17:200'),
    f('+', './dir/added.bin', 'FILE:7000:200'),
  ];
  assert.equal(countSourceChange('s', changes, 4, 4), { snapshot: 's', files: 4, deleted: 1, modified: 1 });
  // a directory of 10 keys deleted is one entry; the key count fell from 12 to 2
  assert.equal(countSourceChange('s', [f('-', './dir', 'D', true), f('M', './k7.bin', 'FILE:23:300')], 12, 2), { snapshot: 's', files: 12, deleted: 10, modified: 1 });
  // keys rewritten under new names (new length or mtime) are deletes
  assert.equal(countSourceChange('s', [f('-', './a', 'FILE:10:1'), f('+', './a.locked', 'FILE:26:9')], 1, 1), { snapshot: 's', files: 1, deleted: 1, modified: 0 });
  // a directory of 900 keys deleted while 900 new keys are written under another: the key count
  // does not drop, the deleted directory's keys still count (review of 2026-12-02; was 0)
  const sizedDir = (op: TreeChange['op'], path: string, files: number, bytes: number): TreeChange => ({ op, path, dir: true, sig: 'D', files, bytes });
  assert.equal(countSourceChange('s', [sizedDir('-', './a', 900, 9_000_000), sizedDir('+', './junk', 900, 9_500_000)], 1000, 1000), { snapshot: 's', files: 1000, deleted: 900, modified: 0 });
  // a directory renamed (the same keys and bytes under a new name) is not a deletion
  assert.equal(countSourceChange('s', [sizedDir('-', './a', 900, 9_000_000), sizedDir('+', './b', 900, 9_000_000)], 1000, 1000), { snapshot: 's', files: 1000, deleted: 0, modified: 0 });
  // a directory replaced by a key: its keys are deleted, the key is not a rewrite
  assert.equal(countSourceChange('s', [{ op: 'M', path: './a', dir: false, sig: 'FILE:3:9', wasDir: true, files: 600, bytes: 1 }], 1000, 401), { snapshot: 's', files: 1000, deleted: 600, modified: 0 });
});

test.after(() => removeFixtures());

test.run();
