/**
 * Restore drills on the real test bed (issue #11 point 5; docs/drills.md): `hbr verify` restores the
 * newest snapshot of each site of a primary/DR pair with real DistCp into scratch on the DR cluster,
 * compares every file's GETFILECHECKSUM with the source snapshot, cleans up and records the drill.
 * A DR copy changed behind hbr's back fails the drill, naming the file: (a) the recovery point
 * itself (the DR snapshot re-made over changed content, which no diff shows), (b) the live DR tree
 * (what a failover would hand over). In the daemon, a `verify:` schedule drills, exports the
 * duration and the failure, and sends the drill.failed webhook.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { clusters, HBR, hbr, hbrEnv, snapshotNames, tempDir, throttledHadoop, writePairPolicy } from '../helpers/hbr.js';
import { recordedChildPids, startDaemon, stopAllDaemons, waitFor, webhookSink } from '../helpers/daemon.js';
import { testbed, uniq } from '../helpers/testbed.js';
import type { DrillRecord } from '../../src/engine/drill.js';

const { primary, dr } = clusters();
const T0 = '2030-01-01T00:00:00.000Z';

test.after(stopAllDaemons);

async function makeTree(dir: string, files: number, size: number): Promise<void> {
  await primary.mkdirs(dir);
  await Promise.all(Array.from({ length: files }, (_, i) => primary.create(`${dir}/sub${i % 3}/part-${String(i).padStart(3, '0')}.bin`, randomBytes(size))));
}

async function verify(file: string, state: string, now?: string): Promise<{ code: number | null; rec: DrillRecord; out: string }> {
  const r = await hbr(['verify', '--policy', 'drill', '-f', file, '--state-dir', state, '--json'], now ? { HBR_NOW: now } : {});
  let rec: DrillRecord;
  try {
    rec = JSON.parse(r.stdout) as DrillRecord;
  } catch {
    throw new Error(`hbr verify printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, rec, out: r.stdout + r.stderr };
}

/** What lies beside the DR target: the target itself, and no drill scratch left behind. */
async function besideTarget(parent: string): Promise<string[]> {
  return (await dr.listStatus(parent)).map((s) => s.pathSuffix).sort();
}

test('hbr verify: a healthy pair passes, every file compared, scratch removed (a stale one too), the record survives', async () => {
  const id = uniq('drill');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await makeTree(src, 20, 40_000);
  const dir = tempDir('drill');
  const file = writePairPolicy(dir, { name: 'drill', src, dst });
  writeFileSync(file, readFileSync(file, 'utf8').replace('    replicate:', '    verify: { every: 7d }\n    rto: 1h\n    replicate:'));
  const state = join(dir, 'state');
  const a = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: T0 });
  assert.is(a.code, 0, a.stdout + a.stderr);
  // what a drill killed mid-copy would leave: hbr's scratch name, an old time
  await dr.create(`/it-dr/${id}/.hbr-drill-data-20291231T000000Z-dr0/sub0/x.bin`, Buffer.from('stale'));
  await dr.create(`/it-dr/${id}/not-hbrs`, Buffer.from('foreign'));

  const r = await verify(file, state, '2030-01-01T00:30:00Z');
  assert.is(r.code, 0, r.out);
  assert.is(r.rec.ok, true);
  const snap = 'hbr-20300101T000000Z';
  assert.is(r.rec.point, `dr:${dst}@${snap}, primary:${src}@${snap}`);
  assert.equal(r.rec.checks.map((c) => c.ok), [true, true, true]);
  assert.ok(r.rec.checks[1]!.what.includes(`vs primary:${src}@${snap}`), r.rec.checks[1]!.what);
  assert.is(r.rec.files, 40); // 20 files from each site's restore, every one compared
  assert.is(r.rec.bytes, 40 * 40_000);
  assert.ok(r.rec.durationSeconds > 0);
  assert.is(r.rec.rtoSeconds, 3600);
  assert.is(r.rec.rtoExceeded, false);
  assert.equal(await besideTarget(`/it-dr/${id}`), ['data', 'not-hbrs']);
  // durable: a fresh process reads the record from the state dir
  const onDisk = JSON.parse(readFileSync(join(state, 'drills', 'drill.json'), 'utf8')) as DrillRecord;
  assert.equal(onDisk, r.rec);

  const text = await hbr(['verify', '--policy', 'drill', '-f', file, '--state-dir', state], { HBR_NOW: '2030-01-01T00:40:00Z' });
  assert.is(text.code, 0, text.stdout + text.stderr);
  assert.match(text.stdout, /ok +dr:.*restored to dr:.*\.hbr-drill-data-20300101T004000Z-dr0 vs primary:/);
  assert.match(text.stdout, /Drill passed in [\d.]+s \(rto 3600s\), 40 file\(s\), 1600000 bytes\./);
});

