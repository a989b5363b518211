/**
 * The apply lock `<path>/lock` taken for the duration of one `hbr apply` (the znode a leading
 * daemon holds too), and the Identity its holder writes into it.
 */
import { hostname } from 'node:os';
import {
  CLOSE_WAIT_MS,
  CREATOR_ALL_ACL,
  CreateMode,
  Exception,
  OPEN_ACL_UNSAFE,
  call,
  closeClient,
  code,
  coordAuth,
  newClient,
  pathsOf,
  removeIfOurs,
  within,
  type ZkConfig,
} from './zk-session.js';

export interface Identity {
  host: string;
  pid: number;
  /** the daemon's HTTP address, if it serves one */
  listen?: string;
  startedAt: number;
}

export function parseIdentity(data: Buffer | undefined): Identity | undefined {
  if (!data) return undefined;
  try {
    const x = JSON.parse(data.toString('utf8')) as Identity;
    return typeof x.pid === 'number' && typeof x.host === 'string' ? x : undefined;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------------------------------------
// The one-shot lock of `hbr apply`

export interface ZkLock {
  readonly holder: Identity;
  /** deletes the lock znode and closes the session; idempotent */
  release(): Promise<void>;
}

export class ZkLockHeldError extends Error {
  constructor(
    readonly holder: Identity | undefined,
    path: string,
  ) {
    super(`the ZooKeeper apply lock ${path} is held${holder ? ` by hbr pid ${holder.pid} on ${holder.host} since ${new Date(holder.startedAt).toISOString()}` : ''}`);
    this.name = 'ZkLockHeldError';
  }
}

/**
 * Takes `<path>/lock` — the znode a leading daemon holds — for the duration of one apply. Fails
 * with ZkLockHeldError naming the holder when a daemon leads or another apply runs, after waiting
 * up to `timeoutMs` (default 0: at once) for it to be released.
 */
export async function acquireZkLock(
  cfg: ZkConfig,
  me: Identity = { host: hostname(), pid: process.pid, startedAt: Date.now() },
  opts: { timeoutMs?: number; connectTimeoutMs?: number } = {},
): Promise<ZkLock> {
  const { base, lock } = pathsOf(cfg);
  const { auth, problem } = coordAuth();
  if (problem) throw new Error(problem);
  const acl = auth ? CREATOR_ALL_ACL : OPEN_ACL_UNSAFE;
  const client = newClient(cfg, auth);
  const connectMs = opts.connectTimeoutMs ?? 10_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ZooKeeper at ${cfg.connect} within ${Math.round(connectMs / 1000)}s`)), connectMs);
      client.once('connected', () => {
        clearTimeout(t);
        resolve();
      });
      client.connect();
    });
    if (base !== '/') await call<string>((cb) => client.mkdirp(base, acl, CreateMode.PERSISTENT, cb));
    const deadline = Date.now() + (opts.timeoutMs ?? 0);
    for (;;) {
      try {
        await call<string>((cb) => client.create(lock, Buffer.from(JSON.stringify(me)), acl, CreateMode.EPHEMERAL, cb));
        break;
      } catch (err) {
        if (code(err) !== Exception.NODE_EXISTS) throw err;
      }
      // Held: read the holder and watch the znode in one request, then wait for its deletion (a
      // leader leaving, a dead one's session expiring) or the deadline, whichever comes first.
      let wake!: () => void;
      const released = new Promise<void>((r) => (wake = r));
      let data: Buffer | undefined;
      try {
        data = await call<Buffer>((cb) => client.getData(lock, () => wake(), cb));
      } catch (err) {
        if (code(err) === Exception.NO_NODE) continue; // released just now
        throw err;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new ZkLockHeldError(parseIdentity(data), lock);
      let t: NodeJS.Timeout | undefined;
      await Promise.race([released, new Promise<void>((r) => (t = setTimeout(r, left)))]);
      clearTimeout(t);
    }
  } catch (err) {
    await closeClient(client);
    throw err;
  }
  let releasing: Promise<void> | undefined;
  return {
    holder: me,
    release: () =>
      (releasing ??= (async () => {
        await within(CLOSE_WAIT_MS, removeIfOurs(client, lock)).catch(() => {
          /* it goes with the session */
        });
        await closeClient(client);
      })()),
  };
}
