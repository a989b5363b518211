/**
 * ZooKeeper archive policies end to end through the CLI, on real ZooKeeper servers (throw-away
 * ones from the test bed's jars) and the real S3 server and a local store.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { archiveKey } from '../../src/model/names.js';
import { openStore } from '../../src/stores/index.js';
import { hbr, tempDir } from '../helpers/hbr.js';
import { repoRoot, testbed, uniq } from '../helpers/testbed.js';
import { pipelined, startZk, zkChildren, zkConnect, zkCreate, zkGet, type ZkServer } from '../helpers/zk.js';

const tb = testbed();
process.env.AWS_ACCESS_KEY_ID = tb.HBR_TB_S3_ACCESS_KEY;
process.env.AWS_SECRET_ACCESS_KEY = tb.HBR_TB_S3_SECRET_KEY;
process.env.AWS_REGION = tb.HBR_TB_S3_REGION;

const T0 = '2030-03-01T03:00:00.000Z';
const day = (n: number) => new Date(Date.parse(T0) + n * 86_400_000).toISOString();
const ZNODES = 1000;

let src: ZkServer;
const root = `/${uniq('hbr-zk')}`;
const expected = new Map<string, Buffer>();
const bucket = uniq('zk');
const work = tempDir('zkpol');
const localStore = join(work, 'store');
const servers: ZkServer[] = [];

function policyFile(extra = ''): string {
  const file = join(work, 'zk.yaml');
  writeFileSync(
    file,
    `version: 1
clusters:
  zka: { zookeeper: { admin: ${src.adminUrl}, connect: ${src.connect} } }
  zkd: { zookeeper: { datadir: ${src.dataDir}, connect: ${src.connect}, mode: datadir } }
stores:
  s3: { s3: { bucket: ${bucket}, prefix: archives/, endpoint: ${tb.HBR_TB_S3_ENDPOINT}, force_path_style: true } }
  vault: { local: { path: ${localStore} } }
policies:
  zk-s3:
    source: { cluster: zka }
    archive: { to: s3, prefix: zk-admin-, every: 1h, keep: { daily: 7 } }
  zk-local:
    source: { cluster: zkd }
    archive: { to: vault, prefix: zk-datadir-, every: 1h, keep: { daily: 7 } }
${extra}`,
  );
  return file;
}

/** The policy's S3 store, as hbr sees it. */
const s3Store = () =>
  openStore({ name: 's3', kind: 's3', bucket, prefix: 'archives/', endpoint: tb.HBR_TB_S3_ENDPOINT, forcePathStyle: true, at: { file: '', line: 1, col: 1 } });

/** testbed/up, then wait until the S3 server answers a real request again. */
async function s3BackUp(): Promise<void> {
  spawnSync('bash', [join(repoRoot, 'testbed', 'up')], { stdio: 'ignore' });
  const client = new S3Client({ endpoint: tb.HBR_TB_S3_ENDPOINT, region: tb.HBR_TB_S3_REGION, forcePathStyle: true });
  for (let i = 0; i < 60; i++) {
    try {
      await client.send(new ListBucketsCommand({}));
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error('the S3 server did not come back');
}

const env = () => ({ HBR_ZK_ADMIN_AUTH: `${src.auth.user}:${src.auth.password}` });

async function verifyZnodes(server: ZkServer): Promise<void> {
  const c = await zkConnect(server.connect);
  try {
    const children = await zkChildren(c, root);
    assert.is(children.length, ZNODES, `${children.length} znodes under ${root} after restore`);
    const mismatches = (await pipelined(children, 64, async (n) => (await zkGet(c, `${root}/${n}`)).data.equals(expected.get(n)!))).filter((ok) => !ok);
    assert.is(mismatches.length, 0, 'every znode has its data back');
  } finally {
    c.close();
  }
}

test.before(async () => {
  try {
    await setUp();
  } catch (err) {
    // uvu reports a failed hook only as "0 passed": say why.
    console.error('zookeeper-policy setup failed:', err);
    throw err;
  }
});

async function setUp(): Promise<void> {
  mkdirSync(localStore, { recursive: true });
  await new S3Client({ endpoint: tb.HBR_TB_S3_ENDPOINT, region: tb.HBR_TB_S3_REGION, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: bucket }));
  src = await startZk({ name: 'src', snapCount: 200 });
  servers.push(src);
  const c = await zkConnect(src.connect);
  await zkCreate(c, root, Buffer.from('root'));
  const names = Array.from({ length: ZNODES }, (_, i) => `n${String(i).padStart(4, '0')}`);
  for (const n of names) expected.set(n, Buffer.from(`${n}:${createHash('sha1').update(n).digest('hex')}`));
  await pipelined(names, 64, (n) => zkCreate(c, `${root}/${n}`, expected.get(n)!));
  c.close();
}

test.after(async () => {
  for (const s of servers) await s.destroy().catch(() => {});
});

test('1. apply writes each archive under the expected key with its checksum; a second plan within the interval is empty', async () => {
  const file = policyFile();
  const state = join(work, 'state');
  const r = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { ...env(), HBR_NOW: T0 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\+ zk\.archive/);
  assert.not.match(r.stdout + r.stderr, new RegExp(src.auth.password), 'the AdminServer password never appears in output');

  const s3 = s3Store();
  const local = openStore({ name: 'vault', kind: 'local', path: localStore, at: { file: '', line: 1, col: 1 } });
  const k1 = archiveKey('zk-admin-', Date.parse(T0));
  const k2 = archiveKey('zk-datadir-', Date.parse(T0));
  assert.equal((await s3.list('')).map((o) => o.key), [k1]);
  assert.equal((await local.list('')).map((o) => o.key), [k2]);
  for (const [store, key] of [[s3, k1], [local, k2]] as const) {
    const dest = join(work, `check-${key}`);
    const obj = await store.getFile(key, dest); // verifies the stored SHA-256 against the content
    assert.is(obj.sha256, createHash('sha256').update(readFileSync(dest)).digest('hex'));
  }

  const again = await hbr(['plan', '-f', file, '--state-dir', state, '--detailed-exitcode'], { ...env(), HBR_NOW: day(1 / 48) });
  assert.is(again.code, 0, again.stdout + again.stderr);
});

test('2. wipe and restore: admin archive from S3 through the AdminServer, datadir archive from the local store into an empty data dir', async () => {
  const file = policyFile();
  const b = await startZk({ name: 'restore-admin' });
  servers.push(b);
  const r1 = await hbr(['restore', 'zookeeper', '--policy', 'zk-s3', '--to-admin', b.adminUrl, '-f', file, '--auto-approve'], {
    HBR_ZK_RESTORE_AUTH: `${b.auth.user}:${b.auth.password}`,
  });
  assert.is(r1.code, 0, r1.stdout + r1.stderr);
  assert.match(r1.stdout, /~ restore\.zookeeper/);
  await verifyZnodes(b);

  const dataDir = join(work, 'restored-datadir');
  const r2 = await hbr(['restore', 'zookeeper', '--policy', 'zk-local', '--to-datadir', dataDir, '-f', file, '--auto-approve']);
  assert.is(r2.code, 0, r2.stdout + r2.stderr);
  const c = await startZk({ name: 'restore-datadir', dataDir });
  servers.push(c);
  await verifyZnodes(c);

  const refused = await hbr(['restore', 'zookeeper', '--policy', 'zk-local', '--to-datadir', dataDir, '-f', file, '--auto-approve']);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /not empty|non-empty/);
});

