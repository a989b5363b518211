/**
 * The HDFS slice end to end on the real test bed: `hbr plan` / `hbr apply` against two real HDFS
 * clusters with real DistCp. Each test works under its own unique path.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { at, clusters, hbr, listFiles, snapshotNames, tempDir, throttledHadoop, treesIdentical, writePairPolicy, HBR, hbrEnv } from '../helpers/hbr.js';
import { uniq } from '../helpers/testbed.js';

const { primary, dr } = clusters();
const T0 = '2030-01-01T00:00:00.000Z';

interface ApplyJson {
  done: Array<{ id: string; outcome: { bytesCopied?: number; filesCopied?: number; note?: string } }>;
  failed: Array<{ id: string; error: string }>;
  plan: { steps: Array<{ id: string; kind: string; action: string; reason: string; params: Record<string, unknown> }> };
}

async function applyJson(file: string, state: string, now: string): Promise<ApplyJson> {
  const r = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve', '--json'], { HBR_NOW: now });
  assert.is(r.code, 0, `apply failed:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout) as ApplyJson;
}

async function planExit(file: string, state: string, now: string): Promise<{ code: number | null; out: string }> {
  const r = await hbr(['plan', '-f', file, '--state-dir', state, '--detailed-exitcode'], { HBR_NOW: now });
  return { code: r.code, out: r.stdout + r.stderr };
}

function copied(res: ApplyJson, kind: string): number {
  return res.done.filter((d) => d.id.startsWith(kind)).reduce((n, d) => n + (d.outcome.bytesCopied ?? 0), 0);
}

async function makeTree(dir: string, files: number, size: number, subdirs = 4): Promise<void> {
  await primary.mkdirs(dir);
  await Promise.all(
    Array.from({ length: files }, (_, i) => primary.create(`${dir}/sub${i % subdirs}/part-${String(i).padStart(4, '0')}.bin`, randomBytes(size))),
  );
}

test('1. first apply on a fresh pair: snapshot, bootstrap copy, same-named DR snapshot; then no changes', async () => {
  const id = uniq('fresh');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await makeTree(src, 12, 50_000);
  await primary.create(`${src}/top.txt`, Buffer.from('hello'));
  const dir = tempDir('fresh');
  const file = writePairPolicy(dir, { name: 'fresh', src, dst, rpo: '2h' });
  const state = join(dir, 'state');

  const plan = await planExit(file, state, T0);
  assert.is(plan.code, 2, plan.out);
  assert.match(plan.out, /\+ replicate\.bootstrap/);
  assert.match(plan.out, /Plan: \d+ to add/);

  const res = await applyJson(file, state, T0);
  assert.is(res.failed.length, 0);
  const snap = 'hbr-20300101T000000Z';
  assert.equal(await snapshotNames(primary, src), [snap]);
  assert.equal(await snapshotNames(dr, dst), [snap]);
  assert.is(copied(res, 'replicate.bootstrap'), 12 * 50_000 + 5);
  assert.is(await treesIdentical(primary, src, dr, dst), undefined);

  const again = await planExit(file, state, at(T0, 0.5));
  assert.is(again.code, 0, again.out);
  assert.match(again.out, /No changes/);
});

test('2. changing 1% of the data copies only the changed bytes; a renamed directory copies 0 bytes', async () => {
  const id = uniq('incr');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  const size = 100 * 1024;
  await makeTree(src, 100, size); // 10 MiB in 100 files
  const dir = tempDir('incr');
  const file = writePairPolicy(dir, { name: 'incr', src, dst });
  const state = join(dir, 'state');
  await applyJson(file, state, T0);

  // Rewrite one file of 100: 1% of the bytes.
  await primary.create(`${src}/sub1/part-0001.bin`, randomBytes(size), { overwrite: true });
  const res = await applyJson(file, state, at(T0, 1));
  const diffBytes = copied(res, 'replicate.distcp-diff');
  assert.is(diffBytes, size, `copied ${diffBytes} bytes for a ${size}-byte change of ${100 * size}`);
  assert.ok(res.plan.steps.some((s) => s.kind === 'replicate.distcp-diff' && s.params.fromSnapshot === 'hbr-20300101T000000Z'));
  assert.is(await treesIdentical(primary, src, dr, dst), undefined);

  await primary.rename(`${src}/sub2`, `${src}/sub2-renamed`);
  const res2 = await applyJson(file, state, at(T0, 2));
  assert.ok(res2.done.some((d) => d.id.startsWith('replicate.distcp-diff')), 'the rename is replicated by a diff step');
  assert.is(copied(res2, 'replicate.distcp-diff'), 0, 'a rename copies 0 bytes');
  assert.ok((await listFiles(dr, dst)).some((f) => f.startsWith('sub2-renamed/')));
  assert.is(await treesIdentical(primary, src, dr, dst), undefined);
});

test('3. retention over a simulated clock prunes exactly the expected snapshots and never a hand-made one', async () => {
  const id = uniq('retain');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await makeTree(src, 4, 1000);
  const dir = tempDir('retain');
  const file = writePairPolicy(dir, { name: 'retain', src, dst, keep: '{ hourly: 3 }', drKeep: '{ last: 2 }' });
  const state = join(dir, 'state');

  await applyJson(file, state, T0);
  await primary.createSnapshot(src, 'manual-before-upgrade'); // foreign: hbr must never touch it
  for (let h = 1; h <= 5; h++) {
    await primary.create(`${src}/tick-${h}.txt`, Buffer.from(String(h)));
    await applyJson(file, state, at(T0, h));
  }
  const name = (h: number) => `hbr-20300101T0${h}0000Z`;
  assert.equal(await snapshotNames(primary, src), [name(3), name(4), name(5), 'manual-before-upgrade'].sort());
  assert.equal(await snapshotNames(dr, dst), [name(4), name(5)]);
  assert.is(await treesIdentical(primary, src, dr, dst), undefined);
});

test('4. a file written on the DR target by hand is detected and repaired, shown as a repair', async () => {
  const id = uniq('repair');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await makeTree(src, 6, 10_000);
  const dir = tempDir('repair');
  const file = writePairPolicy(dir, { name: 'repair', src, dst });
  const state = join(dir, 'state');
  await applyJson(file, state, T0);

  await dr.create(`${dst}/written-on-dr-by-hand.txt`, Buffer.from('oops'));
  await dr.create(`${dst}/sub0/part-0000.bin`, randomBytes(10_000), { overwrite: true });
  const plan = await planExit(file, state, at(T0, 0.5));
  assert.is(plan.code, 2, plan.out);
  assert.match(plan.out, /~ replicate\.repair-target/);
  assert.match(plan.out, /-rdiff/);

  const res = await applyJson(file, state, at(T0, 0.5));
  assert.ok(res.done.some((d) => d.id.startsWith('replicate.repair-target')));
  assert.is(await treesIdentical(primary, src, dr, dst), undefined);
  assert.is((await planExit(file, state, at(T0, 0.5))).code, 0);

  // And the incremental chain works again after the repair.
  await primary.create(`${src}/after-repair.txt`, Buffer.from('next'));
  const res2 = await applyJson(file, state, at(T0, 1));
  assert.is(copied(res2, 'replicate.distcp-diff'), 4);
  assert.is(await treesIdentical(primary, src, dr, dst), undefined);
});

test('5. kill -9 of hbr apply in the middle of a distcp: the next apply converges, nothing lost or left running', async () => {
  const id = uniq('crash');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await makeTree(src, 4, 10_000);
  const dir = tempDir('crash');
  const file = writePairPolicy(dir, { name: 'crash', src, dst });
  const state = join(dir, 'state');
  await applyJson(file, state, T0);

  // A slow link: every DistCp of this test is throttled to 4 MB/s per map, so the 24 MB change
  // below takes several seconds to copy and the kill lands mid-copy.
  const slow = throttledHadoop(dir, 4);
  await Promise.all([0, 1, 2].map((i) => primary.create(`${src}/big-${i}.bin`, randomBytes(8 * 1024 * 1024))));

  // The kernel's parent-death signal (setpriv) would stop the JVM with hbr: turned off here, so
  // this proves the second line of defence, reaping at the next start (launchers that fork, no setpriv).
  const child = spawn(process.execPath, [HBR, 'apply', '-f', file, '--state-dir', state, '--auto-approve'], {
    env: hbrEnv({ HBR_NOW: at(T0, 1), HBR_HADOOP: slow, HBR_CHILD_PDEATHSIG: '0' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const children = join(state, 'children');
  const deadline = Date.now() + 60_000;
  while (!(existsSync(children) && readdirSync(children).length > 0)) {
    assert.ok(Date.now() < deadline, `distcp never started:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 5000)); // JVM up, job running, bytes flowing
  const rec = JSON.parse(readFileSync(join(children, readdirSync(children)[0]!), 'utf8')) as { pid: number };
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  assert.match(out, /replicate\.distcp-diff .*started/);
  assert.not.match(out, /replicate\.distcp-diff .*done/, 'the kill must land before the copy finished');
  let orphanAlive = true;
  try { process.kill(rec.pid, 0); } catch { orphanAlive = false; }
  assert.ok(orphanAlive, 'the DistCp JVM outlived hbr (what the next run must stop)');

  const journal = readFileSync(join(state, 'journal.jsonl'), 'utf8');
  assert.match(journal, /"event":"intent".*replicate\.distcp-diff/);

  const res = await applyJson(file, state, at(T0, 1));
  assert.is(res.failed.length, 0);
  let stillAlive = true;
  try { process.kill(rec.pid, 0); } catch { stillAlive = false; }
  assert.not.ok(stillAlive, 'the orphaned DistCp was stopped before the repair');
  assert.is(await treesIdentical(primary, src, dr, dst), undefined);
  assert.equal(await snapshotNames(dr, dst), await snapshotNames(primary, src));
  assert.is((await planExit(file, state, at(T0, 1))).code, 0);
});

test('apply refuses without a terminal unless --auto-approve, and refuses a stale saved plan', async () => {
  const id = uniq('stale');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await makeTree(src, 2, 1000);
  const dir = tempDir('stale');
  const file = writePairPolicy(dir, { name: 'stale', src, dst });
  const state = join(dir, 'state');

  const noTty = await hbr(['apply', '-f', file, '--state-dir', state], { HBR_NOW: T0 });
  assert.is(noTty.code, 1);
  assert.match(noTty.stderr, /--auto-approve/);
  assert.equal(await primary.getSnapshotList(src).catch(() => []), [], 'nothing was applied');

  const planFile = join(dir, 'saved.plan');
  const p = await hbr(['plan', '-f', file, '--state-dir', state, '--out', planFile], { HBR_NOW: T0 });
  assert.is(p.code, 0, p.stderr);
  // Someone else changes what hbr observed: the saved plan no longer describes the world.
  await primary.allowSnapshot(src);
  await primary.createSnapshot(src, 'someone-else');
  const stale = await hbr(['apply', planFile, '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: T0 });
  assert.is(stale.code, 1);
  assert.match(stale.stderr, /stale plan/);
  assert.equal(await snapshotNames(primary, src), ['someone-else'], 'nothing was applied');

  const p2 = await hbr(['plan', '-f', file, '--state-dir', state, '--out', planFile], { HBR_NOW: T0 });
  assert.is(p2.code, 0);
  const fresh = await hbr(['apply', planFile, '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: T0 });
  assert.is(fresh.code, 0, fresh.stdout + fresh.stderr);
  assert.match(fresh.stdout, /Apply complete/);
});

test.run();
