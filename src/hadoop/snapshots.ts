/**
 * Small helpers over observed snapshot lists (HDFS and Ozone: the same names, in each server's case): which are hbr's, their times (from the name, never
 * from createdAt: the name is the recovery point's identity), newest, newest common to a DR pair.
 */
import { parseSnapshotName } from '../model/names.js';
import type { ObservedDir } from '../model/observed.js';

/**
 * Reads an hbr name's time (src/model/names.ts): HDFS's form by default; a system whose server
 * refuses that form passes its own (Ozone: LOWER_CASE_NAMING.parse).
 */
export type ParseName = (name: string) => number | undefined;

export interface HbrSnapshot {
  name: string;
  /** the UTC time the name encodes, ms since epoch */
  time: number;
}

/**
 * hbr-owned snapshots among `names`, newest first. Names dated after `notAfter` (see trustedUntil in
 * src/model/names.ts) are left out: a name from the future is no recovery point.
 */
export function hbrNewestFirst(names: Iterable<string>, notAfter: number, parse: ParseName = parseSnapshotName): HbrSnapshot[] {
  const out: HbrSnapshot[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) continue;
    seen.add(name);
    const time = parse(name);
    if (time !== undefined && time <= notAfter) out.push({ name, time });
  }
  return out.sort((a, b) => b.time - a.time);
}

/**
 * The newest hbr snapshot among `names` dated no later than `notAfter`, or undefined (the first
 * of `hbrNewestFirst`, found in one pass without sorting: on a tie the earlier name wins, as
 * there).
 */
export function newestHbr(names: Iterable<string>, notAfter: number, where: (name: string) => boolean = () => true, parse: ParseName = parseSnapshotName): HbrSnapshot | undefined {
  let best: HbrSnapshot | undefined;
  for (const name of names) {
    const time = parse(name);
    if (time === undefined || time > notAfter || (best && time <= best.time) || !where(name)) continue;
    best = { name, time };
  }
  return best;
}

/** hbr-named snapshots among `names` dated after `notAfter`: not trusted, reported. */
export function futureNames(names: Iterable<string>, notAfter: number, parse: ParseName = parseSnapshotName): string[] {
  const out: string[] = [];
  for (const name of names) {
    const t = parse(name);
    if (t !== undefined && t > notAfter) out.push(name);
  }
  return out;
}

export function snapshotNames(dir: ObservedDir | undefined): string[] {
  return dir ? dir.snapshots.map((s) => s.name) : [];
}

/**
 * The newest hbr snapshot present (by name) on both sides of a DR pair: the base of the next
 * `distcp -diff`. Only hbr names count: a foreign name on both sides says nothing about content.
 */
export function newestCommon(source: ObservedDir | undefined, target: ObservedDir | undefined, notAfter: number, parse: ParseName = parseSnapshotName): HbrSnapshot | undefined {
  if (!source || !target || !target.exists) return undefined;
  const onTarget = new Set(snapshotNames(target));
  return newestHbr(snapshotNames(source), notAfter, (name) => onTarget.has(name), parse);
}
