/**
 * The HDFS snapshot planner rules. Pure: config + observed + now → steps in the PlanBuilder.
 *
 * Per policy, in dependency order (a policy whose source is another's DR target comes after it;
 * otherwise by name): allow snapshots, create the scheduled snapshot, replicate to each target
 * (./replication.ts); then retention for every directory involved (GFS keep-rules from
 * src/planner/retention.ts + the floors of ./safety.ts).
 */
import { snapshotName, trustedUntil } from '../../model/names.js';
import { ALL_PRESERVE, unsupported } from './preserve.js';
import { dirKey, type Observed, type ObservedDir } from '../../model/observed.js';
import { Action, stepId, type Step } from '../../model/plan.js';
import type { Config } from '../../model/policy.js';
import type { PlanBuilder } from '../../planner/builder.js';
import { formatKeep, keepWhere, prune, rulesForKeep, type Candidate } from '../../planner/retention.js';
import { isDue } from '../../planner/schedule.js';
import { futureNames, newestHbr, snapshotNames } from '../../hadoop/snapshots.js';
import { iso } from '../../model/format.js';
import { parseSnapshotName } from '../../model/names.js';
import { createdOn, stepsOn } from './plan-helpers.js';
import { planReplication } from './replication.js';
import { cannotFailOver, failedOverTarget, failoverRequests, planFailedOver, planPromote, planUnplanned } from './failover.js';
import { deleteMustFollow, floorsFor, rolesOf, stepDir } from './safety.js';
import { isHdfsStep, KIND, type HdfsLocation, type HdfsSnapshotPolicy } from './types.js';

/**
 * Plans the given (selected) HDFS snapshot policies into `b`: their steps, then retention on every
 * directory they involve.
 */
export function planHdfs(b: PlanBuilder, selected: HdfsSnapshotPolicy[], observed: Observed, now: number, config: Config): void {
  const retention = new Map<string, RetentionDir>(); // by dirKey, first policy to name it, in order
  const addRetention = (l: HdfsLocation, policy: string): void => {
    const k = dirKey(l.cluster, l.path);
    if (!retention.has(k)) retention.set(k, { cluster: l.cluster, path: l.path, policy });
  };
  for (const policy of orderPolicies(selected, (m) => b.warn(m))) {
    planPolicy(b, policy, observed, now, addRetention);
  }
  // Retention adds only deletes, so the non-delete steps are indexed once here, not scanned per directory.
  const live = indexLive(b.steps);
  for (const r of retention.values()) planRetention(b, r, config, observed, now, live);
}

/** The plan's non-delete steps by the directories they act on or read from, with their plan positions. */
interface LiveIndex {
  /** by dirKey of the directory a step acts on */
  on: Map<string, Step[]>;
  /** by dirKey of every directory a step acts on or reads from (params.source) */
  touching: Map<string, Step[]>;
  position: Map<Step, number>;
}

function indexLive(steps: readonly Step[]): LiveIndex {
  const ix: LiveIndex = { on: new Map(), touching: new Map(), position: new Map() };
  const push = (m: Map<string, Step[]>, k: string, s: Step): void => {
    const l = m.get(k);
    if (l) l.push(s);
    else m.set(k, [s]);
  };
  steps.forEach((s, i) => {
    if (s.kind === KIND.delete) return;
    ix.position.set(s, i);
    const k = stepDir(s);
    push(ix.on, k, s);
    push(ix.touching, k, s);
    const src = isHdfsStep(s) ? s.params.source : undefined;
    if (src && dirKey(src.cluster, src.path) !== k) push(ix.touching, dirKey(src.cluster, src.path), s);
  });
  return ix;
}

const locText = (l: HdfsLocation): string => `${l.cluster}:${l.path}`;

function notObserved(observed: Observed, l: HdfsLocation): string {
  const errs = observed.errors.filter((e) => e.cluster === l.cluster && (e.path === undefined || e.path === l.path));
  return errs.length ? `${locText(l)} was not observed (${errs.map((e) => e.message).join('; ')})` : `${locText(l)} was not observed`;
}

/**
 * Dependency order: a policy whose source is the DR target of another comes after that one; ties
 * and independent policies by name. A cycle is broken by name, with a warning.
 */