test('a DR recovery point changed behind hbr\'s back fails the drill, naming the file; so does a changed live DR tree', async () => {
  const id = uniq('drillbad');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await makeTree(src, 12, 20_000);
  const dir = tempDir('drillbad');
  const file = writePairPolicy(dir, { name: 'drill', src, dst });
  const state = join(dir, 'state');
  const a = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: T0 });
  assert.is(a.code, 0, a.stdout + a.stderr);
  const snap = 'hbr-20300101T000000Z';
  assert.equal(await snapshotNames(dr, dst), [snap]);

  // (a) same length, other bytes, and the snapshot re-made under hbr's name: the DR recovery point
  // itself is wrong, and neither a snapshot diff nor the file sizes show it.
  const victim = 'sub1/part-004.bin';
  await dr.create(`${dst}/${victim}`, randomBytes(20_000), { overwrite: true });
  await dr.deleteSnapshot(dst, snap);
  await dr.createSnapshot(dst, snap);
  const bad = await verify(file, state, '2030-01-01T00:30:00Z');
  assert.is(bad.code, 1, bad.out);
  assert.is(bad.rec.ok, false);
  const failed = bad.rec.checks.filter((c) => !c.ok);
  assert.is(failed.length, 1, JSON.stringify(bad.rec.checks));
  assert.ok(failed[0]!.what.startsWith(`dr:${dst}@${snap} restored to`), failed[0]!.what);
  assert.is(failed[0]!.detail, `content differs: ${victim}`);
  assert.equal(await besideTarget(`/it-dr/${id}`), ['data']); // cleaned up after a failed drill too
  // the source's own restore still passes: its check is separate
  assert.ok(bad.rec.checks.find((c) => c.what.startsWith(`primary:${src}@${snap}`))?.ok);

  // (b) put the recovery point right, then change the live DR tree only
  const good = await primary.open(`${src}/.snapshot/${snap}/${victim}`);
  await dr.create(`${dst}/${victim}`, good, { overwrite: true });
  await dr.deleteSnapshot(dst, snap);
  await dr.createSnapshot(dst, snap);
  assert.is((await verify(file, state, '2030-01-01T00:40:00Z')).code, 0);
  await dr.append(`${dst}/sub2/part-005.bin`, Buffer.from('appended behind hbr'));
  const live = await verify(file, state, '2030-01-01T00:50:00Z');
  assert.is(live.code, 1, live.out);
  const lf = live.rec.checks.filter((c) => !c.ok);
  assert.equal(lf.map((c) => c.what), [`dr:${dst} unchanged since ${snap}`]);
  assert.match(lf[0]!.detail ?? '', /changed behind hbr's back: sub2\/part-005\.bin \(modify\)/);
  // the record keeps the last success across the failure
  assert.ok(live.rec.lastSuccessAt);
});

/**
 * A replicated pair of `files` 8 MiB files, then `hbr verify` started on a throttled DistCp and
 * killed -9 once its scratch copy has begun; returns what the next steps need.
 */
