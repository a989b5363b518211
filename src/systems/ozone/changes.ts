/**
 * Has a DR bucket changed since its newest snapshot common with the source? HDFS asks the NameNode
 * (GETSNAPSHOTDIFF from the snapshot to the live tree); Ozone's HttpFS gateway answers that
 * "not supported" and Ozone's own snapshot diff is only between two snapshots, asynchronous, and
 * behind a JVM (`ozone sh snapshot diff`, docs/design/ozone-notes.md). Observers must not make a
 * snapshot to diff against, so the live tree is compared with the snapshot's tree over the
 * gateway: LISTSTATUS of both, level by level, keys by type, length and modification time (a key
 * left alone keeps both in a snapshot). Its cost is one LISTSTATUS per directory on each side, only
 * for DR targets that share a snapshot with their source, and for their source (how much of it
 * changed since: the max_change hold) (docs/ozone.md, "Observation and its costs").
 */
import type { LimitFunction } from 'p-limit';
import type { WebHdfs } from '../../hadoop/webhdfs.js';
import type { ObservedDir } from '../../model/observed.js';
import { snapshotDir } from './types.js';

/** How many changed entries the plan shows. */
const SHOWN = 5;

type Entry = { dir: boolean; sig: string };

async function level(fs: WebHdfs, path: string, limit: LimitFunction): Promise<Map<string, Entry>> {
  const list = await limit(() => fs.listStatus(path));
  return new Map(list.map((s) => [s.pathSuffix, { dir: s.type === 'DIRECTORY', sig: s.type === 'DIRECTORY' ? 'D' : `${s.type}:${s.length}:${s.modificationTime}` }]));
}

/** One difference between the live tree and a snapshot's: its sign as `hdfs snapshotDiff` writes it, its path (`./a/b`), a directory or not. */
export interface TreeChange {
  op: '+' | '-' | 'M';
  path: string;
  dir: boolean;
  /** a key's type, length and modification time (the live one for `+` and `M`) */
  sig: string;
  /** `M` only: the entry was a directory in the snapshot (a directory replaced by a key) */
  wasDir?: boolean;
  /** a `-` or `+` directory (or an `M` that was one): the keys and bytes under it, from its content summary */
  files?: number;
  bytes?: number;
}

/**
 * The live tree of `bucket` against its snapshot `snap` (a renamed key shows as - and +; a deleted
 * or new directory is one entry, not walked), at most `max` of them.
 */
export async function compareTrees(fs: WebHdfs, bucket: string, snap: string, limit: LimitFunction, max = Infinity): Promise<TreeChange[]> {
  const out: TreeChange[] = [];
  const walk = async (rel: string): Promise<void> => {
    if (out.length >= max) return;
    const [live, then] = await Promise.all([level(fs, `${bucket}${rel}`, limit), level(fs, `${snapshotDir(bucket)}/${snap}${rel}`, limit)]);
    const deeper: string[] = [];
    for (const [name, e] of live) {
      const t = then.get(name);
      if (!t) out.push({ op: '+', path: `.${rel}/${name}`, dir: e.dir, sig: e.sig });
      else if (t.dir !== e.dir || t.sig !== e.sig) out.push({ op: 'M', path: `.${rel}/${name}`, dir: e.dir && t.dir, sig: e.sig, ...(t.dir && !e.dir && { wasDir: true }) });
      else if (e.dir) deeper.push(`${rel}/${name}`);
    }
    for (const [name, t] of then) if (!live.has(name)) out.push({ op: '-', path: `.${rel}/${name}`, dir: t.dir, sig: t.sig });
    await Promise.all(deeper.map(walk));
  };
  await walk('');
  return out.slice(0, max);
}

/** compareTrees as `hdfs snapshotDiff` writes its entries: `+ ./new`, `- ./gone`, `M ./changed`. */
export async function treeChanges(fs: WebHdfs, bucket: string, snap: string, limit: LimitFunction, max = Infinity): Promise<string[]> {
  return (await compareTrees(fs, bucket, snap, limit, max)).map((c) => `${c.op} ${c.path}`);
}

