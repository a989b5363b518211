import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Action, type Plan, type Step } from '../../src/model/plan.js';
import { checkSafety, digestObserved, planAll, SafetyViolation } from '../../src/planner/plan.js';
import {
  applyPlan, at, config, D, deletedNames, dir, DR, DR_KEY, H, M, observed, policy, snap, SRC, SRC_KEY, stepsOf, summary,
} from './helpers-planner.js';

const NOW = at('2026-11-22T13:00:00Z');
const drPolicy = (keep = {}, drKeep = {}) => config(policy('warehouse', { every: H, keep, replicate: [{ to: DR, keep: drKeep }] }));

test('first run on a fresh pair: allow + create + bootstrap + allow T + create T', () => {
  const cfg = drPolicy({ hourly: 24 }, { daily: 30 });
  const obs = observed([dir(SRC, { snapshottable: false, size: { bytes: 7000, files: 3 } }), dir(DR, { exists: false })]);
  const plan = planAll({ config: cfg, observed: obs, now: NOW });
  const n = snap(NOW);
  assert.equal(summary(plan), [
    '~ hdfs.snapshot.allow prod:/warehouse',
    `+ hdfs.snapshot.create prod:/warehouse@${n}`,
    `+ replicate.bootstrap dr:/warehouse@${n}`,
    '~ hdfs.snapshot.allow dr:/warehouse',
    `+ hdfs.snapshot.create dr:/warehouse@${n}`,
  ]);
  const [allowS, createS, boot, allowT, createT] = plan.steps as [Step, Step, Step, Step, Step];
  assert.equal(createS.dependsOn, [allowS.id]);
  assert.equal(boot.dependsOn, [createS.id]);
  assert.equal(boot.params, { source: SRC, toSnapshot: n, expectEmpty: true }, 'the executor re-checks that the target is still empty');
  assert.equal(boot.estimate, { bytes: 7000, files: 3 });
  assert.match(boot.reason, /bootstrap: full copy/);
  assert.equal(allowT.dependsOn, [boot.id]);
  assert.equal(createT.dependsOn, [boot.id, allowT.id]);
  assert.is(plan.createdAt, NOW);
  assert.is(plan.version, 1);
  assert.equal(plan.warnings, []);
  for (const s of plan.steps) assert.is(s.policy, 'warehouse');
});

test('second run with nothing due → empty plan', () => {
  const cfg = drPolicy({ hourly: 24 }, { daily: 30 });
  let obs = observed([dir(SRC, { snapshottable: false }), dir(DR, { exists: false })]);
  obs = applyPlan(obs, planAll({ config: cfg, observed: obs, now: NOW }), NOW);
  const plan = planAll({ config: cfg, observed: obs, now: NOW + 59 * M });
  assert.equal(plan.steps, []);
  assert.equal(plan.warnings, []);
});

test('incremental: new snapshot → distcp -diff common → newest, then the same name on the target', () => {
  const a = snap(NOW - H);
  const obs = observed([dir(SRC, { snaps: [a] }), dir(DR, { snaps: [a], changedSince: { snapshot: a, changed: false, entries: 0 } })]);
  const plan = planAll({ config: drPolicy(), observed: obs, now: NOW });
  const n = snap(NOW);
  assert.equal(summary(plan).slice(0, 3), [
    `+ hdfs.snapshot.create prod:/warehouse@${n}`,
    `~ replicate.distcp-diff dr:/warehouse@${n}`,
    `+ hdfs.snapshot.create dr:/warehouse@${n}`,
  ]);
  const [create, diff, createT] = plan.steps as [Step, Step, Step];
  assert.equal(diff.params, { source: SRC, fromSnapshot: a, toSnapshot: n });
  assert.equal(diff.dependsOn, [create.id]);
  assert.is(diff.action, Action.Update);
  assert.is(diff.estimate, undefined);
  assert.equal(createT.dependsOn, [diff.id]);
  // keep {} on both sides: the old common `a` is the newest common → kept this run
  assert.equal(deletedNames(plan, SRC_KEY), []);
  assert.equal(deletedNames(plan, DR_KEY), []);
  // after apply, the old common goes on both sides (the new common is the newest)
  const obs2 = applyPlan(obs, plan, NOW);
  const plan2 = planAll({ config: drPolicy(), observed: obs2, now: NOW });
  assert.equal(summary(plan2), [`- hdfs.snapshot.delete prod:/warehouse@${a}`, `- hdfs.snapshot.delete dr:/warehouse@${a}`]);
  assert.equal(planAll({ config: drPolicy(), observed: applyPlan(obs2, plan2, NOW), now: NOW }).steps, []);
});

