/**
 * A run's manifest (docs/blocks.md, "Manifest"): which blocks make which file. Validated when read
 * (a manifest of an unknown version, or one that does not hold together, is refused: a later
 * hbr's manifest is never half-understood), serialized deterministically. Pure.
 */
import { blockRef, isBlockPool } from './names.js';
import type { Manifest, ManifestBlock, ManifestDir, ManifestFile } from './types.js';

export const MANIFEST_VERSION = 1;

export class ManifestError extends Error {
  constructor(where: string, message: string) {
    super(`manifest ${where}: ${message}`);
    this.name = 'ManifestError';
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNat = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isStr = (v: unknown): v is string => typeof v === 'string';
const isRel = (v: unknown): v is string => isStr(v) && !v.startsWith('/') && !v.split('/').some((s) => s === '..' || s === '.');

/** `raw` (parsed JSON) as a Manifest, or a ManifestError naming what is wrong. */
export function validateManifest(raw: unknown, where = '(unnamed)'): Manifest {
  const bad = (msg: string): never => {
    throw new ManifestError(where, msg);
  };
  if (!isObj(raw)) return bad('not a JSON object');
  if (raw.version !== MANIFEST_VERSION) return bad(`version ${JSON.stringify(raw.version)} is not one this hbr reads (${MANIFEST_VERSION}); refusing it`);
  for (const k of ['policy', 'cluster', 'path', 'blockPoolId'] as const) if (!isStr(raw[k])) bad(`'${k}' is not a string`);
  if (!isNat(raw.createdAt)) bad("'createdAt' is not a time");
  const pool = raw.blockPoolId as string;
  if (pool !== '' && !isBlockPool(pool)) bad(`'blockPoolId' ${JSON.stringify(pool)} is not a block pool id`);
  if (!Array.isArray(raw.files) || !Array.isArray(raw.dirs) || !Array.isArray(raw.skipped)) bad("'files', 'dirs' and 'skipped' must be arrays");
  const carriedOf = (c: unknown, i: number): NonNullable<ManifestFile['carried']> => {
    if (!isObj(c) || !isStr(c.from) || !isStr(c.reason)) return bad(`files[${i}].carried is malformed`);
    return { from: c.from, reason: c.reason };
  };
  const files = (raw.files as unknown[]).map((f, i): ManifestFile => {
    if (!isObj(f) || !isRel(f.path) || !isNat(f.fileId) || !isNat(f.length) || !isNat(f.mtime) || !Array.isArray(f.blocks)) return bad(`files[${i}] is malformed`);
    let next = 0;
    const blocks = (f.blocks as unknown[]).map((b, j): ManifestBlock => {
      if (!isObj(b) || !isNat(b.id) || !isNat(b.gs) || !isNat(b.offset) || !isNat(b.length) || !isStr(b.sha256) || !/^[0-9a-f]{64}$/.test(b.sha256)) {
        return bad(`files[${i}].blocks[${j}] is malformed`);
      }
      if (b.offset !== next) bad(`files[${i}] (${f.path}) block ${j} starts at ${b.offset}, not ${next}`);
      next = b.offset + b.length;
      return { id: b.id, gs: b.gs, offset: b.offset, length: b.length, sha256: b.sha256 };
    });
    if (next !== f.length) bad(`files[${i}] (${f.path}) blocks cover ${next} bytes of ${f.length}`);
    return {
      path: f.path,
      fileId: f.fileId,
      length: f.length,
      mtime: f.mtime,
      owner: String(f.owner ?? ''),
      group: String(f.group ?? ''),
      permission: String(f.permission ?? ''),
      replication: isNat(f.replication) ? f.replication : 0,
      blockSize: isNat(f.blockSize) ? f.blockSize : 0,
      ...(isObj(f.checksum) ? { checksum: f.checksum as unknown as NonNullable<ManifestFile['checksum']> } : {}),
      blocks,
      ...(f.carried === undefined ? {} : { carried: carriedOf(f.carried, i) }),
    };
  });
  const dirs = (raw.dirs as unknown[]).map((d, i): ManifestDir => {
    if (!isObj(d) || !(d.path === '' || isRel(d.path))) return bad(`dirs[${i}] is malformed`);
    return { path: d.path as string, owner: String(d.owner ?? ''), group: String(d.group ?? ''), permission: String(d.permission ?? ''), mtime: isNat(d.mtime) ? d.mtime : 0 };
  });
  const skipped = (raw.skipped as unknown[]).map((s, i) => {
    if (!isObj(s) || !isStr(s.path) || !isStr(s.reason)) return bad(`skipped[${i}] is malformed`);
    return { path: s.path, reason: s.reason };
  });
  if (files.some((f) => f.blocks.length > 0) && pool === '') bad("files have blocks but 'blockPoolId' is empty");
  let walk: Manifest['walk'];
  if (raw.walk !== undefined) {
    const w = raw.walk;
    if (!isObj(w) || !isNat(w.start) || !isNat(w.end) || w.end < w.start) return bad("'walk' is not { start, end } times with start <= end");
    walk = { start: w.start, end: w.end };
  }
  return { version: 1, policy: raw.policy as string, cluster: raw.cluster as string, path: raw.path as string, createdAt: raw.createdAt as number, ...(walk ? { walk } : {}), blockPoolId: pool, files, dirs, skipped };
}

/** Parses and validates the bytes of a manifest object. */
export function parseManifest(text: string, where: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ManifestError(where, `not JSON (${(err as Error).message})`);
  }
  return validateManifest(raw, where);
}

/** The manifest as stored: files and dirs sorted by path, one JSON document. */
export function serializeManifest(m: Manifest): string {
  const byPath = <T extends { path: string }>(a: T, b: T) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return `${JSON.stringify({ ...m, files: [...m.files].sort(byPath), dirs: [...m.dirs].sort(byPath), skipped: [...m.skipped].sort(byPath) })}\n`;
}

/** Every block a manifest references, as `<pool>/<id>_<gs>`. */
export function referencedRefs(m: Manifest): string[] {
  const out: string[] = [];
  for (const f of m.files) for (const b of f.blocks) out.push(blockRef(m.blockPoolId, b.id, b.gs));
  return out;
}
