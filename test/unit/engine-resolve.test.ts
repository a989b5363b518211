/**
 * Interrupted steps are resolved (issue 9 item 9): an intent without outcome stays "unfinished" —
 * and every plan warns about it — only until a later run of its policy observed everything the
 * policy touches and carried out the whole plan made from that observation (the repair included).
 * That run journals a `resolved` record; readUnfinished forgets the intent; the warning goes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compactJournal, Journal, readJournal, readUnfinished } from '../../src/engine/journal.js';
import { resolveInterrupted, resolvedBy } from '../../src/engine/resolve.js';
import type { ApplyResult } from '../../src/engine/apply.js';
import { planAll } from '../../src/planner/plan.js';
import type { Observed, UnfinishedStep } from '../../src/model/observed.js';
import type { Plan } from '../../src/model/plan.js';
import { step, tempDir } from '../fixtures/engine-helpers.js';
import { applyPlan, config, dir, DR, H, M, observed, policy, snap, SRC, stepsOf } from './helpers-planner.js';

const NOW = Date.parse('2026-11-22T13:00:00Z');
const cfg = () => config(policy('warehouse', { replicate: [{ to: DR }] }), policy('other', { source: { cluster: 'prod', path: '/other' } }));
const DIFF = 'replicate.distcp-diff:dr:/warehouse@x';

/** All steps of `plan` done (or those named in `failed` failed). */
function ran(plan: Plan, failed: string[] = []): ApplyResult {
  return {
    run: 'r2',
    done: plan.steps.filter((s) => !failed.includes(s.id)).map((s) => ({ step: s, outcome: {}, ms: 1 })),
    failed: plan.steps.filter((s) => failed.includes(s.id)).map((s) => ({ step: s, error: 'boom', ms: 1 })),
    skipped: [],
    interrupted: false,
  };
}

/** A run killed mid-DistCp: the intent is in the journal, no outcome. */
function crashed(): { state: string; unfinished: UnfinishedStep[] } {
  const state = tempDir();
  const j = Journal.open(state);
  j.intent('r1', step(DIFF, { kind: 'replicate.distcp-diff', policy: 'warehouse' }));
  j.intent('r1', step('o', { policy: 'other' }));
  j.done('r1', step('o', { policy: 'other' }), {});
  j.close();
  return { state, unfinished: readUnfinished(state) };
}

/** What the observers see after the crash: the DR target changed since the common snapshot. */
function afterCrash(unfinished: UnfinishedStep[], errors: Observed['errors'] = []): Observed {
  const a = snap(NOW - H);
  return observed(
    [dir(SRC, { snaps: [a] }), dir(DR, { snaps: [a], changedSince: { snapshot: a, changed: true, entries: 5 } }), dir({ cluster: 'prod', path: '/other' }, { snaps: [a] })],
    { unfinished, errors, at: NOW - 30 * M },
  );
}

const warned = (plan: Plan) => plan.warnings.filter((w) => /was interrupted/.test(w.message)).map((w) => w.message);

test('journal: a resolved record ends an unfinished intent; a later intent of the same step is unfinished again; compaction drops it', () => {
  const { state, unfinished } = crashed();
  assert.equal(unfinished.map((u) => u.stepId), [DIFF]);
  const j = Journal.open(state);
  j.resolved('r2', unfinished[0]!);
  assert.equal(readUnfinished(state), []);
  const last = readJournal(state).at(-1)!;
  assert.equal({ ...last, ts: 0 }, { ts: 0, run: 'r2', event: 'resolved', stepId: DIFF, kind: 'replicate.distcp-diff', policy: 'warehouse' });
  j.intent('r3', step(DIFF, { kind: 'replicate.distcp-diff', policy: 'warehouse' }));
  j.close();
  assert.equal(readUnfinished(state).map((u) => u.stepId), [DIFF], 'a new crash of the same step counts');
  assert.equal(compactJournal(state, 1), { kept: 1, dropped: 4 }, 'the resolved intent is no longer kept by compaction');
  assert.equal(readUnfinished(state).map((u) => u.stepId), [DIFF]);
});

