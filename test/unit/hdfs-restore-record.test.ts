/** The restore journal of `hbr restore hdfs` (src/systems/hdfs/restore-record.ts), on a local temporary state dir. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordedByUnfinished, recordIntent, unfinishedRestores } from '../../src/systems/hdfs/restore-record.js';

const rec = (paths: string[], cluster = 'prod') => ({ policy: 'p', cluster, paths, snapshot: 'hbr-20261201T000000Z', startedAt: 1, pid: 1 });

test('an intent is an unfinished restore until its outcome; only paths at or under it (same cluster) are covered', () => {
  const state = mkdtempSync(join(tmpdir(), 'hbr-rrec-'));
  assert.equal(unfinishedRestores(state), []);
  const a = recordIntent(state, rec(['/w/sales']));
  const u = unfinishedRestores(state);
  assert.is(u.length, 1);
  assert.ok(recordedByUnfinished(u, 'prod', '/w/sales'));
  assert.ok(recordedByUnfinished(u, 'prod', '/w/sales/eu'));
  assert.not.ok(recordedByUnfinished(u, 'prod', '/w/salesX'));
  assert.not.ok(recordedByUnfinished(u, 'prod', '/w'));
  assert.not.ok(recordedByUnfinished(u, 'dr', '/w/sales'));
  a.outcome({ files: 3 });
  assert.equal(unfinishedRestores(state), []);
  const history = readFileSync(join(state, 'restores', 'history.jsonl'), 'utf8').trim().split('\n');
  assert.is((JSON.parse(history[0]!) as { files: number }).files, 3);
});

test('a verified restore also closes an older unfinished one wholly under it, not one elsewhere', () => {
  const state = mkdtempSync(join(tmpdir(), 'hbr-rrec-'));
  recordIntent(state, rec(['/w/sales/eu'])); // killed
  recordIntent(state, rec(['/w/logs'])); // killed
  recordIntent(state, rec(['/w'])).outcome({});
  assert.equal(unfinishedRestores(state), [], 'both were under /w');
  recordIntent(state, rec(['/w/logs'], 'dr'));
  recordIntent(state, rec(['/x'])).outcome({});
  assert.equal(unfinishedRestores(state).map((r) => [r.cluster, r.paths]), [['dr', ['/w/logs']]]);
  assert.ok(readdirSync(join(state, 'restores')).every((n) => !n.endsWith('.tmp')));
});

test.run();
