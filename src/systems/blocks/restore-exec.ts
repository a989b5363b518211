/**
 * The `blocks.restore` executor (docs/blocks.md "Restore"; design: docs/design/blocks-proposal.md
 * §4.2). For each file of the step, from the manifest it names:
 *   1. sweep the scratch files an earlier, killed restore of that name left beside it
 *      (`.<name>.hbr-restore-<UTC>`: ./restore-plan.ts; nothing else is touched);
 *   2. re-observe the destination: if it changed since the plan (params.expect) it is a different
 *      file now and is refused, unless it already is the manifest's version (a re-run after a kill);
 *   3. CREATE a scratch file beside the target and stream the file's blocks into it in order, each
 *      read from the store as it arrives (readVerified: its SHA-256 checked as it passes), its
 *      stored SHA-256 and size first checked against the manifest's;
 *   4. check the written length, and GETFILECHECKSUM against the manifest's when the algorithm is the
 *      same (same block size and bytes per checksum: the algorithm name encodes them);
 *   5. set owner/group (needs a superuser; a refusal is reported, not fatal), permission and mtime;
 *   6. stat the destination again (also before the write starts): a file changed or created there
 *      since step 2 is never replaced, the scratch is removed; then RENAME into place (rename2,
 *      OVERWRITE only when the step replaces a file; a rename that fails removes the scratch).
 * A kill at any point leaves the target as it was or the manifest's version, and at most a scratch
 * file that the next run sweeps: the step converges when re-run.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { crashPoint } from '../../model/faults.js';
import { hdfsClusterOf } from '../../hadoop/cluster.js';
import { WebHdfsError, type FileStatus, type WebHdfs } from '../../hadoop/webhdfs.js';
import { webhdfsFor } from '../../hadoop/webhdfs-client.js';
import { createFromStream, renameTo, setTimes } from '../../hadoop/webhdfs-write.js';
import { openStore } from '../../stores/open.js';
import type { StoreClient } from '../../stores/types.js';
import type { ExecContext, StepOutcome } from '../types.js';
import { alreadyRestored, baseName, joinPath, parentOf, restoreScratchName, sameChecksum, scratchTarget, type Destination } from './restore-plan.js';
import { parseManifest } from './manifest.js';
import { liveBlocks } from './damage.js';
import { unattendedRefusal } from './restore-damaged.js';
import { unattendedFacts } from './restore-unattended.js';
import { getBlockLocations } from '../../hadoop/webhdfs-blocks.js';
import { isBlocksPolicy, type BlocksStep, type Manifest, type ManifestFile } from './types.js';

export interface RestoreFilesInput {
  fs: WebHdfs;
  store: StoreClient;
  manifest: Manifest;
  /** relative paths of the manifest's files */
  files: readonly string[];
  /** where they go: `<root>/<path>` */
  root: string;
  overwrite: boolean;
  expect?: Readonly<Record<string, { fileId: number; length: number; mtime: number } | null>>;
  stateDir: string;
  signal: AbortSignal;
  log: (message: string) => void;
  /** files written at once (default 1): the policy's backup.concurrency */
  concurrency?: number;
  /** replace an existing file only while a block of it is missing or corrupt (the plan's damaged-file restores) */
  onlyIfDamaged?: boolean;
  /** the policy, named in errors */
  policy?: string;
  /** test hook: awaited after the scratch is written, before the destination's last check and the rename */
  beforeRename?: (target: string) => Promise<void>;
}

export interface RestoreFilesResult {
  restored: Array<{ path: string; bytes: number; checksum: 'verified' | 'not comparable' | 'none in manifest'; owner: boolean }>;
  already: string[];
  /** existing files left alone because none of their blocks is lost any more (onlyIfDamaged) */
  healthy: string[];
  swept: number;
  /** directories the restore created (relative), given the manifest's owner, permission and mtime */
  dirs: string[];
}

/** The HDFS client and store a blocks policy restores with. */
export async function restoreClients(ctx: Pick<ExecContext, 'config'>, policyName: string): Promise<{ fs: WebHdfs; store: StoreClient; source: { cluster: string; path: string }; concurrency: number }> {
  const policy = ctx.config.policies[policyName];
  if (!isBlocksPolicy(policy)) throw new Error(`no block backup policy named '${policyName}'`);
  const cluster = hdfsClusterOf(ctx.config.clusters, policy.source.cluster);
  const store = ctx.config.stores[policy.backup.to];
  if (!store) throw new Error(`policy ${policyName}: no store '${policy.backup.to}'`);
  return {
    // the cluster's own client: its token and CA bundle on a Kerberized HTTPS cluster, its active NameNode
    fs: webhdfsFor(cluster),
    store: await openStore(store),
    source: policy.source,
    concurrency: policy.backup.concurrency,
  };
}

