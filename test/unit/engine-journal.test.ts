/** The journal: append-only JSON lines, durable intents, unfinished steps after a crash, compaction. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compactJournal, Journal, journalPath, readJournal, readUnfinished, type JournalRecord } from '../../src/engine/journal.js';
import { step, tempDir } from '../fixtures/engine-helpers.js';
import { supersedingKinds } from '../../src/systems/index.js';

const rec = (event: JournalRecord['event'], stepId: string, run = 'r1', ts = 1): JournalRecord => ({ ts, run, event, stepId, kind: 'hdfs.snapshot.create', policy: 'p' });
const writeRecords = (state: string, recs: JournalRecord[], tail = '') =>
  writeFileSync(journalPath(state), recs.map((r) => JSON.stringify(r) + '\n').join('') + tail);

test('records: intent, done with the outcome, failed with the error; one JSON object a line', () => {
  const state = join(tempDir(), 'nested', 'state');
  const j = Journal.open(state);
  assert.is(statSync(state).mode & 0o777, 0o700, 'the state dir is made private');
  const before = Date.now();
  j.intent('run-1', step('a', { policy: 'pol' }));
  j.done('run-1', step('a', { policy: 'pol' }), { bytesCopied: 5, note: 'n' });
  j.intent('run-1', step('b'));
  j.failed('run-1', step('b'), 'it broke');
  j.close();
  j.close(); // idempotent
  const lines = readFileSync(journalPath(state), 'utf8').split('\n');
  assert.is(lines.length, 5);
  assert.is(lines[4], '');
  const recs = readJournal(state);
  assert.equal(
    recs.map(({ ts: _ts, ...r }) => r),
    [
      { run: 'run-1', event: 'intent', stepId: 'a', kind: 'hdfs.snapshot.create', policy: 'pol' },
      { run: 'run-1', event: 'done', stepId: 'a', kind: 'hdfs.snapshot.create', policy: 'pol', outcome: { bytesCopied: 5, note: 'n' } },
      { run: 'run-1', event: 'intent', stepId: 'b', kind: 'hdfs.snapshot.create', policy: 'p' },
      { run: 'run-1', event: 'failed', stepId: 'b', kind: 'hdfs.snapshot.create', policy: 'p', error: 'it broke' },
    ],
  );
  assert.ok(recs.every((r) => r.ts >= before && r.ts <= Date.now()));
  assert.throws(() => j.intent('run-1', step('c')), /closed/);
});

test('appends: a journal reopened later keeps what was there', () => {
  const state = tempDir();
  const j1 = Journal.open(state);
  j1.intent('r1', step('a'));
  j1.close();
  const j2 = Journal.open(state);
  j2.done('r2', step('a'), {});
  j2.close();
  assert.equal(readJournal(state).map((r) => `${r.run}:${r.event}`), ['r1:intent', 'r2:done']);
});

test('readJournal / readUnfinished: no journal yet is an empty one', () => {
  const state = tempDir();
  assert.equal(readJournal(state), []);
  assert.equal(readUnfinished(state), []);
  assert.equal(readUnfinished(join(state, 'does-not-exist')), []);
});

test('readUnfinished: an intent without outcome is unfinished', () => {
  const state = tempDir();
  writeRecords(state, [rec('intent', 'a', 'r1', 100), rec('intent', 'b', 'r1', 101), rec('done', 'b', 'r1', 102), rec('intent', 'c', 'r1', 103), rec('failed', 'c', 'r1', 104)]);
  assert.equal(readUnfinished(state), [{ stepId: 'a', kind: 'hdfs.snapshot.create', policy: 'p', startedAt: 100 }]);
});

test('readUnfinished: a finished step of a superseding kind ends earlier intents of its kind on its target (the Ozone bootstrap), nothing else', () => {
  const state = tempDir();
  const boot = 'ozone.replicate.bootstrap';
  assert.ok(supersedingKinds.has(boot), 'the Ozone bootstrap supersedes');
  assert.not.ok(supersedingKinds.has('hdfs.snapshot.create'));
  const r = (event: JournalRecord['event'], stepId: string, ts: number, kind = boot): JournalRecord => ({ ts, run: `r${ts}`, event, stepId, kind, policy: 'p' });
  writeRecords(state, [
    r('intent', `${boot}:dr:/vol/b@hbr-20261101t000000z`, 1), // killed mid-copy
    r('intent', `${boot}:dr:/vol/other@hbr-20261101t000000z`, 2), // another bucket: stays
    r('intent', `${boot}:dr:/vol/b@hbr-20261101t010000z`, 3), // the resume, under the newer snapshot
    r('done', `${boot}:dr:/vol/b@hbr-20261101t010000z`, 4),
    r('intent', 'hdfs.snapshot.create:c:/d@s1', 5, 'hdfs.snapshot.create'),
    r('done', 'hdfs.snapshot.create:c:/d@s2', 6, 'hdfs.snapshot.create'), // not superseding: s1 stays
  ]);
  assert.equal(readUnfinished(state, supersedingKinds).map((u) => u.stepId), [`${boot}:dr:/vol/other@hbr-20261101t000000z`, 'hdfs.snapshot.create:c:/d@s1']);
  // without the rule (the review of 2026-12-02), the stale intent of /vol/b stayed: a DR bucket with
  // keys and no snapshots, weeks later, passed for a resumable bootstrap and was re-synced with -delete
  assert.ok(readUnfinished(state).some((u) => u.stepId === `${boot}:dr:/vol/b@hbr-20261101t000000z`));
});

test('readUnfinished: a truncated last line (crash mid-write) is ignored, and garbage lines too', () => {
  const state = tempDir();
  writeRecords(state, [rec('intent', 'a'), rec('intent', 'b')], '{"ts":5,"run":"r1","event":"done","stepId":"a","ki');
  assert.equal(readUnfinished(state).map((u) => u.stepId), ['a', 'b'], 'the torn done of a does not count');
  writeRecords(state, [rec('intent', 'a')], 'not json\n{"some":"object"}\nnull\n[1]\n{"ts":1,"run":"r","event":"bogus","stepId":"a","kind":"k","policy":"p"}\n' + JSON.stringify(rec('intent', 'z')) + '\n{"ts":');
  assert.equal(readJournal(state).map((r) => r.stepId), ['a', 'z']);
  assert.equal(readUnfinished(state).map((u) => u.stepId), ['a', 'z']);
});

test('a journal reopened after a torn write ends that line first, so the next record is not lost', () => {
  const state = tempDir();
  const j = Journal.open(state);
  j.intent('r1', step('a'));
  j.close();
  appendFileSync(journalPath(state), '{"ts":1,"run":"r1","event":"do'); // crash mid-write
  const j2 = Journal.open(state);
  j2.failed('r2', step('a'), 'later run failed it');
  j2.close();
  assert.equal(readJournal(state).map((r) => `${r.run}:${r.event}:${r.stepId}`), ['r1:intent:a', 'r2:failed:a']);
  assert.equal(readUnfinished(state), []);
});

test('readUnfinished: a later run resolving the step resolves every earlier intent of it; a new intent reopens it', () => {
  const state = tempDir();
  writeRecords(state, [
    rec('intent', 'x', 'crashed-1', 1),
    rec('intent', 'x', 'crashed-2', 2),
    rec('intent', 'y', 'crashed-2', 3),
    rec('done', 'x', 'r3', 4),
  ]);
  assert.equal(readUnfinished(state).map((u) => u.stepId), ['y']);
  appendFileSync(journalPath(state), JSON.stringify(rec('intent', 'x', 'crashed-4', 5)) + '\n' + JSON.stringify(rec('intent', 'x', 'crashed-5', 6)) + '\n');
  const u = readUnfinished(state);
  assert.equal(u.map((x) => [x.stepId, x.startedAt]), [['y', 3], ['x', 6]], 'one entry per step: its newest intent');
});

test('compactJournal keeps the last N records and every still-unfinished older intent, atomically', () => {
  const state = tempDir();
  const recs: JournalRecord[] = [rec('intent', 'crashed', 'r0', 0)];
  for (let i = 1; i <= 50; i++) recs.push(rec(i % 2 ? 'intent' : 'done', `s${Math.ceil(i / 2)}`, 'r1', i));
  writeRecords(state, recs, '{"torn');
  const before = readUnfinished(state);
  assert.equal(before.map((u) => u.stepId), ['crashed']);
  const r = compactJournal(state, 10);
  assert.equal(r, { kept: 11, dropped: 40 });
  const after = readJournal(state);
  assert.is(after.length, 11);
  assert.is(after[0]!.stepId, 'crashed', 'the old unfinished intent survives, first');
  assert.equal(after.slice(1).map((x) => x.ts), [41, 42, 43, 44, 45, 46, 47, 48, 49, 50]);
  assert.equal(readUnfinished(state), before);
  assert.equal(readdirSync(state).sort(), ['journal.jsonl'], 'no temp file left');
  assert.ok(readFileSync(journalPath(state), 'utf8').endsWith('}\n'));
  // keepLast 0 keeps only what is unfinished; the default keeps everything here
  assert.equal(compactJournal(state, 0), { kept: 1, dropped: 10 });
  assert.equal(readJournal(state).map((x) => x.stepId), ['crashed']);
  assert.equal(compactJournal(state), { kept: 1, dropped: 0 });
  // and a journal opened afterwards appends to the compacted file
  const j = Journal.open(state);
  j.done('r9', step('crashed'), {});
  j.close();
  assert.equal(readUnfinished(state), []);
  assert.ok(existsSync(journalPath(state)));
});

test('Journal.compact on an open journal: keeps the tail and the running intent, and appends go on into the new file', () => {
  const state = tempDir();
  const j = Journal.open(state);
  try {
    for (let i = 0; i < 50; i++) {
      j.intent('r1', step(`s${i}`));
      j.done('r1', step(`s${i}`), {});
    }
    j.intent('r2', step('running')); // in flight while the daemon compacts
    for (let i = 50; i < 60; i++) {
      j.intent('r2', step(`s${i}`));
      j.done('r2', step(`s${i}`), {});
    }
    assert.equal(j.compact(6), { kept: 7, dropped: 114 });
    j.done('r2', step('running'), { note: 'after the compaction' });
    const recs = readJournal(state);
    assert.equal(recs.map((r) => `${r.event}:${r.stepId}`), ['intent:running', 'intent:s57', 'done:s57', 'intent:s58', 'done:s58', 'intent:s59', 'done:s59', 'done:running']);
    assert.equal(readUnfinished(state), []);
  } finally {
    j.close();
  }
  assert.throws(() => j.compact(), /closed/);
});

test('compactJournal of a state dir without a journal writes an empty one', () => {
  const state = tempDir();
  assert.equal(compactJournal(state, 5), { kept: 0, dropped: 0 });
  assert.equal(readJournal(state), []);
});

test.run();