test('target changed since the common snapshot → repair with -rdiff, then the diff depends on it', () => {
  const a = snap(NOW - H);
  const obs = observed([dir(SRC, { snaps: [a] }), dir(DR, { snaps: [a], changedSince: { snapshot: a, changed: true, entries: 3 } })]);
  const plan = planAll({ config: drPolicy(), observed: obs, now: NOW });
  const repair = stepsOf(plan, 'replicate.repair-target')[0] as Step;
  assert.ok(repair);
  assert.is(repair.action, Action.Update);
  assert.equal(repair.params, { source: SRC, repair: 'rdiff', baseSnapshot: a });
  assert.is(repair.reason, `target changed since ${a}: 3 entries; roll back with -rdiff`);
  const diff = stepsOf(plan, 'replicate.distcp-diff')[0] as Step;
  assert.ok(diff.dependsOn.includes(repair.id));
  assert.ok(plan.steps.indexOf(repair) < plan.steps.indexOf(diff));
  // nothing due: repair alone
  const quiet = planAll({ config: drPolicy(), observed: obs, now: NOW - 30 * M });
  assert.equal(summary(quiet), [`~ replicate.repair-target dr:/warehouse@${a}`]);
});

test('changedSince missing or about another snapshot → no repair, a warning, the diff still planned', () => {
  const a = snap(NOW - 2 * H), b = snap(NOW - H);
  for (const changedSince of [undefined, { snapshot: a, changed: true, entries: 1 }]) {
    const obs = observed([dir(SRC, { snaps: [a, b] }), dir(DR, { snaps: [a, b], ...(changedSince ? { changedSince } : {}) })]);
    const plan = planAll({ config: drPolicy(), observed: obs, now: NOW });
    assert.equal(stepsOf(plan, 'replicate.repair-target'), []);
    assert.ok(plan.warnings.some((w) => /was not observed/.test(w.message) && w.message.includes(b)), JSON.stringify(plan.warnings));
    assert.is(stepsOf(plan, 'replicate.distcp-diff')[0]?.params.fromSnapshot, b);
  }
});

// Issue 9: this used to plan the overwrite with a warning. A target that holds data or snapshots
// but shares none with its source is diverged: held for the operator, a replace only when allowed.
test('bootstrap onto an existing, non-empty target without a common snapshot: held as diverged; a replace only when allowed', () => {
  const a = snap(NOW - H);
  const obs = observed([dir(SRC, { snaps: [a] }), dir(DR, { snapshottable: true, snaps: ['mine'], size: { bytes: 10, files: 2 } })]);
  const plan = planAll({ config: drPolicy(), observed: obs, now: NOW - 30 * M });
  assert.equal(summary(plan), []);
  assert.equal(plan.holds?.map((h) => [h.target, h.reason]), [['dr:/warehouse', 'diverged']]);
  assert.match(plan.holds![0]!.message, /diverged.*--allow-overwrite dr:\/warehouse/);
  const allowed = planAll({ config: drPolicy(), observed: obs, now: NOW - 30 * M, allowOverwrite: ['dr:/warehouse'] });
  assert.equal(summary(allowed), [`-/+ replicate.bootstrap dr:/warehouse@${a}`, `+ hdfs.snapshot.create dr:/warehouse@${a}`]);
  assert.match(allowed.steps[0]!.reason, /bootstrap: full copy.*REPLACES.*overwritten.*deleted.*-update -delete/);
  assert.is(allowed.holds, undefined);
});

