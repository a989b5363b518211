/**
 * The pure half of `hbr restore hdfs` (docs/restore.md): which recovery point, from which side, and
 * what a restore of it would copy, skip, overwrite or delete, given the listings observed by
 * ./restore-command.ts. No I/O and no clock here.
 *
 * "Nothing newer is overwritten": a destination file that is not byte-identical to the recovery
 * point's (length, then HDFS checksum) is either a later write or damage; hbr cannot tell which,
 * so without --overwrite it is listed and left alone (DistCp is told to skip it). A destination
 * file identical to the recovery point's is not copied. Files present at the destination and
 * absent from the recovery point are kept, or deleted with --overwrite.
 */
import { hbrNewestFirst } from '../../hadoop/snapshots.js';
import { parseSnapshotName } from '../../model/names.js';

export type Side = 'source' | 'dr';

export interface SideSnapshots {
  side: Side;
  cluster: string;
  /** the policy directory on that side (source path, or the DR target path) */
  root: string;
  /** snapshot names present there */
  names: string[];
  /** when each was taken, by that NameNode's clock (GETSNAPSHOTLIST) */
  createdAt: Record<string, number>;
}

export interface Chosen {
  snapshot: string;
  /** the time the name encodes, when it is hbr's */
  time: number | undefined;
  /**
   * When the snapshot was taken by the NameNode's clock, the clock file times are written with: a
   * destination file modified after it is "newer" (the name's time may come from another clock).
   */
  createdAt: number | undefined;
  from: SideSnapshots;
}

/**
 * The recovery point: `snapshot` if named (from the first allowed side that has it), else the
 * newest hbr snapshot dated at or before `at` on any allowed side; the source (`prefer`: the side on
 * the destination's cluster — the DR copy when the pair is failed over) is preferred when it has the
 * same snapshot (same cluster: the fastest copy). Names dated after `trusted` never count.
 */
export function chooseRecoveryPoint(
  sides: SideSnapshots[],
  o: { snapshot?: string; at: number; trusted: number; from?: Side; prefer?: Side },
): Chosen | { error: string } {
  const allowed = sides.filter((s) => !o.from || s.side === o.from);
  if (!allowed.length) return { error: `the policy has no ${o.from} side` };
  const prefer = o.prefer ?? 'source';
  const order = [...allowed].sort((a, b) => (a.side === b.side ? 0 : a.side === prefer ? -1 : 1));
  if (o.snapshot !== undefined) {
    const from = order.find((s) => s.names.includes(o.snapshot!));
    if (!from) return { error: `no snapshot named ${o.snapshot} on ${allowed.map((s) => `${s.cluster}:${s.root}`).join(' or ')}` };
    return { snapshot: o.snapshot, time: parseSnapshotName(o.snapshot), createdAt: from.createdAt[o.snapshot], from };
  }
  const best = hbrNewestFirst(
    allowed.flatMap((s) => s.names),
    Math.min(o.at, o.trusted),
  )[0];
  if (!best) return { error: `no hbr snapshot dated at or before ${new Date(o.at).toISOString()} on ${allowed.map((s) => `${s.cluster}:${s.root}`).join(' or ')}` };
  const from = order.find((s) => s.names.includes(best.name))!;
  return { snapshot: best.name, time: best.time, createdAt: from.createdAt[best.name], from };
}

/** One file of a listing, relative to the restored path (`''` when the path itself is a file). */
export interface Entry {
  rel: string;
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK';
  length: number;
  mtime: number;
  /** HDFS checksum (GETFILECHECKSUM bytes), observed only where lengths match */
  checksum?: string;
}

export interface PathPlan {
  /** the restored path relative to the policy root ('' = the whole root) */
  sub: string;
  copy: Entry[];
  /** at the destination, not identical to the recovery point: replaced with --overwrite, else skipped */
  differ: Array<Entry & { newer: boolean }>;
  /** at the destination, not in the recovery point: deleted with --overwrite, else kept */
  extra: Entry[];
  same: number;
  /** directories at the destination that the recovery point does not have: removed with --overwrite when empty (deepest first) */
  extraDirs: string[];
  /** DistCp's temporary files (`.distcp.tmp.*`) under a path an unfinished restore of this state dir recorded: removed */
  leftovers: string[];
  /** DistCp's temporary files hbr cannot prove its own (someone's DistCp may be writing them now): listed, left alone */
  foreignTemps: string[];
  /** every file and directory the plan saw at the destination (not DistCp's temporary files): re-checked before the copy */
  seen: Entry[];
}

