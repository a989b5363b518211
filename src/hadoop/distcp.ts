/**
 * One DistCp run as a child process of hbr, shared by every system that copies with it (HDFS DR,
 * Ozone DR): `hadoop distcp -Dhbr.step=<marker> ARGS` (argv array, never a shell), tracked in the
 * state dir while it runs (./children.ts) so a killed hbr's next run finds and reaps it instead of
 * leaving it orphaned, its map progress logged, and its counters read (./cli.ts parseJobCounters).
 */
import { randomBytes } from 'node:crypto';
import { crashPoint } from '../model/faults.js';
import { trackChild, untrackChild } from './children.js';
import { parseJobCounters, runHadoopOk } from './cli.js';

export interface DistcpRun {
  /** the `hadoop` launcher */
  hadoop: string;
  /** hbr's state dir (the child-process records) */
  stateDir: string;
  /** aborted → the DistCp's process group is killed */
  signal?: AbortSignal;
  log: (message: string) => void;
}

/** What DistCp's counters say it copied. */
export interface DistcpCounts {
  bytesCopied: number;
  filesCopied: number;
}

/**
 * Runs `hadoop distcp ARGS` for step `stepId`; resolves with its counters, rejects when it fails.
 * The crash point `distcp:running <stepId>` fires once the job reports progress (a kill there
 * leaves DistCp mid-copy).
 */
export async function runDistcpJob(stepId: string, run: DistcpRun, args: string[]): Promise<DistcpCounts> {
  const marker = `hbr-step=${randomBytes(6).toString('hex')}`;
  let pid: number | undefined;
  let lastProgress = '';
  // The marker rides on the JVM's command line (a generic -D option), so a later run can tell
  // this DistCp from any other process that happens to get the same pid.
  const r = await runHadoopOk(['distcp', `-Dhbr.step=${marker}`, ...args], {
    hadoop: run.hadoop,
    ...(run.signal && { signal: run.signal }),
    onSpawn: (p) => {
      pid = p;
      trackChild(run.stateDir, { pid: p, marker, startedAt: Date.now(), step: stepId });
    },
    onStderrLine: (line) => {
      const m = /mapreduce\.Job:\s+(map \d+% reduce \d+%)/.exec(line);
      if (m && !lastProgress) crashPoint(`distcp:running ${stepId}`); // a kill here leaves DistCp mid-copy
      if (m && m[1] !== lastProgress) {
        lastProgress = m[1]!;
        run.log(`distcp ${m[1]}`);
      }
    },
  }).finally(() => {
    if (pid !== undefined) untrackChild(run.stateDir, pid);
  });
  const c = parseJobCounters(r.stderr)['DistCp Counters'] ?? {};
  return { bytesCopied: c['Bytes Copied'] ?? 0, filesCopied: c['Files Copied'] ?? 0 };
}
