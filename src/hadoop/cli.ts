/**
 * Runs Hadoop's own command-line tools (`hadoop distcp`, `hdfs dfsadmin`, ...) as child processes.
 * Arguments always go as an array, never through a shell. The binary comes from HBR_HADOOP, or
 * `hadoop` on PATH.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface HadoopRunOptions {
  /** path of the `hadoop` launcher (default: $HBR_HADOOP, else `hadoop` on PATH) */
  hadoop?: string;
  env?: NodeJS.ProcessEnv;
  /** kill the process (and fail) after this many ms */
  timeoutMs?: number;
  /** called with each line of stderr as it arrives (progress, counters) */
  onStderrLine?: (line: string) => void;
  /** abort kills the child (its whole process group) */
  signal?: AbortSignal;
  /** called with the child's pid as soon as it runs (to record it, see children.ts) */
  onSpawn?: (pid: number) => void;
  /** written to the child's stdin, which is then closed (default: no stdin) */
  input?: string;
}

export interface HadoopRunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class HadoopCliError extends Error {
  constructor(message: string, readonly result: HadoopRunResult) {
    super(message);
    this.name = 'HadoopCliError';
  }
}

export function hadoopBinary(opts: { hadoop?: string } = {}): string {
  return opts.hadoop ?? process.env.HBR_HADOOP ?? 'hadoop';
}

let setprivPath: string | null | undefined;

/**
 * util-linux `setpriv`, when present and wanted. Children run as `setpriv --pdeathsig TERM --
 * hadoop ...`: the kernel signals the child when hbr dies, even by kill -9, so a DistCp never
 * goes on writing into a DR target after its hbr is gone (with several daemons, the next leader
 * may be about to repair that very target). The hadoop launcher execs its JVM, which keeps the
 * setting. Children are also recorded (children.ts) and reaped at the next start, for launchers
 * that fork instead and systems without setpriv. HBR_CHILD_PDEATHSIG=0 turns it off.
 */
function setpriv(env: NodeJS.ProcessEnv): string | null {
  if (process.platform !== 'linux' || env.HBR_CHILD_PDEATHSIG === '0') return null;
  if (setprivPath === undefined) {
    setprivPath = null;
    for (const dir of ['/usr/bin', '/bin', ...(process.env.PATH ?? '').split(delimiter)]) {
      if (!dir) continue;
      try {
        accessSync(join(dir, 'setpriv'), constants.X_OK);
        setprivPath = join(dir, 'setpriv');
        break;
      } catch {
        /* not here */
      }
    }
  }
  return setprivPath;
}

/** Run `hadoop ARGS...`; resolves with the result whatever the exit code. */
export function runHadoop(args: readonly string[], opts: HadoopRunOptions = {}): Promise<HadoopRunResult> {
  const bin = hadoopBinary(opts);
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new Error(`hadoop ${args[0] ?? ''}: aborted before start`));
    // Its own process group, so a kill reaches the JVM and anything it started.
    const env = opts.env ?? process.env;
    const guard = setpriv(env);
    const [cmd, argv] = guard ? [guard, ['--pdeathsig', 'TERM', '--', bin, ...args]] : [bin, [...args]];
    const child = spawn(cmd, argv, { env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: true });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    const killGroup = () => {
      if (child.pid === undefined || child.exitCode !== null) return;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
    };
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (!opts.onStderrLine) return;
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) opts.onStderrLine(l);
    });
    const timer = opts.timeoutMs ? setTimeout(killGroup, opts.timeoutMs) : undefined;
    opts.signal?.addEventListener('abort', killGroup, { once: true });
    const finish = () => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', killGroup);
    };
    child.on('error', (err) => {
      finish();
      reject(new Error(`cannot run ${bin}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      finish();
      if (partial && opts.onStderrLine) opts.onStderrLine(partial);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Like runHadoop, but rejects with the tail of stderr when the exit code is not 0. */
export async function runHadoopOk(args: readonly string[], opts: HadoopRunOptions = {}): Promise<HadoopRunResult> {
  const r = await runHadoop(args, opts);
  if (r.code !== 0) {
    // The cause, not a Java stack: the last lines that are not "\tat ..." frames.
    const tail = r.stderr.trim().split('\n').filter((l) => !/^\s+at |^\s+\.\.\. \d+ more/.test(l)).slice(-6).join('\n');
    throw new HadoopCliError(`hadoop ${args[0] ?? ''} exited ${r.code ?? r.signal}: ${tail}`, r);
  }
  return r;
}

/**
 * MapReduce job counters as logged by org.apache.hadoop.mapreduce.Job at INFO:
 *   "\tDistCp Counters\n\t\tBytes Copied=7000\n..." → { 'DistCp Counters': { 'Bytes Copied': 7000 } }
 */
export function parseJobCounters(log: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  let group: Record<string, number> | undefined;
  let inCounters = false;
  for (const line of log.split('\n')) {
    if (/INFO mapreduce\.Job: Counters: \d+/.test(line)) {
      inCounters = true;
      continue;
    }
    if (!inCounters) continue;
    const counter = /^\t\t(.+?)=(-?\d+)\s*$/.exec(line);
    if (counter && group) {
      group[counter[1]!] = Number(counter[2]);
      continue;
    }
    const g = /^\t(\S.*?)\s*$/.exec(line);
    if (g) {
      group = out[g[1]!] ??= {};
      continue;
    }
    inCounters = false;
  }
  return out;
}
