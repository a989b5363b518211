/**
 * The HDFS DR cases (bootstrap, incremental, retention, repair, kill -9 mid-DistCp) written once and
 * run on two beds: the plain test bed (test/integration/hdfs-dr.test.ts: simple auth, one NameNode
 * per cluster, DistCp in the local job runner) and the secure one (test/secure/hdfs-dr-secure.test.ts:
 * Kerberos, HTTPS only, the HA primary hbrns, a Kerberized DR, DistCp as a MapReduce job on the
 * Kerberized YARN). A case only speaks to a bed through `DrBed`; each works under its own unique path.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import type { WebHdfs } from '../../src/hadoop/webhdfs.js';
import { at, listFiles, pidAlive, snapshotNames, tempDir, treesIdentical, type HbrResult } from './hbr.js';
import { uniq } from './testbed.js';

export interface PairPolicy {
  name: string;
  src: string;
  dst: string;
  keep?: string;
  drKeep?: string;
  rpo?: string;
  /** every DistCp of this policy slow enough (a few MB/s in all) for a kill to land mid-copy */
  slow?: boolean;
}

export interface DrBed {
  /** read when a test runs, not when the cases are registered */
  readonly primary: WebHdfs;
  readonly dr: WebHdfs;
  /** the policy file in `dir` pairing the bed's primary:<src> with its dr:<dst>, and the environment every hbr run of it takes */
  writePolicy(dir: string, o: PairPolicy): { file: string; env: Record<string, string> };
  /** `hbr ARGS` on this bed (its launcher, its login), to the end */
  hbr(args: string[], env: Record<string, string>): Promise<HbrResult>;
  /** `hbr ARGS` on this bed, running (for a kill) */
  spawnHbr(args: string[], env: Record<string, string>): ChildProcess;
  /** on YARN: the ResourceManager's state of an application (RUNNING, KILLED, …) */
  appState?: (appId: string) => Promise<string>;
}

export interface ApplyJson {
  done: Array<{ id: string; outcome: { bytesCopied?: number; filesCopied?: number; note?: string } }>;
  failed: Array<{ id: string; error: string }>;
  plan: { steps: Array<{ id: string; kind: string; action: string; reason: string; params: Record<string, unknown> }> };
}

export const T0 = '2030-01-01T00:00:00.000Z';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function copied(res: ApplyJson, kind: string): number {
  return res.done.filter((d) => d.id.startsWith(kind)).reduce((n, d) => n + (d.outcome.bytesCopied ?? 0), 0);
}

