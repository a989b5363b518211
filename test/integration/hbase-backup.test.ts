/**
 * The HBase system on a real HBase 2.6.1 (issue 13, points 1 and 3; docs/hbase.md): two tables, a
 * full backup, then an incremental when the schedule says so (HBR_NOW walks the clock); a second plan
 * has nothing to do and says when the next full and incremental are due; then a file removed from the
 * completed full's image on the DR cluster: the backup is reported bad, the chain stops counting, and
 * a new full is planned and taken; a kill -9 of the backup client mid-copy: repair, the leaked snapshots
 * and the partial image removed, and the next incremental covers the rows. The HBase is the one the
 * HBase suites share (sharedHbase, test/helpers/hbase.ts): its own tables, its own backup root.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { iso } from '../../src/model/format.js';
import { hbaseEnv, sharedHbase, writeHbasePolicy, type Hbase } from '../helpers/hbase.js';
import { at, clusters, hbr, listFiles, tempDir } from '../helpers/hbr.js';
import { uniq } from '../helpers/testbed.js';
import { recordedChildPids, waitFor } from '../helpers/daemon.js';

const name = uniq('hbase-sys');
const dir = tempDir('hbase-sys');
const state = join(dir, 'state');
const root = `/hbase-backups/${name}`;
let h: Hbase;
let file: string;
const t0 = Date.now();

interface PlanJson { steps: Array<{ kind: string; reason: string; params: { tables?: string[] } }>; warnings: Array<{ message: string }>; notes?: Array<{ message: string }> }

async function planJson(now?: string): Promise<PlanJson> {
  const r = await hbr(['plan', '--json', '-f', file, '--state-dir', state], { ...hbaseEnv(h), ...(now ? { HBR_NOW: now } : {}) });
  assert.ok(r.code === 0, `plan failed (${r.code}):\n${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as PlanJson;
}

async function apply(now?: string): Promise<string> {
  const r = await hbr(['apply', '--auto-approve', '-f', file, '--state-dir', state], { ...hbaseEnv(h), ...(now ? { HBR_NOW: now } : {}) });
  assert.ok(r.code === 0, `apply failed (${r.code}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** This suite's backup sessions: those of its root (backup:system of the shared HBase holds other suites' too). */
async function ours() {
  return (await h.sessions()).filter((s) => s.root.replace(/\/+$/, '').endsWith(root));
}

const rows = (from: number, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`row-${String(from + i).padStart(4, '0')}`, { 'cf:v': `value ${from + i}` }]));

test.before(async () => {
  const shared = sharedHbase();
  h = shared.hbase;
  console.log(`  [figures] HBase + REST ${shared.started ? `up in ${((Date.now() - t0) / 1000).toFixed(1)} s` : 'already up (shared)'}`);
  await h.createTable('orders', ['cf']);
  await h.createTable('users', ['cf']);
  await h.putRows('orders', rows(0, 50));
  await h.putRows('users', rows(0, 20));
  file = writeHbasePolicy(join(dir, 'hbase.yaml'), h, { name: 'shop', tables: ['orders', 'users'], root, full: '7d', incremental: '1h', rpo: '2h' });
});

