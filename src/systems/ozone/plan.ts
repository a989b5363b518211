/**
 * The Ozone planner rules (pure: config + observed + now → steps). Per policy: the scheduled hbr
 * snapshot of the source bucket; per DR target the pair rules shared with HDFS
 * (src/planner/pair-rules.ts; docs/policies.md, "Diverged and held pairs"): no common snapshot → bootstrap (full DistCp of the newest source
 * snapshot, then the same name on the target) unless the target holds data or snapshots, which
 * holds the pair for the operator (`--allow-overwrite` makes it a `-/+` replace); a newer source
 * snapshot → `distcp -update -diff <common> <newest>`, then the same name on the target, unless
 * more than `max_change` of the source changed since the common snapshot, which holds the pair
 * (src/planner/mass-change.ts, shared with HDFS; `--allow-overwrite` makes the copy a `-/+`). Then
 * retention on every bucket involved: the policy's keep-rules and the shared floors
 * (src/planner/snapshot-floors.ts) as keep-rules (src/planner/retention.ts).
 */
import { futureNames, hbrNewestFirst, newestHbr, snapshotNames } from '../../hadoop/snapshots.js';
import { iso } from '../../model/format.js';
import { LOWER_CASE_NAMING, trustedUntil } from '../../model/names.js';
import { dirKey, type Observed, type ObservedDir } from '../../model/observed.js';
import { Action, stepId } from '../../model/plan.js';
import type { Config, Keep } from '../../model/policy.js';
import type { PlanBuilder } from '../../planner/builder.js';
import { massChangeAllowed } from '../../planner/mass-change.js';
import { decidePair } from '../../planner/pair-rules.js';
import { formatKeep, keepWhere, prune, rulesForKeep, type Candidate } from '../../planner/retention.js';
import { isDue } from '../../planner/schedule.js';
import type { PairSide } from '../../planner/snapshot-floors.js';
import { bucketFloors, mustFollow } from './safety.js';
import { bucketsOf, isVolumePolicy, KIND, pairFor, type BucketPair, type OzonePart, type OzonePolicy, type OzoneStep } from './types.js';

const text = (s: PairSide) => `${s.cluster}:${s.path}`;
/** Ozone's hbr names are lower-case (src/model/names.ts, LOWER_CASE_NAMING): hbr-20261122t130000z. */
const { name, parse } = LOWER_CASE_NAMING;

export function planOzone(b: PlanBuilder, policies: OzonePolicy[], observed: Observed, now: number, config: Config): void {
  const retention = new Map<string, { side: PairSide; policy: string; keeps: Keep[] }>();
  const addRetention = (side: PairSide, policy: string, keep: Keep) => {
    const k = dirKey(side.cluster, side.path);
    const r = retention.get(k);
    if (r) r.keeps.push(keep);
    else retention.set(k, { side, policy, keeps: [keep] });
  };
  const part = observed.parts?.ozone as OzonePart | undefined;
  for (const p of [...policies].sort((x, y) => (x.name < y.name ? -1 : 1))) {
    const buckets = bucketsOf(p, part);
    if (!buckets) {
      b.notPlanned(p.name, `the buckets of volume ${p.source.cluster}:/${p.source.volume} were not listed${observed.errors.filter((e) => e.cluster === p.source.cluster).map((e) => ` (${e.message})`).join('')}: nothing planned for this policy`);
      continue;
    }
    if (isVolumePolicy(p) && buckets.length === 0) b.warn(`volume ${p.source.cluster}:/${p.source.volume} has no bucket yet`, p.name);
    for (const bucket of buckets) planPolicy(b, p, pairFor(p, bucket), observed, now, addRetention);
  }
  for (const r of retention.values()) planRetention(b, r.side, r.policy, r.keeps, config, observed, now);
}

function notObserved(observed: Observed, s: PairSide): string {
  const errs = observed.errors.filter((e) => e.cluster === s.cluster && (e.path === undefined || e.path === s.path));
  return `${text(s)} was not observed${errs.length ? ` (${errs.map((e) => e.message).join('; ')})` : ''}`;
}

/**
 * The snapshot Ozone's ofs client takes to diff a snapshot against the live bucket
 * (getSnapshotDiffReport with an empty name: `"temp" + UUID + "s" + yyyyMMdd-HHmmss.SSS`, Ozone's
 * OzoneFSUtils.generateUniqueTempSnapshotName): DistCp -diff takes one on the DR bucket to check it
 * did not change since the common snapshot, and deletes it after — unless it is killed first.
 */
