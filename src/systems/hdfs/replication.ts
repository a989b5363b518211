/**
 * DR replication of one source directory to one target, from observation alone (level-triggered):
 *   no common snapshot (or no target) → bootstrap: full copy of the newest source snapshot,
 *                                       allow snapshots on the target, create the same name there;
 *                                       but a target that holds data or snapshots is *diverged*: the
 *                                       copy would overwrite it, so the pair is held for the operator
 *                                       (a replace, `-/+`, only with --allow-overwrite for that target)
 *   target changed since the common   → repair: roll back with distcp -rdiff (or a full re-sync)
 *   newest ≠ common                   → distcp -diff common → newest, then create newest on the target
 *   newest = common                   → nothing
 */
import { trustedUntil } from '../../model/names.js';
import { Action, stepId, type HoldReason } from '../../model/plan.js';
import { dirKey, type ObservedDir } from '../../model/observed.js';
import type { PlanBuilder } from '../../planner/builder.js';
import { massChangeAllowed } from '../../planner/mass-change.js';
import { decidePair } from '../../planner/pair-rules.js';
import { hbrNewestFirst, newestCommon, snapshotNames } from '../../hadoop/snapshots.js';
import { renamedBase, SCRATCH_PREFIX } from './scratch.js';
import { stepsOn } from './plan-helpers.js';
import { KIND, type HdfsSnapshotPolicy, type HdfsStep, type ReplicationTarget } from './types.js';

export interface ReplicationInput {
  policy: HdfsSnapshotPolicy;
  /** the observed source directory (exists) */
  source: ObservedDir;
  target: ReplicationTarget;
  /** the observed target directory (may not exist) */
  targetDir: ObservedDir;
  /** the newest hbr snapshot of the source, observed or planned; createdBy = the step creating it */
  newest: { name: string; createdBy?: string };
  /** the planner's clock: names dated after it (+ skew) are not trusted */
  now: number;
  /**
   * A failed-over pair replicating back (./failover.ts): the target is the old primary, whose
   * changes since the common snapshot are its own writes, not a stray edit of a DR copy; rolling
   * them back is a replace (`-/+`) that waits for the operator's word, as for a diverged target.
   */
  reverse?: boolean;
}

