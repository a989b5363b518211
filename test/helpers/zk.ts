/**
 * Extra, throw-away ZooKeeper servers for tests: the test bed's jars (testbed/.state/
 * zookeeper.classpath), `ZooKeeperServerMain` in a temp dir, free loopback ports, the same
 * AdminServer settings as testbed/up (snapshot and restore on, rate limit 100 ms) and a digest
 * super user generated per server. Never touches the test bed's own server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zookeeper from 'node-zookeeper-client';
import { repoRoot } from './testbed.js';

export interface ZkServer {
  name: string;
  /** the server's temp dir (zoo.cfg, log) */
  dir: string;
  dataDir: string;
  clientPort: number;
  adminPort: number;
  connect: string;
  adminUrl: string;
  auth: { user: string; password: string };
  pid: number;
  logFile: string;
  /** stops the JVM (TERM, then KILL); idempotent */
  stop(): Promise<void>;
  /** stops it and removes its temp dir (not a dataDir passed in from outside) */
  destroy(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
  }
});

export function zkClasspath(): string {
  const file = join(process.env.HBR_TB_STATE ?? join(repoRoot, 'testbed', '.state'), 'zookeeper.classpath');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new Error(`no ZooKeeper classpath at ${file}: run bash testbed/up (or testbed/up --install)`);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function answers(url: string, want: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return (await res.text()).includes(want);
  } catch {
    return false;
  }
}

export interface StartOptions {
  name?: string;
  /** an existing (e.g. restored) data dir; default: a new one in the server's temp dir */
  dataDir?: string;
  snapCount?: number;
  extraConfig?: Record<string, string | number>;
  timeoutMs?: number;
}

export async function startZk(opts: StartOptions = {}): Promise<ZkServer> {
  const name = opts.name ?? 'zk';
  const dir = await mkdtemp(join(tmpdir(), `hbr-zk-${name}-`));
  const dataDir = opts.dataDir ?? join(dir, 'data');
  await mkdir(dataDir, { recursive: true });
  const [clientPort, adminPort] = [await freePort(), await freePort()];
  const user = 'hbrtest';
  const password = randomBytes(18).toString('base64url');
  const superDigest = `${user}:${createHash('sha1').update(`${user}:${password}`).digest('base64')}`;
  const cfg: Record<string, string | number> = {
    tickTime: 2000,
    dataDir,
    clientPort,
    clientPortAddress: '127.0.0.1',
    maxClientCnxns: 200,
    'admin.enableServer': 'true',
    'admin.serverAddress': '127.0.0.1',
    'admin.serverPort': adminPort,
    '4lw.commands.whitelist': '*',
    ...(opts.snapCount ? { snapCount: opts.snapCount } : {}),
    ...opts.extraConfig,
  };
  const cfgFile = join(dir, 'zoo.cfg');
  await writeFile(cfgFile, Object.entries(cfg).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const logFile = join(dir, 'server.log');
  const logFd = openSync(logFile, 'a');
  const child = spawn(
    'java',
    [
      '-Xmx256m', '-XX:+UseSerialGC',
      `-Dhbr.test=${dir}`,
      '-Dzookeeper.admin.snapshot.enabled=true',
      '-Dzookeeper.admin.restore.enabled=true',
      '-Dzookeeper.admin.rateLimiterIntervalInMS=100',
      `-Dzookeeper.DigestAuthenticationProvider.superDigest=${superDigest}`,
      '-cp', zkClasspath(),
      'org.apache.zookeeper.server.ZooKeeperServerMain', cfgFile,
    ],
    { stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  running.add(child);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; running.delete(child); resolve(); }));

  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const killed = await Promise.race([exit.then(() => true), sleep(10_000).then(() => false)]);
    if (!killed) {
      child.kill('SIGKILL');
      await exit;
    }
  };
  const server: ZkServer = {
    name,
    dir,
    dataDir,
    clientPort,
    adminPort,
    connect: `127.0.0.1:${clientPort}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    auth: { user, password },
    pid: child.pid ?? -1,
    logFile,
    stop,
    destroy: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  try {
    for (;;) {
      if (exited) throw new Error(`ZooKeeper ${name} exited while starting:\n${tail(logFile)}`);
      if (Date.now() > deadline) throw new Error(`ZooKeeper ${name} did not answer within ${opts.timeoutMs ?? 60_000} ms:\n${tail(logFile)}`);
      if ((await answers(`${server.adminUrl}/commands/ruok`, '"error" : null')) && (await answers(`${server.adminUrl}/commands/stat`, '"server_stats"'))) break;
      await sleep(200);
    }
  } catch (err) {
    await server.destroy();
    throw err;
  }
  return server;
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ------------------------------------------------------------------------------- client helpers

export function zkConnect(connect: string, timeoutMs = 15_000): Promise<zookeeper.Client> {
  return new Promise((resolve, reject) => {
    const client = zookeeper.createClient(connect, { sessionTimeout: 10_000, retries: 2 });
    const timer = setTimeout(() => { client.close(); reject(new Error(`no ZooKeeper session with ${connect} in ${timeoutMs} ms`)); }, timeoutMs);
    client.once('connected', () => { clearTimeout(timer); resolve(client); });
    client.connect();
  });
}

export function zkCreate(client: zookeeper.Client, path: string, data: Buffer): Promise<string> {
  return new Promise((resolve, reject) => client.create(path, data, (e, p) => (e ? reject(e) : resolve(p))));
}

export function zkGet(client: zookeeper.Client, path: string): Promise<{ data: Buffer; czxid: bigint; mzxid: bigint }> {
  return new Promise((resolve, reject) =>
    client.getData(path, (e, data, stat) =>
      e ? reject(e) : resolve({ data: data ?? Buffer.alloc(0), czxid: stat.czxid.readBigInt64BE(0), mzxid: stat.mzxid.readBigInt64BE(0) }),
    ),
  );
}

export function zkChildren(client: zookeeper.Client, path: string): Promise<string[]> {
  return new Promise((resolve, reject) => client.getChildren(path, (e, children) => (e ? reject(e) : resolve(children))));
}

/** Runs `fn` over `items` with up to `inFlight` calls outstanding (ZooKeeper pipelines them). */
export async function pipelined<T, R>(items: T[], inFlight: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, items.length) }, worker));
  return out;
}

/**
 * A TCP proxy in front of a ZooKeeper (`upstreamConnect`, its first server), to break one client's
 * network: drop() closes its connections (the client reconnects within its session); silent(true)
 * swallows every byte both ways while keeping the connections open — the partition this client
 * library cannot see; close() cuts it for good (connections closed, nothing listens any more).
 */
export async function zkProxy(upstreamConnect: string): Promise<{ connect: string; drop(): void; silent(on: boolean): void; close(): Promise<void> }> {
  const [host, port] = upstreamConnect.split(',')[0]!.split(':') as [string, string];
  const pairs = new Set<[Socket, Socket]>();
  let quiet = false;
  const server = createServer((client) => {
    const upstream = tcpConnect(Number(port), host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      from.on('data', (d) => quiet || to.write(d));
      from.on('close', end);
      from.on('error', end);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const drop = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    connect: `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    drop,
    silent: (on) => {
      quiet = on;
    },
    close: () =>
      new Promise<void>((r) => {
        drop();
        server.close(() => r());
      }),
  };
}
