/**
 * The mark that says a DR pair is failed over (docs/failover.md): an extended attribute on the DR
 * target's *parent* directory, like the bootstrap mark (./scratch.ts) and for the same reason (a
 * change to the target itself would show in its snapshot diff), named for the target, valued
 * `<target basename>|<source cluster>:<source path>`. It lives on the DR side because an unplanned
 * failover cannot reach the primary; every hbr process observes it there (level-triggered: no local
 * state says a pair is failed over). `hbr failover` sets it, `hbr failback` removes it.
 */
import { createHash } from 'node:crypto';
import { markedCopy } from './scratch.js';

export function failoverMark(targetPath: string): { dir: string; name: string; base: string } {
  const i = targetPath.lastIndexOf('/');
  const base = targetPath.slice(i + 1);
  if (!base) return { dir: '/', name: 'user.hbr.failover', base: '' };
  return { dir: i === 0 ? '/' : targetPath.slice(0, i), name: `user.hbr.failover.${createHash('sha256').update(base).digest('hex').slice(0, 16)}`, base };
}

/** The mark's value for a target and its source. */
export function failoverValue(targetPath: string, source: { cluster: string; path: string }): string {
  return `${failoverMark(targetPath).base}|${source.cluster}:${source.path}`;
}

/** The source (`cluster:path`) a failover mark records, if `xattrs` holds the mark of `targetPath`. */
export function failedOverFrom(xattrs: Record<string, string>, targetPath: string): string | undefined {
  const m = failoverMark(targetPath);
  return markedCopy(xattrs[m.name], m.base);
}