/** DistCp's in-flight copies (RetriableFileCopyCommand writes `.distcp.tmp.<attempt>` beside the target): never data. */
export function isDistcpTemp(rel: string): boolean {
  return /(^|\/)\.distcp\.tmp\./.test(rel);
}

/**
 * Compares the recovery point's files under one path with the destination's. `snapTime` is when
 * the recovery point was taken (Chosen.createdAt): a differing destination file modified after it is "newer".
 * `tempsOurs`: the path is under an unfinished restore of this state dir (./restore-record.ts), so
 * DistCp's temporary files there are its leftovers; otherwise they are not hbr's and left alone.
 */
export function comparePath(sub: string, snap: Entry[], dest: Entry[], snapTime: number | undefined, tempsOurs = false): PathPlan {
  const at = new Map(dest.filter((e) => e.type !== 'DIRECTORY' && !isDistcpTemp(e.rel)).map((e) => [e.rel, e]));
  const seen = dest.filter((e) => !isDistcpTemp(e.rel));
  const temps = dest.filter((e) => e.type === 'FILE' && isDistcpTemp(e.rel)).map((e) => e.rel).sort();
  const out: PathPlan = { sub, copy: [], differ: [], extra: [], same: 0, extraDirs: [], leftovers: tempsOurs ? temps : [], foreignTemps: tempsOurs ? [] : temps, seen };
  const inSnap = new Set<string>();
  for (const s of snap) {
    if (s.type === 'DIRECTORY') continue;
    inSnap.add(s.rel);
    const d = at.get(s.rel);
    if (!d) out.copy.push(s);
    else if (d.length === s.length && d.checksum !== undefined && d.checksum === s.checksum) out.same++;
    else out.differ.push({ ...s, newer: snapTime === undefined || d.mtime > snapTime });
  }
  for (const d of at.values()) if (!inSnap.has(d.rel)) out.extra.push(d);
  const snapDirs = new Set(snap.filter((e) => e.type === 'DIRECTORY').map((e) => e.rel));
  out.extraDirs = seen.filter((e) => e.type === 'DIRECTORY' && !snapDirs.has(e.rel)).map((e) => e.rel).sort((a, b) => b.length - a.length || a.localeCompare(b));
  const byRel = (a: Entry, b: Entry) => a.rel.localeCompare(b.rel);
  out.copy.sort(byRel);
  out.differ.sort(byRel);
  out.extra.sort(byRel);
  return out;
}

/**
 * What changed at the destination since the plan saw it (`seen`), given a fresh walk `now` (both
 * without DistCp's temporary files): a file or directory that appeared or went, a file whose
 * length or modification time moved, or whose type changed. Directory times are not compared
 * (they move whenever a child does). Each as "<rel>: <what>", sorted; [] when nothing changed.
 */
export function destinationChanges(seen: Entry[], now: Entry[]): string[] {
  const before = new Map(seen.map((e) => [e.rel, e]));
  const out: string[] = [];
  const name = (rel: string) => rel || '(the path itself)';
  for (const e of now) {
    if (isDistcpTemp(e.rel)) continue;
    const b = before.get(e.rel);
    before.delete(e.rel);
    if (!b) out.push(`${name(e.rel)}: appeared`);
    else if (b.type !== e.type) out.push(`${name(e.rel)}: was a ${b.type.toLowerCase()}, now a ${e.type.toLowerCase()}`);
    else if (e.type !== 'DIRECTORY' && (b.length !== e.length || b.mtime !== e.mtime)) out.push(`${name(e.rel)}: rewritten (length ${b.length} → ${e.length})`);
  }
  for (const b of before.values()) out.push(`${name(b.rel)}: gone`);
  return out.sort();
}

/** A clean relative sub-path: no empty, `.` or `..` segment, no control character ('' = the root). */
export function cleanSub(p: string): boolean {
  if (p === '') return true;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p) || p.startsWith('/')) return false;
  return p.split('/').every((s) => s !== '' && s !== '.' && s !== '..' && s !== '.snapshot');
}

/** `root` joined with a relative sub-path. */
export function join(root: string, sub: string): string {
  if (!sub) return root;
  return `${root === '/' ? '' : root}/${sub}`;
}

/** A regex that matches exactly this path's URI tail, for DistCp's -filters (RegexCopyFilter matches Path.toString()). */
export function exactPathFilter(path: string): string {
  return `.*${path.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&')}$`;
}
