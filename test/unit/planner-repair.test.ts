/**
 * The repair's crash window (issue 9, item 4): a repair re-anchors the common snapshot on the target
 * by renames (src/systems/hdfs/scratch.ts), so a kill at any point leaves the base under its name or
 * a scratch name. The planner must treat such a target as what it is — a pair with a common
 * snapshot whose repair was interrupted — never as diverged, and must drop leftover scratch.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planAll } from '../../src/planner/plan.js';
import { at, config, dir, DR, H, observed, policy, snap, SRC, summary } from './helpers-planner.js';

const NOW = at('2026-11-22T12:00:00Z');
const cfg = config(policy('w', { every: H, replicate: [{ to: DR }] }));
const a = snap(NOW - 2 * H);
const b = snap(NOW - H);

for (const left of [['hbr-repair-new-', 'hbr-repair-old-'], ['hbr-repair-old-'], ['hbr-repair-new-']]) {
  test(`a repair killed while re-anchoring (target has ${left.map((p) => p + 'A').join(' + ')}, no A): finish it, never a bootstrap or a hold`, () => {
    const obs = observed([dir(SRC, { snaps: [a, b] }), dir(DR, { snapshottable: true, snaps: left.map((p) => p + a), size: { bytes: 10, files: 1 } })]);
    const plan = planAll({ config: cfg, observed: obs, now: NOW - 30 * 60_000 });
    assert.equal(summary(plan), [
      `~ replicate.repair-target dr:/warehouse@${a}`,
      `~ replicate.distcp-diff dr:/warehouse@${b}`,
      `+ hdfs.snapshot.create dr:/warehouse@${b}`,
    ]);
    assert.is(plan.holds, undefined);
    assert.match(plan.steps[0]!.reason, /interrupted while re-anchoring/);
    assert.is(plan.steps[1]!.params.fromSnapshot, a);
  });
}

test('scratch snapshots left on an otherwise converged target are dropped (a repair that finds nothing to roll back)', () => {
  const obs = observed([
    dir(SRC, { snaps: [a, b] }),
    dir(DR, { snaps: [a, b, 'hbr-repair-lq3k9x', `hbr-repair-old-${b}`], changedSince: { snapshot: b, changed: false, entries: 0 } }),
  ]);
  const plan = planAll({ config: cfg, observed: obs, now: NOW - 30 * 60_000 });
  assert.equal(summary(plan).filter((l) => l.includes('replicate.')), [`~ replicate.repair-target dr:/warehouse@${b}`]);
  assert.match(plan.steps.find((s) => s.kind === 'replicate.repair-target')!.reason, /drop 2 scratch snapshots/);
});

test('a bootstrap killed mid-copy (files, no snapshot, hbr\'s mark for this source) is resumed, not held as diverged', () => {
  const obs = (mark: string | undefined) => {
    const t = dir(DR, { snapshottable: false, size: { bytes: 4096, files: 3 } });
    if (mark) t.copyInProgress = mark;
    return observed([dir(SRC, { snaps: [a, b] }), t]);
  };
  const resumed = planAll({ config: cfg, observed: obs(`prod:/warehouse@${a}`), now: NOW - 30 * 60_000 });
  assert.equal(summary(resumed).slice(0, 1), [`+ replicate.bootstrap dr:/warehouse@${b}`]);
  assert.match(resumed.steps[0]!.reason, /resumes hbr's interrupted copy/);
  assert.is(resumed.holds, undefined);
  // the same target without the mark, or marked for another source, is someone else's data: held
  for (const mark of [undefined, `other:/x@${a}`]) {
    const held = planAll({ config: cfg, observed: obs(mark), now: NOW - 30 * 60_000 });
    assert.equal(held.holds?.map((h) => h.reason), ['diverged'], String(mark));
    assert.not.ok(summary(held).some((l) => l.includes('replicate.')));
  }
});

// Issue 9, item 1: mass deletion or rewrite on the source (snapshots intact) is held like a diverged pair.
test('a copy that would delete or overwrite more than max_change of the target is held; retention freezes on both sides; the operator releases it', () => {
  const older = snap(NOW - 3 * H);
  const changes = (deleted: number, modified: number) =>
    observed([
      dir(SRC, { snaps: [older, a, b] }),
      Object.assign(dir(DR, { snaps: [older, a], changedSince: { snapshot: a, changed: false, entries: 0 } }), {
        sourceChangedSince: { snapshot: a, files: 100, deleted, modified },
      }),
    ]);
  const c = config(policy('w', { every: H, keep: { last: 1 }, replicate: [{ to: DR, keep: { last: 1 } }] }));
  const held = planAll({ config: c, observed: changes(90, 0), now: NOW - 30 * 60_000 });
  assert.equal(held.holds?.map((h) => [h.target, h.reason]), [['dr:/warehouse', 'mass-change']]);
  assert.match(held.holds![0]!.message, /90 of 100 files \(90%: 90 deleted, 0 rewritten\).*max_change 50%/);
  assert.not.ok(summary(held).some((l) => l.includes('replicate.') || l.includes('snapshot.delete')), summary(held).join('\n'));
  // ransomware: files rewritten in place count the same
  assert.equal(planAll({ config: c, observed: changes(0, 60), now: NOW - 30 * 60_000 }).holds?.map((h) => h.reason), ['mass-change']);
  // within the threshold: an ordinary incremental copy
  const fine = planAll({ config: c, observed: changes(10, 20), now: NOW - 30 * 60_000 });
  assert.is(fine.holds, undefined);
  assert.ok(summary(fine).includes(`~ replicate.distcp-diff dr:/warehouse@${b}`), summary(fine).join('\n'));
  // the operator's word: a replace
  const allowed = planAll({ config: c, observed: changes(90, 0), now: NOW - 30 * 60_000, allowOverwrite: ['dr:/warehouse'] });
  assert.ok(summary(allowed).includes(`-/+ replicate.distcp-diff dr:/warehouse@${b}`), summary(allowed).join('\n'));
  // max_change 100% turns the check off
  const off = config(policy('w', { every: H, replicate: [{ to: DR }] }));
  (off.policies.w as unknown as { replicate: Array<{ maxChange?: number }> }).replicate[0]!.maxChange = 1;
  assert.is(planAll({ config: off, observed: changes(90, 0), now: NOW - 30 * 60_000 }).holds, undefined);
});

test.run();