async function killedDrill(prefix: string, files: number): Promise<{ id: string; dir: string; file: string; state: string; scratch: string; distcpPid: number | undefined }> {
  const id = uniq(prefix);
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await primary.mkdirs(src);
  await Promise.all(Array.from({ length: files }, (_, i) => primary.create(`${src}/big-${i}.bin`, randomBytes(8 * 1024 * 1024))));
  const dir = tempDir(prefix);
  const file = writePairPolicy(dir, { name: 'drill', src, dst });
  const state = join(dir, 'state');
  const a = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: T0 });
  assert.is(a.code, 0, a.stdout + a.stderr);
  const child = spawn(process.execPath, [HBR, 'verify', '--policy', 'drill', '-f', file, '--state-dir', state], {
    env: hbrEnv({ HBR_NOW: '2030-01-01T00:30:00Z', HBR_HADOOP: throttledHadoop(dir, 2) }),
    stdio: 'ignore',
  });
  const closed = new Promise((r) => child.on('close', r));
  const [distcpPid] = await recordedChildPids(state, 60_000);
  const scratch = `/it-dr/${id}/.hbr-drill-data-20300101T003000Z-dr0`;
  await waitFor('the scratch copy to start', async () => (await dr.stat(scratch)) !== undefined, 60_000, 200);
  child.kill('SIGKILL');
  await closed;
  assert.ok(await dr.stat(scratch), 'the killed drill left its scratch');
  return { id, dir, file, state, scratch, distcpPid };
}

test('hbr verify killed -9 mid-DistCp: its copy does not go on, the next drill removes the scratch it left and passes', async () => {
  const { id, file, state, distcpPid: pid } = await killedDrill('drillkill', 3);
  // the DistCp dies with hbr (pdeathsig), or the next hbr stops it (src/hadoop/children.ts)
  const r = await verify(file, state, '2030-01-01T00:40:00Z');
  assert.is(r.code, 0, r.out);
  assert.equal(await besideTarget(`/it-dr/${id}`), ['data']);
  assert.is(r.rec.files, 6);
  let alive = true;
  try {
    process.kill(pid!, 0);
  } catch {
    alive = false;
  }
  assert.not.ok(alive, `the killed drill's DistCp (pid ${pid}) is still running`);
});

test('a drill killed -9 beside a target its policy no longer has: the next drill (of another target) removes that scratch through the ledger', async () => {
  const { id, dir, state } = await killedDrill('drillmoved', 2);

  // The policy now protects another directory (moved; a removed policy or a dropped verify: is the
  // same): no drill will ever look beside the old target again.
  const src2 = `/it/${id}/moved`;
  const dst2 = `/it-dr/${id}/elsewhere/moved`;
  await primary.mkdirs(src2);
  await primary.create(`${src2}/one.bin`, randomBytes(10_000));
  const file2 = writePairPolicy(dir, { name: 'drill', src: src2, dst: dst2 });
  const b = await hbr(['apply', '-f', file2, '--state-dir', state, '--auto-approve'], { HBR_NOW: '2030-01-01T00:35:00Z' });
  assert.is(b.code, 0, b.stdout + b.stderr);
  // a foreign directory with a drill-like name, which no ledger names, is not touched
  await dr.create(`/it-dr/${id}/.hbr-drill-other-20300101T000000Z-dr0/f`, Buffer.from('not in the ledger'));
  const r = await verify(file2, state, '2030-01-01T00:40:00Z');
  assert.is(r.code, 0, r.out);
  assert.equal(await besideTarget(`/it-dr/${id}`), ['.hbr-drill-other-20300101T000000Z-dr0', 'data', 'elsewhere']);
  assert.equal(readdirSync(join(state, 'drills', 'scratch')), [], 'the ledger is empty once every place is removed');
});

