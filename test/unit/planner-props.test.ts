/**
 * Property-based tests of the planner over random snapshot sets (random times, foreign names,
 * random common sets between source and targets), random `now`, keep counts and schedules.
 * The expectations use small independent oracles written here, not the planner's own rules.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { parseSnapshotName } from '../../src/model/names.js';
import type { Observed } from '../../src/model/observed.js';
import type { Plan, Step } from '../../src/model/plan.js';
import type { HdfsParams } from '../../src/systems/hdfs/types.js';
import type { Config, Keep } from '../../src/model/policy.js';
import { planAll, SafetyViolation } from '../../src/planner/plan.js';
import { applyPlan, config, D, deletedNames, dir, dirKey, H, M, observed, policy, snap, SRC, SRC_KEY } from './helpers-planner.js';

const RUNS = 300;
const BASE = Date.UTC(2026, 0, 1);
const TARGETS = [
  { cluster: 'dr', path: '/warehouse' },
  { cluster: 'dr2', path: '/w' },
];
const FOREIGN = ['manual', 's0', 'before-upgrade', 'hbr-2026', 'hbr-20261301T000000Z', '.snapshot-x'];

const timeArb = fc.integer({ min: 0, max: 90 * 24 * 60 }).map((m) => BASE + m * M); // a minute grid over 90 days
const keepArb: fc.Arbitrary<Keep> = fc.record(
  { last: fc.nat(4), hourly: fc.nat(6), daily: fc.nat(6), weekly: fc.nat(3), monthly: fc.nat(3), yearly: fc.nat(2) },
  { requiredKeys: [] },
);
const scheduleArb = fc.oneof(
  fc.constantFrom(30 * M, H, 6 * H, D).map((every) => ({ every })),
  fc.constantFrom('0 * * * *', '0 2 * * *', '*/15 * * * *', '30 3 * * 1').map((cron) => ({ cron })),
);

const targetArb = fc.record({
  state: fc.constantFrom('exists', 'exists', 'exists', 'exists', 'missing', 'unobserved'),
  /** which of the source's hbr snapshots the target also has */
  commonMask: fc.array(fc.boolean(), { minLength: 0, maxLength: 40 }),
  extra: fc.uniqueArray(timeArb, { maxLength: 4 }),
  foreign: fc.subarray(FOREIGN, { maxLength: 2 }),
  changed: fc.constantFrom('match-unchanged', 'match-unchanged', 'match-changed', 'other', 'none'),
  keep: keepArb,
  snapshottable: fc.boolean(),
  size: fc.option(fc.record({ bytes: fc.nat(1000), files: fc.nat(10) }), { nil: undefined }),
});

const caseArb = fc.record({
  sourceTimes: fc.uniqueArray(timeArb, { maxLength: 30 }),
  sourceForeign: fc.subarray(FOREIGN, { maxLength: 3 }),
  snapshottable: fc.boolean(),
  keep: keepArb,
  schedule: scheduleArb,
  targets: fc.array(targetArb, { maxLength: 2 }),
  now: fc.integer({ min: 0, max: 92 * D }).map((d) => BASE + d),
});
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

interface World {
  cfg: Config;
  obs: Observed;
  now: number;
  targets: Array<{ key: string; keep: Keep; observed: boolean }>;
}

