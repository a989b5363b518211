/**
 * Restoring a ZooKeeper archive (archive.ts):
 * - into a data dir, for a server that is then started on it (ZooKeeper loads the newest valid
 *   snapshot and replays the logs after it). The dir must be empty or absent; with `force` what
 *   is there is moved aside to `<dataDir>.hbr-replaced-<UTC>`, never deleted. The archive is
 *   unpacked and checked in a staging dir next to dataDir first, so a bad archive changes nothing.
 * - into a running server through the AdminServer's `POST /commands/restore` (3.9+, needs
 *   zookeeper.admin.restore.enabled and a user with ALL on "/"), which swaps the server's database
 *   for the snapshot's. Only a snapshot can be loaded that way: an archive whose logs go past its
 *   snapshot is refused unless `allowSnapshotOnly`.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { adminRequest, commandUrl, hint, printable, readBody, triggerSnapshot, AdminError, type AdminAuth } from './admin.js';
import { parseManifest, readManifest, type ArchiveManifest } from './archive.js';
import { checkSnapshotFile, parseZkFileName, scanTxnLog, zxidHex, type ZkFileName } from './format.js';
import { MANIFEST_NAME, readTarGz, syncDir } from './tarball.js';

export interface DataDirRestore {
  dataDir: string;
  lastZxid: string;
  files: Array<{ name: string; size: number }>;
  /** where the previous content was moved, when force replaced it */
  replaced?: string;
}

/** UTC `yyyyMMddTHHmmssZ`, as hbr's snapshot names. */
function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** A path next to `base` that does not exist yet: `<base><suffix>`, else `<base><suffix>-2`, … */
async function freshSibling(base: string, suffix: string): Promise<string> {
  for (let i = 1; ; i++) {
    const p = `${base}${suffix}${i === 1 ? '' : `-${i}`}`;
    if (!(await exists(p))) return p;
  }
}

