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

test.run();
