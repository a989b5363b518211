/**
 * Failover and failback of a DR pair (docs/failover.md). Pure planner rules; the state of a pair is
 * what the observer saw (the failover mark on the DR side, ./failover-mark.ts), never a local cache.
 *
 *   normal      primary → DR (./replication.ts); `hbr failover --planned` adds a snapshot now, the
 *               last incremental copy, then `replicate.failover` (sets the mark); `--unplanned` only
 *               the mark, at once, without the primary.
 *   failed over DR is the writable copy: its snapshots on the policy's schedule; when the old primary
 *               answers, DR → primary incrementally from their newest common snapshot; the old
 *               primary's own changes since then are rolled back (-rdiff) only with the operator's
 *               word (a held pair until then). Retention deletes nothing on either side.
 *               `hbr failback` adds a snapshot of DR now, the final copy back, then
 *               `replicate.failback` (removes the mark): primary → DR again from that snapshot.
 */
import { snapshotName, trustedUntil } from '../../model/names.js';
import { dirKey, type Observed, type ObservedDir } from '../../model/observed.js';
import { Action, stepId, type PlanRequest } from '../../model/plan.js';
import type { PlanBuilder } from '../../planner/builder.js';
import { isDue } from '../../planner/schedule.js';
import { hbrNewestFirst, newestHbr, snapshotNames } from '../../hadoop/snapshots.js';
import { createdOn, stepsOn } from './plan-helpers.js';
import { renamedBase, SCRATCH_PREFIX, tornKeep } from './scratch.js';
import { planReplication } from './replication.js';
import { KIND, type HdfsLocation, type HdfsSnapshotPolicy } from './types.js';

const at = (l: HdfsLocation): string => `${l.cluster}:${l.path}`;

export interface FailoverRequests {
  failover?: PlanRequest;
  failback?: PlanRequest;
}

export function failoverRequests(b: PlanBuilder, policy: string): FailoverRequests {
  const failover = b.request(policy, 'failover');
  const failback = b.request(policy, 'failback');
  return { ...(failover && { failover }), ...(failback && { failback }) };
}

/** The DR target of `policy` that carries its failover mark, if one does. */
export function failedOverTarget(policy: HdfsSnapshotPolicy, observed: Observed): { to: HdfsLocation; dir: ObservedDir } | undefined {
  for (const r of policy.replicate) {
    const dir = observed.dirs[dirKey(r.to.cluster, r.to.path)];
    if (dir?.exists && dir.failedOverFrom === at(policy.source)) return { to: r.to, dir };
  }
  return undefined;
}

/** Can `hbr failover` act on this policy at all? A reason it cannot, or undefined. */
export function cannotFailOver(policy: HdfsSnapshotPolicy, observed: Observed): string | undefined {
  if (policy.replicate.length !== 1) return `failover needs a policy with exactly one DR target (${policy.name} has ${policy.replicate.length})`;
  const to = policy.replicate[0]!.to;
  const T = observed.dirs[dirKey(to.cluster, to.path)];
  if (!T) return `the DR target ${at(to)} was not observed: nothing to fail over to`;
  if (!T.exists || !T.snapshottable || (!newestHbr(snapshotNames(T), Infinity) && !reanchoring(snapshotNames(T), Infinity))) return `the DR target ${at(to)} holds no hbr snapshot: it was never replicated, nothing to fail over to`;
  // the failover mark is an xattr (./failover-mark.ts): a cluster with xattrs off cannot hold it
  if (T.features?.xattrs === false) return `${to.cluster} has dfs.namenode.xattrs.enabled=false: hbr records a failover in an xattr on ${at(to)}'s parent and cannot fail over there (enable xattrs, or fail over by hand: docs/failover.md)`;
  return undefined;
}

/** The step that sets the failover mark, after `dependsOn` (the last copy of a planned failover). */
export function planPromote(b: PlanBuilder, policy: HdfsSnapshotPolicy, mode: string, dependsOn: string[]): void {
  const to = policy.replicate[0]!.to;
  b.add({
    id: stepId(KIND.failover, to),
    kind: KIND.failover,
    action: Action.Update,
    policy: policy.name,
    target: { cluster: to.cluster, path: to.path },
    params: { source: policy.source },
    reason:
      mode === 'unplanned'
        ? `unplanned failover: ${at(to)} becomes the writable copy${dependsOn.length ? ' after the roll-back' : ' at once'} (what ${at(policy.source)} wrote after the DR side's newest snapshot is not there); hbr stops replicating into it`
        : `planned failover: after the last copy, ${at(to)} becomes the writable copy; hbr stops replicating into it`,
    dependsOn,
  });
}