test('missing source → no steps, a warning; unobserved target → no replication, no source retention, warnings', () => {
  const cfg = drPolicy();
  const gone = planAll({ config: cfg, observed: observed([dir(SRC, { exists: false }), dir(DR)]), now: NOW });
  assert.equal(gone.steps, []);
  assert.match(gone.warnings[0]!.message, /does not exist/);

  const old = [snap(NOW - 3 * H), snap(NOW - 2 * H)];
  const down = planAll({
    config: cfg,
    observed: observed([dir(SRC, { snaps: old })], { errors: [{ cluster: 'dr', message: 'connect ECONNREFUSED' }] }),
    now: NOW,
  });
  assert.equal(summary(down), [`+ hdfs.snapshot.create prod:/warehouse@${snap(NOW)}`]);
  assert.ok(down.warnings.some((w) => /dr:\/warehouse was not observed \(connect ECONNREFUSED\)/.test(w.message)));
  assert.ok(down.warnings.some((w) => /retention on prod:\/warehouse not planned/.test(w.message)));

  const srcDown = planAll({ config: cfg, observed: observed([dir(DR)]), now: NOW });
  assert.equal(srcDown.steps, []);
  assert.match(srcDown.warnings[0]!.message, /source prod:\/warehouse was not observed/);
});

test('retention GFS over a simulated clock: hourly for 10 days, keep {hourly: 24, daily: 7}', () => {
  const cfg = config(policy('warehouse', { every: H, keep: { hourly: 24, daily: 7 } }));
  const start = at('2026-11-01T00:00:00Z');
  let obs = observed([dir(SRC, { snapshottable: true })]);
  let deletes = 0;
  for (let t = start; t < start + 10 * D; t += H) {
    const plan = planAll({ config: cfg, observed: obs, now: t });
    assert.equal(stepsOf(plan, 'hdfs.snapshot.create').map((s) => s.target.snapshot), [snap(t)]);
    for (const d of stepsOf(plan, 'hdfs.snapshot.delete')) {
      assert.is(d.reason, 'outside keep {hourly: 24, daily: 7}; no safety floor holds it');
      assert.equal(d.dependsOn, [`hdfs.snapshot.create:prod:/warehouse@${snap(t)}`]);
      deletes++;
    }
    obs = applyPlan(obs, plan, t);
  }
  const expected = [
    ...[4, 5, 6, 7, 8, 9].map((day) => snap(start + (day - 1) * D + 23 * H)), // newest of 7 days; day 10 is in the hourly window
    ...Array.from({ length: 24 }, (_, i) => snap(start + 9 * D + i * H)),
  ];
  assert.equal(obs.dirs[SRC_KEY]!.snapshots.map((s) => s.name).sort(), expected.sort());
  assert.is(deletes, 240 - 30);
});

test('foreign snapshots are kept, whatever the keep says', () => {
  const hbr = [snap(NOW - 3 * D), snap(NOW - 2 * D), snap(NOW - D)];
  const cfg = config(policy('warehouse', { every: D, keep: { last: 1 } }));
  const plan = planAll({ config: cfg, observed: observed([dir(SRC, { snaps: ['s0', 'manual-backup', 'hbr-garbage', ...hbr] })]), now: NOW - 1 });
  assert.equal(deletedNames(plan, SRC_KEY).sort(), hbr.slice(0, 2).sort());
  assert.match(stepsOf(plan, 'hdfs.snapshot.delete')[0]!.reason, /outside keep \{last: 1\}/);
});