test('3. retention over a simulated clock keeps exactly the GFS set and never the last good archive', async () => {
  const file = policyFile(`  zk-ret:
    source: { cluster: zka }
    archive: { to: vault, prefix: ret/zk-, every: 1d, keep: { daily: 2 } }
`);
  const state = join(work, 'state-ret');
  for (let d = 0; d < 5; d++) {
    const r = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve', '--target', 'zk-ret'], { ...env(), HBR_NOW: day(d) });
    assert.is(r.code, 0, r.stdout + r.stderr);
  }
  const keys = readdirSync(join(localStore, 'ret')).filter((n) => n.endsWith('.tar.gz')).sort();
  assert.equal(keys, [archiveKey('zk-', Date.parse(day(3))), archiveKey('zk-', Date.parse(day(4)))]);
});

test('4. the S3 server is down: the run fails clearly, nothing partial is visible; after it returns the next apply succeeds', async () => {
  const file = policyFile();
  const state = join(work, 'state-down');
  const when = day(10);
  let r;
  spawnSync('bash', [join(repoRoot, 'testbed', 'down'), 's3'], { stdio: 'ignore' });
  try {
    r = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve', '--target', 'zk-s3'], { ...env(), HBR_NOW: when });
  } finally {
    await s3BackUp();
  }
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /could not observe s3|cannot list s3:\/\/|ECONNREFUSED/);
  const s3 = s3Store();
  assert.is(await s3.head(archiveKey('zk-admin-', Date.parse(when))), undefined);
  const ok = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve', '--target', 'zk-s3'], { ...env(), HBR_NOW: when });
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  assert.ok(await s3.head(archiveKey('zk-admin-', Date.parse(when))));
});

test('5. a corrupted archive (one byte flipped) is refused at restore with a checksum error', async () => {
  const file = policyFile();
  const key = archiveKey('zk-datadir-', Date.parse(T0));
  const path = join(localStore, key);
  const bytes = readFileSync(path);
  bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
  writeFileSync(path, bytes);
  const r = await hbr(['restore', 'zookeeper', '--policy', 'zk-local', '--archive', key, '--to-datadir', join(work, 'never'), '-f', file, '--auto-approve']);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /checksum mismatch/);
});

test('6. two hbr apply runs racing for the same archive: exactly one object is written', async () => {
  const file = policyFile(`  zk-race:
    source: { cluster: zka }
    archive: { to: s3, prefix: race-, every: 1h }
`);
  const when = day(20);
  await s3BackUp();
  const [a, b] = await Promise.all(
    ['race-a', 'race-b'].map((s) => hbr(['apply', '-f', file, '--state-dir', join(work, s), '--auto-approve', '--target', 'zk-race'], { ...env(), HBR_NOW: when })),
  );
  assert.is(a!.code, 0, a!.stdout + a!.stderr);
  assert.is(b!.code, 0, b!.stdout + b!.stderr);
  const s3 = s3Store();
  assert.equal((await s3.list('race-')).map((o) => o.key), [archiveKey('race-', Date.parse(when))]);
  // The loser lost somewhere: at the conditional create ("already exists"), at its own check
  // before taking a snapshot, or it observed the winner's archive and planned nothing. Never a
  // second write.
  const loser = [a!, b!].find((r) => !/Apply complete: 1 done/.test(r.stdout) || /already exists/.test(r.stdout));
  assert.ok(loser, `one run must have lost:\n${a!.stdout}\n${b!.stdout}`);
  assert.match(loser.stdout, /already exists \(written by another hbr run\)|No changes/);
  const dest = join(work, 'race-check');
  await s3.getFile(archiveKey('race-', Date.parse(when)), dest); // intact: its checksum verifies
});

test.run();