/** ObservedDir.changedSince of a DR bucket for its common snapshot `snap`. */
export async function changedSince(fs: WebHdfs, bucket: string, snap: string, limit: LimitFunction): Promise<NonNullable<ObservedDir['changedSince']>> {
  const entries = await treeChanges(fs, bucket, snap, limit);
  return { snapshot: snap, changed: entries.length > 0, entries: entries.length, ...(entries.length ? { shown: entries.slice(0, SHOWN) } : {}) };
}

/**
 * ObservedDir.sourceChangedSince of a DR target: how much of its source bucket (holding `liveFiles`
 * keys now) changed since their common snapshot `snap`, for the planner's max_change hold
 * (src/planner/mass-change.ts). Files then: GETCONTENTSUMMARY of `<bucket>/.snapshot/<snap>`;
 * deleted: the `-` keys, plus every key under a `-` directory (or a directory replaced by a key),
 * counted by a GETCONTENTSUMMARY of it in the snapshot — a deleted directory is not one entry: with
 * as many keys written elsewhere the key count does not drop, and a directory deletion must still be
 * held (the review of 2026-12-02: 900 of 1000 keys deleted as one directory and 900 written under
 * another counted 0 deleted); or the drop in the key count when more. A `-` key with a `+` key of
 * the same length and modification time is a rename, not counted, as HDFS's snapshot diff reports a
 * rename as RENAME, not DELETE; likewise a `-` directory with a `+` directory holding the same
 * number of keys and bytes. Rewritten: the `M` keys. The comparison costs one LISTSTATUS per
 * directory of the source, live and in the snapshot, and one GETCONTENTSUMMARY per directory added
 * or removed (docs/ozone.md, "Observation and its costs").
 */
export async function sourceChangedSince(fs: WebHdfs, bucket: string, snap: string, liveFiles: number, limit: LimitFunction): Promise<NonNullable<ObservedDir['sourceChangedSince']>> {
  const [then, changes] = await Promise.all([limit(() => fs.getContentSummary(`${snapshotDir(bucket)}/${snap}`)), compareTrees(fs, bucket, snap, limit)]);
  const sized = await Promise.all(
    changes.map(async (c) => {
      const gone = c.op === '-' ? c.dir : c.op === 'M' && c.wasDir === true;
      if (!gone && !(c.op === '+' && c.dir)) return c;
      // c.path is './a/b': the directory in the snapshot (gone) or in the live bucket (added)
      const where = gone ? `${snapshotDir(bucket)}/${snap}${c.path.slice(1)}` : `${bucket}${c.path.slice(1)}`;
      const sum = await limit(() => fs.getContentSummary(where));
      return { ...c, files: sum.fileCount, bytes: sum.length };
    }),
  );
  return countSourceChange(snap, sized, then.fileCount, liveFiles);
}

/** sourceChangedSince's count from the comparison (pure): see there. */
export function countSourceChange(snap: string, changes: readonly TreeChange[], filesThen: number, filesNow: number): NonNullable<ObservedDir['sourceChangedSince']> {
  const added = new Map<string, number>();
  const take = (sig: string): boolean => {
    const n = added.get(sig) ?? 0;
    if (n > 0) added.set(sig, n - 1);
    return n > 0;
  };
  const dirSig = (c: TreeChange) => `DIR:${c.files ?? -1}:${c.bytes ?? -1}`;
  for (const c of changes) {
    if (c.op !== '+') continue;
    const sig = c.dir ? dirSig(c) : c.sig;
    added.set(sig, (added.get(sig) ?? 0) + 1);
  }
  let deletes = 0;
  for (const c of changes) {
    if (c.op === '-' && !c.dir && !take(c.sig)) deletes++;
    // a directory deleted (or replaced by a key): every key it held, unless a directory with the
    // same keys and bytes was added (a rename); unsized (observed without its summary): its drop in
    // the key count below still counts it
    else if (((c.op === '-' && c.dir) || (c.op === 'M' && c.wasDir)) && c.files !== undefined && !(c.op === '-' && take(dirSig(c)))) deletes += c.files;
  }
  const modified = changes.filter((c) => c.op === 'M' && !c.dir && !c.wasDir).length;
  return { snapshot: snap, files: filesThen, deleted: Math.max(deletes, filesThen - filesNow), modified };
}