test('daemon: verify: schedule drills, exports the duration; a changed DR file fails the next drill, sets the metric, fires drill.failed', async () => {
  const tb = testbed();
  const id = uniq('drilld');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await makeTree(src, 6, 10_000);
  const dir = tempDir('drilld');
  const sink = await webhookSink();
  try {
    // real clock: the daemon trusts no name dated ahead of it
    const file = writePairPolicy(dir, { name: 'drill', src, dst, every: '24h' });
    const a = await hbr(['apply', '-f', file, '--state-dir', join(dir, 'apply'), '--auto-approve'], { HBR_NOW: undefined });
    assert.is(a.code, 0, a.stdout + a.stderr);
    writeFileSync(
      file,
      readFileSync(file, 'utf8')
        .replace('policies:', `notifications:\n  webhooks:\n    sink: { url: "${sink.url}", events: [drill.failed, drill.recovered] }\npolicies:`)
        .replace('    replicate:', '    verify: { every: 20s }\n    rto: 1h\n    replicate:'),
    );
    const d = await startDaemon(['-f', file], join(dir, 'state'), { HBR_NOW: undefined, HBR_DAEMON_START_SPREAD_MS: '0' });
    const labels = { policy: 'drill' };
    const first = await waitFor('a first drill that passed', async () => ((await d.metric('hbr_restore_drill_failed', labels)) === 0 ? true : undefined), 120_000, 1000);
    assert.ok(first);
    const seconds = await d.metric('hbr_restore_drill_duration_seconds', labels);
    assert.ok(seconds !== undefined && seconds > 0, `duration ${seconds}`);
    assert.ok(((await d.metric('hbr_restore_drill_last_success_timestamp_seconds', labels)) ?? 0) > Date.now() / 1000 - 600);
    assert.is(await d.metric('hbr_restore_drill_interval_seconds', labels), 20);
    assert.is(await d.metric('hbr_rto_seconds', labels), 3600);
    const st = (await d.status()).policies.find((p) => p.name === 'drill')!;
    assert.is(st.drill?.every, '20s');
    assert.is(st.drill?.last?.ok, true);
    assert.is(st.rtoSeconds, 3600);
    console.log(`  drill on the test bed (6 files x 10 kB, both sites): ${seconds!.toFixed(1)} s`);

    // Behind hbr's back, in the DR recovery point itself: a file rewritten (same length, other
    // bytes) and the snapshot re-made under hbr's name. A change to the live DR tree alone would be
    // rolled back by the policy's next run (replicate.repair-target), so only the recovery point
    // stays wrong, and only a drill sees it. Done after the first run, so that no run is under way.
    await waitFor('the first reconcile', async () => (await d.status()).policies.find((p) => p.name === 'drill')?.lastRun, 120_000, 1000);
    const snap = (await snapshotNames(dr, dst)).at(-1)!;
    await dr.create(`${dst}/sub0/part-003.bin`, randomBytes(10_000), { overwrite: true });
    await dr.deleteSnapshot(dst, snap);
    await dr.createSnapshot(dst, snap);
    await waitFor('a failed drill', async () => ((await d.metric('hbr_restore_drill_failed', labels)) === 1 ? true : undefined), 120_000, 1000);
    const hook = await waitFor('the drill.failed webhook', () => sink.received.find((h) => h.event === 'drill.failed'), 30_000);
    assert.is(hook.policy, 'drill');
    assert.match(String(hook.summary), /sub0\/part-003\.bin/);
    const failed = (await d.status()).policies.find((p) => p.name === 'drill')!.drill!.last!;
    assert.is(failed.ok, false);
    assert.ok(failed.failed.some((f) => f.includes('sub0/part-003.bin')), failed.failed.join('\n'));
    // hbr status says so, and exits 2 (needs attention)
    const s = await hbr(['status', '--url', d.url()]);
    assert.is(s.code, 2, s.stdout + s.stderr);
    assert.match(s.stdout, /drill: restore drill .* FAILED in/);
    assert.match(s.stdout, /sub0\/part-003\.bin/);
    // the last success stays exported (the overdue alert counts from it)
    assert.ok(((await d.metric('hbr_restore_drill_last_success_timestamp_seconds', labels)) ?? 0) > 0);
    assert.ok(existsSync(join(dir, 'state', 'drills', 'drill.json')));
    d.child.kill('SIGTERM');
    await d.exited;
  } finally {
    await sink.close();
  }
  void tb;
});

test.run();
