/**
 * Never destroy the last good copy (issue 9, item 1), on the real test bed: a DR pair replicates
 * for hours, then the primary comes back empty (its data and its snapshots gone). Hourly applies
 * and a daemon must keep every DR file and every pre-loss DR snapshot; the plan names the diverged
 * pair and exits 1; only the operator's allowance for that pair lets the overwrite happen, and it
 * is journaled.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusters, hbr, hbrHeldAt, listFiles, snapshotNames, tempDir, treesIdentical, writePairPolicy } from '../helpers/hbr.js';
import { startDaemon, stopAllDaemons, waitFor, webhookSink } from '../helpers/daemon.js';
import { uniq } from '../helpers/testbed.js';

/** The hourly policy's first look at once, not up to a minute after the daemon starts (docs/daemon.md, "Schedules"). */
const AT_ONCE = { HBR_DAEMON_START_SPREAD_MS: '0' };

const { primary, dr } = clusters();
const HOUR = 3_600_000;
// In the past, so the daemon (on the real clock) sees the names as history, not as the future.
const T0 = Math.floor((Date.now() - 24 * HOUR) / HOUR) * HOUR;
const at = (h: number): string => new Date(T0 + h * HOUR).toISOString();

test.after(async () => {
  await stopAllDaemons();
});

test('a primary that comes back empty never overwrites its DR copy: held through keep+1 applies and a daemon; the operator allows it', async () => {
  const id = uniq('diverged');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await primary.mkdirs(src);
  for (let i = 0; i < 20; i++) await primary.create(`${src}/f${i}.bin`, randomBytes(4096));
  const dir = tempDir('diverged');
  const file = writePairPolicy(dir, { name: 'pair', src, dst, keep: '{ last: 3 }', drKeep: '{ last: 3 }' });
  const state = join(dir, 'state');

  // Two hours of replication: three snapshots on each side.
  for (let h = 0; h <= 2; h++) {
    await primary.create(`${src}/hour-${h}.txt`, Buffer.from(`hour ${h}`));
    const r = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: at(h) });
    assert.is(r.code, 0, r.stdout + r.stderr);
  }
  const drFilesBefore = (await listFiles(dr, dst)).sort();
  const drSnapsBefore = await snapshotNames(dr, dst);
  assert.is(drFilesBefore.length, 23);
  assert.is(drSnapsBefore.length, 3);

  // The primary loses everything: its snapshots and its data (a rebuild, a mistaken cleanup).
  for (const s of await snapshotNames(primary, src)) await primary.deleteSnapshot(src, s);
  await primary.disallowSnapshot(src);
  await primary.delete(src, true);
  await primary.mkdirs(src);

  // keep + 1 hourly applies, as cron would run them: each holds the pair and exits 1.
  for (let h = 3; h <= 6; h++) {
    const r = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: at(h) });
    assert.is(r.code, 1, `apply at +${h}h must exit 1:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout + r.stderr, `DR pair primary:${src} -> dr:${dst} is diverged`);
    assert.match(r.stdout + r.stderr, `--allow-overwrite dr:${dst}`);
    assert.not.match(r.stdout, /replicate\.bootstrap/);
    assert.equal((await listFiles(dr, dst)).sort(), drFilesBefore, `DR files after the apply at +${h}h`);
    assert.equal(await snapshotNames(dr, dst), drSnapsBefore, `DR snapshots after the apply at +${h}h`);
  }

  const plan = await hbr(['plan', '-f', file, '--state-dir', state, '--detailed-exitcode'], { HBR_NOW: at(7) });
  assert.is(plan.code, 1, plan.stdout + plan.stderr);
  assert.match(plan.stdout, `Error: [pair] DR pair primary:${src} -> dr:${dst} is diverged`);
  assert.match(plan.stdout, `retention on dr:${dst} deletes nothing while the pair`);

  // Life goes on on the rebuilt primary.
  await primary.create(`${src}/new.txt`, Buffer.from('after the rebuild'));

  // The daemon (real clock): reports the pair held in /status, a metric and a webhook; never copies.
  const sink = await webhookSink();
  try {
    appendFileSync(file, `notifications:\n  webhooks:\n    sink: { url: "${sink.url}", events: [pair.held, pair.released] }\n`);
    const d = await startDaemon(['-f', file], join(dir, 'daemon-state'), AT_ONCE);
    const st = await waitFor('the pair held in /status', async () => {
      const s = await d.status();
      const p = s.policies.find((x) => x.name === 'pair');
      return p?.held?.length ? p : undefined;
    }, 60_000);
    assert.is(st.held[0]!.target, `dr:${dst}`);
    assert.is(st.held[0]!.reason, 'diverged');
    assert.is(await d.metric('hbr_pair_held', { policy: 'pair', target: `dr:${dst}`, reason: 'diverged' }), 1);
    await waitFor('the pair.held webhook', () => sink.received.find((n) => n.event === 'pair.held'), 15_000);
    const status = await hbr(['status', '--state-dir', join(dir, 'daemon-state')]);
    assert.is(status.code, 2, status.stdout + status.stderr);
    assert.match(status.stdout, /HELD \(diverged\)/);
    await stopAllDaemons();
    assert.equal((await listFiles(dr, dst)).sort(), drFilesBefore, 'DR files after the daemon');
    assert.equal(await snapshotNames(dr, dst), drSnapsBefore, 'DR snapshots after the daemon');
    assert.is(sink.received.filter((n) => n.event === 'pair.held').length, 1);
  } finally {
    await sink.close();
  }

  // The operator decides the rebuilt primary is the truth: the overwrite for that one pair. (The
  // daemon, on the real clock, took the newest source snapshot: that is the one copied.)
  const allowed = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve', '--allow-overwrite', `dr:${dst}`], { HBR_NOW: at(8) });
  assert.is(allowed.code, 0, allowed.stdout + allowed.stderr);
  assert.match(allowed.stdout, /-\/\+ replicate\.bootstrap/);
  assert.is(await treesIdentical(primary, src, dr, dst), undefined);
  const journal = readFileSync(join(state, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; kind: string; action?: string });
  assert.ok(journal.some((j) => j.event === 'intent' && j.kind === 'replicate.bootstrap' && j.action === '-/+'), 'the overwrite is journaled as a replace');
  // Retention catches up on the source (its snapshots were all unreplicated while held), then nothing is left to do.
  const tidy = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: at(8.5) });
  assert.is(tidy.code, 0, tidy.stdout + tidy.stderr);
  assert.not.match(tidy.stdout, /replicate\./);
  const after = await hbr(['plan', '-f', file, '--state-dir', state, '--detailed-exitcode'], { HBR_NOW: at(8.6) });
  assert.is(after.code, 0, after.stdout + after.stderr);
});

test('mass deletion on the primary (90% of files, snapshots intact) is held: DR keeps every file and snapshot, the daemon reports it, the operator releases it', async () => {
  const id = uniq('mass');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await primary.mkdirs(src);
  for (let i = 0; i < 40; i++) await primary.create(`${src}/f${String(i).padStart(2, '0')}.bin`, randomBytes(1024));
  const dir = tempDir('mass');
  const file = writePairPolicy(dir, { name: 'mass', src, dst, keep: '{ last: 2 }', drKeep: '{ last: 2 }' });
  const state = join(dir, 'state');
  for (let h = 0; h <= 1; h++) {
    const r = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: at(h) });
    assert.is(r.code, 0, r.stdout + r.stderr);
  }
  const drFilesBefore = (await listFiles(dr, dst)).sort();
  const drSnapsBefore = await snapshotNames(dr, dst);
  const srcSnapsBefore = await snapshotNames(primary, src);
  assert.is(drFilesBefore.length, 40);

  // A human error or ransomware: 36 of 40 files deleted on the primary; its snapshots stay.
  for (let i = 0; i < 36; i++) await primary.delete(`${src}/f${String(i).padStart(2, '0')}.bin`);

  for (let h = 2; h <= 4; h++) {
    const r = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: at(h) });
    assert.is(r.code, 1, `apply at +${h}h must exit 1:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, `DR pair primary:${src} -> dr:${dst} is held: 36 of 40 files (90%: 36 deleted, 0 rewritten)`);
    assert.not.match(r.stdout, /replicate\.distcp-diff/);
    assert.equal((await listFiles(dr, dst)).sort(), drFilesBefore, `DR files after +${h}h`);
    assert.equal(await snapshotNames(dr, dst), drSnapsBefore, `DR snapshots after +${h}h`);
    for (const s of srcSnapsBefore) assert.ok((await snapshotNames(primary, src)).includes(s), `source lost ${s} at +${h}h`);
  }

  const d = await startDaemon(['-f', file], join(dir, 'daemon-state'), AT_ONCE);
  const st = await waitFor('the pair held in /status', async () => (await d.status()).policies.find((x) => x.name === 'mass' && x.held?.length), 60_000);
  assert.is(st.held[0]!.reason, 'mass-change');
  assert.is(await d.metric('hbr_pair_held', { policy: 'mass', target: `dr:${dst}`, reason: 'mass-change' }), 1);
  await stopAllDaemons();
  assert.equal((await listFiles(dr, dst)).sort(), drFilesBefore, 'DR files after the daemon');
  assert.equal(await snapshotNames(dr, dst), drSnapsBefore, 'DR snapshots after the daemon');

  // The deletion was intended: the operator's word for that pair releases it.
  const allowed = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve', '--allow-overwrite', `dr:${dst}`], { HBR_NOW: at(5) });
  assert.is(allowed.code, 0, allowed.stdout + allowed.stderr);
  assert.match(allowed.stdout, /-\/\+ replicate\.distcp-diff/);
  assert.equal((await listFiles(dr, dst)).length, 4);
});