/** Plans the replication steps for one DR pair into `b`; returns the ids of the steps planned. */
export function planReplication(b: PlanBuilder, input: ReplicationInput): string[] {
  const { policy, source, target, targetDir: T, newest } = input;
  const src = { cluster: source.cluster, path: source.path };
  const to = target.to;
  const S = `${src.cluster}:${src.path}`;
  const TT = `${to.cluster}:${to.path}`;
  const tKey = dirKey(to.cluster, to.path);
  const planned: string[] = [];
  const add = (step: Omit<HdfsStep, 'id' | 'policy'>): string => {
    const { kind, action, target: t, params, reason, dependsOn, estimate } = step;
    const id = b.add({ id: stepId(kind, t), kind, action, policy: policy.name, target: t, params, reason, dependsOn, ...(estimate ? { estimate } : {}) });
    planned.push(id);
    return id;
  };
  const newestDeps = newest.createdBy ? [newest.createdBy] : [];
  /** Holds the pair for the operator unless they allowed overwriting its target; true when held. */
  const held = (reason: HoldReason, message: string): boolean => {
    if (b.allowsOverwrite(TT)) return false;
    b.hold({ policy: policy.name, target: TT, source: S, reason, message });
    return true;
  };
  /** anything already planned on the target (e.g. by another policy) comes first */
  const priorOnTarget = stepsOn(b, tKey);
  const onTarget = new Set(snapshotNames(T));

  const createOnTarget = (dependsOn: string[], how: string): void => {
    if (onTarget.has(newest.name)) {
      b.warn(`${TT} already has a snapshot named ${newest.name} that the source does not: not created again`, policy.name);
      return;
    }
    add({
      kind: 'hdfs.snapshot.create',
      action: Action.Create,
      target: { cluster: to.cluster, path: to.path, snapshot: newest.name },
      params: {},
      reason: `record ${newest.name} on ${input.reverse ? 'the old primary' : 'the DR side'} after the ${how}`,
      dependsOn,
    });
  };

  const until = trustedUntil(input.now);
  const observedCommon = T.exists ? newestCommon(source, T, until) : undefined;
  // A repair killed while re-anchoring its base leaves the base under a scratch name (./scratch.ts):
  // it is still the common snapshot, and the repair is planned to put its name back and finish.
  const sourceNames = new Set(snapshotNames(source));
  const interrupted = T.exists
    ? hbrNewestFirst(
        snapshotNames(T)
          .map((n) => renamedBase.of(n))
          .filter((b): b is string => b !== undefined && !onTarget.has(b) && sourceNames.has(b)),
        until,
      ).find((b) => !observedCommon || b.time > observedCommon.time)
    : undefined;
  const scratch = snapshotNames(T).filter((n) => n.startsWith(SCRATCH_PREFIX));
  // The pair rules shared with Ozone (src/planner/pair-rules.ts); what follows is HDFS's own:
  // the bootstrap mark (an xattr on the target's parent), re-anchoring, -rdiff repair, failback.
  const d = decidePair({
    sourceText: S,
    targetText: TT,
    source,
    target: T,
    newest: newest.name,
    until,
    // hbr's own interrupted bootstrap from this source (a mark on the target, no snapshot yet): resume it.
    resuming: T.exists && T.snapshots.length === 0 && T.copyInProgress?.startsWith(`${S}@`) === true,
    ...(interrupted ? { common: interrupted.name } : {}),
    ...(target.maxChange !== undefined ? { maxChange: target.maxChange } : {}),
    allowOverwrite: b.allowsOverwrite(TT),
    unit: 'files',
    promoteHint: true,
  });

  if (d.rule === 'held-diverged') {
    b.hold({ policy: policy.name, target: TT, source: S, reason: 'diverged', message: d.message });
    return planned;
  }
  if (d.rule === 'bootstrap' || d.rule === 'bootstrap-replace') {
    const replace = d.rule === 'bootstrap-replace';
    let reason = `bootstrap: full copy of ${S}@${newest.name}`;
    if (d.rule === 'bootstrap-replace') reason += `; REPLACES the diverged target (${d.what}; overwrite allowed by the operator): its content is overwritten and files not in the source deleted (distcp -update -delete)`;
    else if (d.target === 'absent') reason += ' (target does not exist yet)';
    else if (d.target === 'resuming') reason += ` (resumes hbr's interrupted copy of ${T.copyInProgress}: only what differs moves)`;
    else reason += ' (target is empty and shares no snapshot with the source)';
    const boot = add({
      kind: 'replicate.bootstrap',
      action: replace ? Action.Replace : Action.Create,
      target: { cluster: to.cluster, path: to.path, snapshot: newest.name },
      params: { source: src, toSnapshot: newest.name, ...(d.rule === 'bootstrap' && d.target !== 'resuming' && { expectEmpty: true }) },
      reason,
      dependsOn: [...priorOnTarget, ...newestDeps],
      ...(source.size ? { estimate: { bytes: source.size.bytes, files: source.size.files } } : {}),
    });
    const deps = [boot];
    if (!T.exists || !T.snapshottable) {
      deps.push(
        add({
          kind: 'hdfs.snapshot.allow',
          action: Action.Update,
          target: { cluster: to.cluster, path: to.path },
          params: {},
          reason: `allow snapshots on the DR target ${TT}`,
          dependsOn: [boot],
        }),
      );
    }
    createOnTarget(deps, 'bootstrap');
    return planned;
  }
  const common = d.common;

  // A bootstrap that completed, killed before its mark was removed: the (idempotent) create of the
  // common snapshot removes it, so no stale mark can later pass a diverged target off as hbr's copy.
  if (T.copyInProgress !== undefined && onTarget.has(common) && newest.name === common) {
    add({
      kind: KIND.create,
      action: Action.Update,
      target: { cluster: to.cluster, path: to.path, snapshot: common },
      params: {},
      reason: `the bootstrap of ${T.copyInProgress} completed but left its in-progress mark: remove it`,
      dependsOn: priorOnTarget,
    });
  }

  let repair: string | undefined;
  const since = d.since;
  if (interrupted) {
    repair = add({
      kind: 'replicate.repair-target',
      action: Action.Update,
      target: { cluster: to.cluster, path: to.path, snapshot: common },
      params: { source: src, repair: 'rdiff', baseSnapshot: common },
      reason: `a repair was interrupted while re-anchoring ${common}: restore its name, then finish the roll-back (-rdiff) if the target still differs`,
      dependsOn: priorOnTarget,
    });
  } else if (since.state !== 'unknown') {
    if (since.state === 'changed') {
      const onSource = snapshotNames(source).includes(common);
      if (onSource) {
        if (input.reverse) {
          const message =
            `DR pair ${S} -> ${TT} is diverged: the old primary ${TT} changed since ${common} (${since.entries} entries), its own writes after the failover point; ` +
            `failing back rolls them back to ${common} (distcp -rdiff) before the DR copy's changes are copied, so hbr holds the pair until you decide: ` +
            `save what you need from ${TT}, then allow the roll-back with: hbr failback --allow-overwrite ${TT} (or hbr apply --allow-overwrite ${TT})`;
          if (held('diverged', message)) return planned;
        }
        repair = add({
          kind: 'replicate.repair-target',
          action: input.reverse ? Action.Replace : Action.Update,
          target: { cluster: to.cluster, path: to.path, snapshot: common },
          params: { source: src, repair: 'rdiff', baseSnapshot: common },
          reason: input.reverse
            ? `old primary changed since ${common}: ${since.entries} entries; REPLACES them: roll back to ${common} with -rdiff (allowed by the operator)`
            : `target changed since ${common}: ${since.entries} entries; roll back with -rdiff`,
          dependsOn: priorOnTarget,
        });
      } else {
        // Unreachable while the safety floors hold (the common snapshot is never deleted), but if
        // the source lost it, the only way back is a full copy of the newest source snapshot: it
        // overwrites the target, so it is held like a diverged pair unless the operator allows it.
        const message =
          `DR pair ${S} -> ${TT} is diverged: ${TT} changed since ${common} (${since.entries} entries) and ${S} no longer has ${common} to roll it back to; ` +
          `a full re-sync would overwrite it, so hbr holds the pair until you decide: promote ${TT}, or allow the overwrite with: hbr apply --allow-overwrite ${TT}`;
        if (held('diverged', message)) return planned;
        add({
          kind: 'replicate.repair-target',
          action: Action.Replace,
          target: { cluster: to.cluster, path: to.path, snapshot: newest.name },
          params: { source: src, repair: 'resync', toSnapshot: newest.name },
          reason: `target changed since ${common}: ${since.entries} entries; full re-sync from ${newest.name} (distcp -update -delete)`,
          dependsOn: [...priorOnTarget, ...newestDeps],
          ...(source.size ? { estimate: { bytes: source.size.bytes, files: source.size.files } } : {}),
        });
        createOnTarget([planned[planned.length - 1] as string], 're-sync');
        return planned;
      }
    }
  } else {
    // The old primary of a failed-over pair: a copy back onto it is planned only when it is known not
    // to hold writes of its own since the common snapshot (docs/failover.md); unknown is not unchanged.
    if (input.reverse) {
      b.warn(`the state of the old primary ${TT} since the common snapshot ${common} was not observed: nothing is copied back to it`, policy.name);
      return planned;
    }
    b.warn(
      `the state of ${TT} since the common snapshot ${common} was not observed (${since.detail}): no repair planned`,
      policy.name,
    );
  }

  // Scratch snapshots an interrupted repair left (./scratch.ts) are dropped by a repair, which
  // finds the target unchanged and does nothing else.
  if (!repair && scratch.length) {
    repair = add({
      kind: 'replicate.repair-target',
      action: Action.Update,
      target: { cluster: to.cluster, path: to.path, snapshot: common },
      params: { source: src, repair: 'rdiff', baseSnapshot: common },
      reason: `drop ${scratch.length} scratch snapshot${scratch.length === 1 ? '' : 's'} an interrupted repair left (${scratch.join(', ')})`,
      dependsOn: priorOnTarget,
    });
  }

  if (d.rule === 'held-mass-change') {
    b.hold({ policy: policy.name, target: TT, source: S, reason: 'mass-change', message: d.message });
    return planned;
  }
  if (d.rule === 'incremental') {
    const diff = add({
      kind: 'replicate.distcp-diff',
      action: d.mass ? Action.Replace : Action.Update,
      target: { cluster: to.cluster, path: to.path, snapshot: newest.name },
      params: { source: src, fromSnapshot: common, toSnapshot: newest.name },
      reason: `incremental: copy the changes ${common} → ${newest.name} (distcp -diff)${d.mass ? `; ${massChangeAllowed(d.mass)}` : ''}`,
      dependsOn: [...priorOnTarget, ...newestDeps, ...(repair ? [repair] : [])],
    });
    createOnTarget([diff], 'incremental copy');
  }
  return planned;
}
