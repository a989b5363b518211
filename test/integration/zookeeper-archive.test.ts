/**
 * ZooKeeper archives against real ZooKeeper 3.9.5 servers (the test bed's jars, extra servers of
 * our own on free loopback ports): take one through the AdminServer and from a live data dir,
 * restore through the AdminServer and into a data dir, and prove every znode comes back.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import zookeeper from 'node-zookeeper-client';
import { readArchiveInfo, takeArchive, type ArchiveInfo } from '../../src/systems/zookeeper/archive.js';
import { restoreToAdmin, restoreToDataDir } from '../../src/systems/zookeeper/restore.js';
import { triggerSnapshot } from '../../src/systems/zookeeper/admin.js';
import { parseZkFileName } from '../../src/systems/zookeeper/format.js';
import { uniq } from '../helpers/testbed.js';
import { pipelined, startZk, zkChildren, zkConnect, zkCreate, zkGet, type ZkServer } from '../helpers/zk.js';

const PREALLOC = 64 * 1024 * 1024;
const root = `/${uniq('hbrtest')}`;
/** every znode under root we created, with its data */
const expected = new Map<string, Buffer>();
let A: ZkServer | undefined;
let work = '';
let lastCreateZxid = 0n;

const ms = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`;
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
/** §4 archive name: <prefix><UTC yyyy-MM-ddTHH-mm-ssZ>.tar.gz */
const archiveName = (prefix: string) => `${prefix}${new Date().toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.tar.gz`;

/** Creates znodes with many requests in flight; returns the highest czxid. */
async function createAll(connect: string, nodes: Array<[string, Buffer]>): Promise<bigint> {
  const client = await zkConnect(connect);
  try {
    await pipelined(nodes, 500, ([path, data]) => zkCreate(client, path, data));
    const stats = await pipelined(nodes, 500, ([path]) => zkGet(client, path));
    return stats.reduce((m, s) => (s.czxid > m ? s.czxid : m), 0n);
  } finally {
    client.close();
  }
}

/** Every expected znode is on the server with exactly its data, and nothing else is under root. */
async function verifyAll(connect: string, want: Map<string, Buffer>): Promise<void> {
  const client = await zkConnect(connect);
  try {
    const entries = [...want.entries()];
    const got = await pipelined(entries, 500, async ([path]) => {
      try {
        return (await zkGet(client, path)).data;
      } catch (err) {
        throw new Error(`${path} on ${connect}: ${(err as Error).message}`);
      }
    });
    let bad = 0;
    entries.forEach(([path, data], i) => {
      if (!got[i]!.equals(data)) bad++;
      if (bad === 1 && !got[i]!.equals(data)) console.log(`  first mismatch: ${path}`);
    });
    assert.is(bad, 0, `${bad} of ${entries.length} znodes have different data`);
    const children = await zkChildren(client, root);
    assert.is(children.length, [...want.keys()].filter((p) => p !== root).length, 'children of the test root');
  } finally {
    client.close();
  }
}

/** The admin snapshot command is rate limited (100 ms on these servers): retry a 429. */
async function snapshotNow(s: ZkServer): Promise<bigint> {
  for (let i = 0; ; i++) {
    try {
      return await triggerSnapshot(s.adminUrl, s.auth);
    } catch (err) {
      if (i >= 20 || !/HTTP 429/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

async function takeAdmin(s: ZkServer, out: string): Promise<ArchiveInfo> {
  for (let i = 0; ; i++) {
    try {
      return await takeArchive({ mode: 'admin', adminUrl: s.adminUrl, auth: s.auth }, out);
    } catch (err) {
      if (i >= 20 || !/HTTP 429/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

function tarEntries(file: Buffer): Promise<Array<{ name: string; type: string; data: Buffer }>> {
  return new Promise((resolve, reject) => {
    const out: Array<{ name: string; type: string; data: Buffer }> = [];
    const ex = tar.extract();
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => { out.push({ name: h.name, type: h.type, data: Buffer.concat(chunks) }); next(); });
    });
    ex.on('finish', () => resolve(out));
    ex.on('error', reject);
    ex.end(gunzipSync(file));
  });
}

test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hbr-zk-archive-test-'));
  A = await startZk({ name: 'A' });
  expected.set(root, Buffer.from('hbr test root'));
  const nodes: Array<[string, Buffer]> = [];
  for (let i = 0; i < 1000; i++) {
    const path = `${root}/n${String(i).padStart(4, '0')}`;
    nodes.push([path, Buffer.concat([Buffer.from(path + '\n'), randomBytes(64)])]);
  }
  const t0 = performance.now();
  await createAll(A.connect, [[root, expected.get(root)!]]);
  lastCreateZxid = await createAll(A.connect, nodes);
  for (const [p, d] of nodes) expected.set(p, d);
  console.log(`  created 1,000 znodes on A (pipelined, 500 in flight): ${ms(t0)}; last czxid 0x${lastCreateZxid.toString(16)}`);
});

test.after(async () => {
  await A?.destroy();
  if (work) await rm(work, { recursive: true, force: true });
});

let adminArchive = '';

test('admin mode: take from A, restoreToAdmin into a fresh B (persisted across a restart), restoreToDataDir + server C', async () => {
  const a = A!;
  adminArchive = join(work, archiveName('zookeeper-backup-admin-'));
  let t0 = performance.now();
  const info = await takeAdmin(a, adminArchive);
  console.log(`  take (admin): ${ms(t0)}, archive ${kib(info.bytes)} (snapshot ${kib(info.files[0]!.size)})`);
  assert.is(info.mode, 'admin');
  assert.is(info.files.length, 1);
  assert.match(info.files[0]!.name, /^version-2\/snapshot\.[0-9a-f]+$/);
  assert.is(info.files[0]!.name, `version-2/snapshot.${info.lastZxid.slice(2)}`);
  assert.ok(BigInt(info.lastZxid) >= lastCreateZxid, `lastZxid ${info.lastZxid} >= 0x${lastCreateZxid.toString(16)}`);
  assert.is(info.bytes, (await stat(adminArchive)).size);

  const B = await startZk({ name: 'B' });
  let B2: ZkServer | undefined;
  try {
    t0 = performance.now();
    const r = await restoreToAdmin(adminArchive, B.adminUrl, B.auth);
    console.log(`  restore (admin, POST /commands/restore + snapshot): ${ms(t0)}; server at ${r.lastZxid}`);
    assert.ok(r.persistedAs, `restore persisted: ${r.warnings.join('; ')}`);
    assert.ok(BigInt(r.lastZxid) >= BigInt(info.lastZxid));
    await verifyAll(B.connect, expected);
    // ZooKeeper's restore is in memory only; the snapshot after it makes it survive a restart.
    await B.stop();
    B2 = await startZk({ name: 'B2', dataDir: B.dataDir });
    await verifyAll(B2.connect, expected);
  } finally {
    await B2?.destroy();
    await B.destroy();
  }

  const dirC = join(work, 'restore-admin-C');
  t0 = performance.now();
  const rd = await restoreToDataDir(adminArchive, dirC, {});
  console.log(`  restore (admin archive -> data dir): ${ms(t0)}`);
  assert.equal(await readdir(join(dirC, 'version-2')), [info.files[0]!.name.slice('version-2/'.length)]);
  assert.is(rd.lastZxid, info.lastZxid);
  const C = await startZk({ name: 'C', dataDir: dirC });
  try {
    await verifyAll(C.connect, expected);
  } finally {
    await C.destroy();
  }
});

test('datadir mode: A keeps running; the snapshot plus trimmed logs replay 100 znodes written after it', async () => {
  const a = A!;
  // A snapshot now, then 100 znodes that only the transaction log holds.
  const snapZxid = await snapshotNow(a);
  const more: Array<[string, Buffer]> = [];
  for (let i = 0; i < 100; i++) {
    const path = `${root}/after-snap-${String(i).padStart(3, '0')}`;
    more.push([path, Buffer.concat([Buffer.from(path + '\n'), randomBytes(32)])]);
  }
  const moreZxid = await createAll(a.connect, more);
  for (const [p, d] of more) expected.set(p, d);
  const liveLogs = (await readdir(join(a.dataDir, 'version-2'))).filter((f) => f.startsWith('log.'));
  for (const f of liveLogs) assert.is((await stat(join(a.dataDir, 'version-2', f))).size, PREALLOC + 16, `${f} is pre-allocated`);

  const out = join(work, archiveName('zookeeper-backup-datadir-'));
  let t0 = performance.now();
  const info = await takeArchive({ mode: 'datadir', dataDir: a.dataDir }, out);
  console.log(`  take (datadir, server running): ${ms(t0)}, archive ${kib(info.bytes)} (${(info.bytes / 1024 / 1024).toFixed(3)} MiB); files ${info.files.map((f) => `${f.name}=${f.size}`).join(', ')}`);
  console.log(`  live log files on A: ${liveLogs.length} x ${PREALLOC + 16} bytes (pre-allocated)`);
  assert.is(info.mode, 'datadir');
  assert.ok(info.bytes < 5 * 1024 * 1024, `archive is ${info.bytes} bytes, must be < 5 MiB`);
  const snaps = info.files.filter((f) => /\/snapshot\./.test(f.name));
  const logs = info.files.filter((f) => /\/log\./.test(f.name));
  assert.is(snaps.length, 1);
  assert.ok(logs.length >= 1, 'at least one log');
  const archivedSnapZxid = parseZkFileName(snaps[0]!.name.split('/')[1]!)!.zxid;
  assert.is(archivedSnapZxid, snapZxid, 'the newest snapshot is the one just taken');
  assert.ok(archivedSnapZxid < moreZxid, 'the 100 znodes are past the snapshot');
  for (const l of logs) assert.ok(l.size < 1024 * 1024, `${l.name} trimmed to ${l.size} bytes`);
  assert.ok(BigInt(info.lastZxid) >= moreZxid, `lastZxid ${info.lastZxid} >= 0x${moreZxid.toString(16)}`);

  // The AdminServer could load only the snapshot, losing the 100: refused unless asked for.
  try {
    await restoreToAdmin(out, a.adminUrl, a.auth);
    assert.unreachable('restoreToAdmin must refuse an archive whose logs go past its snapshot');
  } catch (err) {
    assert.match((err as Error).message, /loads only the snapshot/);
  }

  const dirD = join(work, 'restore-datadir-D');
  await mkdir(dirD); // an existing empty dir is fine
  t0 = performance.now();
  const rd = await restoreToDataDir(out, dirD, {});
  console.log(`  restore (datadir archive -> data dir): ${ms(t0)}`);
  assert.is(rd.replaced, undefined);
  for (const l of logs) assert.is((await stat(join(dirD, l.name))).size, l.size, `${l.name} restored trimmed`);
  const D = await startZk({ name: 'D', dataDir: dirD });
  try {
    await verifyAll(D.connect, expected);
  } finally {
    await D.destroy();
  }
});

test('datadir mode under concurrent writes: the archive is a consistent prefix of the history', async () => {
  const a = A!;
  const liveRoot = `${root}-live`;
  const writer = await zkConnect(a.connect);
  const created: string[] = [];
  let stop = false;
  let n = 0;
  const writing = (async () => {
    await zkCreate(writer, liveRoot, Buffer.alloc(0));
    // Keep 100 creates in flight until told to stop.
    await Promise.all(Array.from({ length: 100 }, async () => {
      while (!stop) {
        const path = `${liveRoot}/w${String(n++).padStart(6, '0')}`;
        await zkCreate(writer, path, Buffer.from(path));
        created.push(path);
      }
    }));
  })();
  let info: ArchiveInfo;
  const out = join(work, archiveName('zookeeper-backup-live-'));
  try {
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    info = await takeArchive({ mode: 'datadir', dataDir: a.dataDir }, out);
    console.log(`  take (datadir, under ~100 creates in flight): ${ms(t0)}, archive ${kib(info.bytes)}, ${created.length} live znodes so far`);
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    stop = true;
    await writing;
  }
  const czxids = new Map<string, bigint>();
  for (const [i, st] of (await pipelined(created, 500, (p) => zkGet(writer, p))).entries()) czxids.set(created[i]!, st.czxid);
  writer.close();
  const last = BigInt(info.lastZxid);
  const inArchive = created.filter((p) => czxids.get(p)! <= last);
  const after = created.filter((p) => czxids.get(p)! > last);
  assert.ok(inArchive.length > 0 && after.length > 0, `writes before (${inArchive.length}) and after (${after.length}) the archive`);

  const dir = join(work, 'restore-live-F');
  await restoreToDataDir(out, dir, {});
  const F = await startZk({ name: 'F', dataDir: dir });
  try {
    const client = await zkConnect(F.connect);
    try {
      const restored = new Set(await zkChildren(client, liveRoot));
      const missing = inArchive.filter((p) => !restored.has(p.slice(liveRoot.length + 1)));
      const extra = after.filter((p) => restored.has(p.slice(liveRoot.length + 1)));
      assert.is(missing.length, 0, `every znode up to lastZxid ${info.lastZxid} is back (missing ${missing.slice(0, 3).join(', ')})`);
      assert.is(extra.length, 0, 'nothing past lastZxid');
      assert.is(restored.size, inArchive.length);
      const sample = await pipelined(inArchive.slice(-50), 50, (p) => zkGet(client, p));
      sample.forEach((st, i) => assert.is(st.data.toString(), inArchive.slice(-50)[i]));
    } finally {
      client.close();
    }
  } finally {
    await F.destroy();
  }
  console.log(`  restored ${inArchive.length} of ${created.length} live znodes: exactly those with czxid <= ${info.lastZxid}`);
});

test('datadir mode skips an incomplete newest snapshot and a torn log tail', async () => {
  // A data dir as a crash or a snapshot in progress leaves it, built from a good archive.
  const good = join(work, archiveName('zookeeper-backup-base-'));
  const base = await takeArchive({ mode: 'datadir', dataDir: A!.dataDir }, good);
  const dir = join(work, 'torn');
  await restoreToDataDir(good, dir, {});
  const v2 = join(dir, 'version-2');
  const snapName = base.files.find((f) => f.name.includes('/snapshot.'))!.name.split('/')[1]!;
  const logName = base.files.filter((f) => f.name.includes('/log.')).at(-1)!.name.split('/')[1]!;
  const snapBytes = await readFile(join(v2, snapName));
  const newer = `snapshot.${(BigInt(base.lastZxid) + 1n).toString(16)}`;
  await writeFile(join(v2, newer), snapBytes.subarray(0, Math.floor(snapBytes.length / 2)));
  const torn = Buffer.alloc(12 + 20);
  torn.writeUInt32BE(0x1234, 4); // a checksum, a length of 100, and only 20 of its bytes
  torn.writeInt32BE(100, 8);
  await writeFile(join(v2, logName), torn, { flag: 'a' });
  const logSize = base.files.find((f) => f.name.endsWith(logName))!.size;

  const info = await takeArchive({ mode: 'datadir', dataDir: dir }, join(work, 'torn.tar.gz'));
  assert.ok(info.files.some((f) => f.name === `version-2/${snapName}`), 'falls back to the sealed snapshot');
  assert.not.ok(info.files.some((f) => f.name.endsWith(newer)), 'the half-written snapshot is left out');
  assert.is(info.files.find((f) => f.name.endsWith(logName))!.size, logSize, 'the torn record is cut');
  assert.is(info.lastZxid, base.lastZxid);
});

test('takeArchive honours an aborted signal and leaves nothing behind', async () => {
  const ac = new AbortController();
  ac.abort();
  const out = join(work, 'aborted.tar.gz');
  try {
    await takeArchive({ mode: 'datadir', dataDir: A!.dataDir }, out, { signal: ac.signal });
    assert.unreachable('must abort');
  } catch (err) {
    assert.is((err as Error).name, 'AbortError');
  }
  assert.equal((await readdir(work)).filter((f) => f.includes('aborted.tar.gz')), []);
});

test('restoreToDataDir refuses a non-empty dir without force; with force it moves the old content aside', async () => {
  const out = join(work, archiveName('zookeeper-backup-force-'));
  await takeAdmin(A!, out);
  const dir = join(work, 'occupied');
  await mkdir(join(dir, 'version-2'), { recursive: true });
  await writeFile(join(dir, 'version-2', 'snapshot.5'), 'old snapshot');
  await writeFile(join(dir, 'myid'), '1\n');

  try {
    await restoreToDataDir(out, dir, {});
    assert.unreachable('must refuse a non-empty data dir');
  } catch (err) {
    assert.match((err as Error).message, /not empty/);
    assert.match((err as Error).message, /force/);
  }
  assert.is(await readFile(join(dir, 'version-2', 'snapshot.5'), 'utf8'), 'old snapshot', 'untouched after the refusal');
  assert.equal((await readdir(work)).filter((f) => f.startsWith('occupied.')), [], 'no staging left behind');

  const r = await restoreToDataDir(out, dir, { force: true });
  assert.ok(r.replaced, 'reports where the old content went');
  assert.match(r.replaced!, new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.hbr-replaced-\\d{8}T\\d{6}Z$`));
  assert.is(await readFile(join(r.replaced!, 'version-2', 'snapshot.5'), 'utf8'), 'old snapshot', 'old content kept');
  assert.is(await readFile(join(r.replaced!, 'myid'), 'utf8'), '1\n');
  const now = await readdir(join(dir, 'version-2'));
  assert.is(now.length, 1);
  assert.match(now[0]!, /^snapshot\.[0-9a-f]+$/);
  assert.not.ok(existsSync(join(dir, 'myid')));
});