/**
 * `hbr failover --unplanned`: the mark, at once, without the primary; but first, is the DR copy's
 * live tree its newest hbr snapshot? A copy (`distcp -diff`, ./exec-distcp.ts) cut short when the
 * primary fell leaves it torn: a mix of that snapshot and part of the next one, which promoted as
 * it is would be the writable copy and frozen by its next snapshot as if it were a recovery point
 * (docs/failover.md, "A copy cut short"). Observed, never assumed (./observe.ts: changedSince).
 * Torn: held, unless the operator allows the roll-back (`--allow-overwrite <DR>`): then the torn
 * tree is kept as a snapshot hbr owns (./scratch.ts tornKeep: it may hold the newest version of
 * files the lost primary had), the live tree rolled back to the newest snapshot (`-/+`), then the mark.
 */
export function planUnplanned(b: PlanBuilder, policy: HdfsSnapshotPolicy, observed: Observed, now: number): void {
  const P = policy.name;
  const to = policy.replicate[0]!.to;
  const TT = at(to);
  const T = observed.dirs[dirKey(to.cluster, to.path)]!; // cannotFailOver saw it, with an hbr snapshot
  const names = snapshotNames(T);
  // A roll-back killed while re-anchoring its base left the base under a scratch name (./scratch.ts):
  // that base is the one to finish rolling back to, whatever the diff against an older name says.
  const interrupted = reanchoring(names, trustedUntil(now));
  const base = interrupted ?? newestHbr(names, trustedUntil(now))!.name;
  const scratch = names.filter((n) => n.startsWith(SCRATCH_PREFIX));
  const target = { cluster: to.cluster, path: to.path, snapshot: base };
  const keepAs = tornKeep(now);
  const rollback = (action: Action, reason: string): string =>
    b.add({
      id: stepId(KIND.rollbackTorn, target),
      kind: KIND.rollbackTorn,
      action,
      policy: P,
      target,
      params: { source: to, repair: 'rdiff', baseSnapshot: base, keepAs },
      reason,
      dependsOn: stepsOn(b, dirKey(to.cluster, to.path)),
    });
  let torn: string;
  if (interrupted) torn = `a roll-back to ${base} was interrupted while re-anchoring it (${scratch.join(', ')})`;
  else {
    const cs = T.changedSince;
    if (!cs || cs.snapshot !== base) {
      return b.notPlanned(P, `unplanned failover: whether ${TT} changed since its newest snapshot ${base} was not observed (${cs ? `only since ${cs.snapshot}` : 'no snapshot diff'}): hbr does not promote a DR copy it could not check; run it again`);
    }
    if (!cs.changed) {
      // Scratch snapshots a finished roll-back (or repair) left are dropped first; nothing else changes.
      const deps = scratch.length ? [rollback(Action.Update, `drop ${scratch.length} scratch snapshot${scratch.length === 1 ? '' : 's'} an interrupted roll-back left (${scratch.join(', ')}); ${TT} is ${base}`)] : [];
      return planPromote(b, policy, 'unplanned', deps);
    }
    torn = `it changed since its newest snapshot ${base} (${cs.entries} entr${cs.entries === 1 ? 'y' : 'ies'}${cs.shown?.length ? `: ${cs.shown.join(', ')}${cs.shown.length < cs.entries ? ', ...' : ''}` : ''})`;
  }
  if (!b.allowsOverwrite(TT)) {
    b.hold({
      policy: P,
      target: TT,
      source: at(policy.source),
      reason: 'diverged',
      message:
        `unplanned failover of ${at(policy.source)} -> ${TT} is held: ${TT} is torn, ${torn}: ` +
        `a copy cut short when ${at(policy.source)} fell (or writes to the DR copy). Promoted as it is, that mix would be the writable copy and its next snapshot a false recovery point. ` +
        `hbr keeps the torn tree as snapshot ${TT}/.snapshot/${keepAs} (never deleted by hbr: it may hold the newest files ${at(policy.source)} had), rolls ${TT} back to ${base}, then fails over, ` +
        `when you allow it with: hbr failover --policy ${P} --unplanned --allow-overwrite ${TT}`,
    });
    return;
  }
  const id = rollback(
    Action.Replace,
    `${TT} is torn: ${torn}; keeps them as snapshot ${keepAs}, then REPLACES them: roll back to ${base} (distcp -rdiff from its own snapshot; allowed by the operator)`,
  );
  planPromote(b, policy, 'unplanned', [id]);
}