/** Registers the DR cases on `test` against `bed`. */
export function drCases(test: Test, bed: DrBed): void {

  async function applyJson(p: { file: string; env: Record<string, string> }, state: string, now: string): Promise<ApplyJson> {
    const r = await bed.hbr(['apply', '-f', p.file, '--state-dir', state, '--auto-approve', '--json'], { ...p.env, HBR_NOW: now });
    assert.is(r.code, 0, `apply failed:\n${r.stdout}\n${r.stderr}`);
    return JSON.parse(r.stdout) as ApplyJson;
  }

  async function planExit(p: { file: string; env: Record<string, string> }, state: string, now: string): Promise<{ code: number | null; out: string }> {
    const r = await bed.hbr(['plan', '-f', p.file, '--state-dir', state, '--detailed-exitcode'], { ...p.env, HBR_NOW: now });
    return { code: r.code, out: r.stdout + r.stderr };
  }

  async function makeTree(dir: string, files: number, size: number, subdirs = 4): Promise<void> {
    await bed.primary.mkdirs(dir);
    await Promise.all(
      Array.from({ length: files }, (_, i) => bed.primary.create(`${dir}/sub${i % subdirs}/part-${String(i).padStart(4, '0')}.bin`, randomBytes(size))),
    );
  }

  function pair(tag: string, extra: Partial<PairPolicy> = {}) {
    const id = uniq(tag);
    const src = `/it/${id}/data`;
    const dst = `/it-dr/${id}/data`;
    const dir = tempDir(tag);
    const policy = bed.writePolicy(dir, { name: tag, src, dst, ...extra });
    return { src, dst, dir, policy, state: join(dir, 'state') };
  }

  test('1. first apply on a fresh pair: snapshot, bootstrap copy, same-named DR snapshot; then no changes', async () => {
    const { primary, dr } = bed; // read when the test runs (a bed's clients exist after its before hook)
    const { src, dst, policy, state } = pair('fresh', { rpo: '2h' });
    await makeTree(src, 12, 50_000);
    await primary.create(`${src}/top.txt`, Buffer.from('hello'));

    const plan = await planExit(policy, state, T0);
    assert.is(plan.code, 2, plan.out);
    assert.match(plan.out, /\+ replicate\.bootstrap/);
    assert.match(plan.out, /Plan: \d+ to add/);

    const res = await applyJson(policy, state, T0);
    assert.is(res.failed.length, 0);
    const snap = 'hbr-20300101T000000Z';
    assert.equal(await snapshotNames(primary, src), [snap]);
    assert.equal(await snapshotNames(dr, dst), [snap]);
    assert.is(copied(res, 'replicate.bootstrap'), 12 * 50_000 + 5);
    assert.is(await treesIdentical(primary, src, dr, dst), undefined);

    const again = await planExit(policy, state, at(T0, 0.5));
    assert.is(again.code, 0, again.out);
    assert.match(again.out, /No changes/);
  });

  test('2. changing 1% of the data copies only the changed bytes; a renamed directory copies 0 bytes', async () => {
    const { primary, dr } = bed; // read when the test runs (a bed's clients exist after its before hook)
    const { src, dst, policy, state } = pair('incr');
    const size = 100 * 1024;
    await makeTree(src, 100, size); // 10 MiB in 100 files
    await applyJson(policy, state, T0);

    // Rewrite one file of 100: 1% of the bytes.
    await primary.create(`${src}/sub1/part-0001.bin`, randomBytes(size), { overwrite: true });
    const res = await applyJson(policy, state, at(T0, 1));
    const diffBytes = copied(res, 'replicate.distcp-diff');
    assert.is(diffBytes, size, `copied ${diffBytes} bytes for a ${size}-byte change of ${100 * size}`);
    assert.ok(res.plan.steps.some((s) => s.kind === 'replicate.distcp-diff' && s.params.fromSnapshot === 'hbr-20300101T000000Z'));
    assert.is(await treesIdentical(primary, src, dr, dst), undefined);

    await primary.rename(`${src}/sub2`, `${src}/sub2-renamed`);
    const res2 = await applyJson(policy, state, at(T0, 2));
    assert.ok(res2.done.some((d) => d.id.startsWith('replicate.distcp-diff')), 'the rename is replicated by a diff step');
    assert.is(copied(res2, 'replicate.distcp-diff'), 0, 'a rename copies 0 bytes');
    assert.ok((await listFiles(dr, dst)).some((f) => f.startsWith('sub2-renamed/')));
    assert.is(await treesIdentical(primary, src, dr, dst), undefined);
  });

  test('3. retention over a simulated clock prunes exactly the expected snapshots and never a hand-made one', async () => {
    const { primary, dr } = bed; // read when the test runs (a bed's clients exist after its before hook)
    const { src, dst, policy, state } = pair('retain', { keep: '{ hourly: 3 }', drKeep: '{ last: 2 }' });
    await makeTree(src, 4, 1000);

    await applyJson(policy, state, T0);
    await primary.createSnapshot(src, 'manual-before-upgrade'); // foreign: hbr must never touch it
    for (let h = 1; h <= 5; h++) {
      await primary.create(`${src}/tick-${h}.txt`, Buffer.from(String(h)));
      await applyJson(policy, state, at(T0, h));
    }
    const name = (h: number) => `hbr-20300101T0${h}0000Z`;
    assert.equal(await snapshotNames(primary, src), [name(3), name(4), name(5), 'manual-before-upgrade'].sort());
    assert.equal(await snapshotNames(dr, dst), [name(4), name(5)]);
    assert.is(await treesIdentical(primary, src, dr, dst), undefined);
  });

  test('4. a file written on the DR target by hand is detected and repaired, shown as a repair', async () => {
    const { primary, dr } = bed; // read when the test runs (a bed's clients exist after its before hook)
    const { src, dst, policy, state } = pair('repair');
    await makeTree(src, 6, 10_000);
    await applyJson(policy, state, T0);

    await dr.create(`${dst}/written-on-dr-by-hand.txt`, Buffer.from('oops'));
    await dr.create(`${dst}/sub0/part-0000.bin`, randomBytes(10_000), { overwrite: true });
    const plan = await planExit(policy, state, at(T0, 0.5));
    assert.is(plan.code, 2, plan.out);
    assert.match(plan.out, /~ replicate\.repair-target/);
    assert.match(plan.out, /-rdiff/);

    const res = await applyJson(policy, state, at(T0, 0.5));
    assert.ok(res.done.some((d) => d.id.startsWith('replicate.repair-target')));
    assert.is(await treesIdentical(primary, src, dr, dst), undefined);
    assert.is((await planExit(policy, state, at(T0, 0.5))).code, 0);

    // And the incremental chain works again after the repair.
    await primary.create(`${src}/after-repair.txt`, Buffer.from('next'));
    const res2 = await applyJson(policy, state, at(T0, 1));
    assert.is(copied(res2, 'replicate.distcp-diff'), 4);
    assert.is(await treesIdentical(primary, src, dr, dst), undefined);
  });

  test('5. kill -9 of hbr apply in the middle of a distcp: the next apply converges, nothing lost or left running', async () => {
    const { primary, dr } = bed; // read when the test runs (a bed's clients exist after its before hook)
    // A slow link (bed.writePolicy slow): the 24 MB change below takes long enough to copy that the kill lands mid-copy.
    const { src, dst, policy, state } = pair('crash', { slow: true });
    await makeTree(src, 4, 10_000);
    await applyJson(policy, state, T0);
    await Promise.all([0, 1, 2].map((i) => primary.create(`${src}/big-${i}.bin`, randomBytes(8 * 1024 * 1024))));

    // The kernel's parent-death signal (setpriv) would stop the DistCp client JVM with hbr: turned
    // off here, so this proves the second line of defence, reaping at the next start (launchers
    // that fork, no setpriv): the client JVM and, on YARN, the job through the ResourceManager.
    const child = bed.spawnHbr(['apply', '-f', policy.file, '--state-dir', state, '--auto-approve'], { ...policy.env, HBR_NOW: at(T0, 1), HBR_CHILD_PDEATHSIG: '0' });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const children = join(state, 'children');
    const record = () => {
      const f = existsSync(children) ? readdirSync(children).filter((x) => x.endsWith('.json'))[0] : undefined;
      return f ? (JSON.parse(readFileSync(join(children, f), 'utf8')) as { pid: number; yarn?: { appId?: string } }) : undefined;
    };
    const deadline = Date.now() + 240_000;
    // on YARN, until the job is RUNNING (its id in the record); else until the client JVM runs
    while (!(record() && (!bed.appState || (record()!.yarn?.appId && (await bed.appState(record()!.yarn!.appId!)) === 'RUNNING')))) {
      assert.ok(Date.now() < deadline, `distcp never started:\n${out}`);
      assert.is(child.exitCode, null, `hbr ended early:\n${out}`);
      await sleep(200);
    }
    await sleep(5000); // JVM up, job running, bytes flowing
    const rec = record()!;
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    assert.match(out, /replicate\.distcp-diff .*started/);
    assert.not.match(out, /replicate\.distcp-diff .*done/, 'the kill must land before the copy finished');
    assert.ok(pidAlive(rec.pid), 'the DistCp JVM outlived hbr (what the next run must stop)');
    const appId = rec.yarn?.appId;
    if (bed.appState) assert.is(await bed.appState(appId!), 'RUNNING', 'the YARN job outlived hbr');

    const journal = readFileSync(join(state, 'journal.jsonl'), 'utf8');
    assert.match(journal, /"event":"intent".*replicate\.distcp-diff/);

    const res = await applyJson(policy, state, at(T0, 1));
    assert.is(res.failed.length, 0);
    assert.not.ok(pidAlive(rec.pid), 'the orphaned DistCp was stopped before the repair');
    if (bed.appState) {
      let st = '';
      for (let i = 0; i < 60 && st !== 'KILLED'; i++) {
        st = await bed.appState(appId!);
        if (st !== 'KILLED') await sleep(1000);
      }
      assert.is(st, 'KILLED', 'the orphaned YARN job was killed through the ResourceManager');
    }
    assert.is(await treesIdentical(primary, src, dr, dst), undefined);
    assert.equal(await snapshotNames(dr, dst), await snapshotNames(primary, src));
    assert.is((await planExit(policy, state, at(T0, 1))).code, 0);
  });
}
