/**
 * Interrupted steps are forgotten once repaired (issue 9 item 9), on the real test bed: `hbr apply`
 * killed (-9) in the middle of a DistCp leaves an intent without outcome; every plan names it
 * ("step … was interrupted") until a run — `hbr apply`, or a daemon's — has observed the pair and
 * carried out the whole repair, which journals the intent `resolved`; after that, no plan names it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { clusters, HBR, hbr, hbrEnv, snapshotNames, tempDir, throttledHadoop, treesIdentical, writePairPolicy } from '../helpers/hbr.js';
import { recordedChildPids, startDaemon, stopAllDaemons, waitFor } from '../helpers/daemon.js';
import { readJournal, readUnfinished } from '../../src/engine/journal.js';
import { uniq } from '../helpers/testbed.js';

const { primary, dr } = clusters();
const HOUR = 3_600_000;
// In the past, so that every name hbr writes is history (a daemon runs on the real clock).
const T0 = Math.floor((Date.now() - 24 * HOUR) / HOUR) * HOUR;
const at = (h: number): string => new Date(T0 + h * HOUR).toISOString();
const INTERRUPTED = /step replicate\.distcp-diff:\S+ was interrupted at/;

test.after(stopAllDaemons);

async function setup(name: string) {
  const id = uniq(name);
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await primary.mkdirs(src);
  await primary.create(`${src}/seed.bin`, randomBytes(64 * 1024));
  const dir = tempDir(name);
  const file = writePairPolicy(dir, { name, src, dst, every: '1h' });
  const state = join(dir, 'state');
  const first = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: at(0) });
  assert.is(first.code, 0, first.stdout + first.stderr);
  return { src, dst, dir, file, state };
}

/** 24 MB more, then `hbr apply` at hour `h` with DistCp at 2 MB/s per map, killed -9 mid-copy. */
async function crashMidCopy(t: Awaited<ReturnType<typeof setup>>, h: number, tag: string): Promise<string> {
  await Promise.all([0, 1, 2].map((i) => primary.create(`${t.src}/${tag}-${i}.bin`, randomBytes(8 * 1024 * 1024))));
  const child = spawn(process.execPath, [HBR, 'apply', '-f', t.file, '--state-dir', t.state, '--auto-approve'], {
    env: hbrEnv({ HBR_NOW: at(h), HBR_HADOOP: throttledHadoop(t.dir, 2) }),
    stdio: 'ignore',
  });
  const closed = new Promise((r) => child.on('close', r));
  const n = readJournal(t.state).length;
  const intent = await waitFor('DistCp to start', () => readJournal(t.state).slice(n).find((r) => r.event === 'intent' && r.kind === 'replicate.distcp-diff'), 60_000, 100);
  await recordedChildPids(t.state);
  await new Promise((r) => setTimeout(r, 2_000)); // bytes flowing
  child.kill('SIGKILL');
  await closed;
  assert.equal(readUnfinished(t.state).map((u) => u.stepId), [intent.stepId], 'the intent has no outcome');
  return intent.stepId;
}

async function plan(t: Awaited<ReturnType<typeof setup>>, h: number): Promise<{ code: number | null; out: string }> {
  const r = await hbr(['plan', '-f', t.file, '--state-dir', t.state, '--detailed-exitcode'], { HBR_NOW: at(h) });
  return { code: r.code, out: r.stdout + r.stderr };
}

async function converged(t: Awaited<ReturnType<typeof setup>>): Promise<void> {
  assert.is(await treesIdentical(primary, t.src, dr, t.dst), undefined);
  // (the interrupted hour's snapshot is skipped over: the repair copies straight to the newest)
  const [p, d] = [await snapshotNames(primary, t.src), await snapshotNames(dr, t.dst)];
  assert.is(d.at(-1), p.at(-1), `the newest snapshot on both sides: ${p.join(' ')} / ${d.join(' ')}`);
}

test('9a. hbr apply killed mid-DistCp: plans name the interrupted step until an apply repairs it, then never again', async () => {
  const t = await setup('intr-cli');
  const stepId = await crashMidCopy(t, 1, 'big');

  const before = await plan(t, 1.1);
  assert.match(before.out, INTERRUPTED);
  // Still named after a plan (plans only read) and after an apply of another policy name.
  const other = await hbr(['apply', '-f', t.file, '--state-dir', t.state, '--auto-approve', '--target', 'nonesuch'], { HBR_NOW: at(1.1) });
  assert.ok(other.code !== null);
  assert.match((await plan(t, 1.1)).out, INTERRUPTED);

  // The repair comes an hour later: a new snapshot is due, so the copy that converges the pair is
  // another step (-diff to the new snapshot) than the one interrupted, which never gets an outcome.
  const repair = await hbr(['apply', '-f', t.file, '--state-dir', t.state, '--auto-approve'], { HBR_NOW: at(2.1) });
  assert.is(repair.code, 0, repair.stdout + repair.stderr);
  assert.match(repair.stdout, INTERRUPTED, 'the repairing apply still names it: its plan was made before the repair');
  assert.is(readJournal(t.state).filter((r) => r.stepId === stepId && r.event === 'intent').length, 1, 'not the same step again');
  await converged(t);

  const after = await plan(t, 2.2);
  assert.is(after.code, 0, after.out);
  assert.not.match(after.out, INTERRUPTED, 'repaired: no longer named');
  assert.equal(readUnfinished(t.state), []);
  const resolved = readJournal(t.state).filter((r) => r.event === 'resolved');
  assert.equal(resolved.map((r) => r.stepId), [stepId], 'journaled as resolved, once');
});

test('9b. the same repaired by a daemon: it journals the intent resolved after its converging run', async () => {
  const t = await setup('intr-daemon');
  const stepId = await crashMidCopy(t, 1, 'big');
  assert.match((await plan(t, 1.1)).out, INTERRUPTED);

  // The daemon runs on the real clock, a day after these names: it snapshots and copies anew.
  // its first look at once, not up to a minute after the start (docs/daemon.md, "Schedules")
  const d = await startDaemon(['-f', t.file], t.state, { HBR_DAEMON_START_SPREAD_MS: '0' });
  const run = await waitFor('a converging run', async () => {
    const r = (await d.status()).policies[0]?.lastRun;
    return r?.ok && r.done > 0 ? r : undefined;
  }, 120_000);
  d.child.kill('SIGTERM');
  assert.is(await d.exited, 0);
  await converged(t);
  assert.ok(d.logs.some((l) => INTERRUPTED.test(String(l.warning ?? ''))), 'the daemon named it while repairing');
  assert.equal(readUnfinished(t.state), [], `resolved by run ${run.run}`);
  assert.equal(readJournal(t.state).filter((r) => r.event === 'resolved').map((r) => [r.stepId, r.run]), [[stepId, run.run]]);
  assert.not.match((await plan(t, 24)).out, INTERRUPTED);
});

test.run();