test('cron schedule: due / not due, evaluated in UTC', () => {
  const cfg = config(policy('nightly', { cron: '0 2 * * *', keep: { daily: 7 } }));
  const yesterday = at('2026-11-21T02:00:00Z');
  const obsY = observed([dir(SRC, { snaps: [snap(yesterday)] })]);
  const creates = (obs: ReturnType<typeof observed>, now: number) => stepsOf(planAll({ config: cfg, observed: obs, now }), 'hdfs.snapshot.create').length;
  assert.is(creates(obsY, at('2026-11-22T01:59:59Z')), 0);
  assert.is(creates(obsY, at('2026-11-22T02:00:00Z')), 1);
  assert.is(creates(obsY, at('2026-11-22T02:30:00Z')), 1);
  const obsT = observed([dir(SRC, { snaps: [snap(at('2026-11-22T02:00:00Z'))] })]);
  assert.is(creates(obsT, at('2026-11-22T02:30:00Z')), 0);
  assert.is(creates(observed([dir(SRC, { snapshottable: true })]), at('2026-11-22T01:00:00Z')), 1);
  const create = stepsOf(planAll({ config: cfg, observed: obsY, now: at('2026-11-22T02:00:05Z') }), 'hdfs.snapshot.create')[0]!;
  assert.match(create.reason, /cron '0 2 \* \* \*' fired at 2026-11-22T02:00:00Z/);
});

test('targets filter: only the named policies are planned; an unknown name warns', () => {
  const other = { cluster: 'prod', path: '/logs' };
  const cfg = config(policy('warehouse'), policy('logs', { source: other }));
  const obs = observed([dir(SRC, { snapshottable: true }), dir(other, { snapshottable: true })]);
  assert.is(planAll({ config: cfg, observed: obs, now: NOW }).steps.length, 2);
  const plan = planAll({ config: cfg, observed: obs, now: NOW, targets: ['logs', 'nope'] });
  assert.equal(summary(plan), [`+ hdfs.snapshot.create prod:/logs@${snap(NOW)}`]);
  assert.ok(plan.warnings.some((w) => /no policy named nope/.test(w.message)));
});

test('source deletes wait for the replication steps; target deletes for the target chain', () => {
  const old = [snap(NOW - 3 * H), snap(NOW - 2 * H), snap(NOW - H)];
  const obs = observed([
    dir(SRC, { snaps: old }),
    dir(DR, { snaps: old, changedSince: { snapshot: old[2]!, changed: false, entries: 0 } }),
  ]);
  const plan = planAll({ config: drPolicy({ last: 1 }, { last: 1 }), observed: obs, now: NOW });
  const replication = plan.steps.filter((s) => s.kind !== 'hdfs.snapshot.delete').map((s) => s.id);
  assert.is(replication.length, 3);
  assert.equal(deletedNames(plan, SRC_KEY), old.slice(0, 2));
  assert.equal(deletedNames(plan, DR_KEY), old.slice(0, 2));
  for (const d of stepsOf(plan, 'hdfs.snapshot.delete', SRC_KEY)) assert.equal(d.dependsOn, replication);
  for (const d of stepsOf(plan, 'hdfs.snapshot.delete', DR_KEY)) assert.equal(d.dependsOn, replication.slice(1));
});

test('unfinished journal steps become warnings', () => {
  const a = snap(NOW - H);
  const obs = observed([dir(SRC, { snaps: [a] }), dir(DR, { snaps: [a], changedSince: { snapshot: a, changed: true, entries: 5 } })], {
    unfinished: [{ stepId: 'replicate.distcp-diff:dr:/warehouse@x', kind: 'replicate.distcp-diff', policy: 'warehouse', startedAt: NOW - 10 * M }],
  });
  const plan = planAll({ config: drPolicy(), observed: obs, now: NOW - 30 * M });
  assert.equal(plan.warnings[0], {
    policy: 'warehouse',
    message: 'step replicate.distcp-diff:dr:/warehouse@x was interrupted at 2026-11-22T12:50:00Z; its effects are observed and repaired below',
  });
  assert.is(stepsOf(plan, 'replicate.repair-target').length, 1);
});

