/** DistCp progress lines from the client's stderr (src/hadoop/distcp-progress.ts): map %, bytes, rate, ETA. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newProgress, onLine, PROGRESS_EVERY_MS, render } from '../../src/hadoop/distcp-progress.js';

const GIB = 1024 ** 3;
const map = (pct: number) => `2026-12-02 19:13:39,414 INFO mapreduce.Job:  map ${pct}% reduce 0%`;
const wrote = (n: number) => `2026-12-02 19:13:39,078 INFO mapred.RetriableFileCopyCommand: Completed writing hdfs://127.0.0.1:28020/tmp/prog/a (${n} bytes)`;

test('on YARN (map % only) with the bytes known: an estimate of the bytes done, the rate and the ETA; a repeated % is not logged again', () => {
  const s = newProgress(0, 10 * GIB);
  assert.is(onLine(s, map(0), 1_000), 'map 0%, ~0 B of 10 GiB');
  assert.is(onLine(s, map(25), 100_000), 'map 25%, ~2.5 GiB of 10 GiB, 26 MiB/s, ETA 5m');
  assert.is(onLine(s, map(25), 110_000), undefined);
  assert.is(onLine(s, 'INFO mapreduce.Job: Running job: job_1', 120_000), undefined);
  assert.is(onLine(s, map(100), 400_000), 'map 100%, ~10 GiB of 10 GiB, 26 MiB/s');
});

test('without the bytes known: map % only', () => {
  const s = newProgress(0);
  assert.is(onLine(s, map(40), 10_000), 'map 40%');
});

test('the local runner: completed files count exactly, logged at most every few seconds, and win over a lower estimate', () => {
  const s = newProgress(0, 100_000_000);
  assert.is(onLine(s, wrote(30_000_000), 10_000), 'map 0%, 29 MiB of 95 MiB, 2.9 MiB/s, ETA 23s');
  assert.is(onLine(s, wrote(10_000_000), 10_000 + PROGRESS_EVERY_MS - 1), undefined, 'too soon');
  assert.is(s.written, 40_000_000);
  assert.is(onLine(s, map(10), 20_000), 'map 10%, 38 MiB of 95 MiB, 1.9 MiB/s, ETA 30s');
  s.mapPct = 90;
  assert.is(render(s, 30_000), 'map 90%, ~86 MiB of 95 MiB, 2.9 MiB/s, ETA 3s', 'the estimate when it is ahead of the completed files');
});

test.run();
