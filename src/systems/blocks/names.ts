/**
 * Names in a block store (docs/blocks.md, "Store layout"); names carry owner and time
 * (docs/architecture.md §1), so a fresh process rebuilds everything by listing:
 *   blocks/<blockPoolId>/<blockId>_<genStamp>
 *   manifests/<policy>/<UTC yyyy-MM-ddTHH-mm-ssZ>.json
 *   runs/<policy>/<UTC yyyy-MM-ddTHH-mm-ssZ>.open
 *   runs/<policy>/<run's UTC>.<beat's UTC>.beat     a live run's heartbeat (RUN_HEARTBEAT_MS)
 *   released/<policy>/<released UTC>.<manifest's UTC>.json   the blocks a deleted manifest referenced
 * Pure.
 */
import { utcTime } from '../../model/names.js';

/** A block pool id as the NameNode forms it: BP-<random>-<ip>-<creation ms> (hadoop-hdfs FSNamesystem / NNStorage.newBlockPoolID). */
const POOL_RE = /^BP-\d+-[A-Za-z0-9.:_[\]-]+-\d+$/;
const BLOCK_RE = /^([1-9]\d{0,15})_([1-9]\d{0,15})$/;
const TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})Z$/;
/** policy names as the schema allows them */
const POLICY_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const BLOCKS_PREFIX = 'blocks/';
export const MANIFESTS_PREFIX = 'manifests/';
export const RUNS_PREFIX = 'runs/';
export const RELEASED_PREFIX = 'released/';

export function isBlockPool(pool: string): boolean {
  return POOL_RE.test(pool);
}

/** `<blockId>_<genStamp>`: a block's name within its pool. */
export function blockName(id: number, gs: number): string {
  return `${id}_${gs}`;
}

/** The `<id>_<gs>` name parsed, or undefined when it is not one (ids are safe positive integers). */
export function parseBlockName(name: string): { id: number; gs: number } | undefined {
  const m = BLOCK_RE.exec(name);
  if (!m) return undefined;
  const id = Number(m[1]);
  const gs = Number(m[2]);
  return Number.isSafeInteger(id) && Number.isSafeInteger(gs) ? { id, gs } : undefined;
}

/** `<pool>/<id>_<gs>`: a block's reference (manifest references, gc step keys). */
export function blockRef(pool: string, id: number, gs: number): string {
  return `${pool}/${blockName(id, gs)}`;
}

export function parseBlockRef(ref: string): { pool: string; id: number; gs: number } | undefined {
  const i = ref.indexOf('/');
  if (i <= 0) return undefined;
  const pool = ref.slice(0, i);
  const b = parseBlockName(ref.slice(i + 1));
  return b && isBlockPool(pool) ? { pool, ...b } : undefined;
}

/** The store key of a block: blocks/<pool>/<id>_<gs>. */
export function blockKey(pool: string, id: number, gs: number): string {
  return `${BLOCKS_PREFIX}${blockRef(pool, id, gs)}`;
}

/** A store key parsed as a block key, or undefined when hbr did not name it. */
export function parseBlockKey(key: string): { pool: string; id: number; gs: number } | undefined {
  return key.startsWith(BLOCKS_PREFIX) ? parseBlockRef(key.slice(BLOCKS_PREFIX.length)) : undefined;
}

/** yyyy-MM-ddTHH-mm-ssZ (the archives' format: src/model/names.ts archiveKey), sub-second dropped. */
export function timeStamp(at: number): string {
  const iso = new Date(at).toISOString();
  return `${iso.slice(0, 10)}T${iso.slice(11, 13)}-${iso.slice(14, 16)}-${iso.slice(17, 19)}Z`;
}

function parseStamp(s: string): number | undefined {
  const m = TIME_RE.exec(s);
  return m ? utcTime(m.slice(1)) : undefined;
}

export function isPolicyName(p: string): boolean {
  return POLICY_RE.test(p);
}

export function manifestKey(policy: string, at: number): string {
  return `${MANIFESTS_PREFIX}${policy}/${timeStamp(at)}.json`;
}

/** The policy and time a manifest key encodes, or undefined if the key is not an hbr manifest. */
export function parseManifestKey(key: string): { policy: string; time: number } | undefined {
  return parseTimed(key, MANIFESTS_PREFIX, '.json');
}

export function openRunKey(policy: string, at: number): string {
  return `${RUNS_PREFIX}${policy}/${timeStamp(at)}.open`;
}

export function parseOpenRunKey(key: string): { policy: string; time: number } | undefined {
  return parseTimed(key, RUNS_PREFIX, '.open');
}

/**
 * A run proves it is alive with a heartbeat object every RUN_HEARTBEAT_MS while it uploads or writes
 * its manifest; a run whose newest heartbeat (or marker) is older than RUN_STALE_MS is dead: its
 * marker may be swept and holds nothing once swept (docs/blocks.md, "Run markers").
 */
export const RUN_HEARTBEAT_MS = 60_000;
export const RUN_STALE_MS = 10 * 60_000;

export function runBeatKey(policy: string, runAt: number, at: number): string {
  return `${RUNS_PREFIX}${policy}/${timeStamp(runAt)}.${timeStamp(at)}.beat`;
}

/** The policy, run time and beat time a heartbeat key encodes, or undefined. */
export function parseRunBeatKey(key: string): { policy: string; run: number; time: number } | undefined {
  const t = parseTwoStamps(key, RUNS_PREFIX, '.beat');
  return t && { policy: t.policy, run: t.first, time: t.second };
}

/**
 * released/<policy>/<released UTC>.<manifest UTC>.json: written by a manifest delete before it
 * deletes, naming when the manifest's blocks lost that reference (gc_grace counts from then).
 */
export function releasedKey(policy: string, releasedAt: number, manifestAt: number): string {
  return `${RELEASED_PREFIX}${policy}/${timeStamp(releasedAt)}.${timeStamp(manifestAt)}.json`;
}

export function parseReleasedKey(key: string): { policy: string; time: number; manifest: number } | undefined {
  const t = parseTwoStamps(key, RELEASED_PREFIX, '.json');
  return t && { policy: t.policy, time: t.first, manifest: t.second };
}

/** `<prefix><policy>/<stamp>.<stamp><suffix>` parsed, or undefined. */
function parseTwoStamps(key: string, prefix: string, suffix: string): { policy: string; first: number; second: number } | undefined {
  if (!key.startsWith(prefix) || !key.endsWith(suffix)) return undefined;
  const rest = key.slice(prefix.length, key.length - suffix.length);
  const i = rest.indexOf('/');
  if (i <= 0) return undefined;
  const policy = rest.slice(0, i);
  const [a, b, ...more] = rest.slice(i + 1).split('.');
  const first = a === undefined ? undefined : parseStamp(a);
  const second = b === undefined ? undefined : parseStamp(b);
  return first !== undefined && second !== undefined && more.length === 0 && isPolicyName(policy) ? { policy, first, second } : undefined;
}

function parseTimed(key: string, prefix: string, suffix: string): { policy: string; time: number } | undefined {
  if (!key.startsWith(prefix) || !key.endsWith(suffix)) return undefined;
  const rest = key.slice(prefix.length, key.length - suffix.length);
  const i = rest.indexOf('/');
  if (i <= 0) return undefined;
  const policy = rest.slice(0, i);
  const time = parseStamp(rest.slice(i + 1));
  return time !== undefined && isPolicyName(policy) ? { policy, time } : undefined;
}