test('readArchiveInfo returns the metadata; the password is nowhere in the archive', async () => {
  const info = await readArchiveInfo(adminArchive);
  assert.is(info.mode, 'admin');
  assert.ok(BigInt(info.lastZxid) >= lastCreateZxid, `lastZxid ${info.lastZxid} >= last create 0x${lastCreateZxid.toString(16)}`);
  assert.ok(!Number.isNaN(Date.parse(info.takenAt)));
  assert.is(info.bytes, (await stat(adminArchive)).size);
  assert.is(info.server, A!.adminUrl);
  assert.is(info.files.length, 1);
  const raw = await readFile(adminArchive);
  const entries = await tarEntries(raw);
  assert.is(entries[0]!.name, 'hbr-archive.json', 'manifest first');
  const manifest = JSON.parse(entries[0]!.data.toString('utf8')) as Record<string, unknown>;
  assert.is(manifest.format, 1);
  assert.is(manifest.lastZxid, info.lastZxid);
  const plain = gunzipSync(raw);
  assert.not.ok(plain.includes(Buffer.from(A!.auth.password)), 'password not in the archive');
});

test('wrong admin credentials: a clear error without the password in it', async () => {
  // With the default root ACL (world:anyone ALL) ZooKeeper's AdminServer accepts ANY digest
  // credentials; only a missing Authorization header is refused. Credentials mean something once
  // "/" is locked down, as here: ALL for the admin digest user only.
  const E = await startZk({ name: 'E' });
  try {
    const client = await zkConnect(E.connect);
    try {
      client.addAuthInfo('digest', Buffer.from(`${E.auth.user}:${E.auth.password}`));
      const id = `${E.auth.user}:${createHash('sha1').update(`${E.auth.user}:${E.auth.password}`).digest('base64')}`;
      await new Promise<void>((res, rej) =>
        client.setACL('/', [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('digest', id))], -1, (e) => (e ? rej(e) : res())),
      );
    } finally {
      client.close();
    }
    const bad = { user: E.auth.user, password: 'wrong-' + randomBytes(6).toString('hex') };
    const out = join(work, 'never.tar.gz');
    try {
      await takeArchive({ mode: 'admin', adminUrl: E.adminUrl, auth: bad }, out);
      assert.unreachable('must fail');
    } catch (err) {
      const msg = (err as Error).message;
      assert.match(msg, /HTTP 403/);
      assert.not.ok(msg.includes(bad.password), 'no password in the message');
    }
    assert.not.ok(existsSync(out));
    assert.equal((await readdir(work)).filter((f) => f.includes('never.tar.gz')), [], 'no temp files left');
    try {
      await restoreToAdmin(adminArchive, E.adminUrl, bad);
      assert.unreachable('must fail');
    } catch (err) {
      assert.match((err as Error).message, /HTTP 403/);
      assert.not.ok((err as Error).message.includes(bad.password));
    }
    // The right credentials still work.
    const ok = await takeAdmin(E, out);
    assert.ok(ok.bytes > 0);
  } finally {
    await E.destroy();
  }
});

