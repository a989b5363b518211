/**
 * Names carry ownership and time (docs/architecture.md §1): an hbr snapshot is `hbr-<UTC yyyyMMddTHHmmssZ>`.
 * Anything else is foreign and never deleted or renamed.
 */

/**
 * ms since epoch for [year, month, day, hour, minute, second] digit strings, or undefined for an
 * impossible time (month 13, 31 April, hour 24) that Date.UTC would silently roll over.
 */
export function utcTime(parts: string[]): number | undefined {
  const [y, mo, d, h, mi, s] = parts.map(Number) as [number, number, number, number, number, number];
  if (h > 23 || mi > 59 || s > 59) return undefined;
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  return back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d ? t : undefined;
}

/**
 * How far ahead of `now` a name may be dated and still count (clocks of the hosts that named it
 * may be a little ahead). A name dated later is not trusted: it is not a recovery point, does not
 * hold back a schedule, is never deleted, and is reported (docs/policies.md, "Names dated in the future").
 */
export const FUTURE_SKEW_MS = 5 * 60_000;

/** The latest time a name may carry at `now` and still be trusted. */
export function trustedUntil(now: number): number {
  return now + FUTURE_SKEW_MS;
}

const SNAPSHOT_RE = /^hbr-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** hbr-20261122T130000Z for 2026-11-22T13:00:00Z (sub-second part dropped). */
export function snapshotName(at: number): string {
  const iso = new Date(at).toISOString(); // 2026-11-22T13:00:00.000Z
  return `hbr-${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/**
 * Parsed names, remembered: the planner asks for the same names many times per plan (schedule,
 * retention, every floor, the safety re-check). A pure memo of a pure function. Names repeat
 * across directories (one per schedule tick), so a small bound holds a large fleet's; it is
 * emptied when full, so a long-running daemon never keeps more than this (well under 1 MiB).
 */
const parsed = new Map<string, number | undefined>();
const PARSED_MAX = 10_000;

/** The time an hbr snapshot name encodes (ms since epoch), or undefined if the name is not hbr's. */
export function parseSnapshotName(name: string): number | undefined {
  const hit = parsed.get(name);
  if (hit !== undefined || parsed.has(name)) return hit;
  const m = SNAPSHOT_RE.exec(name);
  const t = m ? utcTime(m.slice(1)) : undefined;
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(name, t);
  return t;
}

export function isHbrSnapshot(name: string): boolean {
  return parseSnapshotName(name) !== undefined;
}

/** How a system writes and reads hbr's snapshot names. */
export interface SnapshotNaming {
  name(at: number): string;
  /** the time the name encodes, or undefined when the name is not hbr's in this form */
  parse(name: string): number | undefined;
}

const LOWER_RE = /^hbr-(\d{8})t(\d{6})z$/;

/**
 * The same name lower-cased, hbr-20261122t130000z: Ozone refuses upper-case snapshot names
 * ("Invalid snapshot name", seen on the test bed's Ozone 2.2.0; its resource names are lower-case
 * like bucket names). Only the lower-case form is hbr's there, so a name in HDFS's form is foreign
 * on Ozone and the other way round.
 */
export const LOWER_CASE_NAMING: SnapshotNaming = {
  name: (at) => snapshotName(at).toLowerCase(),
  parse: (name) => {
    const m = LOWER_RE.exec(name);
    return m ? parseSnapshotName(`hbr-${m[1]}T${m[2]}Z`) : undefined;
  },
};

const ARCHIVE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})Z\.tar\.gz$/;

/** `<prefix><UTC yyyy-MM-ddTHH-mm-ssZ>.tar.gz`, e.g. zookeeper-backup-2026-11-22T13-00-00Z.tar.gz */
export function archiveKey(prefix: string, at: number): string {
  const iso = new Date(at).toISOString(); // 2026-11-22T13:00:00.000Z
  return `${prefix}${iso.slice(0, 10)}T${iso.slice(11, 13)}-${iso.slice(14, 16)}-${iso.slice(17, 19)}Z.tar.gz`;
}

/** The time an archive key of `prefix` encodes, or undefined if the key is not an hbr archive of it. */
export function parseArchiveKey(prefix: string, key: string): number | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const m = ARCHIVE_TIME_RE.exec(key.slice(prefix.length));
  if (!m) return undefined;
  return utcTime(m.slice(1));
}