const DISTCP_TEMP_SNAPSHOT = /^temp[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}s\d{8}-\d{6}\.\d{3}$/;

/**
 * A DR bucket holding such leftovers is reported, never cleaned: the name is not hbr's (it carries
 * no owner; another DistCp may be using it), and it only keeps space, not data hbr needs. The
 * operator deletes them (docs/ozone.md, "Crash safety").
 */
function warnDistcpTemps(b: PlanBuilder, policy: string, s: PairSide, dir: ObservedDir): void {
  const temps = snapshotNames(dir).filter((n) => DISTCP_TEMP_SNAPSHOT.test(n));
  if (!temps.length) return;
  b.warn(
    `${text(s)} holds ${temps.length} temporary snapshot${temps.length === 1 ? '' : 's'} that DistCp -diff takes on Ozone and an interrupted copy left behind (${temps.slice(0, 2).join(', ')}${temps.length > 2 ? ', …' : ''}): they keep the space of keys deleted since; hbr deletes only its own names — once no DistCp into this bucket runs, remove them with ozone sh snapshot delete ${s.path} <name>`,
    policy,
  );
}

function warnFuture(b: PlanBuilder, policy: string, s: PairSide, dir: ObservedDir, now: number): void {
  const future = futureNames(snapshotNames(dir), trustedUntil(now), parse);
  if (future.length) b.warn(`${text(s)} has ${future.length} snapshot name${future.length === 1 ? '' : 's'} dated in the future (${future.slice(0, 3).join(', ')}; now is ${iso(now)}): not counted as recovery points and never deleted; check the clocks`, policy);
}

function planPolicy(b: PlanBuilder, p: OzonePolicy, pair: BucketPair, observed: Observed, now: number, addRetention: (s: PairSide, policy: string, keep: Keep) => void): void {
  const P = p.name;
  const { source, targets } = pair;
  const S = observed.dirs[dirKey(source.cluster, source.path)];
  if (!S) return b.notPlanned(P, `source bucket ${notObserved(observed, source)}: nothing planned for this policy`);
  if (!S.exists) {
    const copies = targets.flatMap((t) => {
      const T = observed.dirs[dirKey(t.side.cluster, t.side.path)];
      const hbr = T?.exists ? hbrNewestFirst(snapshotNames(T), trustedUntil(now), parse) : [];
      return hbr.length ? [`${text(t.side)} holds ${hbr.length} hbr snapshot${hbr.length === 1 ? '' : 's'}, the newest ${hbr[0]!.name}`] : [];
    });
    if (!copies.length) return b.warn(`source bucket ${text(source)} does not exist: nothing planned for this policy`, P);
    return b.warn(
      `source bucket ${text(source)} does not exist (deleted or renamed?) while its DR copy remains: ${copies.join('; ')}. Nothing is deleted there and no recovery point is counted for the source; restore with \`hbr restore ozone\`, or remove the DR copy by hand if the bucket was retired`,
      P,
    );
  }
  warnFuture(b, P, source, S, now);
  const until = trustedUntil(now);
  const names = snapshotNames(S);
  let created: string | undefined;
  const latest = newestHbr(names, until, undefined, parse);
  const due = isDue(p.snapshots.schedule, latest, now);
  if (!due.due && 'error' in due && due.error) b.warn(`schedule: ${due.error}`, P);
  // A DR bucket that changed since the newest source snapshot, which it shares: its re-sync needs a
  // newer snapshot to copy (./exec.ts, repair), so one is taken now even off schedule.
  const stale = targets.find((t) => {
    const cs = observed.dirs[dirKey(t.side.cluster, t.side.path)]?.changedSince;
    return latest !== undefined && cs?.changed === true && cs.snapshot === latest.name;
  });
  const reason = due.due ? due.reason : stale ? `${text(stale.side)} changed since ${latest!.name}: a newer snapshot to re-sync it to` : undefined;
  if (reason !== undefined && !names.includes(name(now))) {
    const target = { ...source, snapshot: name(now) };
    created = b.add({ id: stepId(KIND.create, target), kind: KIND.create, action: Action.Create, policy: P, target, params: {}, reason, dependsOn: [] });
    names.push(target.snapshot);
  }
  addRetention(source, P, p.snapshots.keep);
  const newest = newestHbr(names, until, undefined, parse);

  for (const t of targets) {
    const T = observed.dirs[dirKey(t.side.cluster, t.side.path)];
    if (!T) {
      b.warn(`DR target bucket ${notObserved(observed, t.side)}: its replication is not planned`, P);
      continue;
    }
    warnFuture(b, P, t.side, T, now);
    warnDistcpTemps(b, P, t.side, T);
    addRetention(t.side, P, t.keep);
    if (!newest) {
      b.warn(`no hbr snapshot of ${text(source)} to replicate to ${text(t.side)}`, P);
      continue;
    }
    planPair(b, p, source, S, t, T, newest.name, created && newest.name === name(now) ? [created] : [], until, observed);
  }
}

