/**
 * The pure half of the block restore (docs/blocks.md "Restore"): which manifest (newest, or newest
 * at or before --at; never one dated in the future), which of its files (--path globs), and what to
 * do with each given its destination as observed: `+` absent, nothing when already the manifest's
 * version, `-/+` when different (only with --overwrite, or when the file is the manifest's own
 * version with a missing or corrupt block: unreadable, so the store holds its last good copy).
 * Also the scratch names the executor writes beside a target (./restore-exec.ts), recognisable
 * after a kill. No I/O, no clock.
 */
import type { FileChecksum } from '../../hadoop/webhdfs.js';
import type { Manifest, ManifestFile } from './types.js';

// ------------------------------------------------------------------ manifest keys and choice

const MANIFEST_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})Z\.json$/;

/** The time of `manifests/<policy>/<yyyy-MM-ddTHH-mm-ssZ>.json`, or undefined when the key is not one of `policy`. */
export function manifestKeyTime(policy: string, key: string): number | undefined {
  const prefix = `manifests/${policy}/`;
  if (!key.startsWith(prefix)) return undefined;
  const m = MANIFEST_TIME_RE.exec(key.slice(prefix.length));
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
  const t = Date.parse(iso);
  return Number.isNaN(t) || new Date(t).toISOString().slice(0, 19) + 'Z' !== iso ? undefined : t;
}

export type ManifestChoice = { key: string; time: number } | { error: string };

/**
 * The newest manifest of `policy` dated at or before `at` and not after `trusted` (the clock plus
 * its skew: src/model/names.ts trustedUntil). Keys in any order.
 */
export function chooseManifest(policy: string, keys: readonly string[], opts: { at: number; trusted: number }): ManifestChoice {
  let best: { key: string; time: number } | undefined;
  let future = 0;
  for (const key of keys) {
    const time = manifestKeyTime(policy, key);
    if (time === undefined) continue;
    if (time > opts.trusted) {
      future++;
      continue;
    }
    if (time <= opts.at && (!best || time > best.time)) best = { key, time };
  }
  if (best) return best;
  const note = future ? ` (${future} dated in the future, not trusted)` : '';
  return { error: keys.length ? `no manifest of policy ${policy} dated at or before ${new Date(opts.at).toISOString()}${note}` : `policy ${policy} has no manifest in its store yet${note}` };
}

// ------------------------------------------------------------------ --path globs

/** A glob is relative to the policy's source: segments of [^/], no `.` or `..`, `*`, `?` and `**` allowed. */
export function cleanGlob(glob: string): boolean {
  if (glob === '' || glob.startsWith('/') || glob.endsWith('/') || glob.includes('//')) return false;
  return glob.split('/').every((s) => s !== '.' && s !== '..' && !s.includes('\u0000'));
}

function globRegex(glob: string): RegExp {
  let re = '';
  const segs = glob.split('/');
  segs.forEach((seg, i) => {
    const last = i === segs.length - 1;
    if (seg === '**') {
      re += last ? '.*' : '(?:[^/]+/)*';
      return;
    }
    re += seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
    if (!last) re += '/';
  });
  // a glob naming a directory restores what is under it
  return new RegExp(`^${re}(?:/.*)?$`);
}

/** The manifest's files that one of `globs` matches (all of them when none), and the globs that matched nothing. */
export function selectFiles(manifest: Manifest, globs: readonly string[]): { files: ManifestFile[]; unmatched: string[] } {
  if (!globs.length) return { files: [...manifest.files], unmatched: [] };
  const res = globs.map((g) => ({ g, re: globRegex(g), hit: false }));
  const files = manifest.files.filter((f) => {
    let any = false;
    for (const r of res) if (r.re.test(f.path)) any = r.hit = true;
    return any;
  });
  return { files, unmatched: res.filter((r) => !r.hit).map((r) => r.g) };
}

// ------------------------------------------------------------------ destination comparison

/** A file's destination as observed now (GETFILESTATUS, and GETFILECHECKSUM when the lengths match). */
export interface Destination {
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK';
  fileId: number;
  length: number;
  mtime: number;
  /** undefined when not asked (length differs) or unreadable (a missing block) */
  checksum?: FileChecksum;
  /** the NameNode reports a block of it missing or corrupt */
  damaged?: boolean;
}

