/**
 * The ZooKeeper archive drill (issue #11 point 6) on the real test bed: a ZooKeeper 3.9.5 server
 * of our own with a workload of creates (several ACLs, a container, a TTL node), setData, setACL,
 * deletes, a multi and a failed multi, ephemerals of a closed and of a live session; archives taken by `hbr apply` in
 * both modes into versitygw S3 and a local store; the system's `drill` called directly (the
 * `hbr verify` command is the drill framework's). Good archives pass with the server's znode
 * count; a truncated one, and one whose snapshot was changed behind its checksums, fail.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import zookeeper from 'node-zookeeper-client';
import { archiveKey } from '../../src/model/names.js';
import type { Config } from '../../src/model/policy.js';
import { loadConfig } from '../../src/schema/load.js';
import { openStore } from '../../src/stores/index.js';
import { SYSTEMS } from '../../src/systems/index.js';
import type { DrillResult } from '../../src/systems/types.js';
import { triggerSnapshot } from '../../src/systems/zookeeper/admin.js';
import { scanTxnLog } from '../../src/systems/zookeeper/format.js';
import { replayDataDir } from '../../src/systems/zookeeper/replay.js';
import { readSnapshot } from '../../src/systems/zookeeper/snapshot.js';
import { hbr, tempDir } from '../helpers/hbr.js';
import { testbed, uniq } from '../helpers/testbed.js';
import { pipelined, startZk, zkClasspath, zkConnect, type ZkServer } from '../helpers/zk.js';
import { cb, countZnodes, repack, reseal, tarEntries } from '../helpers/zkdrill.js';

const tb = testbed();
process.env.AWS_ACCESS_KEY_ID = tb.HBR_TB_S3_ACCESS_KEY;
process.env.AWS_SECRET_ACCESS_KEY = tb.HBR_TB_S3_SECRET_KEY;
process.env.AWS_REGION = tb.HBR_TB_S3_REGION;

const system = SYSTEMS.find((s) => s.name === 'zookeeper')!;
const work = tempDir('zkdrill');
const bucket = uniq('zkdrill');
const root = `/${uniq('drill')}`;
let src: ZkServer;
let live: zookeeper.Client | undefined;
let config: Config;
let serverZnodes = 0;
let mntrZnodes = 0;
const { ACL, Id, Permission, CreateMode } = zookeeper;
const OPEN = [new ACL(Permission.ALL, new Id('world', 'anyone'))];

function policyYaml(): string {
  return `version: 1
clusters:
  zka: { zookeeper: { admin: ${src.adminUrl}, connect: ${src.connect} } }
  zkd: { zookeeper: { datadir: ${src.dataDir}, connect: ${src.connect}, mode: datadir } }
stores:
  s3: { s3: { bucket: ${bucket}, prefix: archives/, endpoint: ${tb.HBR_TB_S3_ENDPOINT}, force_path_style: true } }
  vault: { local: { path: ${join(work, 'store')} } }
policies:
  zk-admin: { source: { cluster: zka }, archive: { to: s3, prefix: admin-, every: 1h } }
  zk-datadir: { source: { cluster: zkd }, archive: { to: vault, prefix: datadir-, every: 1h } }
  zk-cut: { source: { cluster: zkd }, archive: { to: vault, prefix: cut-, every: 1h } }
  zk-flip: { source: { cluster: zka }, archive: { to: s3, prefix: flip-, every: 1h } }
`;
}

async function drill(policy: string, now = Date.now()): Promise<DrillResult> {
  const stateDir = join(work, 'state');
  const t0 = performance.now();
  const r = await system.drill!(config.policies[policy]!, { config, stateDir, signal: new AbortController().signal, log: () => {}, hadoop: tb.HBR_TB_HADOOP, now, scratch: { made: () => 'unused', removed: () => {} } });
  console.log(`  drill ${policy}: ${(performance.now() - t0).toFixed(0)} ms, ${r.bytes} bytes`);
  assert.equal(await readdir(join(stateDir, 'tmp')), [], 'the scratch dir is removed after the drill');
  return r;
}

const show = (r: DrillResult) => `${r.point} ${r.ok ? 'PASS' : 'FAIL'}\n${r.checks.map((c) => `  ${c.ok ? 'ok ' : 'BAD'} ${c.what}${c.detail ? ` — ${c.detail}` : ''}`).join('\n')}`;
const znodesOf = (r: DrillResult) => Number(/^znodes: (\d+)/.exec(r.checks.find((c) => c.what.startsWith('znodes'))?.what ?? '')?.[1]);

async function workload(c: zookeeper.Client): Promise<void> {
  const create = (path: string, data: Buffer, acls: unknown[] = OPEN, mode = CreateMode.PERSISTENT) =>
    cb<string>((d) => c.create(path, data, acls as zookeeper.ACL[], mode, (e, p) => d(e, p)));
  const readMost = [new ACL(Permission.READ | Permission.WRITE | Permission.CREATE | Permission.DELETE, new Id('world', 'anyone'))];
  const twoEntries = [new ACL(Permission.ALL, new Id('world', 'anyone')), new ACL(Permission.READ, new Id('ip', '127.0.0.1'))];
  await create(root, Buffer.from('drill root'));
  const N = 300;
  await Promise.all(Array.from({ length: N }, (_, i) => {
    const acls = i % 3 === 0 ? OPEN : i % 3 === 1 ? readMost : twoEntries;
    return create(`${root}/n${String(i).padStart(4, '0')}`, Buffer.from(`drill-data-${String(i).padStart(4, '0')}:${randomBytes(24).toString('hex')}`), acls);
  }));
  // A container with a child and a TTL node: node-zookeeper-client cannot, ZooKeeper's own CLI can.
  for (const args of [['-c', `${root}/container`, 'c'], [`${root}/container/child`, 'x'], ['-t', '3600000', `${root}/ttl`, 't']]) {
    const r = spawnSync('java', ['-cp', zkClasspath(), 'org.apache.zookeeper.ZooKeeperMain', '-server', src.connect, 'create', ...args], { encoding: 'utf8' });
    assert.match(r.stdout + r.stderr, /Created /, `zkCli create ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  }
  await create(`${root}/deep`, Buffer.alloc(0));
  await create(`${root}/deep/a`, Buffer.from('a'));
  await create(`${root}/deep/a/b`, randomBytes(3000));
  for (let i = 0; i < 5; i++) await create(`${root}/seq-`, Buffer.from(String(i)), OPEN, CreateMode.PERSISTENT_SEQUENTIAL);
  const name = (i: number) => `${root}/n${String(i).padStart(4, '0')}`;
  await Promise.all(Array.from({ length: 60 }, (_, i) => cb((d) => c.setData(name(i * 5), randomBytes(40), -1, (e) => d(e)))));
  await Promise.all(Array.from({ length: 20 }, (_, i) => cb((d) => c.setACL(name(i * 3), readMost, -1, (e) => d(e)))));
  await Promise.all(Array.from({ length: 40 }, (_, i) => cb((d) => c.remove(name(i * 7 + 1), -1, (e) => d(e)))));
  // A multi, then one that fails (a wrong version): the log holds it as an error txn.
  await cb((d) => c.transaction().create(`${root}/multi-a`, Buffer.from('a')).create(`${root}/multi-b`, Buffer.from('b'))
    .setData(name(3), Buffer.from('set in a multi')).remove(name(9)).commit((e) => d(e)));
  const failed = await new Promise<unknown>((res) => c.transaction().create(`${root}/never`, Buffer.from('x')).check(name(3), 999).commit((e) => res(e)));
  assert.ok(failed, 'the second multi fails');
  // Ephemerals: of a session that closes (its closeSession deletes them) and of one still open.
  const gone = await zkConnect(src.connect);
  for (let i = 0; i < 10; i++) await cb((d) => gone.create(`${root}/eph-gone-${i}`, Buffer.from('bye'), CreateMode.EPHEMERAL, (e) => d(e)));
  await new Promise<void>((res) => { gone.once('disconnected', () => res()); gone.close(); });
  live = await zkConnect(src.connect);
  for (let i = 0; i < 5; i++) await cb((d) => live!.create(`${root}/eph-live-${i}`, Buffer.from('here'), CreateMode.EPHEMERAL, (e) => d(e)));
}

test.before(async () => {
  try {
    await new S3Client({ endpoint: tb.HBR_TB_S3_ENDPOINT, region: tb.HBR_TB_S3_REGION, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: bucket }));
    await mkdir(join(work, 'store'), { recursive: true });
    src = await startZk({ name: 'drill', extraConfig: { extendedTypesEnabled: 'true' } }); // TTL nodes
    const c = await zkConnect(src.connect);
    await workload(c);
    // A snapshot in the middle: the datadir archive then holds it and the logs after it.
    await triggerSnapshot(src.adminUrl, src.auth);
    for (let i = 0; i < 25; i++) await cb((d) => c.setData(`${root}/deep/a`, randomBytes(16), -1, (e) => d(e)));
    await cb((d) => c.create(`${root}/after-snapshot`, Buffer.from('z'), (e) => d(e)));
    serverZnodes = await countZnodes(c);
    c.close();
    const mntr = (await (await fetch(`${src.adminUrl}/commands/mntr`)).json()) as { znode_count: number };
    mntrZnodes = mntr.znode_count;

    const file = join(work, 'zk.yaml');
    await writeFile(file, policyYaml());
    const loaded = await loadConfig([file]);
    if (!('config' in loaded)) throw new Error(JSON.stringify(loaded.errors));
    config = loaded.config;
    const r = await hbr(['apply', '-f', file, '--state-dir', join(work, 'apply-state'), '--auto-approve', '--target', 'zk-admin', '--target', 'zk-datadir'], {
      HBR_ZK_ADMIN_AUTH: `${src.auth.user}:${src.auth.password}`,
    });
    if (r.code !== 0) throw new Error(`hbr apply: ${r.stdout}${r.stderr}`);
  } catch (err) {
    console.error('zookeeper-drill setup failed:', err);
    throw err;
  }
});

test.after(async () => {
  live?.close();
  await src?.destroy();
});

test('admin archive (S3): the drill passes, with the server\'s znode count and the snapshot digest checked', async () => {
  const r = await drill('zk-admin');
  console.log(show(r));
  assert.ok(r.ok, show(r));
  assert.match(r.point, /^s3:admin-/);
  assert.is(znodesOf(r), serverZnodes, 'znodes = what a client walking the server counts');
  // ZooKeeper's map holds the root under "" and "/": its znode_count is one more.
  assert.is(mntrZnodes, serverZnodes + 1, 'mntr znode_count');
  const digest = r.checks.find((c) => c.what.startsWith('snapshot digest at'));
  assert.ok(digest?.ok && !digest.detail, `the snapshot digest was compared: ${show(r)}`);
});

test('datadir archive (local store): snapshot + logs replayed, every txn digest after it compared', async () => {
  const r = await drill('zk-datadir');
  console.log(show(r));
  assert.ok(r.ok, show(r));
  assert.is(znodesOf(r), serverZnodes);
  const txns = /transaction digests: (\d+) of (\d+) replayed/.exec(r.checks.map((c) => c.what).join('\n'));
  assert.ok(txns && Number(txns[2]) >= 26 && Number(txns[1]) > 0, `txns replayed and digests compared: ${show(r)}`);
});

test('the whole history: snapshot.0 and every log of the server replay to its znode count and last zxid', async () => {
  const dir = join(work, 'full', 'version-2');
  await mkdir(dir, { recursive: true });
  const names = await readdir(join(src.dataDir, 'version-2'));
  for (const n of names.filter((n) => n === 'snapshot.0' || n.startsWith('log.'))) await copyFile(join(src.dataDir, 'version-2', n), join(dir, n));
  const srvr = (await (await fetch(`${src.adminUrl}/commands/srvr`)).json()) as { server_stats: { last_processed_zxid: number } };
  const last = BigInt(srvr.server_stats.last_processed_zxid);
  const r = await replayDataDir(join(work, 'full'), last);
  console.log(`  full replay: ${r.txns} txns, ${r.digestsCompared} digests compared, ${r.znodes} znodes`);
  assert.ok(r.checks.every((c) => c.ok), r.checks.map((c) => `${c.what} ${c.detail ?? ''}`).join('\n'));
  assert.is(r.znodes, serverZnodes);
  assert.ok(r.digestsCompared > 400, `${r.digestsCompared} txn digests compared`);
});

test('fuzzy snapshots: a server snapshotting under concurrent writes; each snapshot + the logs after it replays with every digest matching', async () => {
  const z = await startZk({ name: 'fuzzy', snapCount: 400 });
  try {
    const clients = await Promise.all([0, 1, 2, 3].map(() => zkConnect(z.connect)));
    const base = '/fuzzy';
    await cb((d) => clients[0]!.create(base, Buffer.from('f'), (e) => d(e)));
    // A tree big enough (~16 MiB) that writing a snapshot takes a while: writes land during it.
    await pipelined(Array.from({ length: 2000 }, (_, i) => i), 200, (i) =>
      cb((d) => clients[i % 4]!.create(`${base}/big${i}`, randomBytes(8192), OPEN, CreateMode.PERSISTENT, (e) => d(e))));
    const ops = Array.from({ length: 3000 }, (_, i) => i);
    await pipelined(ops, 80, async (i) => {
      const c = clients[i % clients.length]!;
      const p = `${base}/k${i % 300}`;
      const ok = (e: unknown) => (e && ![-101, -110].includes((e as { getCode?: () => number }).getCode?.() ?? 0) ? e : null);
      if (i % 5 === 4) await cb((d) => c.setData(`${base}/big${i % 2000}`, randomBytes(8192), -1, (e) => d(ok(e))));
      else if (i % 4 === 0) await cb((d) => c.remove(p, -1, (e) => d(ok(e))));
      else if (i % 4 === 1) await cb((d) => c.setData(p, randomBytes(20), -1, (e) => d(ok(e))));
      else await cb((d) => c.create(p, randomBytes(30), OPEN, i % 8 === 2 ? CreateMode.EPHEMERAL : CreateMode.PERSISTENT, (e) => d(ok(e))));
    });
    // Every session closes (their ephemerals go with them), then a fresh client counts.
    await Promise.all(clients.map((c) => new Promise<void>((r) => { c.once('disconnected', () => r()); c.close(); })));
    const counter = await zkConnect(z.connect);
    const count = await countZnodes(counter);
    await new Promise<void>((r) => { counter.once('disconnected', () => r()); counter.close(); });
    await new Promise((r) => setTimeout(r, 1000));
    const srvr = (await (await fetch(`${z.adminUrl}/commands/srvr`)).json()) as { server_stats: { last_processed_zxid: number } };
    const last = BigInt(srvr.server_stats.last_processed_zxid);
    const v2 = join(z.dataDir, 'version-2');
    const names = await readdir(v2);
    const snaps = names.filter((n) => n.startsWith('snapshot.'));
    assert.ok(snaps.length >= 5, `${snaps.length} snapshots`);
    let checkedDigests = 0;
    let fuzzy = 0;
    const replayMs: number[] = [];
    for (const snap of snaps) {
      const dir = join(work, `fuzzy-${snap}`, 'version-2');
      await mkdir(dir, { recursive: true });
      await copyFile(join(v2, snap), join(dir, snap));
      for (const log of names.filter((n) => n.startsWith('log.'))) {
        const chunks: Buffer[] = [];
        await scanTxnLog(join(v2, log), async (b) => { chunks.push(Buffer.from(b)); });
        await writeFile(join(dir, log), Buffer.concat(chunks));
      }
      const t0 = performance.now();
      const r = await replayDataDir(join(work, `fuzzy-${snap}`), last);
      replayMs.push(performance.now() - t0);
      assert.ok(r.checks.every((c) => c.ok), `${snap}:\n${r.checks.map((c) => `${c.what} ${c.detail ?? ''}`).join('\n')}`);
      assert.is(r.znodes, count, `${snap}: znodes`);
      if (r.checks.some((c) => c.what.startsWith('snapshot digest at') && !c.detail)) checkedDigests++;
      const loaded = readSnapshot(await readFile(join(v2, snap)));
      if (loaded.digest && loaded.digest.zxid > BigInt('0x' + snap.split('.')[1])) fuzzy++;
    }
    console.log(`  ${snaps.length} snapshots taken under load replayed (${fuzzy} fuzzy: digest zxid past the snapshot's); ${checkedDigests} snapshot digests compared; replay of one (~16 MiB tree + logs): median ${replayMs.sort((a, b) => a - b)[replayMs.length >> 1]!.toFixed(0)} ms`);
    assert.ok(checkedDigests >= snaps.length - 1, 'the snapshot digests were compared');
  } finally {
    await z.destroy();
  }
});

test('a truncated archive fails the drill: cut in the store (checksum) and cut before upload (gzip)', async () => {
  const store = openStore(config.stores.vault!);
  const good = (await store.list('datadir-'))[0]!.key;
  const full = await readFile(join(work, 'store', good));
  const cut = join(work, 'cut.tar.gz');
  await writeFile(cut, full.subarray(0, Math.floor(full.length / 2)));
  // Uploaded cut (its SHA-256 is of the cut bytes): the download passes, the archive does not.
  await store.putFile(archiveKey('cut-', Date.now() - 60_000), cut);
  const r1 = await drill('zk-cut');
  console.log(show(r1));
  assert.not.ok(r1.ok);
  const bad1 = r1.checks.find((c) => !c.ok)!;
  assert.match(bad1.what, /^archive cut-/);
  assert.match(bad1.detail!, /corrupt archive|unexpected end|truncated/i);
  // Cut in place behind the store's checksum: the download fails.
  await writeFile(join(work, 'store', good), full.subarray(0, Math.floor(full.length / 2)));
  try {
    const r2 = await drill('zk-datadir');
    console.log(show(r2));
    assert.not.ok(r2.ok);
    assert.match(r2.checks.find((c) => !c.ok)!.detail!, /checksum mismatch/);
  } finally {
    await writeFile(join(work, 'store', good), full);
  }
});

test('a snapshot changed behind its seals (one byte of a znode\'s data) fails on the digest', async () => {
  const s3 = openStore(config.stores.s3!);
  const good = (await s3.list('admin-'))[0]!.key;
  const file = join(work, 'admin.tar.gz');
  await s3.getFile(good, file);
  const entries = await tarEntries(file);
  const snap = entries.find((e) => e.name.startsWith('version-2/snapshot.'))!;
  const at = snap.data.indexOf('drill-data-0152:');
  assert.ok(at > 0, 'the znode data is in the snapshot');
  const changed = Buffer.from(snap.data);
  changed[at + 'drill-data-0152:'.length]! ^= 0x01;
  snap.data = reseal(changed);
  const flipped = join(work, 'flipped.tar.gz');
  await repack(flipped, entries);
  await s3.putFile(archiveKey('flip-', Date.now() - 60_000), flipped);
  const r = await drill('zk-flip');
  console.log(show(r));
  assert.not.ok(r.ok);
  const bad = r.checks.filter((c) => !c.ok);
  assert.is(bad.length, 1, show(r));
  assert.match(bad[0]!.what, /^snapshot digest at 0x/);
  assert.match(bad[0]!.detail!, /digest mismatch/);
});

test('an archive named in the future of now is not drilled; none at all is an error', async () => {
  const s3 = openStore(config.stores.s3!);
  const good = (await s3.list('admin-'))[0]!.key;
  const file = join(work, 'admin.tar.gz');
  await s3.getFile(good, file);
  await s3.putFile(archiveKey('admin-', Date.now() + 86_400_000), file);
  const r = await drill('zk-admin');
  assert.is(r.point, `s3:${good}`);
  assert.ok(r.ok, show(r));
  let refused: Error | undefined;
  try {
    await drill('zk-admin', Date.parse('2020-01-01T00:00:00Z'));
  } catch (err) {
    refused = err as Error;
  }
  assert.match(refused?.message ?? 'no error', /no archive to drill/);
});

test.run();
