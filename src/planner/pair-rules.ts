/**
 * The rules of a snapshot DR pair, shared by every system that keeps a target directory in step
 * with a source by same-named snapshots on both sides (HDFS directories:
 * src/systems/hdfs/replication.ts; Ozone buckets: src/systems/ozone/plan.ts). Pure: from the two
 * sides' observed snapshot lists, the target's change evidence and the policy's knobs to a typed
 * decision (docs/policies.md, "Diverged and held pairs"; docs/ozone.md, "What a plan does"):
 *
 *   no common snapshot, target absent or empty   → bootstrap
 *   no common snapshot, the system's own mark    → bootstrap, resuming an interrupted copy
 *   no common snapshot, target holds data        → held as diverged, or a replace (`-/+`) when the
 *                                                  operator allowed overwriting the target
 *   common = newest                              → in sync
 *   common ≠ newest                              → incremental copy common → newest, unless more
 *                                                  than max_change of the source changed since the
 *                                                  common (src/planner/mass-change.ts): held, or a
 *                                                  replace when allowed
 *
 * With a common snapshot, the target's state since it (changed, unchanged, not observed) is handed
 * back for the system to act on: how a changed target is repaired is the system's (HDFS rolls it
 * back with `distcp -rdiff`; Ozone re-syncs it forward, docs/ozone.md), as are failover, torn
 * copies and scratch names.
 */
import type { ObservedDir } from '../model/observed.js';
import { newestCommon, type ParseName } from '../hadoop/snapshots.js';
import { massChange, massChangeHoldMessage } from './mass-change.js';

/** What the observation says of the target since the common snapshot. */
export type TargetSince =
  | { state: 'unchanged' }
  | { state: 'changed'; entries: number; shown: string[] }
  /** not observed for this snapshot (no evidence, or evidence about another snapshot): unknown is not unchanged */
  | { state: 'unknown'; detail: string };

export type PairDecision =
  | { rule: 'bootstrap'; target: 'absent' | 'empty' | 'resuming' }
  /** the target holds `what` and shares no snapshot: the operator allowed overwriting it */
  | { rule: 'bootstrap-replace'; what: string }
  | { rule: 'held-diverged'; what: string; message: string }
  | { rule: 'in-sync'; common: string; since: TargetSince }
  /** `mass` set: more than max_change changed on the source, and the operator allowed the copy (a replace) */
  | { rule: 'incremental'; common: string; since: TargetSince; mass?: string }
  | { rule: 'held-mass-change'; common: string; since: TargetSince; mass: string; message: string };

export interface PairInput {
  /** `cluster:path` of each side, as plans and holds name them */
  sourceText: string;
  targetText: string;
  source: ObservedDir;
  target: ObservedDir;
  /** the newest hbr snapshot of the source, observed or planned */
  newest: string;
  /** names dated after this are not trusted (src/model/names.ts trustedUntil) */
  until: number;
  /** the system's hbr name parser (Ozone's are lower-case) */
  parse?: ParseName;
  /** the system's evidence that the target's content is hbr's own interrupted bootstrap from this source */
  resuming: boolean;
  /** a common snapshot the system found otherwise (HDFS: a base an interrupted repair left renamed), newer than the observed one */
  common?: string;
  /** the target's max_change (absent: the default) */
  maxChange?: number;
  /** the operator said `--allow-overwrite <target>` */
  allowOverwrite: boolean;
  /** what a file is called in messages: `files` (HDFS) or `keys` (Ozone) */
  unit: 'files' | 'keys';
  /** the diverged message names promoting the target (systems with failover) */
  promoteHint?: boolean;
}

/** What the target holds, as the diverged messages say it. */
function holding(T: ObservedDir, unit: PairInput['unit']): string {
  const n = T.snapshots.length;
  return `${T.size ? `${T.size.files} ${unit}, ${T.size.bytes} bytes` : 'content of unknown size'} and ${n} snapshot${n === 1 ? '' : 's'}`;
}

export function divergedMessage(S: string, TT: string, what: string, promoteHint = false): string {
  return (
    `DR pair ${S} -> ${TT} is diverged: ${TT} holds ${what} but shares no snapshot with ${S}; ` +
    `a copy would overwrite it, so hbr holds the pair (and deletes nothing there) until you decide: ` +
    `${promoteHint ? `promote ${TT}, or ` : ''}allow the overwrite with: hbr apply --allow-overwrite ${TT}`
  );
}

function since(T: ObservedDir, common: string): TargetSince {
  const cs = T.changedSince;
  if (!cs || cs.snapshot !== common) return { state: 'unknown', detail: cs ? `changedSince refers to ${cs.snapshot}` : 'no changedSince' };
  return cs.changed ? { state: 'changed', entries: cs.entries, shown: cs.shown ?? [] } : { state: 'unchanged' };
}

/** The decision for one DR pair; see the module comment. */
export function decidePair(input: PairInput): PairDecision {
  const { source: S, target: T, newest } = input;
  const common = input.common ?? (T.exists ? newestCommon(S, T, input.until, input.parse)?.name : undefined);
  if (!T.exists) return { rule: 'bootstrap', target: 'absent' };
  if (common === undefined) {
    if (input.resuming) return { rule: 'bootstrap', target: 'resuming' };
    const nonEmpty = T.size === undefined || T.size.files > 0 || T.size.bytes > 0;
    if (!nonEmpty && T.snapshots.length === 0) return { rule: 'bootstrap', target: 'empty' };
    const what = holding(T, input.unit);
    if (input.allowOverwrite) return { rule: 'bootstrap-replace', what };
    return { rule: 'held-diverged', what, message: divergedMessage(input.sourceText, input.targetText, what, input.promoteHint) };
  }
  const s = since(T, common);
  if (newest === common) return { rule: 'in-sync', common, since: s };
  // A mass deletion or rewrite on the source since the common snapshot (human error, ransomware)
  // would be carried to the target, then aged out of DR by retention: held for the operator.
  const mass = massChange(T.sourceChangedSince, common, input.sourceText, input.maxChange);
  if (mass === undefined) return { rule: 'incremental', common, since: s };
  if (input.allowOverwrite) return { rule: 'incremental', common, since: s, mass };
  return { rule: 'held-mass-change', common, since: s, mass, message: massChangeHoldMessage(input.sourceText, input.targetText, mass) };
}
