/** Running `hbr daemon` as a child process in integration tests, and reading what it exposes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { HBR, hbrEnv } from './hbr.js';
import { parseMetrics, sample, type Sample } from './promql.js';
import type { DaemonStatus } from '../../src/daemon/status.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, everyMs = 500): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) {
    try { c.kill('SIGKILL'); } catch { /* gone */ }
  }
});

/**
 * Stops every daemon a test started and left running (a failed assertion skips the test's own
 * stop): SIGTERM, then SIGKILL after 10 s. Call it from each suite's test.after, or the suite's
 * process never exits (the children hold its pipes).
 */
export async function stopAllDaemons(): Promise<void> {
  await Promise.all(
    [...running].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
          c.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  );
}

export interface DaemonProc {
  child: ChildProcess;
  stateDir: string;
  /** every JSON log line so far, parsed (non-JSON lines as { msg }) */
  logs: Array<Record<string, unknown>>;
  stderr: () => string;
  /** the daemon's base URL, from its daemon.json */
  url: () => string;
  metrics(): Promise<{ samples: Sample[]; types: Map<string, string>; text: string }>;
  metric(name: string, labels?: Record<string, string>): Promise<number | undefined>;
  status(): Promise<DaemonStatus>;
  /** resolves with the exit code (or signal name) */
  exited: Promise<number | string>;
}

export async function startDaemon(args: string[], stateDir: string, env: Record<string, string | undefined> = {}): Promise<DaemonProc> {
  const child = spawn(process.execPath, [HBR, 'daemon', '--state-dir', stateDir, '--listen', '127.0.0.1:0', ...args], {
    env: hbrEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const logs: Array<Record<string, unknown>> = [];
  let partial = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      if (!l.trim()) continue;
      try {
        logs.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        logs.push({ msg: l, notJson: true });
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, sig) => {
    running.delete(child);
    resolve(code ?? sig ?? -1);
  }));
  let url: string | undefined;
  const info = join(stateDir, 'daemon.json');
  await waitFor(
    `the daemon to write ${info}`,
    () => {
      if (child.exitCode !== null) throw new Error(`the daemon exited (${child.exitCode}):\n${stderr}\n${logs.map((l) => JSON.stringify(l)).join('\n')}`);
      if (!existsSync(info)) return undefined;
      const d = JSON.parse(readFileSync(info, 'utf8')) as { url?: string; pid?: number };
      if (d.pid !== child.pid || !d.url) return undefined;
      url = d.url;
      return true;
    },
    30_000,
    100,
  );
  const p: DaemonProc = {
    child,
    stateDir,
    logs,
    stderr: () => stderr,
    url: () => url!,
    async metrics() {
      const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
      const text = await res.text();
      return { ...parseMetrics(text), text };
    },
    async metric(name, labels = {}) {
      return sample((await p.metrics()).samples, name, labels);
    },
    async status() {
      const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(10_000) });
      return (await res.json()) as DaemonStatus;
    },
    exited,
  };
  return p;
}

/**
 * Pids of the child processes (DistCp) hbr recorded in `<stateDir>/children/`, once there is one.
 * The journal's intent comes before the spawn, so callers wait for this rather than read it once.
 */
export function recordedChildPids(stateDir: string, timeoutMs = 10_000): Promise<number[]> {
  return waitFor(`a child process recorded in ${stateDir}/children`, () => {
    const d = join(stateDir, 'children');
    const pids = existsSync(d) ? readdirSync(d).map((f) => Number((JSON.parse(readFileSync(join(d, f), 'utf8')) as { pid: number }).pid)) : [];
    return pids.length ? pids : undefined;
  }, timeoutMs, 20);
}

/** A local webhook receiver: every JSON POST body, in arrival order. */
export async function webhookSink(): Promise<{ url: string; received: Array<Record<string, unknown> & { headers: Record<string, unknown> }>; close(): Promise<void> }> {
  const received: Array<Record<string, unknown> & { headers: Record<string, unknown> }> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      try {
        received.push({ ...(JSON.parse(body) as Record<string, unknown>), headers: req.headers as Record<string, unknown> });
      } catch {
        received.push({ unparsable: body, headers: req.headers as Record<string, unknown> });
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}
