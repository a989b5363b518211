/**
 * Carrying out a restore plan of `hbr restore hdfs` (./restore-command.ts shows it; docs/restore.md):
 *
 *   1. the destination is walked again and compared with what the plan saw (PathPlan.seen): if
 *      anything there changed — a file appeared where the plan copies, one it keeps or replaces was
 *      rewritten, extras came or went — nothing is done ("the destination changed since the plan");
 *   2. the intent is recorded (./restore-record.ts), then DistCp's leftovers of an earlier restore
 *      of this state dir are removed;
 *   3. DistCp `-update` copies (never `-delete`: it would delete whatever is at the destination and
 *      not in the recovery point when it runs, files the plan never listed);
 *   4. with --overwrite, exactly the extras the plan listed are deleted, one WebHDFS DELETE each,
 *      each only if its length and modification time are still what the plan saw;
 *   5. every copied file's checksum is verified, and the outcome recorded.
 *
 * The window left: between the re-walk (1) and DistCp's own listing and copy of a file (3),
 * seconds to the length of the copy, a writer can still create or rewrite a file at a path the
 * copy writes, and DistCp -update replaces it (HDFS offers no compare-and-swap to DistCp). In (4)
 * the window is one round trip between the GETFILESTATUS and the DELETE. Both are far smaller than
 * the minutes an operator takes to confirm, and nothing the plan did not list is ever deleted.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join as pjoin } from 'node:path';
import { UserError } from '../../model/errors.js';
import { formatBytes } from '../../model/format.js';
import type { Config } from '../../model/policy.js';
import type { WebHdfs } from '../../hadoop/webhdfs.js';
import { hdfsCluster } from './exec-snapshots.js';
import { runDistcp } from './exec-distcp.js';
import { destinationChanges, exactPathFilter, join, type PathPlan } from './restore-plan.js';
import { recordIntent } from './restore-record.js';
import { fileAt, walk } from './restore-walk.js';

export interface RunInput {
  config: Config;
  policy: string;
  stateDir: string;
  hadoop: string;
  signal: AbortSignal | undefined;
  snapshot: string;
  from: { cluster: string; snapRoot: string };
  dest: { cluster: string; root: string };
  srcFs: WebHdfs;
  dstFs: WebHdfs;
  /** the paths with something to do */
  work: PathPlan[];
  overwrite: boolean;
  /** the files the plan copies (for the verify) */
  copied: Array<{ sub: string; rel: string }>;
}

/** Refuses (UserError, nothing done) when the destination under `p` is not what the plan saw. */
async function sameAsPlanned(i: RunInput, p: PathPlan): Promise<void> {
  const dstPath = join(i.dest.root, p.sub);
  const changes = destinationChanges(p.seen, await walk(i.dstFs, dstPath));
  if (changes.length) {
    throw new UserError(
      `the destination changed since the plan; plan again. Under ${i.dest.cluster}:${dstPath}: ${changes.slice(0, 10).join('; ')}${changes.length > 10 ? `; … (${changes.length} in all)` : ''}`,
    );
  }
}

