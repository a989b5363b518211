/**
 * The block backup's mass-change hold (docs/blocks.md, "Mass change"): a run whose walk lost or
 * rewrote more than `max_change` of the files or of the bytes the newest manifest holds (an
 * `hdfs dfs -rm -r -skipTrash`, a directory moved aside and recreated empty, ransomware) writes no
 * manifest, and retention and garbage collection do nothing, until the operator allows it with
 * `hbr apply --allow-overwrite <cluster>:<path>` — the same word and hold as the hdfs system's
 * max_change (src/systems/hdfs/replication.ts). Pure: the plan and the manifest executor (which
 * walks again at apply time) both call it.
 */
import { DEFAULT_MAX_CHANGE } from '../../planner/mass-change.js';
import type { Manifest } from './types.js';

/** The same default as a DR pair's max_change (src/planner/mass-change.ts): one value for every system. */
export { DEFAULT_MAX_CHANGE };

/** The word `--allow-overwrite` takes for a block backup policy: its source `cluster:path`. */
export const massChangeWord = (p: { source: { cluster: string; path: string } }): string => `${p.source.cluster}:${p.source.path}`;

type LiveFileId = { path: string; fileId: number; length: number; mtime: number };

export interface MassChange {
  files: number;
  changedFiles: number;
  bytes: number;
  changedBytes: number;
  deleted: number;
  rewritten: number;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/**
 * How much of `previous` the walk's `files` lost (path absent) or rewrote (shorter, or another
 * fileId with another length or mtime: an append keeps the fileId and grows; a file hbr restored has
 * a new fileId but the manifest's length and mtime, restore-exec.ts), or undefined when it is within `maxChange` (a share,
 * 0..1; 1 turns the check off) or there is nothing to compare with.
 */
export function massChange(previous: Pick<Manifest, 'files'> | undefined, files: ReadonlyArray<LiveFileId>, maxChange: number): MassChange | undefined {
  if (!previous || previous.files.length === 0 || maxChange >= 1) return undefined;
  const live = new Map(files.map((f) => [f.path, f]));
  let bytes = 0;
  let changedBytes = 0;
  let deleted = 0;
  let rewritten = 0;
  for (const f of previous.files) {
    bytes += f.length;
    const now = live.get(f.path);
    if (!now) deleted++;
    else if (now.length < f.length || (now.fileId !== f.fileId && (now.length !== f.length || now.mtime !== f.mtime))) rewritten++;
    else continue;
    changedBytes += f.length;
  }
  const changedFiles = deleted + rewritten;
  const over = changedFiles / previous.files.length > maxChange || (bytes > 0 && changedBytes / bytes > maxChange);
  return over ? { files: previous.files.length, changedFiles, bytes, changedBytes, deleted, rewritten } : undefined;
}

export function describeMassChange(c: MassChange, where: string, since: string, maxChange: number): string {
  return (
    `${c.changedFiles} of ${c.files} files (${pct(c.changedFiles / c.files)}: ${c.deleted} deleted, ${c.rewritten} rewritten)` +
    ` and ${c.changedBytes} of ${c.bytes} bytes (${pct(c.bytes ? c.changedBytes / c.bytes : 0)}) of ${since} are gone from ${where}, more than max_change ${pct(maxChange)}`
  );
}

/**
 * The manifest executor's re-check at apply time (it walks again): throws, writing nothing, when
 * the walk lost or rewrote more than max_change of `previous` and the plan did not carry the
 * operator's --allow-overwrite.
 */
export function refuseMassChange(
  p: { name: string; source: { cluster: string; path: string }; backup: { maxChange?: number } },
  previous: { key: string; manifest: Pick<Manifest, 'files'> } | undefined,
  files: ReadonlyArray<LiveFileId>,
  allowed: boolean | undefined,
): void {
  const maxChange = p.backup.maxChange ?? DEFAULT_MAX_CHANGE;
  const mc = allowed ? undefined : massChange(previous?.manifest, files, maxChange);
  if (!mc || !previous) return;
  const word = massChangeWord(p);
  throw new Error(`block backup ${p.name} is held at apply time: ${describeMassChange(mc, word, previous.key, maxChange)}; no manifest written. If the change is intended: hbr apply --allow-overwrite ${word}`);
}
