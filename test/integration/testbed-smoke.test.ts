/**
 * Smoke suite for the test bed: proves each server is the real thing and does what later issues
 * rely on. Runs against the servers started by testbed/up.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import zookeeper from 'node-zookeeper-client';
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  HeadObjectCommand,
} from '@aws-sdk/client-s3';
import { WebHdfs } from '../../src/hadoop/webhdfs.js';
import { parseJobCounters, runHadoopOk } from '../../src/hadoop/cli.js';
import { repoRoot, testbed, uniq } from '../helpers/testbed.js';

const execFileP = promisify(execFile);
const tb = testbed();
const primary = new WebHdfs({ baseUrl: tb.HBR_TB_PRIMARY_WEBHDFS, user: tb.HBR_TB_HDFS_USER });
const dr = new WebHdfs({ baseUrl: tb.HBR_TB_DR_WEBHDFS, user: tb.HBR_TB_HDFS_USER });

test('testbed/up is idempotent: a second call finds every server up', () => {
  const r = spawnSync('bash', [`${repoRoot}/testbed/up`], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  for (const name of ['primary', 'dr', 'zookeeper', 's3']) assert.match(r.stderr, `${name} already running`);
});

test('WebHDFS on primary: mkdirs, write, ALLOWSNAPSHOT, CREATESNAPSHOT, GETSNAPSHOTDIFF', async () => {
  const dir = `/smoke/${uniq('webhdfs')}`;
  assert.ok(await primary.mkdirs(dir));
  await primary.create(`${dir}/a.txt`, Buffer.from('alpha'));
  await primary.allowSnapshot(dir);
  assert.match(await primary.createSnapshot(dir, 's1'), `${dir}/.snapshot/s1`);
  await primary.create(`${dir}/b.txt`, Buffer.from('beta'));
  await primary.create(`${dir}/a.txt`, Buffer.from('alpha2'), { overwrite: true });
  await primary.createSnapshot(dir, 's2');

  const diff = await primary.getSnapshotDiff(dir, 's1', 's2');
  const kinds = diff.diffList.map((d) => `${d.type}:${d.sourcePath}`).sort();
  assert.ok(kinds.includes('CREATE:b.txt'), JSON.stringify(kinds));
  assert.ok(kinds.some((k) => k === 'MODIFY:a.txt' || k === 'CREATE:a.txt'), JSON.stringify(kinds));

  // Against the current state ('' = now): nothing changed since s2.
  assert.equal((await primary.getSnapshotDiff(dir, 's2', '')).diffList, []);
  const listed = (await primary.getSnapshottableDirectoryList()).map((d) => `${d.parentFullPath}/${d.dirStatus.pathSuffix}`.replace('//', '/'));
  assert.ok(listed.includes(dir), `snapshottable dirs ${listed.join(',')}`);
  assert.equal((await primary.getSnapshotList(dir)).map((s) => s.fullPath.split('/').pop()).sort(), ['s1', 's2']);
  assert.is((await primary.open(`${dir}/a.txt`)).toString(), 'alpha2');
});

test('hadoop distcp -update -diff across the two clusters copies only the changed file', async () => {
  const name = uniq('distcp');
  const src = `/smoke/${name}/src`;
  const dst = `/smoke/${name}/dst`;
  const hadoop = { hadoop: tb.HBR_TB_HADOOP, timeoutMs: 180_000 };
  await primary.mkdirs(src);
  const unchanged = randomBytes(256 * 1024);
  await primary.create(`${src}/big.bin`, unchanged);
  await primary.create(`${src}/small.txt`, Buffer.from('v1'));
  await primary.allowSnapshot(src);
  await primary.createSnapshot(src, 's1');

  // Bootstrap: full copy of s1, then the same-named snapshot on DR.
  await runHadoopOk(['distcp', '-update', `${tb.HBR_TB_PRIMARY_FS}${src}/.snapshot/s1`, `${tb.HBR_TB_DR_FS}${dst}`], hadoop);
  await dr.allowSnapshot(dst);
  await dr.createSnapshot(dst, 's1');

  const changed = randomBytes(10_000);
  await primary.create(`${src}/changed.bin`, changed);
  await primary.createSnapshot(src, 's2');

  const r = await runHadoopOk(['distcp', '-update', '-diff', 's1', 's2', `${tb.HBR_TB_PRIMARY_FS}${src}`, `${tb.HBR_TB_DR_FS}${dst}`], hadoop);
  const counters = parseJobCounters(r.stderr)['DistCp Counters'];
  assert.ok(counters, `no DistCp counters in:\n${r.stderr}`);
  assert.is(counters['Bytes Copied'], changed.length, 'only the new file is copied');
  assert.is(counters['Files Copied'], 1);

  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  assert.is(sha(await dr.open(`${dst}/changed.bin`)), sha(changed));
  assert.is(sha(await dr.open(`${dst}/big.bin`)), sha(unchanged));
  assert.is((await dr.open(`${dst}/small.txt`)).toString(), 'v1');
  const [a, b] = await Promise.all([primary.getFileChecksum(`${src}/changed.bin`), dr.getFileChecksum(`${dst}/changed.bin`)]);
  assert.is(b.bytes, a.bytes, 'HDFS checksums agree across clusters');
});

const s3 = new S3Client({
  endpoint: tb.HBR_TB_S3_ENDPOINT,
  region: tb.HBR_TB_S3_REGION,
  forcePathStyle: true,
  credentials: { accessKeyId: tb.HBR_TB_S3_ACCESS_KEY, secretAccessKey: tb.HBR_TB_S3_SECRET_KEY },
});

test('S3: put, get, list, multipart upload, and If-None-Match: * refuses an overwrite', async () => {
  const Bucket = uniq('smoke');
  await s3.send(new CreateBucketCommand({ Bucket }));
  await s3.send(new PutObjectCommand({ Bucket, Key: 'a/one.txt', Body: 'one' }));
  const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'a/one.txt' }));
  assert.is(await got.Body!.transformToString(), 'one');

  const part1 = randomBytes(5 * 1024 * 1024);
  const part2 = randomBytes(1234);
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'a/multi.bin' }));
  const p1 = await s3.send(new UploadPartCommand({ Bucket, Key: 'a/multi.bin', UploadId, PartNumber: 1, Body: part1 }));
  const p2 = await s3.send(new UploadPartCommand({ Bucket, Key: 'a/multi.bin', UploadId, PartNumber: 2, Body: part2 }));
  await s3.send(new CompleteMultipartUploadCommand({
    Bucket, Key: 'a/multi.bin', UploadId,
    MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] },
  }));
  const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'a/multi.bin' }));
  assert.is(head.ContentLength, part1.length + part2.length);
  const multi = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket, Key: 'a/multi.bin' }))).Body!.transformToByteArray());
  assert.ok(multi.equals(Buffer.concat([part1, part2])), 'multipart content round-trips');

  const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'a/' }));
  assert.equal((listed.Contents ?? []).map((o) => o.Key).sort(), ['a/multi.bin', 'a/one.txt']);

  // Conditional create: the first succeeds, the second is refused and the object is unchanged.
  await s3.send(new PutObjectCommand({ Bucket, Key: 'a/once.txt', Body: 'first', IfNoneMatch: '*' }));
  let status: number | undefined;
  try {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'a/once.txt', Body: 'second', IfNoneMatch: '*' }));
  } catch (err) {
    status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  }
  assert.is(status, 412, 'second conditional PutObject is rejected with 412 Precondition Failed');
  assert.is(await (await s3.send(new GetObjectCommand({ Bucket, Key: 'a/once.txt' }))).Body!.transformToString(), 'first');
});

function zkConnect(connect: string): Promise<zookeeper.Client> {
  return new Promise((resolve, reject) => {
    const client = zookeeper.createClient(connect, { sessionTimeout: 10_000, retries: 2 });
    const timer = setTimeout(() => reject(new Error(`no ZooKeeper session with ${connect} in 15s`)), 15_000);
    client.once('connected', () => { clearTimeout(timer); resolve(client); });
    client.connect();
  });
}

test('ZooKeeper: a znode created with a client is in the AdminServer streamed snapshot', async () => {
  const client = await zkConnect(tb.HBR_TB_ZK_CONNECT);
  const path = `/${uniq('smoke')}`;
  const data = Buffer.from('hbr-smoke-' + randomBytes(8).toString('hex'));
  try {
    await new Promise<void>((res, rej) => client.create(path, data, (e) => (e ? rej(e) : res())));
    const stat = await new Promise<zookeeper.Stat>((res, rej) => client.exists(path, (e, s) => (e ? rej(e) : res(s))));
    const czxid = (stat.czxid as Buffer).readBigInt64BE(0);

    const auth = `digest ${tb.HBR_TB_ZK_ADMIN_USER}:${tb.HBR_TB_ZK_ADMIN_PASSWORD}`;
    const unauth = await fetch(`${tb.HBR_TB_ZK_ADMIN}/commands/snapshot?streaming=true`);
    assert.ok(unauth.status >= 400, `snapshot without auth must be refused, got ${unauth.status}`);

    const res = await fetch(`${tb.HBR_TB_ZK_ADMIN}/commands/snapshot?streaming=true`, { headers: { authorization: auth } });
    assert.is(res.status, 200);
    const body = Buffer.from(await res.arrayBuffer());
    assert.ok(body.length > 0, 'snapshot is not empty');
    const lastZxid = BigInt(res.headers.get('last_zxid') ?? 'x');
    assert.ok(lastZxid >= czxid, `last_zxid ${lastZxid} >= create zxid ${czxid}`);
    assert.ok(body.includes(data), 'the znode data is inside the snapshot stream');
  } finally {
    await new Promise<void>((res) => client.remove(path, () => res()));
    client.close();
  }
});


/**
 * Run testbed/NAME asynchronously: with spawnSync the event loop would sleep through the restart,
 * and fetch would then reuse a keep-alive socket of the stopped server ("fetch failed").
 */