/** Reads a manifest from the store (verified SHA-256) and checks its shape. */
export async function readManifest(store: StoreClient, key: string, stateDir: string, signal?: AbortSignal): Promise<Manifest> {
  const dir = tmpDir(stateDir);
  try {
    const file = join(dir, 'manifest.json');
    await store.getFile(key, file, signal ? { signal } : {});
    return parseManifest(await readFile(file, 'utf8'), `${key} in ${store.url}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function execRestore(step: BlocksStep, ctx: ExecContext): Promise<StepOutcome> {
  const p = step.params;
  if (!p.manifest || !p.files?.length) throw new Error(`${step.id}: no manifest or files to restore`);
  const { fs, store, source, concurrency } = await restoreClients(ctx, step.policy);
  const manifest = await readManifest(store, p.manifest, ctx.stateDir, ctx.signal);
  const r = await restoreFiles({
    fs,
    store,
    manifest,
    files: p.files,
    root: p.to ?? source.path,
    overwrite: p.overwrite === true,
    ...(p.expect && { expect: p.expect }),
    stateDir: ctx.stateDir,
    signal: ctx.signal,
    log: ctx.log,
    concurrency,
    onlyIfDamaged: p.damaged === true,
    policy: step.policy,
  });
  const bytes = r.restored.reduce((n, f) => n + f.bytes, 0);
  const notes = [
    r.restored.length ? `${r.restored.length} restored` : '',
    r.already.length ? `${r.already.length} already restored` : '',
    r.healthy.length ? `${r.healthy.length} healthy again, left alone` : '',
    r.swept ? `${r.swept} scratch file(s) of a killed restore removed` : '',
  ].filter(Boolean);
  return { bytesCopied: bytes, filesCopied: r.restored.length, note: notes.join(', ') };
}

export async function restoreFiles(i: RestoreFilesInput): Promise<RestoreFilesResult> {
  const byPath = new Map(i.manifest.files.map((f) => [f.path, f]));
  const out: RestoreFilesResult = { restored: [], already: [], healthy: [], swept: 0, dirs: [] };
  const created = new Set<string>();
  const limit = pLimit(Math.max(1, i.concurrency ?? 1));
  // First every file's destination, re-observed and checked: nothing is written if one of them
  // changed since the plan.
  const todo: Array<{ m: ManifestFile; target: string; seen: Identity | null }> = [];
  await settleAll(
    i.files.map((rel) =>
      limit(async () => {
        i.signal.throwIfAborted();
        const m = byPath.get(rel);
        if (!m) throw new Error(`${rel} is not in the manifest of ${new Date(i.manifest.createdAt).toISOString()}`);
        const target = joinPath(i.root, rel);
        const swept = await sweepScratch(i.fs, target, i.log);
        out.swept += swept; // after the await: `x += await y` would read x before it
        const st = await i.fs.stat(target);
        const dest = st ? await destinationOf(i.fs, target, st, m) : undefined;
        const now = st ? { fileId: st.fileId, length: st.length, mtime: st.modificationTime } : null;
        const exp = i.expect?.[rel];
        const changed = exp !== undefined && !sameIdentity(exp, now);
        if (dest && (changed || exp === undefined) && alreadyRestored(m, dest)) {
          out.already.push(rel);
          i.log(`${target}: already the version of the manifest`);
          return;
        }
        if (changed) throw new Error(`${target} changed since the plan (${describe(exp ?? null)} then, ${describe(now)} now): not replaced; plan again`);
        if (st && st.type !== 'FILE') throw new Error(`${target} is a ${st.type.toLowerCase()}: not replaced`);
        if (st && !i.overwrite) throw new Error(`${target} exists and differs from the manifest: not replaced without --overwrite`);
        if (st && i.onlyIfDamaged && liveBlocks((await getBlockLocations(i.fs, target)).locatedBlocks).every((b) => b.state === 'ok')) {
          out.healthy.push(rel);
          i.log(`${target}: every block has a live replica again: not replaced`);
          return;
        }
        if (st && i.onlyIfDamaged) {
          const why = unattendedRefusal(await unattendedFacts(i.fs, target, st, m));
          if (why) throw new Error(`${target} is not restored unattended: it ${why}, which a restored copy (a new inode) would not keep; \`hbr restore blocks --policy ${i.policy ?? '<policy>'} --path ${rel} --overwrite\` replaces it on an operator's word`);
        }
        todo.push({ m, target, seen: now });
      }),
    ),
  );
  for (const t of todo) for (const d of await missingDirs(i.fs, i.root, t.m.path)) created.add(d);
  await settleAll(
    todo.map((t) =>
      limit(async () => {
        const r = await writeOne(i, t.m, t.target, t.seen);
        if (r === 'healthy') out.healthy.push(t.m.path);
        else out.restored.push(r);
      }),
    ),
  );
  out.restored.sort((a, b) => (a.path < b.path ? -1 : 1));
  // Last, deepest first: writing into a directory changes its mtime.
  const dirs = new Map(i.manifest.dirs.map((d) => [d.path, d]));
  for (const rel of [...created].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? -1 : 1))) {
    const d = dirs.get(rel);
    if (!d) continue;
    const path = joinPath(i.root, rel);
    await i.fs.setOwner(path, d.owner, d.group).catch((err: Error) => i.log(`${path}: owner ${d.owner}:${d.group} not restored (${err.message})`));
    await i.fs.setPermission(path, d.permission);
    await setTimes(i.fs, path, d.mtime);
    out.dirs.push(rel);
  }
  return out;
}