/** The same inode, length and mtime as the manifest recorded: the very version backed up. */
export function sameVersion(m: ManifestFile, d: { fileId?: number; length?: number; mtime?: number }): boolean {
  return d.fileId === m.fileId && d.length === m.length && d.mtime === m.mtime;
}

/** Two GETFILECHECKSUMs say the same only with the same algorithm (it encodes bytes per CRC and CRCs per block). */
export function sameChecksum(a: FileChecksum | undefined, b: FileChecksum | undefined): boolean {
  return a !== undefined && b !== undefined && a.algorithm === b.algorithm && a.length === b.length && a.bytes === b.bytes;
}

/** Holds the manifest's bytes already: the unchanged inode, or a copy (an earlier restore) with its checksum (else its mtime). */
export function alreadyRestored(m: ManifestFile, d: Destination): boolean {
  if (d.type !== 'FILE' || d.damaged || d.length !== m.length) return false;
  if (sameVersion(m, d) || sameChecksum(m.checksum, d.checksum)) return true;
  // Nothing to compare the bytes with (an empty file; a manifest without checksum): the length and
  // the mtime a restore sets, or a second run would replace what the first restored.
  return (m.length === 0 || m.checksum === undefined) && d.mtime === m.mtime;
}

export interface FileRestore {
  file: ManifestFile;
  action: 'create' | 'replace';
  /** why a replace: "differs", "1 missing block" */
  why?: string;
}

export interface RestoreComparison {
  restore: FileRestore[];
  /** already the manifest's version */
  same: ManifestFile[];
  /** those of `same` recognised only by their length and mtime (no checksum in the manifest, another inode) */
  weak: ManifestFile[];
  /** differ and are kept: --overwrite would replace them */
  refused: Array<{ file: ManifestFile; why: string }>;
  /** a directory (or link) where the manifest has a file: never replaced */
  blocked: Array<{ file: ManifestFile; why: string }>;
}

export function compareDestinations(files: readonly ManifestFile[], dest: Readonly<Record<string, Destination | undefined>>, overwrite: boolean): RestoreComparison {
  const out: RestoreComparison = { restore: [], same: [], weak: [], refused: [], blocked: [] };
  for (const file of files) {
    const d = dest[file.path];
    if (!d) {
      out.restore.push({ file, action: 'create' });
      continue;
    }
    if (d.type !== 'FILE') {
      out.blocked.push({ file, why: `a ${d.type.toLowerCase()} is there` });
      continue;
    }
    if (alreadyRestored(file, d)) {
      out.same.push(file);
      if (file.length > 0 && !sameVersion(file, d) && !sameChecksum(file.checksum, d.checksum)) out.weak.push(file);
      continue;
    }
    // The manifest's own version with a block lost: unreadable, the store has its only good copy.
    if (d.damaged && sameVersion(file, d)) {
      out.restore.push({ file, action: 'replace', why: 'a block missing or corrupt' });
      continue;
    }
    const why = d.damaged ? 'a different version, with a block missing or corrupt' : d.length !== file.length ? `differs (${d.length} bytes, backed up ${file.length})` : 'differs (checksum)';
    if (overwrite) out.restore.push({ file, action: 'replace', why });
    else out.refused.push({ file, why });
  }
  return out;
}

// ------------------------------------------------------------------ paths and scratch names

/**
 * `--to` strictly inside the policy's source: the restored copies would be backed up again as new
 * blocks (both absolute, clean). The source itself is the ordinary in-place restore.
 */
export function insideSource(source: string, to: string): boolean {
  return to !== source && (source === '/' || to.startsWith(`${source}/`));
}

/** `root` joined with a relative path ("" is root itself). */
export function joinPath(root: string, rel: string): string {
  if (!rel) return root;
  return root === '/' ? `/${rel}` : `${root}/${rel}`;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

const SCRATCH_RE = /^\.(.+)\.hbr-restore-(\d{8}T\d{6}Z)$/;

/** `.<name>.hbr-restore-<yyyyMMddTHHmmssZ>`: where a restore writes before it renames into `<name>`. */
export function restoreScratchName(name: string, at: number): string {
  const iso = new Date(at).toISOString();
  return `.${name}.hbr-restore-${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/** The name a scratch entry restores into, or undefined when the entry is not a restore scratch. */
export function scratchTarget(entry: string): string | undefined {
  return SCRATCH_RE.exec(entry)?.[1];
}
