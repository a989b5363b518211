/**
 * The planner's entry point: config + observed state + now → Plan. Pure: no I/O, no clock.
 *
 * Per HDFS snapshot policy, in dependency order (a policy whose source is another's DR target comes
 * after it; otherwise by name): allow snapshots, create the scheduled snapshot, replicate to each
 * target (replication.ts); then retention for every directory involved (retention.ts + the floors
 * of safety.ts). Finally every delete is re-checked by `checkSafety`; an unsafe plan throws.
 */
import { snapshotName } from '../model/names.js';
import { dirKey, type Observed, type ObservedDir } from '../model/observed.js';
import { Action, PLAN_VERSION, stepId, type Plan } from '../model/plan.js';
import type { Config, HdfsLocation, HdfsSnapshotPolicy, ZookeeperArchivePolicy } from '../model/policy.js';
import { planArchivePolicy } from './archives.js';
import { PlanBuilder } from './builder.js';
import { digestObserved, digestPolicies } from './digest.js';
import { planReplication } from './replication.js';
import { formatKeep, keepWhere, prune, rulesForKeep, type Candidate } from './retention.js';
import { checkSafety, deleteMustFollow, floorsFor, hdfsPolicies, rolesOf, SafetyViolation, stepDir } from './safety.js';
import { isDue } from './schedule.js';
import { newestHbr, snapshotNames, iso } from './snapshots.js';

export { SafetyViolation, checkSafety } from './safety.js';
export type { SafetyViolationDetail, SafetyRule } from './safety.js';
export { digestObserved, digestPolicies } from './digest.js';

