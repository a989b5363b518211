/**
 * Failover and failback planning (src/systems/hdfs/failover.ts, docs/failover.md): pure, from the
 * observed failover mark and the operator's request.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkSafety, planAll } from '../../src/planner/plan.js';
import { checkHdfsStep } from '../../src/systems/hdfs/check.js';
import type { ObservedDir } from '../../src/model/observed.js';
import { Action } from '../../src/model/plan.js';
import { recoveryPoints } from '../../src/metrics/recovery.js';
import { at, config, dir, DR, H, observed, policy, snap, SRC, summary } from './helpers-planner.js';

const NOW = at('2026-11-22T12:00:00Z');
const cfg = config(policy('w', { every: H, keep: { last: 1 }, replicate: [{ to: DR, keep: { last: 1 } }] }));
const a = snap(NOW - 3 * H);
const c = snap(NOW - 2 * H); // the common snapshot at the failover
const p1 = snap(NOW - 90 * 60_000); // the old primary's own, never replicated
const d1 = snap(NOW - H); // the DR copy's, after the failover

const failedOver = (primary: ObservedDir | undefined, drSnaps = [a, c, d1]) => {
  const t = dir(DR, { snaps: drSnaps, size: { bytes: 10, files: 2 } });
  t.failedOverFrom = 'prod:/warehouse';
  return observed(primary ? [primary, t] : [t], primary ? {} : { errors: [{ cluster: 'prod', message: 'connection refused' }] });
};

const unplanned = [{ policy: 'w', verb: 'failover', mode: 'unplanned' }];
const drDown = (changedSince?: ObservedDir['changedSince']) => {
  const t = dir(DR, { snaps: [a, c] });
  if (changedSince) t.changedSince = changedSince;
  return observed([t], { errors: [{ cluster: 'prod', message: 'connection refused' }] });
};

test('unplanned failover: only the mark, without the primary; nothing copied or deleted', () => {
  const plan = planAll({ config: cfg, observed: drDown({ snapshot: c, changed: false, entries: 0 }), now: NOW, requests: unplanned });
  assert.equal(summary(plan), ['~ replicate.failover dr:/warehouse']);
  assert.match(plan.steps[0]!.reason, /unplanned failover/);
});

test('unplanned failover of a torn DR copy (a copy cut short): held without the word; with it, kept and rolled back (-/+) before the mark', () => {
  const torn = { snapshot: c, changed: true, entries: 3, shown: ['M .', '+ ./new.bin', 'R ./a -> ./b'] };
  const held = planAll({ config: cfg, observed: drDown(torn), now: NOW, requests: unplanned });
  assert.equal(held.steps, []);
  assert.equal(held.holds?.map((h) => [h.target, h.reason]), [['dr:/warehouse', 'diverged']]);
  assert.match(held.holds![0]!.message, `dr:/warehouse is torn, it changed since its newest snapshot ${c} (3 entries: M ., + ./new.bin, R ./a -> ./b)`);
  assert.match(held.holds![0]!.message, 'hbr failover --policy w --unplanned --allow-overwrite dr:/warehouse');

  const allowed = planAll({ config: cfg, observed: drDown(torn), now: NOW, requests: unplanned, allowOverwrite: ['dr:/warehouse'] });
  assert.equal(summary(allowed), [`-/+ replicate.rollback-torn dr:/warehouse@${c}`, '~ replicate.failover dr:/warehouse']);
  const [rb, fo] = allowed.steps;
  assert.is(rb!.action, Action.Replace);
  assert.equal(rb!.params, { source: { cluster: 'dr', path: '/warehouse' }, repair: 'rdiff', baseSnapshot: c, keepAs: 'hbr-torn-20261122T120000Z' });
  assert.match(rb!.reason, '+ ./new.bin');
  assert.equal(fo!.dependsOn, [rb!.id]);
  assert.equal(checkSafety(allowed, cfg, drDown(torn)), []);
  for (const s of allowed.steps) assert.equal(checkHdfsStep(s, cfg), [], s.id);
  assert.ok(checkHdfsStep({ ...rb!, params: { ...rb!.params, keepAs: 'hbr-20261122T120000Z' } }, cfg).length > 0, 'keepAs must be hbr-torn-*');

  // Not observed whether the DR copy changed: no promotion of a copy hbr could not check.
  const unknown = planAll({ config: cfg, observed: drDown(), now: NOW, requests: unplanned });
  assert.equal(unknown.steps, []);
  assert.equal(unknown.unplanned, ['w']);
});

test('planned failover: a snapshot now, the last incremental copy, then the mark; no retention in that plan', () => {
  const obs = observed([dir(SRC, { snaps: [a, c] }), dir(DR, { snaps: [a, c], changedSince: { snapshot: c, changed: false, entries: 0 } })]);
  const plan = planAll({ config: cfg, observed: obs, now: NOW, requests: [{ policy: 'w', verb: 'failover', mode: 'planned' }] });
  const n = snap(NOW);
  assert.equal(summary(plan), [`+ hdfs.snapshot.create prod:/warehouse@${n}`, `~ replicate.distcp-diff dr:/warehouse@${n}`, `+ hdfs.snapshot.create dr:/warehouse@${n}`, '~ replicate.failover dr:/warehouse']);
  assert.ok(plan.steps[3]!.dependsOn.includes(`hdfs.snapshot.create:dr:/warehouse@${n}`));
  // the primary not answering: not planned, with the way out
  const down = planAll({ config: cfg, observed: observed([dir(DR, { snaps: [a, c] })]), now: NOW, requests: [{ policy: 'w', verb: 'failover', mode: 'planned' }] });
  assert.equal(down.steps, []);
  assert.equal(down.unplanned, ['w']);
  assert.ok(down.warnings.some((w) => w.message.includes('fail over with --unplanned')));
});

test('planned failover of a torn DR copy (a copy cut short, the primary still answers): the ordinary repair from the primary first, then the last copy, then the mark; no word needed, no torn snapshot', () => {
  const obs = observed([dir(SRC, { snaps: [a, c] }), dir(DR, { snaps: [a, c], changedSince: { snapshot: c, changed: true, entries: 4 } })]);
  const plan = planAll({ config: cfg, observed: obs, now: NOW, requests: [{ policy: 'w', verb: 'failover', mode: 'planned' }] });
  const n = snap(NOW);
  assert.equal(summary(plan), [
    `+ hdfs.snapshot.create prod:/warehouse@${n}`,
    `~ replicate.repair-target dr:/warehouse@${c}`,
    `~ replicate.distcp-diff dr:/warehouse@${n}`,
    `+ hdfs.snapshot.create dr:/warehouse@${n}`,
    '~ replicate.failover dr:/warehouse',
  ]);
  assert.equal(plan.steps[1]!.params.source, SRC, 'rolled back from the primary, which holds everything the torn part had');
  assert.ok(plan.steps[2]!.dependsOn.includes(plan.steps[1]!.id));
  assert.equal(plan.holds ?? [], []);
});

test('failed over, primary down: the DR copy is snapshotted on schedule; nothing replicates into it, nothing is deleted', () => {
  const plan = planAll({ config: cfg, observed: failedOver(undefined), now: NOW + H });
  assert.equal(summary(plan), [`+ hdfs.snapshot.create dr:/warehouse@${snap(NOW + H)}`]);
  assert.ok(plan.warnings.some((w) => w.message.includes('failed over')));
});

test('failed over, the old primary back with its own changes: replication back is held without the word, a -/+ roll-back with it', () => {
  const primary = dir(SRC, { snaps: [a, c, p1], changedSince: { snapshot: c, changed: true, entries: 3 } });
  const held = planAll({ config: cfg, observed: failedOver(primary), now: NOW - 30 * 60_000 });
  assert.equal(held.holds?.map((h) => [h.target, h.reason]), [['prod:/warehouse', 'diverged']]);
  assert.match(held.holds![0]!.message, /--allow-overwrite prod:\/warehouse/);
  assert.not.ok(summary(held).some((l) => l.includes('replicate.') || l.includes('delete')));

  const allowed = planAll({ config: cfg, observed: failedOver(primary), now: NOW - 30 * 60_000, allowOverwrite: ['prod:/warehouse'] });
  assert.equal(summary(allowed), [`-/+ replicate.repair-target prod:/warehouse@${c}`, `~ replicate.distcp-diff prod:/warehouse@${d1}`, `+ hdfs.snapshot.create prod:/warehouse@${d1}`]);
  const diff = allowed.steps[1]!;
  assert.equal([diff.params, diff.target.cluster], [{ source: DR, fromSnapshot: c, toSnapshot: d1 }, 'prod']);
  for (const s of allowed.steps) assert.equal(checkHdfsStep(s, cfg), [], s.id);
});

test('while failed over, without the word nothing destructive is planned onto the old primary, and nothing is copied onto it unless it is observed unchanged', () => {
  const states: Array<[string, ObservedDir['changedSince']]> = [
    ['unchanged', { snapshot: c, changed: false, entries: 0 }],
    ['own writes', { snapshot: c, changed: true, entries: 2 }],
    ['not observed', undefined],
    ['observed for another snapshot', { snapshot: a, changed: false, entries: 0 }],
  ];
  for (const [what, cs] of states) {
    const primary = dir(SRC, { snaps: [a, c, p1] });
    if (cs) primary.changedSince = cs;
    for (const t of [NOW - 30 * 60_000, NOW + 30 * 60_000]) {
      const plan = planAll({ config: cfg, observed: failedOver(primary), now: t });
      const onPrimary = plan.steps.filter((s) => s.target.cluster === 'prod');
      assert.not.ok(plan.steps.some((s) => s.kind === 'hdfs.snapshot.delete'), `${what}: a delete`);
      assert.not.ok(onPrimary.some((s) => s.action === Action.Replace || s.action === Action.Delete), `${what}: a destructive step onto the old primary`);
      if (what !== 'unchanged') assert.equal(onPrimary, [], `${what}: a copy onto the old primary: ${summary(plan).join('; ')}`);
    }
  }
});

test('failback: a DR snapshot now, the copy back, then the mark removed; never while held; never a full copy when a common snapshot exists', () => {
  const primary = dir(SRC, { snaps: [a, c], changedSince: { snapshot: c, changed: false, entries: 0 } });
  const n = snap(NOW + 30 * 60_000);
  const plan = planAll({ config: cfg, observed: failedOver(primary), now: NOW + 30 * 60_000, requests: [{ policy: 'w', verb: 'failback' }] });
  assert.equal(summary(plan), [`+ hdfs.snapshot.create dr:/warehouse@${n}`, `~ replicate.distcp-diff prod:/warehouse@${n}`, `+ hdfs.snapshot.create prod:/warehouse@${n}`, '~ replicate.failback dr:/warehouse']);
  assert.ok(plan.steps[3]!.dependsOn.includes(`hdfs.snapshot.create:prod:/warehouse@${n}`));

  const changed = dir(SRC, { snaps: [a, c], changedSince: { snapshot: c, changed: true, entries: 1 } });
  const held = planAll({ config: cfg, observed: failedOver(changed), now: NOW + 30 * 60_000, requests: [{ policy: 'w', verb: 'failback' }] });
  assert.ok(held.holds?.length);
  assert.not.ok(summary(held).some((l) => l.includes('replicate.')));
});

test('a request no system takes, and a failback of a pair not failed over', () => {
  const obs = observed([dir(SRC, { snaps: [a, c] }), dir(DR, { snaps: [a, c], changedSince: { snapshot: c, changed: false, entries: 0 } })]);
  assert.throws(() => planAll({ config: cfg, observed: obs, now: NOW + 30 * 60_000, requests: [{ policy: 'nope', verb: 'failover' }] }), /policy nope: its system does not do failover/);
  const plan = planAll({ config: cfg, observed: obs, now: NOW + 30 * 60_000, requests: [{ policy: 'w', verb: 'failback' }] });
  assert.ok(plan.warnings.some((w) => w.message.includes('nothing to fail back')));
  assert.not.ok(summary(plan).some((l) => l.includes('failback')));
});

test('the failed-over floor: no snapshot on either side of a failed-over pair may be deleted, even one no other floor holds', () => {
  const primary = dir(SRC, { snaps: [a, c], changedSince: { snapshot: c, changed: false, entries: 0 } });
  const obs = failedOver(primary);
  const plan = planAll({ config: cfg, observed: obs, now: NOW - 30 * 60_000 });
  assert.not.ok(plan.steps.some((s) => s.kind === 'hdfs.snapshot.delete'), 'the planner plans no retention while failed over');
  const all = plan.steps.map((s) => s.id);
  for (const l of [DR, SRC]) {
    const target = { ...l, snapshot: a }; // older than the common snapshot: only the failover protects it
    const edited = { ...plan, steps: [...plan.steps, { id: `hdfs.snapshot.delete:${l.cluster}:${l.path}@${a}`, kind: 'hdfs.snapshot.delete', action: Action.Delete, policy: 'w', target, params: {}, reason: 'edited', dependsOn: all }] };
    assert.equal(checkSafety(edited, cfg, obs).map((v) => v.rule), ['failed-over'], `${l.cluster}`);
  }
});

test('a saved plan cannot point a failover step elsewhere', () => {
  const step = { id: 'x', kind: 'replicate.failover', action: Action.Update, policy: 'w', target: { cluster: 'prod', path: '/warehouse' }, params: { source: SRC }, reason: '', dependsOn: [] };
  assert.ok(checkHdfsStep(step, cfg).some((e) => e.includes('not a DR target')));
});

test('failed over: the source site is the writable DR copy, the dr site the old primary up to the snapshot it shares (unreported while it is down)', () => {
  const rpo = { ...cfg, policies: { w: { ...cfg.policies.w!, rpo: 2 * H } } } as typeof cfg;
  const later = NOW + 5 * H; // the old primary's snapshots are hours old by now; DR's are on schedule
  const drSnaps = [a, c, d1, snap(later - H)];
  const down = recoveryPoints(rpo, failedOver(undefined, drSnaps), later);
  assert.equal(down.map((r) => [r.site, r.newestAt, r.breached]), [['source', later - H, false]]);
  const primary = dir(SRC, { snaps: [a, c, p1] });
  const back = recoveryPoints(rpo, failedOver(primary, drSnaps), later);
  // the second copy is only as new as c, the last snapshot both sides have: breached, as it is
  assert.equal(back.map((r) => [r.site, r.newestAt, r.count, r.breached]), [['source', later - H, 4, false], ['dr', NOW - 2 * H, 3, true]]);
  assert.equal(back.map((r) => r.where), ['dr:/warehouse, the writable copy since the failover', 'prod:/warehouse, the old primary']);
});

test.run();