test('a corrupted archive (bytes flipped) is refused at restore, nothing is written', async () => {
  const raw = await readFile(adminArchive);
  for (const at of [0.3, 0.5, 0.9]) {
    const bad = Buffer.from(raw);
    bad[Math.floor(bad.length * at)]! ^= 0xff;
    const file = join(work, 'corrupt.tar.gz');
    await writeFile(file, bad);
    const target = join(work, 'corrupt-target', 'data');
    try {
      await restoreToDataDir(file, target, {});
      assert.unreachable(`byte at ${at} flipped: must be refused`);
    } catch (err) {
      assert.match((err as Error).message, /corrupt archive|not a valid snapshot/, (err as Error).message);
    }
    assert.not.ok(existsSync(target));
    assert.equal(await readdir(join(work, 'corrupt-target')), []);
    // Through the AdminServer: refused before a byte is sent (A keeps its data).
    try {
      await restoreToAdmin(file, A!.adminUrl, A!.auth);
      assert.unreachable(`byte at ${at} flipped: restoreToAdmin must refuse`);
    } catch (err) {
      assert.match((err as Error).message, /corrupt archive|not a valid snapshot/, (err as Error).message);
    }
  }
  const client = await zkConnect(A!.connect);
  try {
    assert.ok((await zkGet(client, `${root}/n0999`)).data.equals(expected.get(`${root}/n0999`)!));
  } finally {
    client.close();
  }
});

