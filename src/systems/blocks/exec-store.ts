/**
 * The store-side steps of a block backup (docs/blocks.md):
 * - blocks.manifest: walks the source again (reusing the newest manifest's block lists, as the
 *   observer does), keeps every file whose blocks are all in the store (a file that changed during
 *   the run is recorded in `skipped`: its new blocks are the next run's), takes each block's
 *   SHA-256 from the newest manifest or the object's metadata, puts the manifest put-if-absent, then
 *   removes the policy's run markers up to this run. Crash points `blocks.manifest:built`,
 *   `blocks.manifest:written`.
 * - blocks.manifest.delete: one manifest of the step's own policy.
 * - blocks.gc: re-checks live, against a fresh listing and every manifest in the store, that no
 *   manifest references a block and no run is open, and deletes only hbr-named block keys.
 * - blocks.sweep: aborts the incomplete uploads the plan observed under blocks/.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { scratchDir } from '../../engine/scratch.js';
import { hdfsClusterOf } from '../../hadoop/cluster.js';
import { crashPoint } from '../../model/faults.js';
import type { Executor } from '../types.js';
import { policyOf, storeOf } from './exec-upload.js';
import { buildManifestFiles } from './manifest-build.js';
import { referencedRefs, serializeManifest } from './manifest.js';
import { refuseMassChange } from './mass-change.js';
import { BLOCKS_PREFIX, manifestKey, openRunKey, parseBlockRef, parseManifestKey, parseOpenRunKey, parseReleasedKey, parseRunBeatKey, releasedKey, RUNS_PREFIX } from './names.js';
import { runMarkers } from './safety.js';
import { putText, runClock, startHeartbeat } from './heartbeat.js';
import { webhdfsFor } from './observe.js';
import { observeBlockStore, readManifest } from './store-observe.js';
import type { BlocksParams, Manifest } from './types.js';
import { walkSource } from './walk.js';

export const manifest: Executor<BlocksParams> = async (step, ctx) => {
  const p = policyOf(ctx, step.policy);
  const runAt = step.params.runAt;
  if (runAt === undefined || step.target.path !== manifestKey(p.name, runAt)) throw new Error(`${step.target.path} is not the manifest of policy ${p.name} at the step's run time`);
  const client = await storeOf(ctx, p);
  const key = step.target.path;
  // Only this run's own marker and heartbeats: another run's marker, older or not, may be of a
  // process still at work (another state dir, finding 8); the sweep removes it once it is dead.
  const clearMarkers = async () => {
    const own = (await client.list(`${RUNS_PREFIX}${p.name}/`)).filter((o) => {
      const b = parseRunBeatKey(o.key);
      return b?.policy === p.name && b.run === runAt - (runAt % 1000);
    });
    for (const b of own) await client.delete(b.key);
    const marker = openRunKey(p.name, runAt);
    const had = (await client.head(marker)) !== undefined;
    if (had) await client.delete(marker);
    return had ? 1 : 0;
  };
  if (await client.head(key)) {
    await clearMarkers();
    return { note: `${key} already exists (written by an earlier attempt): kept it` };
  }
  const dir = scratchDir(ctx.stateDir, 'blocks-manifest-');
  // the run's heartbeat goes on while the manifest step walks (./heartbeat.ts)
  const stopBeat = await startHeartbeat(client, p.name, runAt, dir, ctx.log);
  const writeManifest = async () => {
    // The newest manifest before this run: block lists and checksums of unchanged files.
    const earlier = (await client.list(`manifests/${p.name}/`))
      .map((o) => ({ key: o.key, t: parseManifestKey(o.key) }))
      .filter((m) => m.t?.policy === p.name && m.t.time < runAt)
      .sort((a, b) => a.t!.time - b.t!.time)
      .pop();
    const previous = earlier ? await readManifest(client, earlier.key) : undefined;
    const cluster = hdfsClusterOf(ctx.config.clusters, p.source.cluster);
    const fs = webhdfsFor(cluster);
    const clock = runClock(runAt);
    const walkStart = clock();
    const walk = await walkSource(fs, p.source.path, { concurrency: p.backup.concurrency, reuse: previous });
    const walkEnd = clock();
    refuseMassChange(p, earlier && previous ? { key: earlier.key, manifest: previous } : undefined, walk.files, step.params.allowMassChange);
    const pool = walk.blockPoolId ?? previous?.blockPoolId ?? '';
    const abs = (rel: string) => `${p.source.path === '/' ? '' : p.source.path}/${rel}`;
    const inStore = new Map((await client.list(`${BLOCKS_PREFIX}${pool}/`)).map((o) => [o.key, o]));
    const { files, skipped } = await buildManifestFiles({
      walk,
      previous: earlier && previous ? { key: earlier.key, manifest: previous } : undefined,
      pool,
      inStore,
      concurrency: p.backup.concurrency,
      headSha: async (k) => (await client.head(k))?.sha256,
      fileChecksum: (rel) => fs.getFileChecksum(abs(rel)).catch(() => undefined),
    });
    const m: Manifest = { version: 1, policy: p.name, cluster: p.source.cluster, path: p.source.path, createdAt: runAt, walk: { start: walkStart, end: Math.max(walkStart, walkEnd) }, blockPoolId: pool, files, dirs: walk.dirs, skipped };
    crashPoint(`blocks.manifest:built ${step.id}`);
    const file = join(dir, 'manifest.json');
    await writeFile(file, serializeManifest(m));
    const put = await client.putFile(key, file, { signal: ctx.signal });
    crashPoint(`blocks.manifest:written ${step.id}`);
    await stopBeat();
    const cleared = await clearMarkers();
    const note = `${files.length} files, ${skipped.length} skipped${cleared ? `, ${cleared} run marker${cleared === 1 ? '' : 's'} removed` : ''}${put.created ? '' : ' (the manifest existed already: kept it)'}`;
    if (skipped.length) ctx.log(`skipped: ${skipped.slice(0, 5).map((s) => `${s.path} (${s.reason})`).join('; ')}`);
    return { note };
  };
  try {
    return await writeManifest();
  } finally {
    await stopBeat();
    await rm(dir, { recursive: true, force: true });
  }
};

export const manifestDelete: Executor<BlocksParams> = async (step, ctx) => {
  const clock = runClock(step.params.runAt ?? Date.now());
  const p = policyOf(ctx, step.policy);
  // Belt and braces (safety.ts refuses it first): only a manifest of the step's own policy.
  const parsed = parseManifestKey(step.target.path);
  if (parsed?.policy !== p.name) throw new Error(`refusing to delete ${step.target.path}: not a manifest of policy ${p.name}`);
  const client = await storeOf(ctx, p);
  if (!(await client.head(step.target.path))) return { note: 'already deleted' };
  // First the release record: the blocks it referenced, and when they lost this reference
  // (gc_grace counts from then). A kill before the delete leaves both; the next plan deletes the
  // manifest again under a later record, which only keeps its blocks longer.
  const m = await readManifest(client, step.target.path);
  const dir = scratchDir(ctx.stateDir, 'blocks-release-');
  try {
    const key = releasedKey(p.name, clock(), parsed.time);
    await putText(client, key, `${JSON.stringify({ version: 1, manifest: step.target.path, refs: [...new Set(referencedRefs(m))].sort() })}\n`, dir);
    crashPoint(`blocks.manifest.delete:released ${step.id}`);
    await client.delete(step.target.path);
    return { note: `its blocks released (${key})` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

export const gc: Executor<BlocksParams> = async (step, ctx) => {
  const t0 = Date.now();
  const p = policyOf(ctx, step.policy);
  const client = await storeOf(ctx, p);
  const keys = step.params.keys ?? [];
  for (const k of keys) if (!parseBlockRef(k)) throw new Error(`refusing to delete ${k}: not a block key hbr names`);
  // Live re-check: a manifest written (or a run started) since the plan protects its blocks.
  // The clock is not read here: gc_grace was judged by the plan (executors never decide).
  const fresh = await observeBlockStore(client, p.name, Number.MAX_SAFE_INTEGER / 2, p.backup.concurrency);
  if (!fresh.store.referenced) throw new Error(`a manifest in ${client.url} cannot be read (${fresh.warnings[0] ?? '?'}): nothing collected`);
  // Run markers are judged as the plan judged them, at the plan's time carried forward by the time
  // this step has taken (a run started since the plan is live); one dated in the future holds nothing.
  const at = step.params.runAt !== undefined ? step.params.runAt + (Date.now() - t0) : undefined;
  const runs = at === undefined ? undefined : runMarkers(p, { store: fresh.store }, at);
  const holding = runs ? [...runs.open, ...runs.dead] : fresh.store.openRuns;
  if (holding.length) throw new Error(`a run of policy ${p.name} is unfinished (${holding[0]}): nothing collected`);
  const referenced = new Set(fresh.store.referenced);
  let deleted = 0;
  const kept: string[] = [];
  const limit = pLimit(Math.max(1, p.backup.concurrency));
  await Promise.all(
    keys.map((k) =>
      limit(async () => {
        if (referenced.has(k)) return kept.push(k);
        await client.delete(`${BLOCKS_PREFIX}${k}`);
        deleted++;
        return undefined;
      }),
    ),
  );
  return { note: `${deleted} blocks deleted${kept.length ? `, ${kept.length} kept (referenced by a manifest written since the plan)` : ''}` };
};

export const sweep: Executor<BlocksParams> = async (step, ctx) => {
  const p = policyOf(ctx, step.policy);
  const client = await storeOf(ctx, p);
  let n = 0;
  for (const u of step.params.uploads ?? []) {
    if (!u.key.startsWith(BLOCKS_PREFIX)) throw new Error(`refusing to abort an upload of ${u.key}: not under ${BLOCKS_PREFIX}`);
    await client.abortUpload(u.key, u.uploadId);
    n++;
  }
  // Markers of runs whose manifest is written (a kill between the manifest and the marker's removal).
  let m = 0;
  for (const k of step.params.keys ?? []) {
    if (parseOpenRunKey(k)?.policy !== p.name && parseRunBeatKey(k)?.policy !== p.name && parseReleasedKey(k)?.policy !== p.name) throw new Error(`refusing to delete ${k}: not a run marker or release record of policy ${p.name}`);
    await client.delete(k);
    m++;
  }
  return { note: `${n} incomplete upload${n === 1 ? '' : 's'} aborted${m ? `, ${m} run marker${m === 1 ? '' : 's'}, heartbeat${m === 1 ? '' : 's'} or release record${m === 1 ? '' : 's'} removed` : ''}` };
};
