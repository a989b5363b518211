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
 * The mark a bootstrap leaves on its target directory before it copies (an extended attribute,
 * `<source cluster>:<source path>@<snapshot>`): a target that holds files but no snapshot and
 * carries this mark for its own source is hbr's interrupted copy, resumed rather than held as
 * diverged. The snapshot create that completes the bootstrap removes the mark.
 */
export const BOOTSTRAP_XATTR = 'user.hbr.bootstrap';