test('restoreToDataDir refuses path traversal and links in the archive, writing nothing', async () => {
  const cases: Array<{ name: string; type?: 'file' | 'symlink'; linkname?: string }> = [
    { name: '../escaped' },
    { name: 'version-2/../../escaped' },
    { name: '/tmp/escaped-abs' },
    { name: 'version-2/snapshot.1', type: 'symlink', linkname: '/etc/passwd' },
    { name: 'version-2/zoo.cfg' },
  ];
  for (const c of cases) {
    const pack = tar.pack();
    const manifest = Buffer.from(JSON.stringify({ format: 1, mode: 'admin', lastZxid: '0x1', takenAt: new Date().toISOString(), files: [{ name: c.name, size: 1 }] }));
    pack.entry({ name: 'hbr-archive.json', size: manifest.length }, manifest);
    if (c.type === 'symlink') pack.entry({ name: c.name, type: 'symlink', linkname: c.linkname! });
    else pack.entry({ name: c.name, size: 1 }, Buffer.from('x'));
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const chunk of pack) chunks.push(chunk as Buffer);
    const evil = join(work, 'evil.tar.gz');
    await writeFile(evil, gzipSync(Buffer.concat(chunks)));
    const target = join(work, 'evil-target', 'data');
    try {
      await restoreToDataDir(evil, target, {});
      assert.unreachable(`must refuse ${c.name}`);
    } catch (err) {
      assert.match((err as Error).message, /refusing entry/, c.name);
    }
    assert.not.ok(existsSync(join(work, 'escaped')), c.name);
    assert.not.ok(existsSync('/tmp/escaped-abs'), c.name);
    assert.not.ok(existsSync(target), `${c.name}: data dir not created`);
    assert.equal((await readdir(join(work, 'evil-target'))), [], `${c.name}: no staging left`);
  }
});

test.run();
