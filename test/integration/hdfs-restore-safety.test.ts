/**
 * `hbr restore hdfs` safety on the real test bed (issue #11 review; docs/restore.md): the restore
 * takes the ZooKeeper apply lock as `hbr apply` does; it acts only on the destination the plan saw
 * (a change between the plan and the copy is refused, extras are deleted one by one as listed); it
 * removes only its own DistCp leftovers; a failed-over pair restores onto the writable DR copy.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireZkLock } from '../../src/daemon/coordination.js';
import { clusters, hbr, hbrEnv, HBR, listFiles, tempDir, throttledHadoop, treesIdentical, writePairPolicy } from '../helpers/hbr.js';
import { testbed, uniq } from '../helpers/testbed.js';
import { zkConnect, zkProxy } from '../helpers/zk.js';

const { primary, dr } = clusters();
const tb = testbed();
const T0 = '2030-01-01T00:00:00.000Z';
const T1 = '2030-01-01T00:30:00.000Z';
const SNAP = 'hbr-20300101T000000Z';

/**
 * `hbr restore hdfs ...` in a terminal (util-linux `script` gives it a pty), as an operator runs it:
 * the plan is shown, `meanwhile` runs while the question waits, then 'yes' is typed.
 */
async function confirmedRestore(args: string[], meanwhile: () => Promise<void>): Promise<{ code: number | null; out: string }> {
  const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const cmd = [process.execPath, HBR, 'restore', 'hdfs', ...args].map(q).join(' ');
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env: hbrEnv({ HBR_NOW: T1 }), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const deadline = Date.now() + 60_000;
  while (!/Only 'yes' will be accepted/.test(out)) {
    assert.ok(Date.now() < deadline && child.exitCode === null, `no question asked:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await meanwhile();
  child.stdin.write('yes\n');
  const code = await new Promise<number | null>((r) => child.on('close', r));
  return { code, out };
}

async function setup(name: string, files: Record<string, number>, extra = ''): Promise<{ src: string; dst: string; file: string; state: string; dir: string }> {
  const id = uniq(name);
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await primary.mkdirs(src);
  await Promise.all(Object.entries(files).map(([p, size]) => primary.create(`${src}/${p}`, randomBytes(size))));
  const dir = tempDir(name);
  const file = writePairPolicy(dir, { name, src, dst });
  if (extra) writeFileSync(file, readFileSync(file, 'utf8').replace('version: 1\n', `version: 1\n${extra}`));
  const state = join(dir, 'state');
  const r = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: T0 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  return { src, dst, file, state, dir };
}

test('4. with the ZooKeeper apply lock held by another holder, hbr restore refuses with the words hbr apply uses, copying nothing', async () => {
  const zkPath = `/hbr-it/${uniq('rlock')}`;
  const s = await setup('restore-lock', { 'victim/a.bin': 1000, 'victim/b.bin': 2000 }, `coordination:\n  zookeeper: { connect: "${tb.HBR_TB_ZK_CONNECT}", path: ${zkPath}, session_timeout: 4s }\n`);
  await primary.delete(`${s.src}/victim`, true);
  const held = await acquireZkLock({ connect: tb.HBR_TB_ZK_CONNECT, path: zkPath, sessionTimeout: 4_000 }, { host: 'elsewhere', pid: 4242, startedAt: Date.now() });
  try {
    const r = await hbr(['restore', 'hdfs', '-f', s.file, '--state-dir', s.state, '--policy', 'restore-lock', '--auto-approve'], { HBR_NOW: T1 });
    const a = await hbr(['apply', '-f', s.file, '--state-dir', s.state, '--auto-approve'], { HBR_NOW: T1 });
    assert.is(a.code, 1, a.stdout + a.stderr);
    assert.is(r.code, 1, r.stdout + r.stderr);
    const said = (x: string) => x.split('\n').find((l) => /apply lock/.test(l));
    assert.ok(said(a.stderr), a.stderr);
    assert.match(a.stderr, /held by hbr pid 4242 on elsewhere/);
    assert.is(said(r.stderr), said(a.stderr));
    assert.equal(await listFiles(primary, s.src), [], 'nothing was copied');
  } finally {
    await held.release();
  }
  // Once released, the same restore runs.
  const ok = await hbr(['restore', 'hdfs', '-f', s.file, '--state-dir', s.state, '--policy', 'restore-lock', '--auto-approve'], { HBR_NOW: T1 });
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  assert.equal((await listFiles(primary, s.src)).sort(), ['victim/a.bin', 'victim/b.bin']);
});

test('4b. the ZooKeeper apply lock lost mid-DistCp (network cut): the restore stops, its DistCp killed, exit 1 naming why; the re-run converges', async () => {
  const zkPath = `/hbr-it/${uniq('rlost')}`;
  const s = await setup('restore-lost', { 'big/a.bin': 8 << 20, 'big/b.bin': 8 << 20 });
  await primary.delete(`${s.src}/big`, true);
  const proxy = await zkProxy(tb.HBR_TB_ZK_CONNECT);
  const plain = readFileSync(s.file, 'utf8');
  const withConnect = (connect: string) =>
    writeFileSync(s.file, plain.replace('version: 1\n', `version: 1\ncoordination:\n  zookeeper: { connect: "${connect}", path: ${zkPath}, session_timeout: 4s }\n`));
  withConnect(proxy.connect);
  const child = spawn(process.execPath, [HBR, 'restore', 'hdfs', '-f', s.file, '--state-dir', s.state, '--policy', 'restore-lost', '--auto-approve'], {
    env: hbrEnv({ HBR_NOW: T1, HBR_HADOOP: throttledHadoop(s.dir, 1) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const children = join(s.state, 'children');
  const deadline = Date.now() + 90_000;
  while (!(existsSync(children) && readdirSync(children).length > 0)) {
    assert.ok(Date.now() < deadline && child.exitCode === null, `distcp never started:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await proxy.close(); // cut, for good
  const code = await new Promise<number | null>((r) => child.on('close', r));
  assert.is(code, 1, out);
  assert.match(out, /restore stopped: lost the ZooKeeper apply lock/);
  assert.equal(readdirSync(children), [], 'its DistCp was killed and forgotten');
  withConnect(tb.HBR_TB_ZK_CONNECT);
  // The cut session's lock znode goes when ZooKeeper expires the session (4 s).
  const c = await zkConnect(tb.HBR_TB_ZK_CONNECT);
  try {
    const until = Date.now() + 30_000;
    while (await new Promise<boolean>((resolve, reject) => c.exists(`${zkPath}/lock`, (e, st) => (e ? reject(e) : resolve(!!st))))) {
      assert.ok(Date.now() < until, 'the lost session expires');
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    c.close();
  }
  const again = await hbr(['restore', 'hdfs', '-f', s.file, '--state-dir', s.state, '--policy', 'restore-lost', '--auto-approve'], { HBR_NOW: T1 });
  assert.is(again.code, 0, again.stdout + again.stderr);
  assert.is(await treesIdentical(primary, `${s.src}/.snapshot/${SNAP}/big`, primary, `${s.src}/big`), undefined);
});

test('1a. a file written where the plan copies, while the operator reads the plan: refused, nothing copied, the new file kept', async () => {
  const s = await setup('restore-race', { 'victim/a.bin': 3000, 'victim/b.bin': 4000, 'keep/k.txt': 10 });
  await primary.delete(`${s.src}/victim`, true);
  const r = await confirmedRestore(['-f', s.file, '--state-dir', s.state, '--policy', 'restore-race'], async () => {
    await primary.create(`${s.src}/victim/a.bin`, Buffer.from('written by the application after the plan'));
  });
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /the destination changed since the plan; plan again/);
  assert.match(r.out, /victim\/a\.bin: appeared/);
  assert.is((await primary.open(`${s.src}/victim/a.bin`)).toString(), 'written by the application after the plan');
  assert.equal((await listFiles(primary, s.src)).sort(), ['keep/k.txt', 'victim/a.bin'], 'nothing copied');
  // Planned again, it lists the new file as differing and kept, and copies only b.bin.
  const again = await hbr(['restore', 'hdfs', '-f', s.file, '--state-dir', s.state, '--policy', 'restore-race', '--auto-approve'], { HBR_NOW: T1 });
  assert.is(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /! victim\/a\.bin/);
  assert.is((await primary.open(`${s.src}/victim/a.bin`)).toString(), 'written by the application after the plan');
  assert.ok(await primary.stat(`${s.src}/victim/b.bin`));
});

test('1b. --overwrite: a file created after the plan is never deleted; extras are deleted one by one as listed', async () => {
  const s = await setup('restore-over', { 'keep/a.txt': 100, 'keep/b.txt': 200 });
  await primary.create(`${s.src}/keep/extra-1.txt`, Buffer.from('not in the recovery point'));
  await primary.create(`${s.src}/keep/extra-2.txt`, Buffer.from('not in the recovery point either'));
  const args = ['-f', s.file, '--state-dir', s.state, '--policy', 'restore-over', '--path', 'keep', '--overwrite'];
  const r = await confirmedRestore(args, async () => {
    await primary.create(`${s.src}/keep/late.txt`, Buffer.from('created after the plan'));
  });
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /- extra-1\.txt/);
  assert.match(r.out, /the destination changed since the plan; plan again/);
  assert.match(r.out, /late\.txt: appeared/);
  assert.equal((await listFiles(primary, `${s.src}/keep`)).sort(), ['a.txt', 'b.txt', 'extra-1.txt', 'extra-2.txt', 'late.txt'], 'nothing deleted');
  // Planned again (late.txt now listed): exactly the listed extras go, one DELETE each, counted.
  await primary.delete(`${s.src}/keep/late.txt`);
  const ok = await hbr(['restore', 'hdfs', ...args, '--json', '--auto-approve'], { HBR_NOW: T1 });
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  const lines = ok.stdout.trim().split('\n');
  const result = JSON.parse(lines[lines.length - 1]!) as { deleted: number };
  assert.is(result.deleted, 2);
  assert.is(await treesIdentical(primary, `${s.src}/.snapshot/${SNAP}/keep`, primary, `${s.src}/keep`), undefined);
});

