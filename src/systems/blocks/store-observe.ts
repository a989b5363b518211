/**
 * What a block backup's store holds (docs/blocks.md, "Store layout"), rebuilt by listing on every
 * run (level-triggered: nothing cached): the block keys of the policy's pool, the manifests of
 * EVERY policy in the store (garbage collection is store-wide: a block any manifest references is
 * kept), the policy's unfinished-run markers and the uploads a killed run left under blocks/.
 *
 * Every manifest is read and validated: one that cannot be read, or a key under manifests/ hbr does
 * not name, leaves `referenced` undefined, and
 * the plan then collects nothing (an unreadable manifest may reference any block).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { trustedUntil } from '../../model/names.js';
import type { StoreClient } from '../../stores/types.js';
import { parseManifest, referencedRefs } from './manifest.js';
import { BLOCKS_PREFIX, MANIFESTS_PREFIX, RELEASED_PREFIX, RUNS_PREFIX, parseBlockKey, parseManifestKey, parseOpenRunKey, parseReleasedKey, parseRunBeatKey } from './names.js';
import type { BlocksPolicyObserved, Manifest } from './types.js';

export type StoreObserved = NonNullable<BlocksPolicyObserved['store']>;

/** Reads and validates one manifest object. */
export async function readManifest(client: StoreClient, key: string, dir?: string): Promise<Manifest> {
  const own = dir === undefined;
  const d = dir ?? (await mkdtemp(join(tmpdir(), 'hbr-manifest-')));
  try {
    const file = join(d, `${Math.random().toString(36).slice(2)}.json`);
    await client.getFile(key, file);
    const m = parseManifest(await readFile(file, 'utf8'), `${client.url}${key}`);
    await rm(file, { force: true });
    return m;
  } finally {
    if (own) await rm(d, { recursive: true, force: true });
  }
}

/**
 * The release records under released/ (every policy's: collection is store-wide), read: block ref →
 * newest release time. A key hbr does not name, or a record that cannot be read, gives undefined
 * (the plan then collects nothing: it may release any block just now).
 */
async function readReleased(client: StoreClient, keys: string[], limit: ReturnType<typeof pLimit>, warnings: string[]): Promise<StoreObserved['released']> {
  const records: Record<string, number> = {};
  const refs: Record<string, number> = {};
  let ok = true;
  await Promise.all(
    keys.map((key) =>
      limit(async () => {
        const k = parseReleasedKey(key);
        if (!k) {
          ok = false;
          warnings.push(`${key} under ${RELEASED_PREFIX} is not named by hbr: garbage collection held`);
          return;
        }
        try {
          const chunks: Buffer[] = [];
          for await (const c of (await client.readVerified(key)).chunks) chunks.push(c);
          const rec = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { refs?: unknown };
          if (!Array.isArray(rec.refs) || !rec.refs.every((r) => typeof r === 'string')) throw new Error('no list of block refs');
          records[key] = k.time;
          for (const r of rec.refs as string[]) refs[r] = Math.max(refs[r] ?? -Infinity, k.time);
        } catch (err) {
          ok = false;
          warnings.push(`cannot read release record ${key}: ${(err as Error).message}; garbage collection held`);
        }
      }),
    ),
  );
  return ok ? { records, refs } : undefined;
}

export interface StoreObserveResult {
  /** `blocks` holds the keys of the newest manifest's pool: choose another with `blocksOf` */
  store: StoreObserved;
  /** block keys by pool ("<id>_<gs>" → object) */
  byPool: Map<string, StoreObserved['blocks']>;
  /** problems that do not stop the backup but stop garbage collection */
  warnings: string[];
}

