/**
 * `hbr restore ozone --overwrite` (docs/ozone.md, "Restore over the original"): a recovery point
 * copied back over the original bucket, or a key or directory in it. Destructive, so it keeps what
 * it replaces (never destroy the last good copy: what if the recovery point is the bad one?):
 *
 *   1. the plan lists what it would add (`+`), replace (`~`, marked when written after the
 *      snapshot) and delete (`-`), and shows the restore as `-/+`; nothing runs without the
 *      operator's word (src/cli/restore.ts: a terminal's confirmation or --auto-approve);
 *   2. before the first write, a snapshot of the original bucket as it is now, under a name hbr
 *      never deletes (`pre-restore-<time>`: not hbr's name form, so foreign to retention and to the
 *      floors, docs/ozone.md "Names"); the operator drops it when satisfied;
 *   3. that snapshot is compared with what the plan saw (as HDFS's restore re-walks its destination,
 *      docs/restore.md "Acts only on the destination the plan saw"): any key that came, went or
 *      changed since the plan refuses the restore, nothing copied;
 *   4. `distcp -update -delete` from the recovery point (a key: `-overwrite` of that key alone),
 *      then every key's length, and the file count and bytes, checked against the recovery point.
 */
import { runDistcpJob } from '../../hadoop/distcp.js';
import type { WebHdfs } from '../../hadoop/webhdfs.js';
import { iso } from '../../model/format.js';
import type { RestoreContext, RestorePlan } from '../types.js';
import { snapshotDir, type OzoneCluster } from './types.js';

/** One key or directory of a tree, by its path relative to the tree's root (`./a/b`; `.` is the root itself when it is a key). */
export interface TreeEntry {
  dir: boolean;
  length: number;
  mtime: number;
}
export type Tree = Map<string, TreeEntry>;

/** Every key and directory under `root` (a key: itself as `.`), one LISTSTATUS per directory. */
export async function walkTree(fs: WebHdfs, root: string): Promise<Tree> {
  const out: Tree = new Map();
  const top = await fs.stat(root);
  if (!top) return out;
  if (top.type !== 'DIRECTORY') return out.set('.', { dir: false, length: top.length, mtime: top.modificationTime });
  const walk = async (rel: string): Promise<void> => {
    const list = await fs.listStatus(`${root}${rel.slice(1)}`);
    const deeper: string[] = [];
    for (const s of list) {
      const r = `${rel}/${s.pathSuffix}`;
      out.set(r, { dir: s.type === 'DIRECTORY', length: s.length, mtime: s.modificationTime });
      if (s.type === 'DIRECTORY') deeper.push(r);
    }
    await Promise.all(deeper.map(walk));
  };
  await walk('.');
  return out;
}

export interface OverwriteDiff {
  /** keys in the recovery point, missing at the destination */
  add: string[];
  /** keys at both with a different length or type; `newer`: modified after the snapshot was taken */
  differ: Array<{ path: string; newer: boolean }>;
  /** keys and directories at the destination the recovery point does not have (deleted) */
  remove: string[];
  /** keys of the same length at both: DistCp -update compares their checksums and copies those that differ */
  sameLength: number;
}

/** What a restore of `point` over `dest` changes there (pure); `snapTime`: when the snapshot was taken. */
export function overwriteDiff(point: Tree, dest: Tree, snapTime: number): OverwriteDiff {
  const d: OverwriteDiff = { add: [], differ: [], remove: [], sameLength: 0 };
  for (const [p, e] of point) {
    if (e.dir) continue;
    const t = dest.get(p);
    if (!t) d.add.push(p);
    else if (t.dir || t.length !== e.length) d.differ.push({ path: p, newer: t.mtime > snapTime });
    else d.sameLength++;
  }
  // a directory the recovery point lacks is one entry (its keys go with it)
  const removedDirs: string[] = [];
  for (const [p, t] of [...dest].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (point.has(p)) continue;
    if (removedDirs.some((r) => p.startsWith(`${r}/`))) continue;
    d.remove.push(t.dir ? `${p}/` : p);
    if (t.dir) removedDirs.push(p);
  }
  return d;
}

/** The first difference between what the plan saw and what is there now, or undefined. */
export function firstChange(seen: Tree, now: Tree): string | undefined {
  for (const [p, e] of seen) {
    const n = now.get(p);
    if (!n) return `${p}: gone`;
    // a directory by its presence only (as ./changes.ts compares trees: its listed times are not a key's)
    if (n.dir !== e.dir || (!e.dir && (n.length !== e.length || n.mtime !== e.mtime))) return `${p}: changed`;
  }
  for (const p of now.keys()) if (!seen.has(p)) return `${p}: appeared`;
  return undefined;
}

/** The aside snapshot's name: lower-case (Ozone refuses upper case) and not hbr's form, so hbr never deletes it. */
export function asideName(now: number): string {
  return `pre-restore-${iso(now).replace(/[-:]/g, '').replace(/\.\d+/, '').toLowerCase()}`;
}

const SHOWN = 20;

