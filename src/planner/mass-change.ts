/**
 * The mass-change hold of a snapshot DR pair, shared by every system whose copy carries the
 * source's changes since the newest common snapshot to the target (HDFS directories with
 * `distcp -diff`, src/systems/hdfs/replication.ts; Ozone buckets, src/systems/ozone/plan.ts): if
 * more than `max_change` of the files in the common snapshot were deleted or rewritten on the
 * source since (human error, ransomware), the copy would carry the loss to DR and retention would
 * then age the good snapshots out on both sides. The pair is held for the operator instead
 * (docs/policies.md and docs/ozone.md, max_change); `hbr apply --allow-overwrite <target>` lets the
 * copy go, shown as a `-/+` replace. Pure: the observation (ObservedDir.sourceChangedSince) is the
 * system's.
 */
import type { ObservedDir } from '../model/observed.js';

/** max_change when a replication target does not say. */
export const DEFAULT_MAX_CHANGE = 0.5;

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/**
 * What changed on `source` since `common`, as the plan says it, when it is more than `maxChange`
 * (absent: DEFAULT_MAX_CHANGE; 1 turns the check off); undefined when it is within, or when the
 * observation is of another snapshot or missing (unknown is not held: the floors still keep
 * `common`, so nothing good is deleted meanwhile).
 */
export function massChange(sc: ObservedDir['sourceChangedSince'], common: string, source: string, maxChange = DEFAULT_MAX_CHANGE): string | undefined {
  if (!sc || sc.snapshot !== common || sc.files <= 0 || maxChange >= 1) return undefined;
  const changed = sc.deleted + sc.modified;
  if (changed / sc.files <= maxChange) return undefined;
  return `${changed} of ${sc.files} files (${pct(changed / sc.files)}: ${sc.deleted} deleted, ${sc.modified} rewritten) changed on ${source} since ${common}, more than max_change ${pct(maxChange)}`;
}

/** The hold's message for the pair `source -> target`, given what massChange said. */
export function massChangeHoldMessage(source: string, target: string, what: string): string {
  return (
    `DR pair ${source} -> ${target} is held: ${what}. A mass deletion or rewrite on the source is not copied, and retention on both sides deletes nothing, until you decide: ` +
    `restore the source from ${target} or a snapshot, or, if the change is intended, allow it with: hbr apply --allow-overwrite ${target}`
  );
}

/** The reason of the copy the operator allowed anyway (its step is a `-/+` replace). */
export function massChangeAllowed(what: string): string {
  return `REPLACES most of the target (${what}; allowed by the operator)`;
}