export async function runRestore(i: RunInput, log: (m: string) => void): Promise<{ text: string; json: object }> {
  const copying = (p: PathPlan) => p.copy.length > 0 || (i.overwrite && p.differ.length > 0);
  // 1. Before anything is written: the whole destination as the plan saw it.
  for (const p of i.work) await sameAsPlanned(i, p);
  const tmp = pjoin(i.stateDir, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const exec = { config: i.config, signal: i.signal ?? new AbortController().signal, log, hadoop: i.hadoop, stateDir: i.stateDir };
  // 2. The intent, durable before the first write (./restore-record.ts).
  const record = recordIntent(i.stateDir, {
    policy: i.policy,
    cluster: i.dest.cluster,
    paths: i.work.map((p) => join(i.dest.root, p.sub)),
    snapshot: i.snapshot,
    startedAt: Date.now(),
    pid: process.pid,
  });
  let bytesCopied = 0;
  for (const [n, p] of i.work.entries()) {
    const srcPath = join(i.from.snapRoot, p.sub);
    const dstPath = join(i.dest.root, p.sub);
    // Only what a restore of this state dir left (the plan listed them as its own).
    for (const l of p.leftovers) await i.dstFs.delete(fileAt(dstPath, l));
    if (!copying(p)) continue;
    // The first path was checked just above; a later one again right before its own copy (unless an
    // earlier copy wrote inside it, e.g. --path a --path a/b: then what changed there is ours).
    const within = (a: string, b: string) => a === b || b === '' || a.startsWith(`${b}/`);
    if (n > 0 && !i.work.slice(0, n).some((q) => within(p.sub, q.sub) || within(q.sub, p.sub))) await sameAsPlanned(i, p);
    const parent = dstPath.slice(0, dstPath.lastIndexOf('/')) || '/';
    await i.dstFs.mkdirs(parent);
    const args = ['-update'];
    let filters: string | undefined;
    if (!i.overwrite && p.differ.length) {
      // Files that differ at the destination are the operator's to replace: DistCp skips them.
      filters = pjoin(tmp, `restore-filters-${process.pid}-${Date.now()}`);
      writeFileSync(filters, p.differ.map((e) => exactPathFilter(fileAt(srcPath, e.rel))).join('\n') + '\n');
      args.push('-filters', filters);
    }
    const fsUri = (cluster: string, path: string) => `${hdfsCluster(i.config, cluster).fs.replace(/\/+$/, '')}${path}`;
    try {
      const out = await runDistcp(exec, { id: `restore.hdfs ${i.dest.cluster}:${dstPath}`, policy: i.policy, clusters: [i.from.cluster, i.dest.cluster] }, [
        ...args,
        fsUri(i.from.cluster, srcPath),
        fsUri(i.dest.cluster, dstPath),
      ]);
      bytesCopied += out.bytesCopied ?? 0;
    } finally {
      if (filters) rmSync(filters, { force: true });
    }
  }
  // 4. The extras the plan listed, one by one, each only if still what the plan saw.
  let deleted = 0;
  const keptChanged: string[] = [];
  if (i.overwrite) {
    for (const p of i.work) {
      const dstPath = join(i.dest.root, p.sub);
      for (const e of p.extra) {
        const path = fileAt(dstPath, e.rel);
        const st = await i.dstFs.stat(path);
        if (!st) continue;
        if (st.type !== 'FILE' || st.length !== e.length || st.modificationTime !== e.mtime) {
          keptChanged.push(join(p.sub, e.rel));
          continue;
        }
        if (await i.dstFs.delete(path)) deleted++;
      }
      // Directories the recovery point lacks, deepest first, only when empty (a non-recursive DELETE fails otherwise).
      for (const d of p.extraDirs) await i.dstFs.delete(fileAt(dstPath, d)).catch(() => false);
    }
  }
  // 5. Verify: every file the plan copied now has the recovery point's checksum.
  const bad: string[] = [];
  for (const f of i.copied) {
    const [a, b] = await Promise.all([
      i.srcFs.getFileChecksum(fileAt(join(i.from.snapRoot, f.sub), f.rel)),
      i.dstFs.getFileChecksum(fileAt(join(i.dest.root, f.sub), f.rel)).catch((err: Error) => ({ bytes: `(${err.message})`, length: -1, algorithm: '' })),
    ]);
    if (a.bytes !== b.bytes || a.length !== b.length) bad.push(join(f.sub, f.rel));
  }
  if (bad.length) {
    throw new UserError(`restore copied, but ${bad.length} file${bad.length === 1 ? '' : 's'} do not match the recovery point's checksum: ${bad.slice(0, 10).join(', ')}${bad.length > 10 ? ', …' : ''}`);
  }
  record.outcome({ files: i.copied.length, bytesCopied, deleted, keptChanged });
  if (keptChanged.length) {
    throw new UserError(
      `restore copied and verified ${i.copied.length} file(s) and deleted ${deleted}, but did NOT delete ${keptChanged.length} listed file(s) that changed since the plan: ${keptChanged.slice(0, 10).join(', ')}`,
    );
  }
  const del = i.overwrite ? `, ${deleted} file${deleted === 1 ? '' : 's'} not in it deleted` : '';
  return {
    text: `Restore complete: ${i.copied.length} file${i.copied.length === 1 ? '' : 's'} (${formatBytes(bytesCopied)} copied) from ${i.snapshot}, checksums verified${del}.\n`,
    json: { restored: i.snapshot, files: i.copied.length, bytesCopied, verified: i.copied.length, deleted },
  };
}