/** The store as `policy` sees it. `now` decides which manifest names are trusted as the newest. */
export async function observeBlockStore(
  client: StoreClient,
  policy: string,
  now: number,
  concurrency = 8,
): Promise<StoreObserveResult> {
  const limit = pLimit(concurrency);
  const warnings: string[] = [];
  const [blockObjs, manifestObjs, runObjs, incomplete, releasedObjs] = await Promise.all([
    client.list(BLOCKS_PREFIX),
    client.list(MANIFESTS_PREFIX),
    client.list(`${RUNS_PREFIX}${policy}/`),
    client.listIncompleteUploads(BLOCKS_PREFIX),
    client.list(RELEASED_PREFIX),
  ]);
  const manifests = manifestObjs
    .map((o) => ({ key: o.key, parsed: parseManifestKey(o.key) }))
    .filter((m): m is { key: string; parsed: { policy: string; time: number } } => m.parsed !== undefined);
  // A key under manifests/ hbr does not name (a later hbr's format, a manifest copied by hand) is
  // never read, yet may reference any block: garbage collection holds while it is there.
  const unnamed = manifestObjs.filter((o) => parseManifestKey(o.key) === undefined).map((o) => o.key);
  if (unnamed.length) warnings.push(`${unnamed.length} object${unnamed.length === 1 ? '' : 's'} under ${MANIFESTS_PREFIX} hbr does not name (${unnamed.slice(0, 3).join(', ')}): may reference any block`);
  const mine = manifests.filter((m) => m.parsed.policy === policy).sort((a, b) => a.parsed.time - b.parsed.time);
  const until = trustedUntil(now);
  const newestKey = [...mine].reverse().find((m) => m.parsed.time <= until)?.key;

  const dir = await mkdtemp(join(tmpdir(), 'hbr-manifests-'));
  const read = new Map<string, Manifest>();
  let unreadable = unnamed.length > 0;
  try {
    await Promise.all(
      manifests.map((m) =>
        limit(async () => {
          try {
            read.set(m.key, await readManifest(client, m.key, dir));
          } catch (err) {
            unreadable = true;
            warnings.push(`cannot read manifest ${m.key}: ${(err as Error).message}`);
          }
        }),
      ),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const released = await readReleased(client, releasedObjs.map((o) => o.key), limit, warnings);
  const newest = newestKey ? read.get(newestKey) : undefined;
  const byPool = new Map<string, StoreObserved['blocks']>();
  for (const o of blockObjs) {
    const k = parseBlockKey(o.key);
    if (!k) continue;
    let blocks = byPool.get(k.pool);
    if (!blocks) byPool.set(k.pool, (blocks = {}));
    // only a local store lists checksums (and has repairChecksum): there, none means a killed put (src/stores/local.ts)
    const noChecksum = !o.sha256 && client.repairChecksum !== undefined;
    blocks[`${k.id}_${k.gs}`] = { lastModified: o.lastModified, size: o.size, ...(o.sha256 ? { sha256: o.sha256 } : {}), ...(noChecksum ? { noChecksum: true as const } : {}) };
  }
  const blocks = (newest && byPool.get(newest.blockPoolId)) || {};
  const referenced = new Set<string>();
  for (const m of read.values()) for (const r of referencedRefs(m)) referenced.add(r);
  const store: StoreObserved = {
    blocks,
    manifests: mine.map((m) => m.key),
    ...(newest ? { newest } : {}),
    sizes: Object.fromEntries(mine.filter((m) => read.has(m.key)).map((m) => {
      const f = read.get(m.key)!.files;
      return [m.key, { files: f.length, bytes: f.reduce((n, x) => n + x.length, 0) }];
    })),
    ...(unreadable ? {} : { referenced: [...referenced].sort() }),
    ...(released ? { released } : {}),
    openRuns: runObjs.filter((o) => parseOpenRunKey(o.key)?.policy === policy).map((o) => o.key).sort(),
    runBeats: runObjs.filter((o) => parseRunBeatKey(o.key)?.policy === policy).map((o) => o.key).sort(),
    incompleteUploads: incomplete.map((u) => ({ key: u.key, uploadId: u.uploadId, initiated: u.initiated })).sort((a, b) => (a.key < b.key ? -1 : 1)),
  };
  if (newestKey && !newest) warnings.push(`the newest manifest ${newestKey} could not be read: every file's block list is asked again`);
  return { store, byPool, warnings };
}