export interface PlanInput {
  config: Config;
  observed: Observed;
  /** ms since epoch; the planner never reads the clock */
  now: number;
  /** limit planning to these policy names */
  targets?: string[];
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

export function planAll(input: PlanInput): Plan {
  const { config, observed, now } = input;
  const b = new PlanBuilder();

  const all = hdfsPolicies(config);
  let selected = all;
  if (input.targets) {
    const wanted = new Set(input.targets);
    for (const name of [...wanted].sort()) if (!config.policies[name]) b.warn(`no policy named ${name}`);
    selected = all.filter((p) => wanted.has(p.name));
  }
  const names = new Set(selected.map((p) => p.name));

  for (const u of [...observed.unfinished].sort((x, y) => x.startedAt - y.startedAt || (x.stepId < y.stepId ? -1 : 1))) {
    if (input.targets && !names.has(u.policy)) continue;
    b.warn(`step ${u.stepId} was interrupted at ${iso(u.startedAt)}; its effects are observed and repaired below`, u.policy);
  }

  const retention: RetentionDir[] = [];
  const addRetention = (l: HdfsLocation, policy: string): void => {
    if (!retention.some((r) => r.cluster === l.cluster && r.path === l.path)) retention.push({ cluster: l.cluster, path: l.path, policy });
  };

  for (const policy of orderPolicies(selected, (m) => b.warn(m))) {
    planPolicy(b, policy, observed, now, addRetention);
  }

  for (const r of retention) planRetention(b, r, config, observed);

  const archives = Object.values(config.policies)
    .filter((p): p is ZookeeperArchivePolicy => p.kind === 'zookeeper-archive')
    .filter((p) => !input.targets || input.targets.includes(p.name))
    .sort((x, y) => (x.name < y.name ? -1 : 1));
  for (const policy of archives) planArchivePolicy(b, policy, observed, now);

  const plan: Plan = {
    version: PLAN_VERSION,
    createdAt: now,
    policyDigest: digestPolicies(config),
    observedDigest: digestObserved(observed),
    steps: b.steps,
    warnings: b.warnings,
  };
  const violations = checkSafety(plan, config, observed);
  if (violations.length) throw new SafetyViolation(violations);
  return plan;
}

function planPolicy(
  b: PlanBuilder,
  policy: HdfsSnapshotPolicy,
  observed: Observed,
  now: number,
  addRetention: (l: HdfsLocation, policy: string) => void,
): void {
  const P = policy.name;
  const sKey = dirKey(policy.source.cluster, policy.source.path);
  const S: ObservedDir | undefined = observed.dirs[sKey];
  if (!S) {
    b.warn(`source ${notObserved(observed, policy.source)}: nothing planned for this policy`, P);
    return;
  }
  if (!S.exists) {
    b.warn(`source ${locText(policy.source)} does not exist: nothing planned for this policy`, P);
    return;
  }

  if (!S.snapshottable) {
    b.add({
      id: stepId('hdfs.snapshot.allow', policy.source),
      kind: 'hdfs.snapshot.allow',
      action: Action.Update,
      policy: P,
      target: { cluster: policy.source.cluster, path: policy.source.path },
      params: {},
      reason: `${locText(policy.source)} is not snapshottable: allow snapshots`,
      dependsOn: b.stepsOn(sKey),
    });
  }

  // hbr snapshots of the source: observed, plus any an earlier policy plans there
  const plannedOnSource = b.createdOn(sKey);
  const names = [...snapshotNames(S), ...plannedOnSource.keys()];
  const due = isDue(policy.snapshots.schedule, newestHbr(names), now);
  if (!due.due && 'error' in due && due.error) b.warn(`schedule: ${due.error}`, P);
  if (due.due) {
    const name = snapshotName(now);
    if (!names.includes(name)) {
      const target = { cluster: policy.source.cluster, path: policy.source.path, snapshot: name };
      const id = b.add({
        id: stepId('hdfs.snapshot.create', target),
        kind: 'hdfs.snapshot.create',
        action: Action.Create,
        policy: P,
        target,
        params: {},
        reason: due.reason,
        dependsOn: b.stepsOn(sKey),
      });
      plannedOnSource.set(name, id);
      names.push(name);
    }
  }
  addRetention(policy.source, P);

  const newest = newestHbr(names);
  for (const target of policy.replicate) {
    const T = observed.dirs[dirKey(target.to.cluster, target.to.path)];
    if (!T) {
      b.warn(`DR target ${notObserved(observed, target.to)}: its replication is not planned`, P);
      continue;
    }
    addRetention(target.to, P);
    if (!newest) {
      b.warn(`no hbr snapshot of ${locText(policy.source)} to replicate to ${locText(target.to)}`, P);
      continue;
    }
    const createdBy = plannedOnSource.get(newest.name);
    planReplication(b, {
      policy,
      source: S,
      target,
      targetDir: T,
      newest: createdBy ? { name: newest.name, createdBy } : { name: newest.name },
    });
  }
}

function planRetention(b: PlanBuilder, r: RetentionDir, config: Config, observed: Observed): void {
  const key = dirKey(r.cluster, r.path);
  const dir = observed.dirs[key];
  if (!dir || !dir.exists) return;
  const here = `${r.cluster}:${r.path}`;
  const { floors, unverifiable } = floorsFor(r.cluster, r.path, config, observed, b.steps);
  if (unverifiable.length) {
    b.warn(`retention on ${here} not planned: ${unverifiable.join('; ')}`, r.policy);
    return;
  }
  const roles = rolesOf(r.cluster, r.path, config);
  const planned = b.createdOn(key);
  const candidates: Candidate[] = [
    ...dir.snapshots.map((s) => ({ name: s.name, planned: false })),
    ...[...planned.keys()].filter((n) => !dir.snapshots.some((s) => s.name === n)).map((name) => ({ name, planned: true })),
  ];
  const rules = [...floors.map((f) => keepWhere(`floor:${f.rule}`, f.protects)), ...roles.flatMap((role) => rulesForKeep(role.keep))];
  const { destroy } = prune(candidates, rules);
  if (!destroy.length) return;

  const keeps = roles.map((role) => `${role.role === 'target' ? 'DR keep' : 'keep'} ${formatKeep(role.keep)}${roles.length > 1 ? ` (policy ${role.policy.name})` : ''}`);
  const reason = `outside ${keeps.join(' and ')}; no safety floor holds it`;
  const follow = deleteMustFollow(r.cluster, r.path, config);
  const dependsOn = b.steps.filter((s) => s.kind !== 'hdfs.snapshot.delete' && follow.has(stepDir(s))).map((s) => s.id);
  for (const c of destroy) {
    if (c.planned) continue;
    const target = { cluster: r.cluster, path: r.path, snapshot: c.name };
    b.add({
      id: stepId('hdfs.snapshot.delete', target),
      kind: 'hdfs.snapshot.delete',
      action: Action.Delete,
      policy: r.policy,
      target,
      params: {},
      reason,
      dependsOn,
    });
  }
}
