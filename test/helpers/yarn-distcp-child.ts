/**
 * A stand-in for an hbr process in the middle of a DistCp on YARN (test/secure/yarn-distcp.test.ts):
 * runs src/hadoop/distcp.ts runDistcpJob with the options given as JSON in argv[2], so the test can
 * `kill -9` it mid-job and check that the next start's reaping finds and kills the job.
 */
import { runDistcpJob, type DistcpRun } from '../../src/hadoop/distcp.js';

const { run, args } = JSON.parse(process.argv[2]!) as { run: Omit<DistcpRun, 'log'>; args: string[] };
await runDistcpJob('test:yarn-distcp', { ...run, log: (m) => console.log(m) }, args);
console.log('DONE');
