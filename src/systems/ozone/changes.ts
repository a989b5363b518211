/**
 * Has a DR bucket changed since its newest snapshot common with the source? HDFS asks the NameNode
 * (GETSNAPSHOTDIFF from the snapshot to the live tree); Ozone's HttpFS gateway answers that
 * "not supported" and Ozone's own snapshot diff is only between two snapshots, asynchronous, and
 * behind a JVM (`ozone sh snapshot diff`, docs/design/ozone-notes.md). Observers must not make a
 * snapshot to diff against, so the live tree is compared with the snapshot's tree over the
 * gateway: LISTSTATUS of both, level by level, keys by type, length and modification time (a key
 * left alone keeps both in a snapshot). Its cost is one LISTSTATUS per directory on each side, only
 * for DR targets that share a snapshot with their source (docs/ozone.md, "Observation and its costs").
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

/**
 * The live tree of `bucket` against its snapshot `snap`: entries as `hdfs snapshotDiff` writes them
 * (`+ ./new`, `- ./gone`, `M ./changed`; a renamed key shows as - and +), at most `max` of them.
 */
export async function treeChanges(fs: WebHdfs, bucket: string, snap: string, limit: LimitFunction, max = Infinity): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    if (out.length >= max) return;
    const [live, then] = await Promise.all([level(fs, `${bucket}${rel}`, limit), level(fs, `${snapshotDir(bucket)}/${snap}${rel}`, limit)]);
    const deeper: string[] = [];
    for (const [name, e] of live) {
      const t = then.get(name);
      if (!t) out.push(`+ .${rel}/${name}`);
      else if (t.dir !== e.dir || t.sig !== e.sig) out.push(`M .${rel}/${name}`);
      else if (e.dir) deeper.push(`${rel}/${name}`);
    }
    for (const name of then.keys()) if (!live.has(name)) out.push(`- .${rel}/${name}`);
    await Promise.all(deeper.map(walk));
  };
  await walk('');
  return out.slice(0, max);
}

/** ObservedDir.changedSince of a DR bucket for its common snapshot `snap`. */
export async function changedSince(fs: WebHdfs, bucket: string, snap: string, limit: LimitFunction): Promise<NonNullable<ObservedDir['changedSince']>> {
  const entries = await treeChanges(fs, bucket, snap, limit);
  return { snapshot: snap, changed: entries.length > 0, entries: entries.length, ...(entries.length ? { shown: entries.slice(0, SHOWN) } : {}) };
}
