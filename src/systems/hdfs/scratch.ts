import { createHash } from 'node:crypto';
/** Names of the scratch snapshots a repair makes on a DR target (./exec-distcp.ts), which the planner recognizes (./replication.ts). */

/** Scratch snapshots of a repair: hbr's by name, never recovery points. */
export const SCRATCH_PREFIX = 'hbr-repair-';

/**
 * Names of a base snapshot while a repair re-anchors it: the fresh one is made as NEW, the old one
 * renamed to OLD, then NEW renamed to the base name, then OLD deleted. At every instant the base
 * (under its name or one of these) exists, so a crash never loses the common snapshot; the next
 * repair puts the name back (restoreBase) and drops the rest.
 */
export const renamedBase = {
  fresh: (base: string): string => `${SCRATCH_PREFIX}new-${base}`,
  old: (base: string): string => `${SCRATCH_PREFIX}old-${base}`,
  /** the base a scratch name stands for, if it is one of the above */
  of(name: string): string | undefined {
    const m = /^hbr-repair-(?:new|old)-(hbr-\d{8}T\d{6}Z)$/.exec(name);
    return m?.[1];
  },
};

/**
 * The snapshot that keeps a torn DR tree (a copy cut short when the primary fell) before an unplanned
 * failover rolls it back (docs/failover.md): `hbr-torn-<UTC yyyyMMddTHHmmssZ>`. hbr's by name and
 * time, but not `hbr-<stamp>` (src/model/names.ts), so it is never a recovery point, never a common
 * snapshot, and retention never deletes it (the `foreign` floor, ./safety.ts); nor `hbr-repair-`,
 * so a repair never drops it. The operator deletes it when its files are saved.
 */
export const TORN_PREFIX = 'hbr-torn-';

export function tornKeep(now: number): string {
  return `${TORN_PREFIX}${new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

export function isTornKeep(name: string): boolean {
  return /^hbr-torn-\d{8}T\d{6}Z$/.test(name);
}

/**
 * The mark a bootstrap leaves before it copies: an extended attribute on the target's *parent*
 * directory (a change to the target itself after its snapshot would break the next `-diff`), named
 * for the target, valued `<target basename>|<source cluster>:<source path>@<snapshot>`. A target
 * that holds files but no snapshot and is marked for its own source is hbr's interrupted copy,
 * resumed rather than held as diverged. The snapshot create that completes the bootstrap removes it.
 */
export function bootstrapMark(targetPath: string): { dir: string; name: string; base: string } {
  const i = targetPath.lastIndexOf('/');
  const base = targetPath.slice(i + 1);
  if (!base) return { dir: '/', name: 'user.hbr.bootstrap', base: '' };
  return { dir: i === 0 ? '/' : targetPath.slice(0, i), name: `user.hbr.bootstrap.${createHash('sha256').update(base).digest('hex').slice(0, 16)}`, base };
}

/**
 * A NameNode with dfs.namenode.xattrs.enabled=false refuses every xattr call with this message
 * (hadoop-hdfs FSDirXAttrOp.checkXAttrsConfigFlag: "The XAttr operation has been rejected.  Support
 * for XAttrs has been disabled by setting dfs.namenode.xattrs.enabled to false."). There hbr cannot
 * leave its marks (bootstrap, failover): docs/failover.md, "Limits".
 */
export function xattrsDisabled(err: unknown): boolean {
  return /Support for XAttrs has been disabled/.test((err as Error)?.message ?? '');
}

/** The `<source>@<snapshot>` a mark value records for `base`, if it is that target's mark. */
export function markedCopy(value: string | undefined, base: string): string | undefined {
  if (value === undefined) return undefined;
  const bar = value.indexOf('|');
  return bar >= 0 && value.slice(0, bar) === base ? value.slice(bar + 1) : undefined;
}

/**
 * Where a restore drill (./drill.ts) restores beside a directory: `<parent>/.hbr-drill-<basename>-<stamp>-<site>`,
 * a name only drills use, carrying its owner and time. Beside (not inside) the directory: inside,
 * it would change the directory's snapshot diff; beside it, it stays in the same encryption zone
 * and storage policy as the copy it restores. `isMine` recognizes every drill scratch of this
 * directory (what a killed drill left), whatever its time.
 */
export function drillScratch(path: string): {
  parent: string;
  stamp(now: number): string;
  name(stamp: string, site: string): string;
  isMine(entry: string): boolean;
} {
  // `/` has no parent to restore beside: scratch inside it would change the very tree the drill
  // checks (and named "root" it shared /root's names, so a drill of one removed the other's).
  if (path === '/' || !path.startsWith('/')) throw new Error(`a restore drill restores beside the directory; a directory at / has no place beside it (drill a subdirectory's policy instead)`);
  const i = path.lastIndexOf('/');
  const parent = i <= 0 ? '/' : path.slice(0, i);
  const base = path.slice(i + 1);
  const prefix = `.hbr-drill-${base}-`;
  return {
    parent,
    stamp: (now) => new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z'),
    name: (stamp, site) => `${parent === '/' ? '' : parent}/${prefix}${stamp}-${site}`,
    isMine: (entry) => entry.startsWith(prefix) && /^\d{8}T\d{6}Z-[a-z0-9]+$/.test(entry.slice(prefix.length)),
  };
}

/** An absolute path whose last segment is a drill scratch name (what `drillScratch(..).name` makes), nothing else. */
export function isDrillScratchPath(path: string): boolean {
  if (!path.startsWith('/') || path.split('/').some((s) => s === '..' || s === '.')) return false;
  const last = path.slice(path.lastIndexOf('/') + 1);
  return /^\.hbr-drill-.+-\d{8}T\d{6}Z-[a-z0-9]+$/.test(last);
}