test('checkSafety catches hand-crafted unsafe deletes', () => {
  const a = snap(NOW - 2 * H), b = snap(NOW - H);
  const cfg = drPolicy();
  const obs = observed([dir(SRC, { snaps: ['keepme', a, b] }), dir(DR, { snaps: [a], changedSince: { snapshot: a, changed: false, entries: 0 } })]);
  const plan = planAll({ config: cfg, observed: obs, now: NOW - 30 * M });
  assert.equal(checkSafety(plan, cfg, obs), []);
  const del = (snapshot: string, dependsOn: string[] = plan.steps.map((s) => s.id)): Step => ({
    id: `hdfs.snapshot.delete:prod:/warehouse@${snapshot}`, kind: 'hdfs.snapshot.delete', action: Action.Delete, policy: 'warehouse',
    target: { ...SRC, snapshot }, params: {}, reason: 'test', dependsOn,
  });
  const bad: Plan = { ...plan, steps: [...plan.steps, del(a), del('keepme'), del(b)] };
  const rules = checkSafety(bad, cfg, obs).map((v) => `${v.snapshot} ${v.rule}`);
  assert.ok(rules.includes(`${a} newest-common`), rules.join());
  assert.ok(rules.includes(`${a} in-use`), rules.join()); // the planned diff reads it
  assert.ok(rules.includes('keepme foreign'), rules.join());
  assert.ok(rules.includes(`${b} last-recovery-point`), rules.join());
  assert.ok(rules.includes(`${b} not-replicated`), rules.join());
  assert.ok(rules.includes(`${b} in-use`), rules.join());
  // out-of-order delete of an otherwise deletable snapshot
  const c = snap(NOW - 5 * H);
  const obs3 = observed([dir(SRC, { snaps: [c, a, b] }), dir(DR, { snaps: [a], changedSince: { snapshot: a, changed: false, entries: 0 } })]);
  const early: Plan = { ...plan, steps: [...plan.steps, del(c, [])] };
  const v = checkSafety(early, cfg, obs3);
  assert.ok(v.length > 0 && v.every((x) => x.rule === 'delete-order'), JSON.stringify(v));
  assert.equal(checkSafety({ ...plan, steps: [...plan.steps, del(c)] }, cfg, obs3), []);
  const err = new SafetyViolation(checkSafety(bad, cfg, obs));
  assert.instance(err, Error);
  assert.match(err.message, /policy warehouse: deleting prod:\/warehouse@hbr-\S+ breaks rule [a-z-]+/);
});

test('a delete on a dir nobody manages or that was not observed is refused', () => {
  const cfg = drPolicy();
  const obs = observed([dir(SRC, { snaps: [snap(NOW - H)] })]);
  const step: Step = {
    id: 'x', kind: 'hdfs.snapshot.delete', action: Action.Delete, policy: 'warehouse',
    target: { cluster: 'prod', path: '/other', snapshot: snap(NOW - 2 * H) }, params: {}, reason: '', dependsOn: [],
  };
  const plan: Plan = { version: 1, createdAt: NOW, policyDigest: '', observedDigest: '', steps: [step], warnings: [] };
  assert.ok(checkSafety(plan, cfg, obs).some((v) => v.rule === 'unverifiable'));
});