export function orderPolicies(policies: HdfsSnapshotPolicy[], warn: (m: string) => void): HdfsSnapshotPolicy[] {
  const byName = [...policies].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const feeds = (a: HdfsSnapshotPolicy, b: HdfsSnapshotPolicy): boolean =>
    a !== b && a.replicate.some((r) => r.to.cluster === b.source.cluster && r.to.path === b.source.path);
  const out: HdfsSnapshotPolicy[] = [];
  const left = new Set(byName);
  while (left.size) {
    const ready = byName.find((p) => left.has(p) && ![...left].some((q) => feeds(q, p)));
    if (ready) {
      out.push(ready);
      left.delete(ready);
      continue;
    }
    const rest = byName.filter((p) => left.has(p));
    warn(`policies ${rest.map((p) => p.name).join(', ')} replicate into each other's sources (a cycle): planned by name`);
    out.push(...rest);
    break;
  }
  return out;
}

interface RetentionDir {
  cluster: string;
  path: string;
  policy: string;
}

function planPolicy(
  b: PlanBuilder,
  policy: HdfsSnapshotPolicy,
  observed: Observed,
  now: number,
  addRetention: (l: HdfsLocation, policy: string) => void,
): void {
  const P = policy.name;
  // A failed-over pair runs the other way (./failover.ts); a failover asked for is planned here.
  const req = failoverRequests(b, P);
  const fo = failedOverTarget(policy, observed);
  if (fo) return planFailedOver(b, policy, fo, observed, now, req);
  if (req.failback) b.warn(`${P} is not failed over (no failover mark on its DR target): nothing to fail back`, P);
  if (req.failover) {
    const cannot = cannotFailOver(policy, observed);
    if (cannot) return b.notPlanned(P, cannot);
    if (req.failover.mode === 'unplanned') return planUnplanned(b, policy, observed, now);
  }
  const sKey = dirKey(policy.source.cluster, policy.source.path);
  const S: ObservedDir | undefined = observed.dirs[sKey];
  if (!S) {
    if (req.failover) return b.notPlanned(P, `planned failover: the source ${notObserved(observed, policy.source)}; if it is lost, fail over with --unplanned`);
    b.notPlanned(P, `source ${notObserved(observed, policy.source)}: nothing planned for this policy`);
    return;
  }
  if (!S.exists) {
    b.warn(`source ${locText(policy.source)} does not exist: nothing planned for this policy`, P);
    return;
  }

  if (!S.snapshottable) {
    b.add({
      id: stepId(KIND.allow, policy.source),
      kind: KIND.allow,
      action: Action.Update,
      policy: P,
      target: { cluster: policy.source.cluster, path: policy.source.path },
      params: {},
      reason: `${locText(policy.source)} is not snapshottable: allow snapshots`,
      dependsOn: stepsOn(b, sKey),
    });
  }

  // hbr snapshots of the source: observed, plus any an earlier policy plans there
  const plannedOnSource = createdOn(b, sKey);
  const names = [...snapshotNames(S), ...plannedOnSource.keys()];
  const until = trustedUntil(now);
  warnFuture(b, P, locText(policy.source), names, now);
  const due = isDue(policy.snapshots.schedule, newestHbr(names, until), now);
  if (!due.due && 'error' in due && due.error) b.warn(`schedule: ${due.error}`, P);
  if (due.due || req.failover) {
    const name = snapshotName(now);
    if (!names.includes(name)) {
      const target = { cluster: policy.source.cluster, path: policy.source.path, snapshot: name };
      const id = b.add({
        id: stepId(KIND.create, target),
        kind: KIND.create,
        action: Action.Create,
        policy: P,
        target,
        params: {},
        reason: req.failover ? 'planned failover: the last recovery point of the primary, copied to DR before it becomes the writable copy' : due.reason,
        dependsOn: stepsOn(b, sKey),
      });
      plannedOnSource.set(name, id);
      names.push(name);
    }
  }
  // A failover's plan deletes nothing: its last copy and the promotion are all it does.
  if (!req.failover) addRetention(policy.source, P);

  const newest = newestHbr(names, until);
  for (const target of policy.replicate) {
    const T = observed.dirs[dirKey(target.to.cluster, target.to.path)];
    if (!T) {
      b.warn(`DR target ${notObserved(observed, target.to)}: its replication is not planned`, P);
      continue;
    }
    warnFuture(b, P, locText(target.to), snapshotNames(T), now);
    for (const u of unsupported(policy.preserve ?? ALL_PRESERVE, [
      { name: policy.source.cluster, features: observed.dirs[sKey]?.features },
      { name: target.to.cluster, features: T.features },
    ])) {
      b.warn(`copies to ${locText(target.to)} do not preserve ${u.attr === 'acl' ? 'ACLs' : 'xattrs'}: ${u.why}`, P);
    }
    if (T.features?.xattrs === false) {
      // hbr's marks are xattrs on the target's parent (./scratch.ts): none can be left there
      b.warn(`${target.to.cluster} has dfs.namenode.xattrs.enabled=false: hbr cannot mark its copies into ${locText(target.to)} (a bootstrap killed midway is then held as diverged, and the pair cannot fail over with hbr); docs/failover.md, "Limits"`, P);
    }
    if (!req.failover) addRetention(target.to, P);
    if (!newest) {
      b.warn(`no hbr snapshot of ${locText(policy.source)} to replicate to ${locText(target.to)}`, P);
      continue;
    }
    const createdBy = plannedOnSource.get(newest.name);
    const ids = planReplication(b, {
      policy,
      source: S,
      target,
      targetDir: T,
      newest: createdBy ? { name: newest.name, createdBy } : { name: newest.name },
      now,
    });
    // The promotion waits for the last copy; a held pair (the hold says why) is not failed over.
    if (req.failover && !b.holds.some((h) => h.policy === P)) planPromote(b, policy, 'planned', [...ids, ...(createdBy ? [createdBy] : [])]);
  }
}