test('planner: the interrupted step warns before its repair, and not after the run that repaired it', () => {
  const { state } = crashed();
  const config = cfg();
  // Before: the plan warns and plans the repair of the half-copied target.
  const obs = afterCrash(readUnfinished(state));
  const plan = planAll({ config, observed: obs, now: obs.at });
  assert.is(warned(plan).length, 1);
  assert.match(warned(plan)[0]!, `step ${DIFF} was interrupted at `);
  assert.is(stepsOf(plan, 'replicate.repair-target').length, 1);

  // The repair run fails: still unresolved, still warned about.
  const j = Journal.open(state);
  const repair = stepsOf(plan, 'replicate.repair-target')[0]!.id;
  assert.equal(resolveInterrupted(j, 'r2', { config, observed: obs, plan, result: ran(plan, [repair]) }), []);
  assert.is(warned(planAll({ config, observed: afterCrash(readUnfinished(state)), now: obs.at })).length, 1);

  // The next run repairs it all: resolved, journaled, and the next plan has no warning.
  const obs2 = afterCrash(readUnfinished(state));
  const plan2 = planAll({ config, observed: obs2, now: obs2.at });
  const res = resolveInterrupted(j, 'r3', { config, observed: obs2, plan: plan2, result: ran(plan2) });
  j.close();
  assert.equal(res.map((u) => u.stepId), [DIFF]);
  assert.equal(readUnfinished(state), []);
  const after = applyPlan({ ...obs2, unfinished: readUnfinished(state) }, plan2, obs2.at);
  const plan3 = planAll({ config, observed: { ...after, unfinished: readUnfinished(state) }, now: obs2.at + M });
  assert.equal(warned(plan3), []);
  assert.equal(plan3.steps, [], 'converged');
});

test('resolvedBy: only a run that observed the whole policy, planned it, was not held and did every step of it', () => {
  const { unfinished } = crashed();
  const config = cfg();
  const obs = afterCrash(unfinished);
  const plan = planAll({ config, observed: obs, now: obs.at });
  const ids = (u: UnfinishedStep[]) => u.map((x) => x.stepId);
  assert.equal(ids(resolvedBy({ config, observed: obs, plan, result: ran(plan) })), [DIFF]);
  assert.equal(ids(resolvedBy({ config, observed: obs, plan, targets: ['warehouse'], result: ran(plan) })), [DIFF]);
  // another policy's run says nothing about this one
  const other = planAll({ config, observed: obs, now: obs.at, targets: ['other'] });
  assert.equal(ids(resolvedBy({ config, observed: obs, plan: other, targets: ['other'], result: ran(other) })), []);
  // a step of the policy failed, or was skipped, or never ran (no result while steps were planned)
  assert.equal(ids(resolvedBy({ config, observed: obs, plan, result: ran(plan, [plan.steps[0]!.id]) })), []);
  const skipped: ApplyResult = { ...ran(plan), done: [], skipped: plan.steps.map((s) => ({ step: s, because: 'run interrupted' })), interrupted: true };
  assert.equal(ids(resolvedBy({ config, observed: obs, plan, result: skipped })), []);
  assert.equal(ids(resolvedBy({ config, observed: obs, plan })), []);
  // the DR cluster could not be observed: its state is unknown
  const blind = afterCrash(unfinished, [{ cluster: 'dr', message: 'connection refused' }]);
  const blindPlan = planAll({ config, observed: blind, now: blind.at });
  assert.equal(ids(resolvedBy({ config, observed: blind, plan: blindPlan, result: ran(blindPlan) })), []);
  // an error on a cluster the policy does not touch does not matter
  const elsewhere = afterCrash(unfinished, [{ cluster: 'elsewhere', message: 'down' }]);
  const elsewherePlan = planAll({ config, observed: elsewhere, now: elsewhere.at });
  assert.equal(ids(resolvedBy({ config, observed: elsewhere, plan: elsewherePlan, result: ran(elsewherePlan) })), [DIFF]);
  // the pair is held for the operator: not converged
  const held: Plan = { ...plan, steps: [], holds: [{ policy: 'warehouse', target: 'dr:/warehouse', source: 'prod:/warehouse', reason: 'diverged', message: 'held' }] };
  assert.equal(ids(resolvedBy({ config, observed: obs, plan: held })), []);
  // an empty plan with nothing held: the observation shows it converged
  const converged = afterCrash(unfinished);
  converged.dirs['dr:/warehouse']!.changedSince = { snapshot: snap(NOW - H), changed: false, entries: 0 };
  const empty = planAll({ config, observed: converged, now: converged.at });
  assert.equal(empty.steps, []);
  assert.equal(ids(resolvedBy({ config, observed: converged, plan: empty })), [DIFF]);
  // the policy is gone from the files: nothing can be observed for it, it stays
  const gone = config.policies;
  const only = { ...config, policies: { other: gone.other! } };
  assert.equal(ids(resolvedBy({ config: only, observed: obs, plan: planAll({ config: only, observed: obs, now: obs.at }) })), []);
});

test.run();