async function testbedCmd(...args: string[]): Promise<void> {
  try {
    await execFileP('bash', [`${repoRoot}/testbed/${args[0]}`, ...args.slice(1)], { env: process.env });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    assert.unreachable(`testbed/${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

// Last: it restarts the DR cluster (the suites after this one find it running again).
test('testbed/down dr + testbed/up keeps the DR namespace: a file and a snapshot survive the restart', async () => {
  const dir = `/smoke/${uniq('restart')}`;
  const data = randomBytes(64 * 1024);
  await dr.mkdirs(dir);
  await dr.create(`${dir}/kept.bin`, data);
  await dr.allowSnapshot(dir);
  await dr.createSnapshot(dir, 'before-restart');

  await testbedCmd('down', 'dr');
  await testbedCmd('up');

  const st = await dr.stat(`${dir}/kept.bin`);
  assert.ok(st, `${dir}/kept.bin is gone after the restart: the DR cluster was formatted again`);
  assert.ok((await dr.open(`${dir}/kept.bin`)).equals(data), 'the file content survives the restart');
  assert.equal((await dr.getSnapshotList(dir)).map((s) => s.fullPath.split('/').pop()), ['before-restart']);
  assert.ok((await dr.open(`${dir}/.snapshot/before-restart/kept.bin`)).equals(data), 'the snapshot holds the file');
});

test.run();