function planPair(b: PlanBuilder, p: OzonePolicy, source: PairSide, S: ObservedDir, t: { side: PairSide; maxChange?: number }, T: ObservedDir, newest: string, deps: string[], until: number, observed: Observed): void {
  const P = p.name;
  const to = t.side;
  const add = (s: Omit<OzoneStep, 'id' | 'policy'>) => b.add({ ...s, id: stepId(s.kind, s.target), policy: P });
  const onTarget = new Set(snapshotNames(T));
  const createOnTarget = (after: string, how: string) => {
    if (onTarget.has(newest)) return b.warn(`${text(to)} already has a snapshot named ${newest} that was not copied by this plan: not created again`, P);
    const target = { ...to, snapshot: newest };
    add({ kind: KIND.create, action: Action.Create, target, params: {}, reason: `record ${newest} on the DR side after the ${how}`, dependsOn: [after] });
  };
  // hbr's own bootstrap into this bucket, killed (its journal intent has no outcome) before the
  // snapshot that ends it: resumed, only what differs moves. HDFS marks the target's parent for
  // this (src/systems/hdfs/scratch.ts); Ozone buckets take no xattrs over the gateway, so the
  // journal is the mark here (docs/ozone.md, "Crash safety").
  const resuming = T.exists && T.snapshots.length === 0 && observed.unfinished.some((u) => u.kind === KIND.bootstrap && u.stepId.startsWith(`${KIND.bootstrap}:${to.cluster}:${to.path}@`));
  // The pair rules shared with HDFS (src/planner/pair-rules.ts); Ozone's own part is below: bucket
  // paths, lower-case names, and a changed DR bucket re-synced forward instead of rolled back.
  const d = decidePair({
    sourceText: text(source),
    targetText: text(to),
    source: S,
    target: T,
    newest,
    until,
    parse,
    resuming,
    ...(t.maxChange !== undefined ? { maxChange: t.maxChange } : {}),
    allowOverwrite: b.allowsOverwrite(text(to)),
    unit: 'keys',
  });
  switch (d.rule) {
    case 'held-diverged':
      return void b.hold({ policy: P, source: text(source), target: text(to), reason: 'diverged', message: d.message });
    case 'held-mass-change':
      // the -diff or the re-sync (-delete) would carry the loss to DR (src/planner/mass-change.ts)
      return void b.hold({ policy: P, source: text(source), target: text(to), reason: 'mass-change', message: d.message });
    case 'bootstrap':
    case 'bootstrap-replace': {
      let reason = `bootstrap: full copy of ${text(source)}@${newest}${d.rule === 'bootstrap' && d.target === 'absent' ? ' (target bucket does not exist yet)' : ''}`;
      if (d.rule === 'bootstrap' && d.target === 'resuming') reason += ": resumes hbr's interrupted copy (journal), only what differs moves";
      if (d.rule === 'bootstrap-replace') reason += `; REPLACES the diverged target (${d.what}; overwrite allowed by the operator): distcp -update -delete`;
      const boot = add({
        kind: KIND.bootstrap,
        action: d.rule === 'bootstrap-replace' ? Action.Replace : Action.Create,
        target: { ...to, snapshot: newest },
        params: { source, toSnapshot: newest, ...(d.rule === 'bootstrap' && d.target !== 'resuming' && { expectEmpty: true }) },
        reason,
        dependsOn: deps,
        ...(S.size ? { estimate: { bytes: S.size.bytes, files: S.size.files } } : {}),
      });
      return createOnTarget(boot, 'bootstrap');
    }
    case 'in-sync':
      if (d.since.state === 'changed') b.warn(`${text(to)} changed since ${d.common} and no newer source snapshot is planned: not repaired in this plan`, P);
      return;
    case 'incremental': {
      // How much of the source changed since the common snapshot could not be measured (the
      // comparison failed: its error is in the plan): the copy could carry a mass deletion the
      // max_change hold exists to stop, and the next plan would measure against the new common
      // snapshot and see nothing. Not copied until it can be measured, or the operator allows it
      // (the review of 2026-12-02; HDFS's measure is the NameNode's own snapshot diff, which the
      // -diff copy needs anyway).
      if (!d.mass && S.size && T.sourceChangedSince?.snapshot !== d.common && !b.allowsOverwrite(text(to))) {
        return b.warn(
          `${text(source)} -> ${text(to)} not copied: how much of ${text(source)} changed since ${d.common} could not be measured, so max_change cannot be checked (see the observation errors); or allow it with hbr apply --allow-overwrite ${text(to)}`,
          P,
        );
      }
      const allowed = d.mass ? `; ${massChangeAllowed(d.mass)}` : '';
      const action = d.mass ? Action.Replace : Action.Update;
      if (d.since.state === 'changed') {
        // HDFS's rule for a DR copy written behind hbr's back (src/systems/hdfs/replication.ts): it is
        // hbr's replica, so it is repaired, shown in the plan with what changed.
        const cs = d.since;
        const fix = add({
          kind: KIND.repair,
          action,
          target: { ...to, snapshot: newest },
          params: { source, fromSnapshot: d.common, toSnapshot: newest },
          reason: `DR bucket changed since ${d.common}: ${cs.entries} entr${cs.entries === 1 ? 'y' : 'ies'} (${cs.shown.join(', ')}${cs.entries > cs.shown.length ? ', …' : ''}); re-sync from ${newest} (distcp -update -delete): what was written there is rolled back${allowed}`,
          dependsOn: deps,
          ...(S.size ? { estimate: { bytes: S.size.bytes, files: S.size.files } } : {}),
        });
        return createOnTarget(fix, 're-sync');
      }
      const copy = add({
        kind: KIND.diff,
        action,
        target: { ...to, snapshot: newest },
        params: { source, fromSnapshot: d.common, toSnapshot: newest },
        reason: `incremental copy ${d.common} -> ${newest} (distcp -update -diff: only what changed moves)${allowed}`,
        dependsOn: deps,
      });
      return createOnTarget(copy, 'incremental copy');
    }
  }
}