/** The base of a roll-back or repair killed while re-anchoring it (only under a ./scratch.ts name), if newer than every hbr name. */
function reanchoring(names: string[], until: number): string | undefined {
  const have = new Set(names);
  const newest = newestHbr(names, until);
  const bases = names.map((n) => renamedBase.of(n)).filter((n): n is string => n !== undefined && !have.has(n));
  return hbrNewestFirst(bases, until).find((x) => !newest || x.time > newest.time)?.name;
}

/** Plans a failed-over pair: snapshots of the DR copy, replication back to the old primary, and a failback when asked. */
export function planFailedOver(b: PlanBuilder, policy: HdfsSnapshotPolicy, fo: { to: HdfsLocation; dir: ObservedDir }, observed: Observed, now: number, req: FailoverRequests): void {
  const P = policy.name;
  const D = fo.dir;
  const dKey = dirKey(fo.to.cluster, fo.to.path);
  if (req.failover) b.warn(`${at(fo.to)} is already the writable copy of ${at(policy.source)} (failed over): nothing to do`, P);
  b.warn(`failed over: ${at(fo.to)} is the writable copy; hbr replicates it back to ${at(policy.source)} and deletes no snapshot on either side until hbr failback`, P);

  // The DR copy's own snapshots: on the policy's schedule, and one now for a failback (its final copy).
  const planned = createdOn(b, dKey);
  const names = [...snapshotNames(D), ...planned.keys()];
  const until = trustedUntil(now);
  const due = isDue(policy.snapshots.schedule, newestHbr(names, until), now);
  if (due.due || req.failback) {
    const name = snapshotName(now);
    if (!names.includes(name)) {
      const target = { cluster: fo.to.cluster, path: fo.to.path, snapshot: name };
      const id = b.add({
        id: stepId(KIND.create, target),
        kind: KIND.create,
        action: Action.Create,
        policy: P,
        target,
        params: {},
        reason: req.failback ? 'failback: the final recovery point of the DR copy, copied back to the primary' : `${due.due ? due.reason : ''} (the DR copy is the writable one)`,
        dependsOn: stepsOn(b, dKey),
      });
      planned.set(name, id);
      names.push(name);
    }
  }
  const newest = newestHbr(names, until);
  const S = observed.dirs[dirKey(policy.source.cluster, policy.source.path)];
  if (!S || !newest) {
    const why = !S ? `the old primary ${at(policy.source)} was not observed` : `${at(fo.to)} has no hbr snapshot`;
    if (req.failback) b.notPlanned(P, `failback not planned: ${why}`);
    else b.warn(`${why}: replication back to it waits`, P);
    return;
  }
  const createdBy = planned.get(newest.name);
  const ids = planReplication(b, {
    policy,
    source: D,
    target: { to: policy.source, keep: policy.snapshots.keep },
    targetDir: S,
    newest: createdBy ? { name: newest.name, createdBy } : { name: newest.name },
    now,
    reverse: true,
  });
  if (!req.failback) return;
  if (b.holds.some((h) => h.policy === P && h.target === at(policy.source))) return; // the hold says why; nothing is failed back
  b.add({
    id: stepId(KIND.failback, fo.to),
    kind: KIND.failback,
    action: Action.Update,
    policy: P,
    target: { cluster: fo.to.cluster, path: fo.to.path },
    params: { source: policy.source, toSnapshot: newest.name },
    reason: `failback: once ${at(policy.source)} holds ${newest.name}, it is the primary again; replication ${at(policy.source)} -> ${at(fo.to)} resumes from ${newest.name} (stop the writers on ${at(fo.to)} first)`,
    dependsOn: [...ids, ...(createdBy ? [createdBy] : [])],
  });
}
