/**
 * One DistCp run as a child process of hbr, shared by every system that copies with it (HDFS DR,
 * Ozone DR): `hadoop distcp -Dhbr.step=<marker> -Dmapreduce.job.tags=… ARGS` (argv array, never a
 * shell), tracked in the state dir while it runs (./children.ts) so a killed hbr's next run finds and
 * reaps it instead of leaving it orphaned, its progress logged (map %, bytes, rate, ETA:
 * ./distcp-progress.ts), and its counters read
 * (./cli.ts parseJobCounters). On a Kerberized cluster it runs through hbr's keytab launcher
 * (./jvm-login.ts). On YARN (docs/design/secure-proposal.md §5) the job is tagged with hbr, its
 * owner and its step, its application id recorded as soon as the client logs it, and an abort kills
 * the application through the ResourceManager first (./yarn.ts), then the client JVM.
 */
import { randomBytes } from 'node:crypto';
import { crashPoint } from '../model/faults.js';
import { recordChildApp, trackChild, untrackChild } from './children.js';
import { parseJobCounters, runHadoopOk } from './cli.js';
import { newProgress, onLine } from './distcp-progress.js';
import { toolCommand, type KerberosLogin } from './jvm-login.js';
import { appIdFromLog, jobTags, killApp, killTagged, stepTag, type RmAccess } from './yarn.js';

export interface DistcpRun {
  /** the `hadoop` launcher */
  hadoop: string;
  /** hbr's state dir (the child-process records) */
  stateDir: string;
  /** aborted → the job is killed through the RM (on YARN), then the DistCp's process group */
  signal?: AbortSignal;
  log: (message: string) => void;
  /** Kerberos: DistCp logs in from this keytab through hbr's launcher */
  login?: KerberosLogin;
  /** MapReduce on YARN: the RM that runs the job and this deployment's owner tag (./yarn.ts ownerTag) */
  yarn?: { rm: RmAccess; ownerTag: string; policy?: string };
  /** the policy's DistCp knobs: YARN queue, DistCp's -m and -bandwidth (MB/s per map) */
  queue?: string;
  maps?: number;
  bandwidth?: number;
  /** Hadoop properties for the job (-D), e.g. the HA nameservices of the clusters (./distcp-access.ts) */
  conf?: Record<string, string>;
  /** the bytes this copy will move, when the caller knows (a bootstrap's snapshot size): bytes, rate, ETA in the progress lines */
  expectedBytes?: number;
}

/** What DistCp's counters say it copied. */
export interface DistcpCounts {
  bytesCopied: number;
  filesCopied: number;
  /** the YARN application that ran it, when on YARN */
  appId?: string;
}

/** DistCp's generic and own options for a run (before the caller's ARGS). */
export function distcpOptions(marker: string, run: Pick<DistcpRun, 'yarn' | 'queue' | 'maps' | 'bandwidth' | 'conf'>): string[] {
  const opts = [`-Dhbr.step=${marker}`];
  for (const [k, v] of Object.entries(run.conf ?? {})) opts.push(`-D${k}=${v}`);
  if (run.yarn) opts.push(`-Dmapreduce.job.tags=${jobTags({ marker, owner: run.yarn.ownerTag, ...(run.yarn.policy && { policy: run.yarn.policy }) }).join(',')}`);
  if (run.queue) opts.push(`-Dmapreduce.job.queuename=${run.queue}`);
  if (run.maps !== undefined) opts.push('-m', String(run.maps));
  if (run.bandwidth !== undefined) opts.push('-bandwidth', String(run.bandwidth));
  return opts;
}

const KILL_WAIT_MS = 60_000;

/**
 * Runs `hadoop distcp ARGS` for step `stepId`; resolves with its counters, rejects when it fails.
 * The crash point `distcp:running <stepId>` fires once the job reports progress (a kill there
 * leaves DistCp mid-copy).
 */
export async function runDistcpJob(stepId: string, run: DistcpRun, args: string[]): Promise<DistcpCounts> {
  const marker = `hbr-step=${randomBytes(6).toString('hex')}`;
  let pid: number | undefined;
  let appId: string | undefined;
  let running = false;
  const progress = newProgress(Date.now(), run.expectedBytes);
  const yarn = run.yarn;
  // On YARN the client dies last: the outer abort first asks the RM to kill the application.
  const client = new AbortController();
  const onAbort = () => {
    if (!yarn) return client.abort(run.signal?.reason);
    const kill = appId ? killApp(yarn.rm, appId) : killTagged(yarn.rm, stepTag(marker));
    const timer = new Promise((r) => setTimeout(r, KILL_WAIT_MS).unref());
    void Promise.race([kill, timer])
      .then(() => run.log(`distcp: asked the ResourceManager to kill ${appId ?? `the job tagged ${stepTag(marker)}`}`))
      .catch((err: Error) => run.log(`distcp: could not kill the YARN job (${err.message}); the next start reaps it`))
      .finally(() => client.abort(run.signal?.reason));
  };
  if (run.signal?.aborted) onAbort();
  run.signal?.addEventListener('abort', onAbort, { once: true });
  const { argv, env } = toolCommand(run.login, { sub: 'distcp', mainClass: 'org.apache.hadoop.tools.DistCp' }, [...distcpOptions(marker, run), ...args]);
  // The marker rides on the JVM's command line (a generic -D option), so a later run can tell
  // this DistCp from any other process that happens to get the same pid.
  const r = await runHadoopOk(argv, {
    hadoop: run.hadoop,
    env,
    signal: client.signal,
    onSpawn: (p) => {
      pid = p;
      trackChild(run.stateDir, { pid: p, marker, startedAt: Date.now(), step: stepId, ...(yarn && { yarn: { rm: yarn.rm, tags: jobTags({ marker, owner: yarn.ownerTag }) } }) });
    },
    onStderrLine: (line) => {
      const id = yarn && !appId ? appIdFromLog(line) : undefined;
      if (id) {
        appId = id;
        if (pid !== undefined) recordChildApp(run.stateDir, pid, id);
        run.log(`distcp runs as YARN application ${id}`);
      }
      if (!running && /mapreduce\.Job:\s+map \d+% reduce \d+%/.test(line)) {
        running = true;
        crashPoint(`distcp:running ${stepId}`); // a kill here leaves DistCp mid-copy
      }
      const p = onLine(progress, line, Date.now());
      if (p) run.log(`distcp ${p}`);
    },
  }).finally(() => {
    run.signal?.removeEventListener('abort', onAbort);
    if (pid !== undefined) untrackChild(run.stateDir, pid);
  });
  const c = parseJobCounters(r.stderr)['DistCp Counters'] ?? {};
  return { bytesCopied: c['Bytes Copied'] ?? 0, filesCopied: c['Files Copied'] ?? 0, ...(appId && { appId }) };
}