function build(c: Case): World {
  const srcHbr = c.sourceTimes.map(snap);
  const src = dir(SRC, { snaps: [...c.sourceForeign, ...srcHbr], snapshottable: c.snapshottable || srcHbr.length + c.sourceForeign.length > 0 });
  const dirs = [src];
  const targets: World['targets'] = [];
  c.targets.forEach((t, i) => {
    const to = TARGETS[i]!;
    targets.push({ key: dirKey(to.cluster, to.path), keep: t.keep, observed: t.state !== 'unobserved' });
    if (t.state === 'unobserved') return;
    if (t.state === 'missing') return void dirs.push(dir(to, { exists: false }));
    const names = [...new Set([...srcHbr.filter((_, j) => t.commonMask[j]), ...t.extra.map(snap), ...t.foreign])];
    const common = oracleNewestCommon(srcHbr, names);
    const changedSince =
      t.changed === 'none' || (!common && t.changed !== 'other')
        ? undefined
        : t.changed === 'other'
          ? { snapshot: names[0] ?? 'x', changed: true, entries: 2 }
          : { snapshot: common as string, changed: t.changed === 'match-changed', entries: t.changed === 'match-changed' ? 4 : 0 };
    dirs.push(dir(to, { snaps: names, snapshottable: t.snapshottable || names.length > 0, ...(changedSince ? { changedSince } : {}), ...(t.size ? { size: t.size } : {}) }));
  });
  const cfg = config(
    policy('warehouse', {
      ...c.schedule,
      keep: c.keep,
      replicate: c.targets.map((t, i) => ({ to: TARGETS[i]!, keep: t.keep })),
    }),
  );
  return { cfg, obs: observed(dirs), now: c.now, targets };
}

// ---- oracles ----------------------------------------------------------------------------------

/**
 * The time an hbr name encodes, for the oracles: a name dated after the case's now (+ the 5 min
 * skew hbr allows) is not trusted, so it is treated as foreign (never counted, never deleted).
 */
let trustedUntilNow = Infinity;
const time = (n: string): number | undefined => {
  const t = parseSnapshotName(n);
  return t !== undefined && t <= trustedUntilNow ? t : undefined;
};
const hbrOf = (names: string[]): string[] => names.filter((n) => time(n) !== undefined).sort((a, b) => time(b)! - time(a)!);

function oracleNewestCommon(a: string[], b: string[]): string | undefined {
  const onB = new Set(b);
  return hbrOf(a).find((n) => onB.has(n));
}

function bucketKey(period: string, t: number): string {
  const d = new Date(t);
  const iso = d.toISOString();
  switch (period) {
    case 'hourly': return iso.slice(0, 13);
    case 'daily': return iso.slice(0, 10);
    case 'weekly': return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - ((d.getUTCDay() + 6) % 7))).toISOString().slice(0, 10);
    case 'monthly': return iso.slice(0, 7);
    default: return iso.slice(0, 4);
  }
}

function oracleGfs(period: string, n: number, names: string[]): string[] {
  const newestOf = new Map<string, string>();
  for (const name of hbrOf(names)) {
    const k = bucketKey(period, time(name)!);
    if (!newestOf.has(k)) newestOf.set(k, name); // hbrOf is newest first
  }
  return [...newestOf.values()].slice(0, n);
}

function oraclePolicyKeep(keep: Keep, names: string[]): Set<string> {
  const out = new Set(hbrOf(names).slice(0, keep.last ?? 0));
  for (const p of ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const) for (const n of oracleGfs(p, keep[p] ?? 0, names)) out.add(n);
  return out;
}

const namesOn = (obs: Observed, key: string): string[] => obs.dirs[key]?.snapshots.map((s) => s.name) ?? [];
const createdOn = (plan: Plan, key: string): string[] =>
  plan.steps.filter((s) => s.kind === 'hdfs.snapshot.create' && dirKey(s.target.cluster, s.target.path) === key).map((s) => s.target.snapshot!);

/** What no floor may lose: the kept set the floors alone require on each side (p2, p3 and the not-replicated floor). */
function oracleFloors(w: World, plan: Plan, key: string): Set<string> {
  const names = namesOn(w.obs, key);
  const all = [...names, ...createdOn(plan, key)];
  const keep = new Set<string>(all.filter((n) => time(n) === undefined));
  for (const n of createdOn(plan, key)) keep.add(n);
  // the last recovery point: the newest *observed* hbr snapshot (one the plan creates does not count)
  const newest = hbrOf(names)[0];
  if (newest) keep.add(newest);
  for (const step of plan.steps) {
    const s = step as Step<HdfsParams>;
    const touches = dirKey(s.target.cluster, s.target.path) === key || (s.params.source && dirKey(s.params.source.cluster, s.params.source.path) === key);
    if (touches && s.kind !== 'hdfs.snapshot.delete') for (const n of [s.params.fromSnapshot, s.params.toSnapshot, s.params.baseSnapshot]) if (n) keep.add(n);
  }
  const src = namesOn(w.obs, SRC_KEY);
  if (key === SRC_KEY) {
    for (const t of w.targets) {
      const tDir = w.obs.dirs[t.key];
      const common = tDir?.exists ? oracleNewestCommon(src, namesOn(w.obs, t.key)) : undefined;
      if (common) keep.add(common);
      for (const n of hbrOf(names)) if (!common || time(n)! > time(common)!) keep.add(n);
    }
  } else {
    const common = oracleNewestCommon(src, names);
    if (common) keep.add(common);
  }
  return keep;
}