test('digests: policies without locations; observed without sizes; deterministic output', () => {
  const cfg = drPolicy({ daily: 7 });
  const obs = observed([dir(SRC, { snaps: [snap(NOW - H)], size: { bytes: 1, files: 1 } }), dir(DR, { exists: false })]);
  const p1 = planAll({ config: cfg, observed: obs, now: NOW });
  const moved = { ...cfg, files: ['other.yaml'], policies: { warehouse: { ...cfg.policies.warehouse!, at: { file: 'x', line: 9, col: 9 } } } };
  const p2 = planAll({ config: moved, observed: structuredClone(obs), now: NOW });
  assert.equal(p1, p2);
  assert.match(p1.policyDigest, /^[0-9a-f]{64}$/);
  const changedKeep = drPolicy({ daily: 8 });
  assert.is.not(planAll({ config: changedKeep, observed: obs, now: NOW }).policyDigest, p1.policyDigest);
  const resized = structuredClone(obs);
  resized.dirs[SRC_KEY]!.size = { bytes: 99, files: 9 };
  assert.is(digestObserved(resized), p1.observedDigest);
  const more = structuredClone(obs);
  more.dirs[SRC_KEY]!.snapshots.push({ name: 'x', createdAt: 1 });
  assert.is.not(digestObserved(more), p1.observedDigest);
  // A system's own observations count as it says (System.digestPart): the audit's not at all, so a
  // saved plan is not refused because a quota's usage moved; another system's part counts whole.
  const audited = structuredClone(obs);
  audited.parts = { audit: { lake: { blocks: { missing: 1 }, quotas: [{ path: '/', used: 5 }] } } };
  assert.is(digestObserved(audited), p1.observedDigest);
  const blocks = structuredClone(obs);
  blocks.parts = { blocks: { policies: { b: { store: { manifests: ['m1'] } } } } };
  assert.is.not(digestObserved(blocks), p1.observedDigest);
});

test('cascade prod → dr → dr2 is planned in dependency order, whatever the names', () => {
  const DR2 = { cluster: 'dr2', path: '/warehouse' };
  const cfg = config(
    policy('a-second', { source: DR, every: H, replicate: [{ to: DR2 }] }),
    policy('z-first', { source: SRC, every: H, replicate: [{ to: DR }] }),
  );
  const a = snap(NOW - H);
  const obs = observed([
    dir(SRC, { snaps: [a] }),
    dir(DR, { snaps: [a], changedSince: { snapshot: a, changed: false, entries: 0 } }),
    dir(DR2, { snaps: [a], changedSince: { snapshot: a, changed: false, entries: 0 } }),
  ]);
  const plan = planAll({ config: cfg, observed: obs, now: NOW });
  const n = snap(NOW);
  assert.equal(summary(plan), [
    `+ hdfs.snapshot.create prod:/warehouse@${n}`,
    `~ replicate.distcp-diff dr:/warehouse@${n}`,
    `+ hdfs.snapshot.create dr:/warehouse@${n}`,
    `~ replicate.distcp-diff dr2:/warehouse@${n}`,
    `+ hdfs.snapshot.create dr2:/warehouse@${n}`,
  ]);
  assert.equal(plan.steps[3]!.dependsOn, [plan.steps[2]!.id]);
  assert.equal(plan.steps.map((s) => s.policy), ['z-first', 'z-first', 'z-first', 'a-second', 'a-second']);
});

test('deterministic: same input, same plan; policy declaration order does not matter', () => {
  const p1 = policy('b', { source: { cluster: 'prod', path: '/b' } });
  const p2 = policy('a', { source: { cluster: 'prod', path: '/a' } });
  const obs = observed([dir({ cluster: 'prod', path: '/a' }, { snapshottable: true }), dir({ cluster: 'prod', path: '/b' }, { snapshottable: true })]);
  const x = planAll({ config: config(p1, p2), observed: obs, now: NOW });
  const y = planAll({ config: config(p2, p1), observed: obs, now: NOW });
  assert.equal(x, y);
  assert.equal(x.steps.map((s) => s.policy), ['a', 'b']);
});

test('SafetyViolation is what planAll throws (never an unsafe plan)', () => {
  // planAll only throws if retention and the floors disagree; the class is exported for callers
  const e = new SafetyViolation([{ rule: 'foreign', stepId: 's', policy: 'p', cluster: 'c', path: '/x', snapshot: 'n', message: 'policy p: deleting c:/x@n breaks rule foreign: f' }]);
  assert.is(e.name, 'SafetyViolation');
  assert.is(e.details.length, 1);
  assert.is(e.message, 'unsafe plan: policy p: deleting c:/x@n breaks rule foreign: f');
});

test.run();