test('a file written into the DR target between the plan and the bootstrap: the bootstrap looks again, refuses and copies nothing; the file is intact and the next plan holds the pair', async () => {
  const id = uniq('late');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await primary.mkdirs(src);
  await primary.create(`${src}/a.bin`, randomBytes(4096));
  const dir = tempDir('late');
  const file = writePairPolicy(dir, { name: 'late', src, dst });
  const state = join(dir, 'state');
  // held right after the source snapshot is made, before the bootstrap (src/model/faults.ts HBR_PAUSE_AT)
  const held = await hbrHeldAt(['apply', '-f', file, '--state-dir', state, '--auto-approve'], 'snapshot:created', dir, { HBR_NOW: at(0) });
  await dr.create(`${dst}/written-meanwhile.txt`, Buffer.from("not hbr's"));
  held.release();
  assert.is.not(await held.closed, 0, held.out());
  assert.match(held.out(), /is no longer empty \(1 entry: written-meanwhile\.txt\).*nothing copied/);
  assert.equal(await listFiles(dr, dst), ['written-meanwhile.txt'], 'nothing copied, nothing deleted');
  const plan = await hbr(['plan', '-f', file, '--state-dir', state], { HBR_NOW: at(0.5) });
  assert.match(plan.stdout + plan.stderr, /diverged/);
});

test.run();