function planRetention(b: PlanBuilder, side: PairSide, policy: string, keeps: Keep[], config: Config, observed: Observed, now: number): void {
  const key = dirKey(side.cluster, side.path);
  const dir = observed.dirs[key];
  if (!dir?.exists) return;
  const held = b.holdsOn(text(side));
  if (held.length) return b.warn(`retention on ${text(side)} deletes nothing while the pair ${held[0]!.source} -> ${held[0]!.target} is held (${held[0]!.reason})`, policy);
  const touching = b.steps.filter((s) => s.kind !== KIND.delete && (dirKey(s.target.cluster, s.target.path) === key || sourceKey(s) === key));
  const { floors, unverifiable } = bucketFloors(side.cluster, side.path, config, observed, touching, now);
  if (unverifiable.length) return b.warn(`retention on ${text(side)} not planned: ${unverifiable.join('; ')}`, policy);
  const until = trustedUntil(now);
  const time = (n: string) => {
    const t = parse(n);
    return t !== undefined && t <= until ? t : undefined;
  };
  // what this plan creates there counts toward the keep-rules too (never destroyed: planned), as in HDFS's retention
  const observedNames = new Set(snapshotNames(dir));
  const plannedNames = b.stepsAt(key).filter((s) => s.kind === KIND.create && s.target.snapshot && !observedNames.has(s.target.snapshot)).map((s) => s.target.snapshot!);
  const candidates: Candidate[] = [
    ...dir.snapshots.map((s) => ({ name: s.name, time: time(s.name), planned: false })),
    ...plannedNames.map((n) => ({ name: n, time: time(n), planned: true })),
  ];
  const rules = [...floors.map((f) => keepWhere(`floor:${f.rule}`, f.protects)), ...keeps.flatMap((k) => rulesForKeep(k))];
  const { destroy } = prune(candidates, rules);
  if (!destroy.length) return;
  const follow = mustFollow(side.cluster, side.path, config);
  const dependsOn = b.steps.filter((s) => s.kind !== KIND.delete && follow.has(dirKey(s.target.cluster, s.target.path))).map((s) => s.id);
  const reason = `outside keep ${keeps.map(formatKeep).join(' and ')}; no safety floor holds it`;
  for (const c of destroy) {
    if (c.planned) continue;
    const target = { ...side, snapshot: c.name };
    b.add({ id: stepId(KIND.delete, target), kind: KIND.delete, action: Action.Delete, policy, target, params: {}, reason, dependsOn });
  }
}

function sourceKey(s: { kind: string; params: unknown }): string | undefined {
  const src = (s.params as OzoneStep['params']).source;
  return src ? dirKey(src.cluster, src.path) : undefined;
}