function planRetention(b: PlanBuilder, r: RetentionDir, config: Config, observed: Observed, now: number, live: LiveIndex): void {
  const key = dirKey(r.cluster, r.path);
  const dir = observed.dirs[key];
  if (!dir || !dir.exists) return;
  const here = `${r.cluster}:${r.path}`;
  const held = b.holdsOn(here);
  if (held.length) {
    b.warn(`retention on ${here} deletes nothing while the pair ${held[0]!.source} -> ${held[0]!.target} is held (${held[0]!.reason})`, r.policy);
    return;
  }
  const { floors, unverifiable } = floorsFor(r.cluster, r.path, config, observed, live.touching.get(key) ?? [], now);
  if (unverifiable.length) {
    b.warn(`retention on ${here} not planned: ${unverifiable.join('; ')}`, r.policy);
    return;
  }
  const roles = rolesOf(r.cluster, r.path, config);
  const planned = createdOn(b, key);
  const observedNames = new Set(snapshotNames(dir));
  const candidates: Candidate[] = [
    ...dir.snapshots.map((s) => ({ name: s.name, time: trustedTime(s.name, now), planned: false })),
    ...[...planned.keys()].filter((n) => !observedNames.has(n)).map((name) => ({ name, time: trustedTime(name, now), planned: true })),
  ];
  const rules = [...floors.map((f) => keepWhere(`floor:${f.rule}`, f.protects)), ...roles.flatMap((role) => rulesForKeep(role.keep))];
  const { destroy } = prune(candidates, rules);
  if (!destroy.length) return;

  const keeps = roles.map((role) => `${role.role === 'target' ? 'DR keep' : 'keep'} ${formatKeep(role.keep)}${roles.length > 1 ? ` (policy ${role.policy.name})` : ''}`);
  const reason = `outside ${keeps.join(' and ')}; no safety floor holds it`;
  const follow = deleteMustFollow(r.cluster, r.path, config);
  const dependsOn = [...follow]
    .flatMap((d) => live.on.get(d) ?? [])
    .sort((x, y) => live.position.get(x)! - live.position.get(y)!)
    .map((s) => s.id);
  for (const c of destroy) {
    if (c.planned) continue;
    const target = { cluster: r.cluster, path: r.path, snapshot: c.name };
    b.add({
      id: stepId(KIND.delete, target),
      kind: KIND.delete,
      action: Action.Delete,
      policy: r.policy,
      target,
      params: {},
      reason,
      dependsOn,
    });
  }
}

/**
 * Names dated after now (+ a small skew) are not trusted: not a recovery point, not the base of a
 * schedule or a copy, never deleted; each is reported so a person fixes the clock or the name.
 */
function warnFuture(b: PlanBuilder, policy: string, where: string, names: readonly string[], now: number): void {
  const future = futureNames(names, trustedUntil(now));
  if (future.length) {
    b.warn(`${where} has ${future.length} snapshot name${future.length === 1 ? '' : 's'} dated in the future (${future.slice(0, 3).join(', ')}${future.length > 3 ? ', …' : ''}; now is ${iso(now)}): not counted as recovery points and never deleted; check the clocks`, policy);
  }
}

/** The time an hbr name encodes, when it is not dated in the future (else undefined: no keep-rule counts it). */
function trustedTime(name: string, now: number): number | undefined {
  const t = parseSnapshotName(name);
  return t !== undefined && t <= trustedUntil(now) ? t : undefined;
}