/** Empty or absent: fine. A non-empty dir: refused unless force. Anything else: refused. */
async function dataDirState(dataDir: string): Promise<'absent' | 'empty' | 'non-empty'> {
  let st;
  try {
    st = await stat(dataDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
  if (!st.isDirectory()) throw new Error(`${dataDir} exists and is not a directory`);
  return (await readdir(dataDir)).length === 0 ? 'empty' : 'non-empty';
}

/** Only ZooKeeper's own file names, directly under version-2/: nothing else is ever written. */
function entryFile(name: string): ZkFileName | undefined {
  const m = /^version-2\/([^/]+)$/.exec(name);
  return m ? parseZkFileName(m[1]!) : undefined;
}

async function writeEntry(stream: AsyncIterable<Buffer>, path: string): Promise<number> {
  const fh = await open(path, 'wx', 0o644);
  let n = 0;
  try {
    for await (const chunk of stream) {
      await fh.write(chunk);
      n += chunk.length;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  return n;
}

/**
 * Unpacks the archive's ZooKeeper files into `<stage>/version-2/`, checking every entry against
 * the manifest (names, sizes) and the files against their formats.
 */
async function unpack(archiveFile: string, stage: string): Promise<{ manifest: ArchiveManifest; files: Array<{ name: string; size: number }> }> {
  const outDir = join(stage, 'version-2');
  await mkdir(outDir, { recursive: true });
  let manifest: ArchiveManifest | undefined;
  const seen = new Set<string>();
  const files: Array<{ name: string; size: number }> = [];
  let index = 0;
  for await (const entry of readTarGz(archiveFile)) {
    if (index++ === 0) {
      if (entry.name !== MANIFEST_NAME) throw new Error(`${archiveFile}: not an hbr ZooKeeper archive (first entry '${entry.name}')`);
      if (entry.size > 1 << 20) throw new Error(`${archiveFile}: ${MANIFEST_NAME} is implausibly large (${entry.size} bytes)`);
      const chunks: Buffer[] = [];
      for await (const c of entry.stream) chunks.push(c);
      manifest = parseManifest(archiveFile, Buffer.concat(chunks).toString('utf8'));
      continue;
    }
    const zk = entryFile(entry.name);
    // Whitelist, not blacklist: no '..', no absolute paths, no links, no other dirs.
    if (!zk || entry.type !== 'file') {
      throw new Error(`${archiveFile}: refusing entry '${entry.name}' (${entry.type}): only version-2/snapshot.* and version-2/log.* files are restored`);
    }
    if (seen.has(zk.name)) throw new Error(`${archiveFile}: entry ${entry.name} appears twice`);
    if (zk.kind === 'log' && manifest?.mode === 'admin') throw new Error(`${archiveFile}: an admin-mode archive holds only a snapshot, not ${entry.name}`);
    seen.add(zk.name);
    const target = join(outDir, zk.name);
    const rel = relative(outDir, target);
    if (rel.startsWith('..') || rel.includes(sep)) throw new Error(`${archiveFile}: entry '${entry.name}' escapes the data dir`);
    const size = await writeEntry(entry.stream, target);
    files.push({ name: entry.name, size });
  }
  if (!manifest) throw new Error(`${archiveFile}: empty archive`);
  // The manifest and the entries must agree exactly.
  const listed = new Map(manifest.files.map((f) => [f.name, f.size]));
  for (const f of files) {
    if (!listed.has(f.name)) throw new Error(`${archiveFile}: entry ${f.name} is not in ${MANIFEST_NAME}`);
    if (listed.get(f.name) !== f.size) throw new Error(`${archiveFile}: ${f.name} has ${f.size} bytes, ${MANIFEST_NAME} says ${listed.get(f.name)}`);
    listed.delete(f.name);
  }
  if (listed.size) throw new Error(`${archiveFile}: missing ${[...listed.keys()].join(', ')} listed in ${MANIFEST_NAME}`);

  const snaps = files.map((f) => ({ f, zk: entryFile(f.name)! })).filter((x) => x.zk.kind === 'snapshot');
  if (snaps.length !== 1) throw new Error(`${archiveFile}: expected one snapshot, found ${snaps.length}`);
  const snap = snaps[0]!;
  if (snap.zk.compression !== 'snappy') {
    const check = await checkSnapshotFile(join(outDir, snap.zk.name), snap.zk.compression);
    if (!check.ok) throw new Error(`${archiveFile}: ${snap.f.name} is not a valid snapshot: ${check.reason}`);
  }
  for (const f of files) {
    const zk = entryFile(f.name)!;
    if (zk.kind !== 'log') continue;
    const scan = await scanTxnLog(join(outDir, zk.name));
    if (!scan.headerOk || scan.validBytes !== f.size) throw new Error(`${archiveFile}: ${f.name} is not a whole transaction log (valid up to ${scan.validBytes} of ${f.size} bytes)`);
  }
  return { manifest, files };
}

/**
 * Restores an archive into `dataDir` (its version-2/), for a ZooKeeper server that is stopped and
 * will be started on it. An admin-mode archive restores its snapshot; a datadir-mode archive its
 * snapshot and logs. The server must not be running on `dataDir`.
 */
export async function restoreToDataDir(archiveFile: string, dataDir: string, opts: { force?: boolean } = {}): Promise<DataDirRestore> {
  const dir = resolve(dataDir);
  if ((await dataDirState(dir)) === 'non-empty' && !opts.force) {
    throw new Error(`refusing to restore into ${dir}: it is not empty (pass force to move its content aside to ${dir}.hbr-replaced-<timestamp>)`);
  }
  await mkdir(dirname(dir), { recursive: true });
  const stage = await freshSibling(dir, `.hbr-restore-${stamp()}`);
  try {
    const { manifest, files } = await unpack(resolve(archiveFile), stage);

    let replaced: string | undefined;
    const state = await dataDirState(dir); // again: it may have changed while unpacking
    if (state === 'non-empty') {
      if (!opts.force) throw new Error(`refusing to restore into ${dir}: it is not empty`);
      replaced = await freshSibling(dir, `.hbr-replaced-${stamp()}`);
      try {
        await rename(dir, replaced);
      } catch (err) {
        throw new Error(`cannot move ${dir} aside to ${replaced} (${(err as Error).message}); is it a mount point? Move its content away yourself and retry without force`);
      }
      await syncDir(dirname(dir));
    }
    await mkdir(dir, { recursive: true });
    const from = join(stage, 'version-2');
    const to = join(dir, 'version-2');
    try {
      await rename(from, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      // dataDir is on another file system than its parent (a mount point): copy instead.
      await mkdir(to);
      for (const name of await readdir(from)) {
        await copyFile(join(from, name), join(to, name));
        const fh = await open(join(to, name), 'r+');
        try { await fh.sync(); } finally { await fh.close(); }
      }
    }
    await syncDir(to);
    await syncDir(dir);
    const result: DataDirRestore = { dataDir: dir, lastZxid: manifest.lastZxid, files };
    if (replaced) result.replaced = replaced;
    return result;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

export interface AdminRestore {
  /** the server's last processed zxid right after the restore */
  lastZxid: string;
  /** the zxid of the snapshot the server wrote after the restore (persist), if it did */
  persistedAs?: string;
  /** what the operator should know (e.g. the restore is not on disk yet) */
  warnings: string[];
}

/**
 * Loads the archive's snapshot into a running server through `POST /commands/restore`.
 *
 * ZooKeeper's restore swaps the in-memory database only: nothing is written to the server's data
 * dir, so a restart would bring back the old data. With `persist` (default) the server is then
 * asked for a snapshot (`GET /commands/snapshot`), which writes the restored tree to its data dir.
 * If the server had already processed zxids past the archive's, its older files may still win
 * over the restored state at its next restart: that is reported in `warnings`.
 */
export async function restoreToAdmin(
  archiveFile: string,
  adminUrl: string,
  auth: AdminAuth,
  opts: { signal?: AbortSignal; allowSnapshotOnly?: boolean; persist?: boolean } = {},
): Promise<AdminRestore> {
  const manifest = await readManifest(archiveFile);
  const snapEntry = manifest.files.find((f) => entryFile(f.name)?.kind === 'snapshot');
  if (!snapEntry) throw new Error(`${archiveFile}: no snapshot in the archive`);
  const snap = entryFile(snapEntry.name)!;
  if (snap.compression === 'snappy') throw new Error(`${archiveFile}: a snappy-compressed snapshot cannot be restored through the AdminServer; use restoreToDataDir`);
  if (BigInt(manifest.lastZxid) > snap.zxid && !opts.allowSnapshotOnly) {
    throw new Error(
      `${archiveFile} holds transactions up to ${manifest.lastZxid} in logs after its snapshot (${zxidHex(snap.zxid)}); ` +
        'the AdminServer restore loads only the snapshot: use restoreToDataDir, or pass allowSnapshotOnly to accept losing them',
    );
  }
  const warnings: string[] = [];
  const before = await serverZxid(adminUrl, opts.signal);
  if (before !== undefined && before > snap.zxid) {
    warnings.push(
      `the server had processed up to ${zxidHex(before)}, past the archive's ${zxidHex(snap.zxid)}: its older snapshots and logs ` +
        'in its data dir may take precedence at its next restart; restore into a fresh server or with restoreToDataDir',
    );
  }
  // The whole archive is read (so its gzip checksum is checked) and the snapshot checked before
  // a single byte goes to the server: a corrupt archive must not half-replace a live database.
  const tmp = await mkdtemp(join(tmpdir(), 'hbr-zk-restore-'));
  try {
    const snapFile = join(tmp, 'snapshot');
    let found = false;
    for await (const entry of readTarGz(archiveFile)) {
      if (entry.name !== snapEntry.name) continue;
      found = true;
      const out = createWriteStream(snapFile, { flags: 'wx', mode: 0o600 });
      const raw = Readable.from(entry.stream, { objectMode: false });
      if (snap.compression === 'gz') await pipeline(raw, createGunzip(), out);
      else await pipeline(raw, out);
    }
    if (!found) throw new Error(`${archiveFile}: ${snapEntry.name} is listed in ${MANIFEST_NAME} but not in the archive`);
    const check = await checkSnapshotFile(snapFile, 'none');
    if (!check.ok) throw new Error(`${archiveFile}: ${snapEntry.name} is not a valid snapshot: ${check.reason}`);

    const headers = { 'content-type': 'application/octet-stream', 'content-length': String((await stat(snapFile)).size) };
    const body = createReadStream(snapFile);
    const res = await adminRequest(commandUrl(adminUrl, 'restore'), { method: 'POST', auth, headers, body, signal: opts.signal });
    const text = await readBody(res);
    let error: unknown;
    let parsed = true;
    try {
      error = (JSON.parse(text) as { error?: unknown }).error;
    } catch {
      parsed = false;
    }
    const status = res.statusCode ?? 0;
    if (status !== 200 || !parsed || (error !== null && error !== undefined)) {
      throw new AdminError(`ZooKeeper restore failed: HTTP ${status}${hint(status)}${typeof error === 'string' ? `: ${error}` : ''}${parsed ? '' : `: ${printable(text)}`}`, status);
    }
    // A long, read from the text: a JSON number may not fit a double.
    const m = /"last_zxid"\s*:\s*"?(0x[0-9a-fA-F]+|\d+)"?/.exec(text);
    if (!m) throw new AdminError(`ZooKeeper restore answered without last_zxid: ${printable(text)}`);
    const result: AdminRestore = { lastZxid: zxidHex(BigInt(m[1]!)), warnings };
    if (opts.persist ?? true) {
      try {
        result.persistedAs = zxidHex(await triggerSnapshot(adminUrl, auth, opts.signal));
      } catch (err) {
        result.warnings.push(`restored in memory only, not yet on disk: the snapshot after the restore failed (${(err as Error).message})`);
      }
    } else {
      result.warnings.push('restored in memory only: the server writes it to disk with its next snapshot');
    }
    return result;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The server's last processed zxid (`srvr`, no auth needed), or undefined if it cannot be read. */
async function serverZxid(adminUrl: string, signal?: AbortSignal): Promise<bigint | undefined> {
  try {
    const res = await adminRequest(commandUrl(adminUrl, 'srvr'), { method: 'GET', signal, timeoutMs: 30_000 });
    const m = /"last_processed_zxid"\s*:\s*(\d+)/.exec(await readBody(res));
    return m ? BigInt(m[1]!) : undefined;
  } catch {
    return undefined;
  }
}
