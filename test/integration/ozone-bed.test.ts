/**
 * Smoke suite for the Ozone test bed (issue #14, first piece; testbed/README.md, "Ozone"): two real
 * single-node Ozone 2.2.0 clusters (the pair the Ozone suites share: sharedOzones in
 * test/helpers/ozone.ts; this suite keeps to its own uniq volumes). Proves what the
 * Ozone system will rely on: volumes and buckets made over the HttpFS gateway (WebHDFS MKDIRS on
 * ofs), keys written and read over it, CREATESNAPSHOT and LISTSTATUS of `<bucket>/.snapshot`, and the
 * guide's DistCp round between the clusters over ofs:// (full copy of a snapshot, same-named
 * snapshots, then `-update -diff s1 s2` copying only what changed), and `ozone sh snapshot diff`
 * (testbed/bin/ozone) for the diff the gateway does not serve.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { parseJobCounters, runHadoopOk } from '../../src/hadoop/cli.js';
import { WebHdfsError } from '../../src/hadoop/webhdfs.js';
import { sharedOzones, type Ozone } from '../helpers/ozone.js';
import { testbed, uniq } from '../helpers/testbed.js';

let primary: Ozone;
let dr: Ozone;
const hadoop = { hadoop: testbed().HBR_TB_HADOOP, timeoutMs: 240_000 };
// One DataNode per cluster: the client must ask for replication ONE (else "Cannot create pipeline
// ... RATIS/THREE"). A real cluster's own default applies there; see testbed/README.md.
const ONE = '-Dozone.replication=1';
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
// this run's volumes: the clusters are shared with the other Ozone suites
const VOL = uniq('vol-smoke');
const VOL_DR = uniq('vol-dr');

test.before(async () => {
  [primary, dr] = await sharedOzones();
});

test('a volume and a bucket are made over HttpFS (MKDIRS on ofs), on both clusters', async () => {
  for (const c of [primary, dr]) {
    assert.ok(await c.client.mkdirs(`/${VOL}/bucket-smoke`));
    const roots = (await c.client.listStatus('/')).map((s) => s.pathSuffix);
    assert.ok(roots.includes(VOL), `volumes: ${roots.join(',')}`);
    assert.is((await c.client.getFileStatus(`/${VOL}/bucket-smoke`)).type, 'DIRECTORY');
  }
  // Ozone's own rule, not the gateway's: bucket names are 3-63 characters.
  try {
    await primary.client.mkdirs(`/${VOL}/b2`);
    assert.unreachable('a 2-character bucket name was accepted');
  } catch (err) {
    assert.instance(err, WebHdfsError);
    assert.match((err as Error).message, 'too short');
  }
});

test('a key over HttpFS; CREATESNAPSHOT and LISTSTATUS of <bucket>/.snapshot; what HttpFS does not serve', async () => {
  const bucket = `/${VOL}/${uniq('snap')}`;
  const c = primary.client;
  assert.ok(await c.mkdirs(bucket));
  const body = randomBytes(40_000);
  await c.create(`${bucket}/dir/key.bin`, body);
  assert.is(sha(await c.open(`${bucket}/dir/key.bin`)), sha(body));
  assert.is((await c.getFileStatus(`${bucket}/dir/key.bin`)).length, body.length);

  assert.is(await c.createSnapshot(bucket, 'snap-one'), `${bucket}/.snapshot/snap-one`);
  await c.create(`${bucket}/later.txt`, Buffer.from('after the snapshot'));
  await c.createSnapshot(bucket, 'snap-two');
  const snaps = await c.listStatus(`${bucket}/.snapshot`);
  assert.equal(snaps.map((s) => s.pathSuffix).sort(), ['snap-one', 'snap-two']);
  // A snapshot's keys are read through the gateway like any path; the later key is not in the first.
  assert.is(sha(await c.open(`${bucket}/.snapshot/snap-one/dir/key.bin`)), sha(body));
  assert.equal((await c.listStatus(`${bucket}/.snapshot/snap-one`)).map((s) => s.pathSuffix), ['dir']);

  // Snapshot names are 3-63 characters.
  try {
    await c.createSnapshot(bucket, 's1');
    assert.unreachable('a 2-character snapshot name was accepted');
  } catch (err) {
    assert.instance(err, WebHdfsError);
  }
  // HttpFS on ofs answers GETSNAPSHOTDIFF "not supported" and has no GETSNAPSHOTLIST: the Ozone
  // system observes snapshots by LISTSTATUS of .snapshot, and diffs some other way.
  for (const call of [() => c.getSnapshotDiff(bucket, 'snap-one', 'snap-two'), () => c.getSnapshotList(bucket)]) {
    try {
      await call();
      assert.unreachable('HttpFS served a snapshot diff or list');
    } catch (err) {
      assert.instance(err, WebHdfsError);
    }
  }
  // The diff through `ozone sh` (testbed/bin/ozone): asynchronous, a job then its report. With
  // ozone.om.snapshot.diff.job.default.wait.time=1s the report is there within seconds, not a minute.
  const path = bucket.slice(1);
  assert.match(primary.sh(['snapshot', 'diff', path, 'snap-one', 'snap-two']), /Submitting a new job|Difference between/);
  let report = '';
  for (let i = 0; i < 20 && !/Difference between/.test(report); i++) {
    await new Promise((r) => setTimeout(r, 1000));
    report = primary.sh(['snapshot', 'diff', '--get-report', path, 'snap-one', 'snap-two']);
  }
  assert.match(report, /^\+\s+\.\/later\.txt$/m, report);
  assert.not.match(report, /key\.bin/, 'an unchanged key is not in the diff');
  const listed = JSON.parse(primary.sh(['snapshot', 'list', path])) as { name: string; snapshotStatus: string }[];
  assert.equal(listed.map((x) => `${x.name}:${x.snapshotStatus}`).sort(), ['snap-one:SNAPSHOT_ACTIVE', 'snap-two:SNAPSHOT_ACTIVE']);

  await c.deleteSnapshot(bucket, 'snap-two');
  assert.equal((await c.listStatus(`${bucket}/.snapshot`)).map((s) => s.pathSuffix), ['snap-one']);
});

test('DistCp between the clusters over ofs://: full copy of a snapshot, then -update -diff copies only the changes', async () => {
  const bucket = `/${VOL_DR}/${uniq('dcp')}`;
  const src = `${primary.ofs}${bucket}`;
  const dst = `${dr.ofs}${bucket}`;
  const p = primary.client;
  const d = dr.client;
  assert.ok(await p.mkdirs(bucket));
  assert.ok(await d.mkdirs(bucket));
  const keep = randomBytes(3 << 20);
  const moved = randomBytes(1 << 20);
  const gone = randomBytes(5_000);
  await p.create(`${bucket}/keep.bin`, keep);
  await p.create(`${bucket}/dir/moved.bin`, moved);
  await p.create(`${bucket}/dir/gone.txt`, gone);
  await p.create(`${bucket}/edit.txt`, Buffer.from('version 1'));
  await p.createSnapshot(bucket, 'snap-1');

  // Bootstrap: the snapshot's content, then the same-named snapshot on DR.
  const full = parseJobCounters((await runHadoopOk(['distcp', ONE, '-update', `${src}/.snapshot/snap-1`, dst], hadoop)).stderr)['DistCp Counters'];
  assert.ok(full, 'DistCp counters of the full copy');
  assert.is(full['Bytes Copied'], keep.length + moved.length + gone.length + 'version 1'.length);
  assert.is(full['Files Copied'], 4);
  await d.createSnapshot(bucket, 'snap-1');

  // Change the primary: edit a key, add one, rename one, delete one; then snapshot it.
  const edited = Buffer.from('version 2, longer');
  const added = randomBytes(7_000);
  await p.create(`${bucket}/edit.txt`, edited, { overwrite: true });
  await p.create(`${bucket}/dir/added.bin`, added);
  assert.ok(await p.rename(`${bucket}/dir/moved.bin`, `${bucket}/moved-here.bin`));
  assert.ok(await p.delete(`${bucket}/dir/gone.txt`));
  await p.createSnapshot(bucket, 'snap-2');

  const r = await runHadoopOk(['distcp', ONE, '-update', '-diff', 'snap-1', 'snap-2', src, dst], hadoop);
  const inc = parseJobCounters(r.stderr)['DistCp Counters'];
  assert.ok(inc, `no DistCp counters in:\n${r.stderr}`);
  // Only the edited and the added key's bytes: the rename and the delete are done on DR from the
  // snapshot diff, the untouched 3 MiB key is not read.
  assert.is(inc['Bytes Copied'], edited.length + added.length, r.stderr);
  assert.is(inc['Files Copied'], 2);
  await d.createSnapshot(bucket, 'snap-2');

  assert.is((await d.open(`${bucket}/edit.txt`)).toString(), edited.toString());
  assert.is(sha(await d.open(`${bucket}/dir/added.bin`)), sha(added));
  assert.is(sha(await d.open(`${bucket}/moved-here.bin`)), sha(moved));
  assert.is(sha(await d.open(`${bucket}/keep.bin`)), sha(keep));
  assert.is(await d.stat(`${bucket}/dir/gone.txt`), undefined, 'the deleted key is deleted on DR');
  assert.is(await d.stat(`${bucket}/dir/moved.bin`), undefined, 'the renamed key is not left at its old name');
  const tree = async (c: typeof p) => (await c.listStatus(bucket)).map((s) => `${s.pathSuffix}:${s.type}:${s.length}`).sort();
  assert.equal(await tree(d), await tree(p));
  assert.equal((await d.listStatus(`${bucket}/.snapshot`)).map((s) => s.pathSuffix).sort(), ['snap-1', 'snap-2']);
});

test.run();
