/**
 * SIGTERM during a replication, then a restart (issue 5, must-show 5). Two ways to stop:
 *  - within the grace period: the running DistCp finishes, its outcome is journaled, exit 0;
 *  - past it (--shutdown-grace 1s): the step is aborted — DistCp killed, the journal records it
 *    failed (the checkpoint) — exit 0; the restart observes the half-copied target and repairs it.
 * Either way the restarted daemon converges with nothing lost: trees identical by checksum, the
 * same-named snapshot on DR, and `hbr plan` has nothing left to do.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { clusters, hbr, snapshotNames, tempDir, throttledHadoop, treesIdentical, writePairPolicy } from '../helpers/hbr.js';
import { recordedChildPids, startDaemon, stopAllDaemons, waitFor } from '../helpers/daemon.js';
import { readJournal as journal, type JournalRecord } from '../../src/engine/journal.js';
import { uniq } from '../helpers/testbed.js';

const { primary, dr } = clusters();

/** A replication step with an intent and no outcome yet: DistCp is running. */
const copying = (state: string): JournalRecord | undefined => {
  const recs = journal(state);
  return recs.find((r) => r.event === 'intent' && r.kind.startsWith('replicate.') && !recs.some((o) => o.stepId === r.stepId && o.event !== 'intent' && o.ts >= r.ts));
};

/** DistCp throttled to 2 MB/s per map, so a stop lands mid-copy. */
const slowHadoop = (dir: string) => throttledHadoop(dir, 2);

/** The hourly policy's first look at once, not up to a minute after the start (docs/daemon.md, "Schedules"). */
const AT_ONCE = { HBR_DAEMON_START_SPREAD_MS: '0' };

test.after(stopAllDaemons);

async function setup(name: string) {
  const id = uniq(name);
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await primary.mkdirs(src);
  await Promise.all([0, 1, 2].map((i) => primary.create(`${src}/big-${i}.bin`, randomBytes(6 * 1024 * 1024))));
  const dir = tempDir(name);
  // every 1h: after the first snapshot nothing is due, so "nothing left to do" is checkable
  const file = writePairPolicy(dir, { name, src, dst, every: '1h', rpo: '2h' });
  return { src, dst, dir, file, state: join(dir, 'state') };
}

async function converged(t: Awaited<ReturnType<typeof setup>>): Promise<void> {
  const diff = await treesIdentical(primary, t.src, dr, t.dst);
  assert.is(diff, undefined, diff);
  const p = (await snapshotNames(primary, t.src)).filter((n) => n.startsWith('hbr-'));
  const d = (await snapshotNames(dr, t.dst)).filter((n) => n.startsWith('hbr-'));
  assert.is(p.length, 1, `one snapshot on primary: ${p.join(' ')}`);
  assert.equal(d, p, 'the same-named snapshot on DR');
  const plan = await hbr(['plan', '-f', t.file, '--state-dir', join(t.dir, 'plan-state'), '--detailed-exitcode']);
  assert.is(plan.code, 0, `nothing left to do:\n${plan.stdout}${plan.stderr}`);
}

test('5a. SIGTERM mid-replication: the copy finishes within the grace period, exit 0; the restart copies nothing again', async () => {
  const t = await setup('term-grace');
  const d1 = await startDaemon(['-f', t.file], t.state, { ...AT_ONCE, HBR_HADOOP: slowHadoop(t.dir) });
  const step = await waitFor('DistCp to be running', () => copying(t.state), 60_000, 100);
  d1.child.kill('SIGTERM');
  const code = await d1.exited;
  assert.is(code, 0, d1.stderr());
  const recs = journal(t.state);
  const outcome = recs.find((r) => r.stepId === step.stepId && r.event !== 'intent');
  assert.is(outcome?.event, 'done', `the running step finished: ${JSON.stringify(outcome)}`);
  assert.ok(d1.logs.some((l) => /stopping/.test(String(l.msg))) && d1.logs.some((l) => l.msg === 'stopped'));
  // Steps after it (the same-named DR snapshot) were not started: stopping starts nothing new.
  const after = recs.filter((r) => r.ts > outcome!.ts && r.event === 'intent');
  assert.equal(after, [], 'no step started after SIGTERM');
  assert.not.ok(existsSync(join(t.state, 'lock')), 'the lock is released');

  const d2 = await startDaemon(['-f', t.file], t.state, AT_ONCE);
  await waitFor('the first run after the restart', async () => (await d2.status()).policies[0]?.lastRun, 60_000);
  const run = (await d2.status()).policies[0]!.lastRun!;
  assert.ok(run.ok, JSON.stringify(run));
  assert.is(run.bytesCopied, 0, `the finished copy is not redone: ${JSON.stringify(run)}`);
  d2.child.kill('SIGTERM');
  assert.is(await d2.exited, 0);
  await converged(t);
});

test('5b. SIGTERM past the grace: the step is checkpointed (DistCp stopped, journaled failed), exit 0; the restart repairs and converges', async () => {
  const t = await setup('term-abort');
  const d1 = await startDaemon(['-f', t.file, '--shutdown-grace', '1s'], t.state, { ...AT_ONCE, HBR_HADOOP: slowHadoop(t.dir) });
  const step = await waitFor('DistCp to be running', () => copying(t.state), 60_000, 100);
  const pids = await recordedChildPids(t.state);
  const t0 = Date.now();
  d1.child.kill('SIGTERM');
  assert.is(await d1.exited, 0, d1.stderr());
  const stopSeconds = (Date.now() - t0) / 1000;
  const outcome = journal(t.state).find((r) => r.stepId === step.stepId && r.event !== 'intent');
  assert.is(outcome?.event, 'failed', JSON.stringify(outcome));
  assert.match(outcome!.error!, /shutting down/);
  for (const pid of pids) {
    let alive = true;
    try { process.kill(pid, 0); } catch { alive = false; }
    assert.not.ok(alive, `DistCp (pid ${pid}) was stopped`);
  }
  // (the half-copied target may not even exist yet: DistCp builds it in place or not at all)
  assert.equal((await snapshotNames(dr, t.dst).catch(() => [] as string[])).filter((n) => n.startsWith('hbr-')), [], 'the half-copied target has no hbr snapshot');

  const d2 = await startDaemon(['-f', t.file], t.state, AT_ONCE);
  await waitFor('the repair run', async () => (await d2.status()).policies[0]?.lastRun?.ok, 120_000);
  const run = (await d2.status()).policies[0]!.lastRun!;
  assert.ok(run.done >= 1, `the restart did the replication again: ${JSON.stringify(run)}`);
  d2.child.kill('SIGTERM');
  assert.is(await d2.exited, 0);
  await converged(t);
  console.log(`      stopped ${stopSeconds.toFixed(1)} s after SIGTERM (grace 1 s)`);
});

test.run();