/** The plan's lines for a restore of `source` over `cluster:dest` (the bucket `bucket` keeps `aside`). */
export function overwriteLines(o: { cluster: string; dest: string; bucket: string; aside: string; source: string; files: number; bytes: number; diff: OverwriteDiff; destKeys: number }): string[] {
  const { diff } = o;
  const list = (sign: string, xs: string[]) => [...xs.slice(0, SHOWN).map((x) => `        ${sign} ${x}`), ...(xs.length > SHOWN ? [`        ${sign} … ${xs.length - SHOWN} more`] : [])];
  const newer = diff.differ.filter((d) => d.newer).length;
  return [
    `  + ozone.snapshot.create  ${o.cluster}:${o.bucket}@${o.aside}`,
    `        keeps ${o.cluster}:${o.bucket} as it is now (${o.destKeys} keys under ${o.dest}) before the restore replaces it; not an hbr name: hbr never deletes it, drop it when the restore is checked`,
    `  -/+ restore.ozone  ${o.cluster}:${o.dest} <- ${o.source}`,
    `        ${o.files} file${o.files === 1 ? '' : 's'}, ${o.bytes} bytes in the recovery point; REPLACES ${o.cluster}:${o.dest} (--overwrite): ` +
      `${diff.add.length} missing (copied), ${diff.differ.length} differing (replaced${newer ? `, ${newer} written after the snapshot` : ''}), ` +
      `${diff.remove.length} not in the recovery point (deleted), ${diff.sameLength} of the same length (distcp -update compares checksums)`,
    ...list('+', diff.add),
    ...list('~', diff.differ.map((d) => `${d.path}${d.newer ? ' (written after the snapshot)' : ''}`)),
    ...list('-', diff.remove),
  ];
}

/** Step 3: the aside snapshot's tree under `rel` against what the plan saw; throws when it differs. */
export async function checkUnchanged(fs: WebHdfs, o: { bucket: string; rel: string; aside: string; seen: Tree; where: string }): Promise<void> {
  const now = await walkTree(fs, `${snapshotDir(o.bucket)}/${o.aside}${o.rel}`);
  const change = firstChange(o.seen, now);
  if (change) throw new Error(`the destination changed since the plan; plan again (nothing was copied; ${o.where}@${o.aside} keeps it as it was). Under ${o.where}: ${change}`);
}

export interface OverwriteInput {
  ctx: RestoreContext;
  policy: string;
  srcFs: WebHdfs;
  dstFs: WebHdfs;
  srcCluster: OzoneCluster;
  dstCluster: OzoneCluster;
  toCluster: string;
  /** the recovery point's path: `<bucket>/.snapshot/<name>[/<path>]` on srcCluster */
  from_: string;
  /** the original place: `<bucket>[/<path>]` on dstCluster */
  to: string;
  /** the original bucket, and the restored path in it (`/<path>` or '') */
  bucket: string;
  rel: string;
  point: { name: string; time: number };
  /** when the recovery point's snapshot was taken, by its server's clock */
  takenAt: number;
  source: string;
  header: string;
  json: object;
  summary: { fileCount: number; length: number };
  file: boolean;
}

/** The plan of a restore over the original place (steps 1-4 above). */
export async function prepareOverwrite(i: OverwriteInput): Promise<RestorePlan> {
  const [point, seen] = await Promise.all([walkTree(i.srcFs, i.from_), walkTree(i.dstFs, i.to)]);
  const diff = overwriteDiff(point, seen, i.takenAt);
  const aside = asideName(i.ctx.now);
  const where = `${i.toCluster}:${i.bucket}`;
  const destKeys = [...seen.values()].filter((e) => !e.dir).length;
  const lines = [i.header, ...overwriteLines({ cluster: i.toCluster, dest: i.to, bucket: i.bucket, aside, source: i.source, files: i.summary.fileCount, bytes: i.summary.length, diff, destKeys })];
  const json = { ...i.json, overwrite: { aside: `${where}@${aside}`, add: diff.add, differ: diff.differ, remove: diff.remove, sameLength: diff.sameLength } };
  return {
    policy: i.policy,
    lines,
    json,
    run: async (log) => {
      // 2. what it replaces, kept first (a name hbr never deletes)
      if (await i.dstFs.stat(`${snapshotDir(i.bucket)}/${aside}`)) throw new Error(`${where} already has a snapshot ${aside}: plan again in a moment`);
      await i.dstFs.createSnapshot(i.bucket, aside);
      log(`kept ${where} as it was in ${where}@${aside}`);
      // 3. only over what the plan saw
      await checkUnchanged(i.dstFs, { bucket: i.bucket, rel: i.rel, aside, seen, where: `${i.toCluster}:${i.to}` });
      // 4. the copy: a directory's content with -update -delete; a key alone with -overwrite (a plain copy skips an existing key)
      const opts = i.dstCluster.replication !== undefined ? [`-Dozone.replication=${i.dstCluster.replication}`] : [];
      const counts = await runDistcpJob(`restore.ozone:${i.toCluster}:${i.to}`, { hadoop: i.ctx.hadoop, stateDir: i.ctx.stateDir, ...(i.ctx.signal && { signal: i.ctx.signal }), log }, [
        ...opts,
        ...(i.file ? ['-overwrite'] : ['-update', '-delete']),
        `${i.srcCluster.fs}${i.from_}`,
        `${i.dstCluster.fs}${i.to}`,
      ]);
      const after = await walkTree(i.dstFs, i.to);
      const wrong = [...point].filter(([p, e]) => !e.dir && after.get(p)?.length !== e.length).map(([p]) => p);
      const extra = [...after].filter(([p]) => !point.has(p)).map(([p]) => p);
      if (wrong.length || extra.length) {
        throw new Error(`restore of ${i.source} over ${i.toCluster}:${i.to} incomplete: ${[...wrong.slice(0, 5).map((p) => `${p} missing or of another length`), ...extra.slice(0, 5).map((p) => `${p} not in the recovery point`)].join('; ')} (${where}@${aside} keeps what was there)`);
      }
      return {
        text: `Restored ${i.source} over ${i.toCluster}:${i.to}: ${counts.filesCopied} files, ${counts.bytesCopied} bytes copied, ${diff.remove.length} not in the recovery point deleted; every key as in the recovery point. What was there is kept in ${where}@${aside} (hbr never deletes it).\n`,
        json: { ...json, copied: counts },
      };
    },
  };
}