test("2a. a .distcp.tmp.* file hbr cannot prove its own (another DistCp's) is listed and left alone", async () => {
  const s = await setup('restore-foreign', { 'victim/a.bin': 3000, 'keep/k.txt': 10 });
  await primary.delete(`${s.src}/victim`, true);
  const foreign = `${s.src}/keep/.distcp.tmp.attempt_local0001_m_000000_0.1700000000000`;
  await primary.create(foreign, Buffer.from('someone else is copying'));
  const r = await hbr(['restore', 'hdfs', '-f', s.file, '--state-dir', s.state, '--policy', 'restore-foreign', '--auto-approve', '--overwrite'], { HBR_NOW: T1 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /not hbr's .*left alone/);
  assert.is((await primary.open(foreign)).toString(), 'someone else is copying');
  assert.ok(await primary.stat(`${s.src}/victim/a.bin`));
});

test('2b. hbr restore killed mid-DistCp: the re-run removes its own leftovers, completes, verifies; the record is closed', async () => {
  const s = await setup('restore-kill2', { 'big/a.bin': 8 << 20, 'big/b.bin': 8 << 20, 'big/c.bin': 8 << 20 });
  await primary.delete(`${s.src}/big`, true);
  const slow = throttledHadoop(s.dir, 1);
  const child = spawn(process.execPath, [HBR, 'restore', 'hdfs', '-f', s.file, '--state-dir', s.state, '--policy', 'restore-kill2', '--auto-approve'], {
    env: hbrEnv({ HBR_NOW: T1, HBR_HADOOP: slow }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const deadline = Date.now() + 90_000;
  // Killed once DistCp writes its temporary files at the destination.
  const temps = async () => (await listFiles(primary, s.src).catch(() => [] as string[])).filter((f) => /\.distcp\.tmp\./.test(f));
  while ((await temps()).length === 0) {
    assert.ok(Date.now() < deadline && child.exitCode === null, `distcp never wrote:\n${err}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  const records = join(s.state, 'restores');
  assert.ok(readdirSync(records).some((n) => n.endsWith('.json')), 'the intent was recorded');

  const plan = await hbr(['restore', 'hdfs', '-f', s.file, '--state-dir', s.state, '--policy', 'restore-kill2', '--json'], { HBR_NOW: T1 });
  assert.match(plan.stdout, /"leftovers": \[\s*"\.distcp\.tmp\./, plan.stdout);
  const r = await hbr(['restore', 'hdfs', '-f', s.file, '--state-dir', s.state, '--policy', 'restore-kill2', '--auto-approve'], { HBR_NOW: T1 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /checksums verified/);
  assert.equal(await temps(), [], 'leftovers removed');
  assert.is(await treesIdentical(primary, `${s.src}/.snapshot/${SNAP}/big`, primary, `${s.src}/big`), undefined);
  assert.ok(!readdirSync(records).some((n) => n.endsWith('.json')), 'no unfinished record');
  assert.ok(existsSync(join(records, 'history.jsonl')));
});

test('3. a failed-over pair: the restore goes onto the writable DR copy from its own newest snapshot; the old primary only with --onto-source, said loudly', async () => {
  const s = await setup('restore-fo', { 'victim/a.bin': 3000, 'victim/b.bin': 4000, 'keep/k.txt': 10 });
  const fo = await hbr(['failover', '--policy', 'restore-fo', '-f', s.file, '--state-dir', s.state, '--auto-approve'], { HBR_NOW: '2030-01-01T00:20:00.000Z' });
  assert.is(fo.code, 0, fo.stdout + fo.stderr);
  // The applications now write the DR copy; its snapshot of 01:30 is the policy's newest.
  await dr.create(`${s.dst}/keep/written-on-dr.txt`, Buffer.from('after the failover'));
  const ap = await hbr(['apply', '-f', s.file, '--state-dir', s.state, '--auto-approve'], { HBR_NOW: '2030-01-01T01:30:00.000Z' });
  assert.is(ap.code, 0, ap.stdout + ap.stderr);
  assert.ok((await dr.getSnapshotList(s.dst)).some((x) => x.dirStatus.pathSuffix === 'hbr-20300101T013000Z'), ap.stdout);
  await dr.delete(`${s.dst}/victim`, true);
  const primaryBefore = (await listFiles(primary, s.src)).sort();
  const NOW = { HBR_NOW: '2030-01-01T02:00:00.000Z' };
  const base = ['restore', 'hdfs', '-f', s.file, '--state-dir', s.state, '--policy', 'restore-fo'];

  const text = await hbr(base, NOW);
  assert.match(text.stdout, /THE PAIR IS FAILED OVER/);
  assert.match(text.stdout, new RegExp(`restore\\.hdfs  dr:${s.dst} <- dr:${s.dst}/\\.snapshot/hbr-20300101T013000Z`));
  const r = await hbr([...base, '--auto-approve', '--json'], NOW);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const plan = JSON.parse(r.stdout.trim().split('\n').slice(0, -1).join('\n')) as { restore: { to: { cluster: string }; failedOver?: { writable: string }; files: number } };
  assert.is(plan.restore.to.cluster, 'dr');
  assert.is(plan.restore.failedOver?.writable, `dr:${s.dst}`);
  assert.is(plan.restore.files, 2, 'only the deleted files');
  assert.is(await treesIdentical(dr, `${s.dst}/.snapshot/hbr-20300101T013000Z`, dr, s.dst), undefined);
  assert.equal((await listFiles(primary, s.src)).sort(), primaryBefore, 'the old primary untouched');

  // Onto the old primary: only when asked, and the plan says so.
  const old = await hbr([...base, '--onto-source'], NOW);
  assert.match(old.stdout, /RESTORING ONTO THE OLD PRIMARY/);
  assert.match(old.stdout, new RegExp(`restore\\.hdfs  primary:${s.src} <- `));
});

test.run();