test.after(async () => {
  // the shared HBase stays up for the next suite; it is stopped at exit
  await clusters().dr.delete(root, true).catch(() => false);
  console.log(`  [figures] hbase-backup suite: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
});

test('point 1: a full, then incrementals on schedule; a second plan is empty and says when the next are due', async () => {
  let plan = await planJson();
  assert.equal(plan.steps.map((s) => s.kind), ['hbase.backup.full'], JSON.stringify(plan, null, 1));
  assert.equal(plan.steps[0]!.params.tables, ['default:orders', 'default:users']);
  assert.match(plan.steps[0]!.reason, /first full backup/);
  let t = Date.now();
  const out = await apply();
  console.log(`  [figures] hbr apply of a full backup of 2 tables (70 rows): ${((Date.now() - t) / 1000).toFixed(1)} s`);
  assert.match(out, /backup_\d+ COMPLETE, image recorded/);
  const [full] = await ours();
  assert.ok(full && full.state === 'COMPLETE' && full.type === 'FULL', JSON.stringify(full));
  assert.equal(full.tables, ['default:orders', 'default:users']);

  // Nothing to do now; the plan says when the next full and incremental are due.
  let r = await hbr(['plan', '-f', file, '--state-dir', state, '--detailed-exitcode'], hbaseEnv(h));
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /No changes\./);
  const due = (ms: number) => iso(full.startTs + ms);
  assert.ok(r.stdout.includes(`next full due ${due(7 * 86400_000)} (after ${full.id}); next incremental due ${due(3600_000)} (after ${full.id})`), r.stdout);

  // An hour later: an incremental, covering the rows written since.
  await h.putRows('orders', rows(50, 30));
  const later = at(new Date(full.startTs).toISOString(), 1.01);
  plan = await planJson(later);
  assert.equal(plan.steps.map((s) => s.kind), ['hbase.backup.incremental'], JSON.stringify(plan, null, 1));
  assert.match(plan.steps[0]!.reason, new RegExp(`chain of ${full.id}`));
  t = Date.now();
  await apply(later);
  console.log(`  [figures] hbr apply of an incremental: ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const inc = (await ours()).find((s) => s.type === 'INCREMENTAL');
  assert.ok(inc && inc.state === 'COMPLETE', JSON.stringify(await ours()));
  // (the incremental ran on the real clock, seconds after the full: the next plan is read a minute after it)
  r = await hbr(['plan', '-f', file, '--state-dir', state, '--detailed-exitcode'], { ...hbaseEnv(h), HBR_NOW: new Date(inc.startTs + 60_000).toISOString() });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.ok(r.stdout.includes(`next incremental due ${iso(inc.startTs + 3600_000)} (after ${inc.id})`), r.stdout);
});

test('point 3: a file removed from a completed image: reported bad, not a recovery point, a new full planned', async () => {
  const sessions = await ours();
  const full = sessions.find((s) => s.type === 'FULL')!;
  const { dr } = clusters();
  const files = await listFiles(dr, `${root}/${full.id}`);
  const hfile = files.find((f) => f.includes('/archive/data/default/orders/') && !f.endsWith('.regioninfo'));
  assert.ok(hfile, files.join('\n'));
  assert.ok(await dr.delete(`${root}/${full.id}/${hfile}`));

  const later = at(new Date(full.startTs).toISOString(), 1.02);
  const plan = await planJson(later);
  assert.ok(plan.warnings.some((w) => w.message.includes(`backup ${full.id}`) && /does not verify/.test(w.message)), JSON.stringify(plan.warnings));
  assert.equal(plan.steps.map((s) => s.kind), ['hbase.backup.full'], JSON.stringify(plan, null, 1));
  assert.match(plan.steps[0]!.reason, new RegExp(`chain of ${full.id} is broken`));
  assert.equal(plan.notes ?? [], [], 'no chain to count from: no next-due note');
  await apply(later);
  const fulls = (await ours()).filter((s) => s.type === 'FULL' && s.state === 'COMPLETE');
  assert.is(fulls.length, 2);
  const r = await hbr(['plan', '-f', file, '--state-dir', state, '--detailed-exitcode'], { ...hbaseEnv(h), HBR_NOW: new Date(fulls[1]!.startTs + 60_000).toISOString() });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.ok(r.stdout.includes(`(after ${fulls[1]!.id})`), r.stdout);
});

test('point 2: kill -9 of the backup client mid-copy: the plan shows the repair; apply repairs, removes the leaked snapshots and the partial image; the next incremental covers the rows', async () => {
  const goodFull = (await ours()).filter((s) => s.type === 'FULL' && s.state === 'COMPLETE').pop()!;
  await h.putRows('orders', rows(80, 40)); // rows the killed backup misses
  const weekLater = at(new Date(goodFull.startTs).toISOString(), 7 * 24 + 1);
  assert.equal((await planJson(weekLater)).steps.map((s) => s.kind), ['hbase.backup.full']);
  const applying = hbr(['apply', '--auto-approve', '-f', file, '--state-dir', state], { ...hbaseEnv(h), HBR_NOW: weekLater });
  const [pid] = await recordedChildPids(state, 60_000);
  const { primary, dr } = clusters();
  const snapDir = `${new URL(h.rootdir).pathname}/.hbase-snapshot`;
  // Mid-copy: the session RUNNING, both table snapshots taken (its row names none yet), its image being written.
  const listSnaps = async () => ((await primary.stat(snapDir)) ? (await primary.listStatus(snapDir)).map((f) => f.pathSuffix) : []);
  const { s, leaked } = await waitFor('a RUNNING session with both snapshots taken and its image dir on DR', async () => {
    const run = (await ours()).find((x) => x.state === 'RUNNING');
    if (!run) return undefined;
    const snaps = (await listSnaps()).filter((n) => /^snapshot_\d+_default_(orders|users)$/.test(n) && Number(n.split('_')[1]) >= run.startTs);
    return snaps.length === 2 && (await dr.stat(`${root}/${run.id}`)) ? { s: run, leaked: snaps.sort() } : undefined;
  }, 120_000, 50);
  process.kill(pid!, 'SIGKILL');
  const r = await applying;
  assert.is.not(r.code, 0, 'the apply whose backup was killed fails');
  assert.match(r.stdout + r.stderr, new RegExp(`${s.id} is RUNNING`));
  assert.is(await h.locked(), true, 'HBase keeps the lock of the killed session');
  const rootdirPath = new URL(h.rootdir).pathname;
  for (const n of leaked) assert.ok(await primary.stat(`${rootdirPath}/.hbase-snapshot/${n}`), `snapshot ${n} leaked`);

  const plan = await planJson(weekLater);
  const kinds = plan.steps.map((x) => `${x.kind} ${(x as unknown as { target: { path: string } }).target.path}`).sort();
  const expected = [
    `hbase.backup.repair ${root}`,
    ...leaked.map((n) => `hbase.debris.delete ${rootdirPath}/.hbase-snapshot/${n}`),
    `hbase.debris.delete ${root}/${s.id}`,
  ].sort();
  assert.equal(kinds, expected, JSON.stringify(plan, null, 1));
  const t = Date.now();
  await apply(weekLater);
  console.log(`  [figures] hbr apply of the repair and ${expected.length - 1} debris deletes: ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const repaired = (await ours()).find((x) => x.id === s.id)!;
  assert.is(repaired.state, 'FAILED');
  assert.is(await h.locked(), false);
  for (const n of leaked) assert.is(await primary.stat(`${rootdirPath}/.hbase-snapshot/${n}`), undefined, `snapshot ${n} removed`);
  assert.is(await dr.stat(`${root}/${s.id}`), undefined, 'partial image removed');
  // Idempotent: nothing left to repair or delete (the full is due again at that time).
  assert.equal((await planJson(weekLater)).steps.map((x) => x.kind), ['hbase.backup.full']);

  // An hour after the good full's chain: an incremental, and it covers the rows the killed backup missed.
  const chain = (await ours()).filter((x) => x.state === 'COMPLETE').pop()!;
  const hourLater = at(new Date(chain.startTs).toISOString(), 1.01);
  assert.equal((await planJson(hourLater)).steps.map((x) => x.kind), ['hbase.backup.incremental']);
  await apply(hourLater);
  const inc = (await ours()).filter((x) => x.state === 'COMPLETE').pop()!;
  assert.is(inc.type, 'INCREMENTAL');
  const restored = h.cli('restore', [`${inc.root}`, inc.id, '-t', 'orders', '-m', 'orders_check']);
  assert.is(restored.status, 0, restored.stdout + restored.stderr);
  assert.equal(await h.rowKeys('orders_check'), await h.rowKeys('orders'));
  assert.is((await h.rowKeys('orders_check')).length, 120);
});

test('point 4: retention over a simulated clock deletes whole chains only; the FAILED full is never deleted, so its cascade never runs; the newest good chain stays', async () => {
  writeHbasePolicy(file, h, { name: 'shop', tables: ['orders', 'users'], root, full: '7d', incremental: '1h', rpo: '2h', keep: '{ last: 1 }' });
  const all = await ours();
  const [f1, i1, f2] = all.filter((x) => x.state === 'COMPLETE');
  const failed = all.find((x) => x.state === 'FAILED' && x.type === 'FULL')!;
  const i2 = all.filter((x) => x.state === 'COMPLETE').pop()!;
  // The hazard of issue 13: the FAILED full sits between the good full and that full's incremental.
  assert.ok(f1 && i1 && f2 && failed && f2.startTs < failed.startTs && failed.startTs < i2.startTs && i2.type === 'INCREMENTAL', JSON.stringify(all.map((x) => [x.id, x.type, x.state])));
  const deletesOf = (plan: PlanJson) => plan.steps.filter((x) => x.kind === 'hbase.backup.delete').map((x) => (x.params as { ids?: string[] }).ids);

  let now = new Date(i2.startTs + 60_000).toISOString();
  let plan = await planJson(now);
  assert.equal(deletesOf(plan), [[f1.id, i1.id]], JSON.stringify(plan, null, 1));
  assert.equal(plan.steps.length, 1);
  await apply(now);
  let ids = (await ours()).map((x) => x.id);
  assert.ok(!ids.includes(f1.id) && !ids.includes(i1.id), 'the old chain is gone');
  assert.ok(ids.includes(failed.id) && ids.includes(i2.id) && ids.includes(f2.id), 'the FAILED full and the chain its cascade would cut are kept');
  assert.is(await clusters().dr.stat(`${root}/${f1.id}`), undefined, 'the old chain\'s images are gone');

  // A week on: a new full; only once it exists does the older chain go, whole, and the FAILED full still stays.
  now = at(new Date(f2.startTs).toISOString(), 7 * 24 + 2);
  plan = await planJson(now);
  assert.equal(plan.steps.map((x) => x.kind), ['hbase.backup.full'], 'the newest chain is never deleted before a newer one exists');
  await apply(now);
  const f3 = (await ours()).filter((x) => x.state === 'COMPLETE').pop()!;
  assert.is(f3.type, 'FULL');
  now = new Date(f3.startTs + 60_000).toISOString();
  plan = await planJson(now);
  assert.equal(deletesOf(plan), [[f2.id, i2.id]], JSON.stringify(plan, null, 1));
  await apply(now);
  ids = (await ours()).map((x) => x.id);
  assert.equal(ids.sort(), [failed.id, f3.id].sort(), 'left: the FAILED session and the newest good chain');
  const r = await hbr(['plan', '-f', file, '--state-dir', state, '--detailed-exitcode'], { ...hbaseEnv(h), HBR_NOW: now });
  assert.is(r.code, 0, r.stdout + r.stderr);
});

test('point 5: restore to a new table with rows counted; a second restore plans nothing; an existing table is refused without --overwrite', async () => {
  const f3 = (await ours()).filter((x) => x.state === 'COMPLETE').pop()!;
  const restore = (extra: string[]) => hbr(['restore', 'hbase', '--policy', 'shop', '--table', 'orders', '--auto-approve', '-f', file, '--state-dir', state, ...extra], hbaseEnv(h));
  const source = (await h.rowKeys('orders')).length;
  let t = Date.now();
  let r = await restore([]);
  console.log(`  [figures] hbr restore hbase of ${source} rows (check, restore, count): ${((Date.now() - t) / 1000).toFixed(1)} s`);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const target = `default:orders_${f3.id}`;
  assert.match(r.stdout, new RegExp(`\\+ restore\\.hbase\\s+${target} <- .*@${f3.id}`));
  assert.match(r.stdout, new RegExp(`Restore complete: ${source} rows of default:orders restored into ${target} from ${f3.id}`));
  assert.equal(await h.rowKeys(target), await h.rowKeys('orders'));

  r = await restore([]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /No changes: nothing to restore/);

  // orders_check exists (restored by hand in point 2, not by hbr from this backup): refused, then replaced with --overwrite.
  r = await restore(['--to', 'orders_check']);
  assert.is.not(r.code, 0);
  assert.match(r.stdout + r.stderr, /table default:orders_check exists.*--overwrite/);
  t = Date.now();
  r = await restore(['--to', 'orders_check', '--overwrite']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /-\/\+ restore\.hbase\s+default:orders_check/);
  assert.match(r.stdout, new RegExp(`Restore complete: ${source} rows`));
});

test('drill: hbr verify restores the newest chain into scratch tables, compares the rows recorded when the backup completed, drops the scratch', async () => {
  const f3 = (await ours()).filter((x) => x.state === 'COMPLETE').pop()!;
  const later = at(new Date(f3.startTs).toISOString(), 1.01);
  await apply(later); // an incremental whose record carries the row counts
  const inc = (await ours()).filter((x) => x.state === 'COMPLETE').pop()!;
  assert.is(inc.type, 'INCREMENTAL');
  const t = Date.now();
  const r = await hbr(['verify', '--policy', 'shop', '-f', file, '--state-dir', state], { ...hbaseEnv(h), HBR_NOW: later });
  console.log(`  [figures] hbr verify of an HBase chain (full + incremental, 2 tables): ${((Date.now() - t) / 1000).toFixed(1)} s`);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`default:orders: 120 rows restored, 120 recorded when ${inc.id} completed`));
  assert.match(r.stdout, new RegExp(`default:users: 20 rows restored, 20 recorded when ${inc.id} completed`));
  assert.match(r.stdout, /Drill passed/);
  for (const tb of ['orders', 'users']) {
    const res = await fetch(`${h.rest}/${encodeURIComponent(`default:hbrdrill_default_${tb}_${inc.id}`)}/schema`, { headers: { Accept: 'application/json' } });
    assert.is(res.status, 404, `scratch table of ${tb} dropped`);
  }
});

test.run();
