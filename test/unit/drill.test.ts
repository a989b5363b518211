/** The pure parts of restore drills (docs/drills.md): loading verify/rto, the record, timing, tree comparison, scratch names, metrics. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drillRecord, readDrillRecord, readDrillRecords, writeDrillRecord } from '../../src/engine/drill.js';
import { drillTiming, firstDrillDelay, recordDrill, setDrillMetrics } from '../../src/daemon/drills.js';
import type { PolicyRuntime, RecordContext } from '../../src/daemon/runtime.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { formatPolicyError, loadConfigSources } from '../../src/schema/load.js';
import { compareTrees, describeDiff, type Tree, type TreeEntry } from '../../src/systems/hdfs/drill-compare.js';
import { drillScratch, isDrillScratchPath } from '../../src/systems/hdfs/scratch.js';
import { drillScratchDone, forgetDrillScratch, readDrillScratch, recordDrillScratch, staleDrillScratch } from '../../src/engine/drill-scratch.js';
import { expectOne } from '../fixtures/policy-errors.js';

const HEAD = `version: 1
clusters:
  prod: { hdfs: { webhdfs: http://nn.prod:9870, fs: hdfs://nn.prod:8020 } }
  dr: { hdfs: { webhdfs: http://nn.dr:9870, fs: hdfs://nn.dr:8020 } }
policies:
  w:
    source: { cluster: prod, path: /w }
    snapshots: { every: 1h }
    replicate: [{ to: { cluster: dr, path: /w } }]
`;

test('verify and rto load into the policy, in ms', () => {
  const r = loadConfigSources([{ file: 'p.yaml', text: `${HEAD}    verify: { every: 7d }\n    rto: 4h\n` }]);
  if ('errors' in r) return assert.unreachable(r.errors.map(formatPolicyError).join('\n'));
  assert.equal(r.config.policies.w!.verify, { every: 7 * 86_400_000 });
  assert.is(r.config.policies.w!.rto, 4 * 3_600_000);
  const none = loadConfigSources([{ file: 'p.yaml', text: HEAD }]);
  if ('errors' in none) return assert.unreachable('valid');
  assert.is(none.config.policies.w!.verify, undefined);
});

test('a bad verify interval or rto is an error at its file:line:col', async () => {
  await expectOne({ 'p.yaml': `${HEAD}    verify: { every: 7days }\n` }, 'p.yaml', 10, 22, ['expected a duration']);
  await expectOne({ 'p.yaml': `${HEAD}    rto: 0s\n` }, 'p.yaml', 10, 10, []);
  await expectOne({ 'p.yaml': `${HEAD}    verify: {}\n` }, 'p.yaml', 10, 5, ["missing required key 'every'"]);
});

const rec = (ok: boolean, start: number, end: number, prev?: ReturnType<typeof drillRecord>, rto?: number) =>
  drillRecord({ name: 'w', kind: 'hdfs-snapshots', ...(rto !== undefined && { rto }) }, { point: 'dr:/w@hbr-20300101T000000Z', ok, checks: [{ what: 'x', ok }] }, start, end, prev);

test('drillRecord: duration from the core clock, rto exceeded, last success carried over a failure', () => {
  const t = Date.UTC(2030, 0, 1);
  const a = rec(true, t, t + 90_000, undefined, 60_000);
  assert.is(a.durationSeconds, 90);
  assert.is(a.rtoSeconds, 60);
  assert.is(a.rtoExceeded, true);
  assert.is(a.lastSuccessAt, new Date(t + 90_000).toISOString());
  const b = rec(false, t + 1e6, t + 1e6 + 1000, a);
  assert.is(b.ok, false);
  assert.is(b.lastSuccessAt, a.lastSuccessAt);
  assert.is(b.rtoExceeded, false);
  assert.is(rec(false, t, t + 1, undefined).lastSuccessAt, undefined);
});

test('records survive a fresh process: written atomically, read back by policy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hbr-drill-'));
  assert.is(readDrillRecord(dir, 'w'), undefined);
  const r = rec(true, 0, 1000);
  writeDrillRecord(dir, r);
  assert.equal(readDrillRecord(dir, 'w'), r);
  assert.equal([...readDrillRecords(dir).keys()], ['w']);
});

test('the first drill of a loop: due from the last passed record, soon without one or after a failure', () => {
  const now = Date.UTC(2030, 0, 2);
  const every = 86_400_000;
  assert.ok(firstDrillDelay(undefined, every, now, 0.5) <= 30_000);
  const passed = rec(true, now - 3_600_000, now - 3_600_000);
  assert.is(firstDrillDelay(passed, every, now, 0), every - 3_600_000);
  assert.ok(firstDrillDelay(rec(false, now - 60_000, now - 60_000), every, now, 0.5) <= 30_000);
  const old = rec(true, now - 3 * every, now - 3 * every);
  assert.ok(firstDrillDelay(old, every, now, 0) <= 30_000);
  const t = drillTiming(every);
  assert.is(t.retryMaxMs, every);
  assert.is(t.retryBaseMs, 3_600_000);
});

const file = (length: number, bytes: string, algorithm = 'MD5-of-0MD5-of-512CRC32C') => ({ type: 'FILE' as const, length, checksum: { algorithm, bytes, length: 28 } });

test('compareTrees names every file that differs, is missing, is extra, or cannot be compared', () => {
  const want: Tree = new Map<string, TreeEntry>([
    ['a', { type: 'DIRECTORY', length: 0 }],
    ['a/1.txt', file(5, 'aa')],
    ['a/2.txt', file(5, 'bb')],
    ['3.txt', file(7, 'cc')],
    ['4.txt', file(9, 'dd')],
    ['empty', file(0, '')],
  ]);
  assert.is(describeDiff(compareTrees(want, new Map(want))), undefined);
  assert.equal(compareTrees(want, new Map(want)).files, 5);
  assert.equal(compareTrees(want, new Map(want)).bytes, 26);
  const got: Tree = new Map(want);
  got.set('a/2.txt', file(5, 'XX'));
  got.delete('3.txt');
  got.set('extra.txt', file(1, 'ee'));
  got.set('4.txt', file(9, 'zz', 'MD5-of-262144MD5-of-512CRC32C'));
  got.set('empty', file(0, 'other', 'MD5-of-0MD5-of-0CRC32'));
  const d = compareTrees(want, got);
  assert.equal(d.differ, ['a/2.txt']);
  assert.equal(d.missing, ['3.txt']);
  assert.equal(d.extra, ['extra.txt']);
  assert.equal(d.incomparable.map((x) => x.path), ['4.txt']);
  const text = describeDiff(d)!;
  for (const s of ['content differs: a/2.txt', 'missing from the restore: 3.txt', 'restored but not protected: extra.txt', 'not comparable', '4.txt', 'distcp -pb']) assert.ok(text.includes(s), `${s} in ${text}`);
  // a length change is a difference even without checksums
  const short: Tree = new Map(want);
  short.set('a/1.txt', file(4, 'aa'));
  assert.equal(compareTrees(want, short).differ, ['a/1.txt']);
});

test('drill scratch: hbr-named and dated beside the directory; only its own names are recognized', () => {
  const s = drillScratch('/dr/warehouse');
  assert.is(s.parent, '/dr');
  const stamp = s.stamp(Date.UTC(2030, 0, 1, 13, 0, 5, 123));
  assert.is(stamp, '20300101T130005Z');
  assert.is(s.name(stamp, 'dr0'), '/dr/.hbr-drill-warehouse-20300101T130005Z-dr0');
  assert.ok(s.isMine('.hbr-drill-warehouse-20300101T130005Z-source'));
  assert.not.ok(s.isMine('warehouse'));
  assert.not.ok(s.isMine('.hbr-drill-warehouse-x-20300101T130005Z-dr0')); // another directory's
  assert.not.ok(s.isMine('.hbr-drill-warehouse-20300101T130005Z')); // not a drill's whole name
  assert.is(drillScratch('/top').name('20300101T000000Z', 'source'), '/.hbr-drill-top-20300101T000000Z-source');
});

test('drill scratch of / : refused (it has no place beside it, and named "root" it took /root\'s scratch for its own)', () => {
  assert.throws(() => drillScratch('/'), /a directory at \/ has no place beside it/);
  assert.not.ok(drillScratch('/root').isMine('.hbr-drill--20300101T130005Z-dr0'));
});

test('drill metrics: duration, failed, last success, interval and rto per policy', async () => {
  const m = createMetrics({ defaultMetrics: false });
  const p = { name: 'w', kind: 'hdfs-snapshots', verify: { every: 600_000 }, rto: 300_000, at: { file: 'p', line: 1, col: 1 } };
  setDrillMetrics(m, p, undefined);
  let text = await m.registry.metrics();
  assert.match(text, /hbr_restore_drill_interval_seconds\{policy="w"\} 600/);
  assert.match(text, /hbr_rto_seconds\{policy="w"\} 300/);
  assert.not.match(text, /hbr_restore_drill_failed\{/);
  const ok = rec(true, 0, 12_500);
  setDrillMetrics(m, p, rec(false, 20_000, 21_000, ok));
  text = await m.registry.metrics();
  assert.match(text, /hbr_restore_drill_failed\{policy="w"\} 1/);
  assert.match(text, /hbr_restore_drill_duration_seconds\{policy="w"\} 1\b/);
  assert.match(text, /hbr_restore_drill_last_success_timestamp_seconds\{policy="w"\} 12.5/);
});

test('drill webhooks: drill.failed once per outage (also across a restart), drill.recovered when one passes again', () => {
  const sent: Array<{ event: string; summary: string }> = [];
  const quiet = () => {};
  const c = { metrics: createMetrics({ defaultMetrics: false }), log: { info: quiet, warn: quiet, error: quiet }, now: () => 0, notify: (n: { event: string; summary: string }) => sent.push(n) } as unknown as RecordContext;
  const p = { name: 'w', kind: 'hdfs-snapshots', verify: { every: 600_000 }, at: { file: 'p', line: 1, col: 1 } };
  const rt = {} as PolicyRuntime;
  const failing = (t: number) =>
    drillRecord(p, { point: 'dr:/w@x', ok: false, checks: [{ what: 'dr:/w@x restored', ok: false, detail: 'content differs: a/2.txt' }] }, t, t + 1, undefined);
  recordDrill(c, p, rt, rec(true, 0, 1));
  recordDrill(c, p, rt, failing(10));
  recordDrill(c, p, rt, failing(20));
  assert.equal(sent.map((n) => n.event), ['drill.failed']);
  assert.match(sent[0]!.summary, /content differs: a\/2\.txt/);
  recordDrill(c, p, rt, rec(true, 30, 31));
  assert.equal(sent.map((n) => n.event), ['drill.failed', 'drill.recovered']);
  // a daemon restarted with a failed record (rt.drill read from the state dir) does not page again
  const restarted = { drill: failing(40) } as PolicyRuntime;
  recordDrill(c, p, restarted, failing(50));
  assert.is(sent.length, 2);
});

test('scratch ledger: a record is stale once its drill is done in this process, or its process is gone; a recycled pid is not its process', async () => {
  const state = mkdtempSync(join(tmpdir(), 'hbr-ledger-'));
  const ref = { cluster: 'dr', path: '/w/.hbr-drill-w-20300101T000000Z-dr0' };
  const mine = recordDrillScratch(state, 'w', 'hdfs-snapshots', ref);
  assert.equal(staleDrillScratch(state), [], 'a drill of this process still running');
  drillScratchDone(mine);
  assert.equal(staleDrillScratch(state).map((r) => r.id), [mine]);
  forgetDrillScratch(state, mine);
  assert.equal(readDrillScratch(state), []);

  // another live process: its own command line (not ours) in the record → running; a different one → a recycled pid
  const child = spawn('sleep', ['30']);
  try {
    await new Promise((r) => setTimeout(r, 100));
    const dir = join(state, 'drills', 'scratch');
    const rec = (id: string, pid: number, cmdline: string) =>
      writeFileSync(join(dir, `${id}.json`), JSON.stringify({ id, policy: 'w', kind: 'hdfs-snapshots', ref, pid, cmdline, recordedAt: '2030-01-01T00:00:00Z' }));
    rec('live', child.pid!, 'sleep 30 ');
    rec('recycled', child.pid!, 'node /usr/bin/hbr verify --policy w ');
    rec('dead', 2 ** 22 + 7, 'node hbr ');
    writeFileSync(join(dir, 'torn.json'), '{"id":');
    assert.equal(staleDrillScratch(state).map((r) => r.id).sort(), ['dead', 'recycled']);
    assert.not.ok(existsSync(join(dir, 'torn.json')), 'a damaged record names nothing to check: dropped');
  } finally {
    child.kill();
  }
});

test('a drill scratch path is believed only by its name', () => {
  assert.ok(isDrillScratchPath('/w/.hbr-drill-w-20300101T000000Z-dr0'));
  assert.ok(isDrillScratchPath('/.hbr-drill-data-20300101T000000Z-source'));
  for (const p of ['/w', '/w/.hbr-drill-w', 'w/.hbr-drill-w-20300101T000000Z-dr0', '/w/../.hbr-drill-w-20300101T000000Z-dr0/..', '/w/.hbr-drill-w-20300101T000000Z-dr0/x', '/']) {
    assert.not.ok(isDrillScratchPath(p), p);
  }
});

test.run();