/** Waits for every promise; throws the first failure (after all have settled: no write left running). */
async function settleAll(ps: Array<Promise<unknown>>): Promise<void> {
  const r = await Promise.allSettled(ps);
  const failed = r.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The ancestors of `rel` under `root` that do not exist yet (relative), shallowest first. */
async function missingDirs(fs: WebHdfs, root: string, rel: string): Promise<string[]> {
  const parts = rel.split('/').slice(0, -1);
  const out: string[] = [];
  for (let n = parts.length; n > 0; n--) {
    const d = parts.slice(0, n).join('/');
    if (await fs.stat(joinPath(root, d))) break;
    out.unshift(d);
  }
  return out;
}

async function destinationOf(fs: WebHdfs, path: string, st: FileStatus, m: ManifestFile): Promise<Destination> {
  const checksum = st.type === 'FILE' && st.length === m.length && m.checksum ? await fs.getFileChecksum(path).catch(() => undefined) : undefined;
  return { type: st.type, fileId: st.fileId, length: st.length, mtime: st.modificationTime, ...(checksum && { checksum }) };
}

type Identity = { fileId: number; length: number; mtime: number };

function identityOf(st: FileStatus | undefined): Identity | null {
  return st ? { fileId: st.fileId, length: st.length, mtime: st.modificationTime } : null;
}

function sameIdentity(a: Identity | null, b: Identity | null): boolean {
  return a === null || b === null ? a === b : a.fileId === b.fileId && a.length === b.length && a.mtime === b.mtime;
}

function describe(x: Identity | null): string {
  return x ? `fileId ${x.fileId}, ${x.length} bytes, mtime ${new Date(x.mtime).toISOString()}` : 'absent';
}

/** Removes `.<name>.hbr-restore-*` files beside `target` (a killed restore's); returns how many. */
export async function sweepScratch(fs: WebHdfs, target: string, log: (m: string) => void): Promise<number> {
  const dir = parentOf(target);
  const name = baseName(target);
  let entries: FileStatus[];
  try {
    entries = await fs.listStatus(dir);
  } catch (err) {
    if (err instanceof WebHdfsError && err.notFound) return 0;
    throw err;
  }
  let n = 0;
  for (const e of entries) {
    if (e.type !== 'FILE' || scratchTarget(e.pathSuffix) !== name) continue;
    await fs.delete(joinPath(dir, e.pathSuffix), false);
    log(`removed ${joinPath(dir, e.pathSuffix)}, left by an interrupted restore`);
    n++;
  }
  return n;
}

function tmpDir(stateDir: string): string {
  const root = join(stateDir, 'tmp');
  mkdirSync(root, { recursive: true, mode: 0o700 });
  return mkdtempSync(join(root, 'blocks-restore-'));
}

/**
 * The destination must still be what the check saw (`seen`: same fileId, length and mtime, or
 * still absent): asked just before the write starts and again just before the rename, hours later
 * for a big file or a long --overwrite list (safety review finding 3). A file written there
 * meanwhile is someone's new version: it is never replaced, the scratch is removed.
 */
async function unchanged(i: RestoreFilesInput, target: string, seen: Identity | null, when: string): Promise<string | undefined> {
  const now = identityOf(await i.fs.stat(target));
  return sameIdentity(seen, now) ? undefined : `${target} changed ${when} (${describe(seen)} at the check, ${describe(now)} now): not replaced; plan again`;
}

async function writeOne(i: RestoreFilesInput, m: ManifestFile, target: string, seen: Identity | null): Promise<RestoreFilesResult['restored'][number] | 'healthy'> {
  const first = await unchanged(i, target, seen, 'before the restore wrote it');
  if (first) throw new Error(first);
  const parent = parentOf(target);
  if (!(await i.fs.stat(parent))) await i.fs.mkdirs(parent);
  const scratch = joinPath(parent, restoreScratchName(baseName(target), Date.now()));
  i.log(`${target}: writing ${m.blocks.length} block(s), ${m.length} bytes, to ${scratch}`);
  await createFromStream(i.fs, scratch, Readable.from(blockBytes(i, m)), {
    length: m.length,
    overwrite: false,
    blockSize: m.blockSize,
    replication: m.replication,
    permission: m.permission,
    signal: i.signal,
  }).catch(async (err: unknown) => {
    // half a scratch file (or one with bad bytes) is ours to remove now (else the next run's sweep does)
    await i.fs.delete(scratch, false).catch(() => {});
    throw err;
  });
  crashPoint('blocks.restore.after-create');
  const drop = async (): Promise<void> => void (await i.fs.delete(scratch, false).catch(() => {}));
  const fail = async (why: string): Promise<never> => {
    await drop();
    throw new Error(`${target}: the restored copy ${why}; nothing replaced`);
  };
  const written = await i.fs.getFileStatus(scratch);
  if (written.length !== m.length) await fail(`has ${written.length} bytes, the manifest ${m.length}`);
  let checksum: RestoreFilesResult['restored'][number]['checksum'] = 'none in manifest';
  if (m.checksum) {
    const c = await i.fs.getFileChecksum(scratch);
    if (c.algorithm !== m.checksum.algorithm) checksum = 'not comparable';
    else if (!sameChecksum(c, m.checksum)) await fail(`has checksum ${c.bytes}, the manifest ${m.checksum.bytes} (${c.algorithm})`);
    else checksum = 'verified';
  }
  let owner = true;
  try {
    await i.fs.setOwner(scratch, m.owner, m.group);
  } catch (err) {
    owner = false;
    i.log(`${target}: owner ${m.owner}:${m.group} not restored (${(err as Error).message}); SETOWNER needs an HDFS superuser`);
  }
  await i.fs.setPermission(scratch, m.permission);
  await setTimes(i.fs, scratch, m.mtime);
  crashPoint('blocks.restore.before-rename');
  await i.beforeRename?.(target);
  const last = await unchanged(i, target, seen, 'while the restore wrote it');
  if (last) {
    await drop();
    throw new Error(last);
  }
  // A damaged file whose blocks all have a live replica again (a rack back from an outage) is
  // left as it is: only a file the NameNode reports damaged now is replaced (docs/blocks.md).
  if (seen && i.onlyIfDamaged && liveBlocks((await getBlockLocations(i.fs, target)).locatedBlocks).every((b) => b.state === 'ok')) {
    await drop();
    i.log(`${target}: every block has a live replica again: not replaced`);
    return 'healthy';
  }
  // An absent target is renamed onto with NONE: a file created there meanwhile fails the rename.
  await renameTo(i.fs, scratch, target, { overwrite: seen !== null }).catch(async (err: unknown) => {
    await drop();
    throw new Error(`${target}: the restored copy was not renamed into place (${(err as Error).message}); removed, nothing replaced`);
  });
  crashPoint('blocks.restore.after-rename');
  i.log(`${target}: restored (${m.length} bytes, checksum ${checksum})`);
  return { path: m.path, bytes: m.length, checksum, owner };
}

/**
 * The file's bytes, block after block, streamed from the store (readVerified: never a local copy).
 * A block whose stored SHA-256 or size is not the manifest's is refused before its first byte; the
 * store's check of the bytes against that SHA-256 ends each block's iteration, so bad bytes fail the
 * CREATE of the scratch, which is then removed and never renamed into place.
 */
async function* blockBytes(i: RestoreFilesInput, m: ManifestFile): AsyncGenerator<Buffer> {
  for (const b of m.blocks) {
    const key = `blocks/${i.manifest.blockPoolId}/${b.id}_${b.gs}`;
    const r = await i.store.readVerified(key, { signal: i.signal });
    if (r.sha256 !== b.sha256 || r.size !== b.length) {
      for await (const _ of r.chunks) break; // closes the body
      throw new Error(`block ${key} in ${i.store.url} has SHA-256 ${r.sha256} and ${r.size} bytes, the manifest says ${b.sha256} and ${b.length}`);
    }
    // One chunk is held back until the store's check has passed: the DataNode never has the
    // file's full length (and cannot complete the CREATE) before the last block is verified.
    let held: Buffer | undefined;
    for await (const chunk of r.chunks) {
      if (held) yield held;
      held = chunk;
    }
    if (held) yield held;
  }
}