/** The exact deletes retention must plan on `key` (undefined: retention must not run there). */
/** A diverged target (it holds data or snapshots, none in common with the source) is held: nothing there is deleted. */
function oracleHeld(w: World, key: string): boolean {
  const d = w.obs.dirs[key];
  if (key === SRC_KEY || !d || !d.exists) return false;
  const holdsData = d.snapshots.length > 0 || d.size === undefined || d.size.files > 0 || d.size.bytes > 0;
  return holdsData && !oracleNewestCommon(namesOn(w.obs, SRC_KEY), namesOn(w.obs, key));
}

function oracleDeletes(w: World, plan: Plan, key: string, keep: Keep): string[] | undefined {
  const d = w.obs.dirs[key];
  if (!d || !d.exists) return undefined;
  if (w.targets.some((t) => !t.observed)) return key === SRC_KEY ? undefined : oracleDeletesFor();
  return oracleDeletesFor();
  function oracleDeletesFor(): string[] {
    const names = namesOn(w.obs, key);
    // A diverged target (it holds data or snapshots, none in common with the source) is held:
    // nothing there is deleted until the operator decides.
    if (oracleHeld(w, key)) return [];
    const floors = oracleFloors(w, plan, key);
    const policyKeep = oraclePolicyKeep(keep, [...names, ...createdOn(plan, key)]);
    return hbrOf(names).filter((n) => !floors.has(n) && !policyKeep.has(n)).sort();
  }
}

const sides = (w: World, c: Case): Array<{ key: string; keep: Keep }> => [
  { key: SRC_KEY, keep: c.keep },
  ...w.targets.filter((t) => t.observed).map((t) => ({ key: t.key, keep: t.keep })),
];

// ---- properties -------------------------------------------------------------------------------

const prop = (name: string, body: (c: Case) => void): void =>
  test(name, () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        trustedUntilNow = c.now + 5 * 60_000;
        body(c);
      }),
      { numRuns: RUNS },
    );
  });

prop('p1: no plan ever deletes a foreign snapshot', (c) => {
  const w = build(c);
  const plan = planAll({ config: w.cfg, observed: w.obs, now: w.now });
  for (const s of plan.steps) if (s.kind === 'hdfs.snapshot.delete') assert.ok(time(s.target.snapshot!) !== undefined, s.id);
});

prop('p2: the newest hbr snapshot of each side survives (and a side with hbr snapshots keeps one)', (c) => {
  const w = build(c);
  const plan = planAll({ config: w.cfg, observed: w.obs, now: w.now });
  const after = applyPlan(w.obs, plan, w.now);
  for (const { key } of sides(w, c)) {
    const before = [...namesOn(w.obs, key), ...createdOn(plan, key)];
    const newest = hbrOf(before)[0];
    if (!newest) continue;
    assert.not.ok(deletedNames(plan, key).includes(newest), `${key} lost ${newest}`);
    assert.ok(hbrOf(namesOn(after, key)).length > 0);
  }
});

prop('p3: the newest common snapshot survives on both sides', (c) => {
  const w = build(c);
  const plan = planAll({ config: w.cfg, observed: w.obs, now: w.now });
  for (const t of w.targets) {
    if (!t.observed) continue;
    const common = oracleNewestCommon(namesOn(w.obs, SRC_KEY), namesOn(w.obs, t.key));
    if (!common) continue;
    assert.not.ok(deletedNames(plan, SRC_KEY).includes(common));
    assert.not.ok(deletedNames(plan, t.key).includes(common));
  }
});

