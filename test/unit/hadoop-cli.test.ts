import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseJobCounters } from '../../src/hadoop/cli.js';

const LOG = `2026-11-22 21:23:14,933 INFO mapreduce.Job: Job job_local412106786_0001 completed successfully
2026-11-22 21:23:14,938 INFO mapreduce.Job: Counters: 25
\tFile System Counters
\t\tFILE: Number of bytes read=164583
\t\tHDFS: Number of bytes written=7000
\tFile Input Format Counters 
\t\tBytes Read=265
\tDistCp Counters
\t\tBandwidth in Bytes=7000
\t\tBytes Copied=7000
\t\tBytes Expected=7000
\t\tFiles Copied=1
2026-11-22 21:23:15,000 INFO tools.DistCp: done
`;

test('parseJobCounters reads groups and counters from the Job log', () => {
  const c = parseJobCounters(LOG);
  assert.equal(c['DistCp Counters'], { 'Bandwidth in Bytes': 7000, 'Bytes Copied': 7000, 'Bytes Expected': 7000, 'Files Copied': 1 });
  assert.is(c['File System Counters']?.['HDFS: Number of bytes written'], 7000);
  assert.is(c['File Input Format Counters']?.['Bytes Read'], 265);
});

test('parseJobCounters returns nothing when no job ran', () => {
  assert.equal(parseJobCounters('2026 WARN something\n\tnot counters=1\n'), {});
});

test.run();
