/**
 * Taking a ZooKeeper archive: a tar.gz holding `hbr-archive.json` (first) and ZooKeeper's own
 * files under `version-2/`, restorable by restore.ts into a data dir or through the AdminServer.
 *
 * Two ways to take one:
 * - admin: the AdminServer's `GET /commands/snapshot?streaming=true` (3.9+, needs
 *   zookeeper.admin.snapshot.enabled and a user with ALL on "/"). The server writes a snapshot to
 *   its data dir and streams that file; headers `last_zxid` (0x-hex, from the file name) and
 *   `snapshot_size`. The archive holds it as `version-2/snapshot.<hex>` (plus `.gz`/`.snappy`
 *   when the server compresses snapshots).
 * - datadir: read the files of a data dir on this host while the server runs: the newest sealed
 *   snapshot, then every transaction log needed to replay past it (the log whose start zxid is
 *   the greatest <= the snapshot's, and all later ones: FileTxnLog.getLogFiles' rule). Each log
 *   is copied up to its consistent prefix (format.ts: whole records with good checksums), which
 *   also drops the zero padding of pre-allocated logs (64 MiB each by default).
 */
import { copyFile, mkdir, mkdtemp, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { adminRequest, commandResult, commandUrl, displayUrl, type AdminAuth, AdminError } from './admin.js';
import {
  checkSnapshotFile,
  parseZkFileName,
  scanTxnLog,
  sniffCompression,
  snapshotName,
  zxidHex,
  type TxnLogScan,
  type ZkFileName,
} from './format.js';
import { MANIFEST_NAME, readTarGz, writeTarGz, type PackEntry } from './tarball.js';

export type ArchiveMode = 'admin' | 'datadir';

export type ArchiveSource =
  | { mode: 'admin'; adminUrl: string; auth: AdminAuth }
  /** dataLogDir: where the transaction logs are when zoo.cfg sets one (default: dataDir) */
  | { mode: 'datadir'; dataDir: string; dataLogDir?: string };

export interface ArchiveFile {
  /** path inside the archive, e.g. `version-2/snapshot.1a2` */
  name: string;
  size: number;
}

export interface ArchiveInfo {
  mode: ArchiveMode;
  /** the newest transaction the archive restores to, `0x…` */
  lastZxid: string;
  takenAt: string;
  files: ArchiveFile[];
  /** size of the archive file */
  bytes: number;
}

/** `hbr-archive.json`, the archive's first entry. */
export interface ArchiveManifest {
  format: 1;
  mode: ArchiveMode;
  lastZxid: string;
  /** admin: the AdminServer URL (no credentials); datadir: `<host>:<dataDir>` */
  server?: string;
  takenAt: string;
  files: ArchiveFile[];
}

interface Collected {
  lastZxid: bigint;
  server: string;
  files: Array<ArchiveFile & { path: string }>;
}

export async function takeArchive(source: ArchiveSource, outFile: string, opts: { signal?: AbortSignal } = {}): Promise<ArchiveInfo> {
  const signal = opts.signal;
  signal?.throwIfAborted();
  const out = resolve(outFile);
  await mkdir(dirname(out), { recursive: true });
  const work = await mkdtemp(join(dirname(out), `.${basename(out)}.work-`));
  try {
    await mkdir(join(work, 'version-2'));
    const takenAt = new Date();
    const got = source.mode === 'admin'
      ? await collectFromAdmin(source.adminUrl, source.auth, work, signal)
      : await collectFromDataDir(source.dataDir, source.dataLogDir, work, signal);
    signal?.throwIfAborted();
    const files = got.files.map(({ name, size }) => ({ name, size }));
    const manifest: ArchiveManifest = {
      format: 1,
      mode: source.mode,
      lastZxid: zxidHex(got.lastZxid),
      server: got.server,
      takenAt: takenAt.toISOString(),
      files,
    };
    const json = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
    const entries: PackEntry[] = [
      { name: MANIFEST_NAME, data: json, size: json.length },
      ...got.files.map((f) => ({ name: f.name, path: f.path, size: f.size })),
    ];
    const bytes = await writeTarGz(out, entries, { signal, mtime: takenAt });
    return { mode: source.mode, lastZxid: manifest.lastZxid, takenAt: manifest.takenAt, files, bytes };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The manifest of an archive (its first entry), and the archive's size. */
export async function readArchiveInfo(file: string): Promise<ArchiveInfo & { server?: string }> {
  const manifest = await readManifest(file);
  const { size } = await stat(file);
  const info: ArchiveInfo & { server?: string } = {
    mode: manifest.mode,
    lastZxid: manifest.lastZxid,
    takenAt: manifest.takenAt,
    files: manifest.files,
    bytes: size,
  };
  if (manifest.server !== undefined) info.server = manifest.server;
  return info;
}

export async function readManifest(file: string): Promise<ArchiveManifest> {
  for await (const entry of readTarGz(file)) {
    if (entry.name !== MANIFEST_NAME) throw new Error(`${file}: not an hbr ZooKeeper archive (first entry is '${entry.name}', not ${MANIFEST_NAME})`);
    if (entry.size > 1 << 20) throw new Error(`${file}: ${MANIFEST_NAME} is implausibly large (${entry.size} bytes)`);
    const chunks: Buffer[] = [];
    for await (const c of entry.stream) chunks.push(c);
    return parseManifest(file, Buffer.concat(chunks).toString('utf8'));
  }
  throw new Error(`${file}: empty archive`);
}

export function parseManifest(file: string, text: string): ArchiveManifest {
  let m: Partial<ArchiveManifest>;
  try {
    m = JSON.parse(text) as Partial<ArchiveManifest>;
  } catch (err) {
    throw new Error(`${file}: ${MANIFEST_NAME} is not JSON (${(err as Error).message})`);
  }
  const bad = (why: string) => new Error(`${file}: ${MANIFEST_NAME} ${why}`);
  if (m.format !== 1) throw bad(`has format ${String(m.format)}; this hbr reads format 1`);
  if (m.mode !== 'admin' && m.mode !== 'datadir') throw bad(`has an unknown mode ${String(m.mode)}`);
  if (typeof m.lastZxid !== 'string' || !/^0x[0-9a-f]+$/.test(m.lastZxid)) throw bad('has no valid lastZxid');
  if (typeof m.takenAt !== 'string' || Number.isNaN(Date.parse(m.takenAt))) throw bad('has no valid takenAt');
  if (!Array.isArray(m.files) || !m.files.every((f) => f && typeof f.name === 'string' && Number.isSafeInteger(f.size) && f.size >= 0)) {
    throw bad('has no valid file list');
  }
  return m as ArchiveManifest;
}

// ------------------------------------------------------------------------------------ admin mode

async function collectFromAdmin(adminUrl: string, auth: AdminAuth, work: string, signal?: AbortSignal): Promise<Collected> {
  const url = commandUrl(adminUrl, 'snapshot');
  url.searchParams.set('streaming', 'true');
  const res = await adminRequest(url, { method: 'GET', auth, signal });
  if (res.statusCode !== 200 || (res.headers['content-type'] ?? '').includes('json')) {
    await commandResult('snapshot', res); // throws with the server's reason
    throw new AdminError(`snapshot?streaming=true answered HTTP ${res.statusCode} without a snapshot`, res.statusCode);
  }
  const zxidHeader = res.headers['last_zxid'];
  const sizeHeader = res.headers['snapshot_size'];
  if (typeof zxidHeader !== 'string' || !/^0x[0-9a-f]+$/i.test(zxidHeader)) {
    res.destroy();
    throw new AdminError(`snapshot answered without a valid last_zxid header (got ${String(zxidHeader)})`);
  }
  const lastZxid = BigInt(zxidHeader);
  const tmp = join(work, 'version-2', 'snapshot.download');
  await pipeline(res, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }), signal ? { signal } : {});
  const size = (await stat(tmp)).size;
  if (typeof sizeHeader === 'string' && Number(sizeHeader) !== size) {
    // The server names a snapshot file by its last zxid: a second `snapshot` (another hbr run, an
    // operator) at the same zxid rewrites the file this stream is reading, which ends it short.
    throw new AdminError(`snapshot stream was cut short: ${size} of ${sizeHeader} bytes`, undefined, true);
  }
  const head = Buffer.alloc(16);
  const fh = await open(tmp, 'r');
  try {
    await fh.read(head, 0, 16, 0);
  } finally {
    await fh.close();
  }
  const compression = sniffCompression(head);
  if (!compression) throw new AdminError('snapshot stream is not a ZooKeeper snapshot (unknown header)');
  if (compression !== 'snappy') {
    const check = await checkSnapshotFile(tmp, compression);
    if (!check.ok) throw new AdminError(`streamed snapshot is not valid: ${check.reason}`);
  }
  const name = snapshotName(lastZxid, compression);
  const path = join(work, 'version-2', name);
  await rename(tmp, path);
  return { lastZxid, server: displayUrl(adminUrl), files: [{ name: `version-2/${name}`, size, path }] };
}

// ---------------------------------------------------------------------------------- datadir mode

async function listZkFiles(dir: string, kind: 'snapshot' | 'log'): Promise<ZkFileName[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${dir} does not exist: is this a ZooKeeper dataDir${kind === 'log' ? ' (or dataLogDir)' : ''}? (its files are under version-2/)`);
    }
    throw err;
  }
  return names
    .map(parseZkFileName)
    .filter((f): f is ZkFileName => f !== undefined && f.kind === kind)
    .sort((a, b) => (a.zxid < b.zxid ? -1 : a.zxid > b.zxid ? 1 : 0));
}

const epoch = (zxid: bigint) => zxid >> 32n;

async function collectFromDataDir(dataDir: string, dataLogDir: string | undefined, work: string, signal?: AbortSignal): Promise<Collected> {
  // A file can vanish between listing and reading (a purge, zookeeper.snapshot.retain): start over.
  for (let attempt = 1; ; attempt++) {
    try {
      return await collectOnce(resolve(dataDir), resolve(dataLogDir ?? dataDir), work, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw err;
      await rm(join(work, 'version-2'), { recursive: true, force: true });
      await mkdir(join(work, 'version-2'));
    }
  }
}

async function collectOnce(dataDir: string, dataLogDir: string, work: string, signal?: AbortSignal): Promise<Collected> {
  const snapDir = join(dataDir, 'version-2');
  const logDir = join(dataLogDir, 'version-2');
  const outDir = join(work, 'version-2');
  const snapshots = await listZkFiles(snapDir, 'snapshot');
  const logs = await listZkFiles(logDir, 'log');
  if (snapshots.length === 0) throw new Error(`no snapshot.* in ${snapDir}`);

  // The newest snapshot that is complete (sealed, checksum right): the newest one may still be
  // being written. Copy first, then check the copy, so what is checked is what is archived.
  let snap: (ZkFileName & { size: number }) | undefined;
  const rejected: string[] = [];
  for (const cand of [...snapshots].reverse()) {
    signal?.throwIfAborted();
    const dest = join(outDir, cand.name);
    await copyFile(join(snapDir, cand.name), dest);
    const check = await checkSnapshotFile(dest, cand.compression);
    if (check.ok) {
      snap = { ...cand, size: (await stat(dest)).size };
      break;
    }
    rejected.push(`${cand.name}: ${check.reason}`);
    await unlink(dest);
  }
  if (!snap) throw new Error(`no valid snapshot in ${snapDir} (${rejected.join('; ')})`);

  // The logs to replay past it: the one whose start zxid is the greatest <= the snapshot's, and
  // all later ones.
  let first = -1;
  for (let i = 0; i < logs.length; i++) if (logs[i]!.zxid <= snap.zxid) first = i;
  const needed = first >= 0 ? logs.slice(first) : logs;

  const files: Collected['files'] = [{ name: `version-2/${snap.name}`, size: snap.size, path: join(outDir, snap.name) }];
  let lastZxid = snap.zxid;
  let prev: (TxnLogScan & { name: string }) | undefined;
  for (let i = 0; i < needed.length; i++) {
    signal?.throwIfAborted();
    const log = needed[i]!;
    const isLast = i === needed.length - 1;
    const dest = join(outDir, log.name);
    const fh = await open(dest, 'wx', 0o600);
    let scan;
    try {
      scan = await scanTxnLog(join(logDir, log.name), async (chunk) => { await fh.write(chunk); });
    } finally {
      await fh.close();
    }
    if (!scan.headerOk) {
      // The newest log of a live server, created a moment ago: nothing in it yet.
      if (isLast) { await unlink(dest); break; }
      throw new Error(`${join(logDir, log.name)} is not a transaction log (bad header), and later logs depend on it`);
    }
    if (!isLast && (scan.end === 'crc' || scan.end === 'order')) {
      throw new Error(`${join(logDir, log.name)} is corrupt after ${scan.validBytes} bytes (${scan.end === 'crc' ? 'checksum mismatch' : 'zxid out of order'}), and later logs depend on it`);
    }
    // Replay must be gapless within an epoch: from the snapshot into the first log, and from
    // each log into the next.
    const before = prev?.lastZxid ?? snap.zxid;
    if (scan.firstZxid !== undefined && epoch(scan.firstZxid) === epoch(before) && scan.firstZxid > before + 1n) {
      throw new Error(`transaction logs have a gap: ${prev ? prev.name : snap.name} ends at ${zxidHex(before)}, ${log.name} starts at ${zxidHex(scan.firstZxid)}`);
    }
    if (scan.lastZxid !== undefined && scan.lastZxid > lastZxid) lastZxid = scan.lastZxid;
    files.push({ name: `version-2/${log.name}`, size: scan.validBytes, path: dest });
    prev = { ...scan, name: log.name };
  }
  return { lastZxid, server: `${hostname()}:${dataDir}`, files };
}