prop('p4: deletes = hbr snapshots kept by no rule, exactly (with keep {} that is: all hbr but the floors)', (c) => {
  const w = build(c);
  const plan = planAll({ config: w.cfg, observed: w.obs, now: w.now });
  for (const { key, keep } of sides(w, c)) {
    const expected = oracleDeletes(w, plan, key, keep);
    assert.equal(deletedNames(plan, key).sort(), expected ?? [], key);
    // with keep {}, only the floors keep hbr snapshots
    const floors = oracleFloors(w, plan, key);
    for (const n of hbrOf(namesOn(w.obs, key))) {
      if (!floors.has(n) && expected !== undefined && !oracleHeld(w, key) && Object.values(keep).every((v) => !v)) assert.ok(deletedNames(plan, key).includes(n));
    }
  }
  for (const t of w.targets) if (!t.observed) assert.ok(plan.warnings.length > 0);
});

prop('p5: planAll never throws SafetyViolation for valid inputs', (c) => {
  const w = build(c);
  try {
    planAll({ config: w.cfg, observed: w.obs, now: w.now });
  } catch (e) {
    if (e instanceof SafetyViolation) assert.unreachable(e.message);
    throw e;
  }
});

prop('p6: deterministic; applying the plan and re-planning converges (no creates, then nothing)', (c) => {
  const w = build(c);
  const plan1 = planAll({ config: w.cfg, observed: w.obs, now: w.now });
  assert.equal(planAll({ config: structuredClone(w.cfg), observed: structuredClone(w.obs), now: w.now }), plan1);
  const obs2 = applyPlan(w.obs, plan1, w.now);
  const plan2 = planAll({ config: w.cfg, observed: obs2, now: w.now });
  // round 2: nothing to create or copy; deletes only of what round 1 kept for the *old* DR state:
  // the old newest common and the not-yet-replicated snapshots (replicated now) — never a policy keep
  for (const s of plan2.steps) assert.is(s.kind, 'hdfs.snapshot.delete', s.id);
  for (const { key, keep } of sides(w, c)) {
    const gone = deletedNames(plan2, key);
    if (!gone.length) continue;
    assert.ok(plan1.steps.some((s) => s.kind !== 'hdfs.snapshot.delete'), 'deletes in round 2 only after DR work in round 1');
    const policyKeep = oraclePolicyKeep(keep, namesOn(obs2, key));
    for (const n of gone) assert.not.ok(policyKeep.has(n), `${key}@${n}`);
  }
  const plan3 = planAll({ config: w.cfg, observed: applyPlan(obs2, plan2, w.now), now: w.now });
  assert.equal(plan3.steps, []);
});

prop('p7: GFS {daily: n} keeps at most one snapshot per UTC day, the newest of it, n days', (c) => {
  const n = (c.keep.daily ?? 0) + 1;
  const w = build({ ...c, keep: { daily: n }, targets: [] });
  // Two rounds: the new snapshot becomes the last recovery point only once it is observed, so the
  // previous newest of its day goes in the round after it.
  const plan1 = planAll({ config: w.cfg, observed: w.obs, now: w.now });
  const before = hbrOf([...namesOn(w.obs, SRC_KEY), ...createdOn(plan1, SRC_KEY)]);
  const obs1 = applyPlan(w.obs, plan1, w.now);
  const plan = planAll({ config: w.cfg, observed: obs1, now: w.now });
  const kept = hbrOf(namesOn(applyPlan(obs1, plan, w.now), SRC_KEY));
  const days = kept.map((k) => bucketKey('daily', time(k)!));
  assert.is(new Set(days).size, days.length, `two kept in one day: ${kept.join()}`);
  assert.is(kept.length, Math.min(n, new Set(before.map((k) => bucketKey('daily', time(k)!))).size));
  for (const k of kept) assert.is(before.find((b) => bucketKey('daily', time(b)!) === bucketKey('daily', time(k)!)), k);
});

test.run();
