/**
 * The apply lock `<path>/lock` taken for the duration of one `hbr apply` (the znode a leading
 * daemon holds too), and the Identity its holder writes into it.
 */
import { hostname } from 'node:os';
import zookeeper, { type Client, type Event, type Stat, type State } from 'node-zookeeper-client';
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
  /** the session timeout the server granted, ms */
  readonly sessionTimeout: number;
  /**
   * Calls `cb` once, with a human reason, when the lock can no longer be trusted to be ours: the
   * session expired; nothing was heard from ZooKeeper (disconnected, or a silent network) for half
   * the session timeout — the server may expire the session the other half later, and a daemon
   * lead; or the lock znode was deleted or belongs to another session. Never after release().
   */
  onLost(cb: (why: string) => void): void;
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
 * up to `timeoutMs` (default 0: at once) for it to be released. Once taken it is watched until
 * release(): ZkLock.onLost says when it can no longer be trusted to be ours.
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
  let sentAt = Date.now();
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
        sentAt = Date.now();
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
  const watch = watchLock(client, lock, sentAt, cfg.sessionTimeout);
  let releasing: Promise<void> | undefined;
  return {
    holder: me,
    sessionTimeout: watch.timeout,
    onLost: watch.onLost,
    release: () =>
      (releasing ??= (async () => {
        const lost = watch.stop();
        // A lost lock is not ours to delete, or the network would not carry the request: closing is
        // all there is to do (a close the server hears ends the session and its znodes).
        if (!lost) {
          await within(CLOSE_WAIT_MS, removeIfOurs(client, lock)).catch(() => {
            /* it goes with the session */
          });
        }
        await closeClient(client);
      })()),
  };
}

/**
 * Watches a lock we just took (`heardAt`: when the request that created it was sent) until stop():
 * the session's state events, a watch on the znode, and — this client having no read timeout, a
 * silent network leaves it "connected" — a probe every quarter of the session timeout that also
 * checks the znode is still ours. The same rule as the election's watchdog (zk-session.ts), one
 * step earlier: a leader is suspended after half the timeout of silence and steps down after all
 * of it; an apply cannot pause, so it lets go at half, with half the timeout left to stop in.
 */
function watchLock(
  client: Client,
  lock: string,
  heardAt: number,
  asked: number,
): { timeout: number; onLost(cb: (why: string) => void): void; /** → whether it was lost */ stop(): boolean } {
  const timeout = client.getSessionTimeout() || asked;
  const listeners: Array<(why: string) => void> = [];
  let lost: string | undefined;
  let stopped = false;
  let connected = true;
  let probing = false;
  let timer: NodeJS.Timeout | undefined;

  const lose = (why: string): void => {
    if (stopped || lost !== undefined) return;
    lost = why;
    clearTimeout(timer);
    for (const l of listeners) {
      try {
        l(why);
      } catch {
        /* a listener's bug does not stop the others */
      }
    }
  };
  const check = (err: unknown, stat: Stat | null, at: number): void => {
    if (stopped) return;
    if (err) {
      if (code(err) === Exception.SESSION_EXPIRED) lose('the ZooKeeper session expired');
      return; // connection loss: the silence grows, tick() decides
    }
    if (!stat) return lose(`the lock znode ${lock} is gone`);
    if (!stat.ephemeralOwner.equals(client.getSessionId())) return lose(`the lock znode ${lock} belongs to another session now`);
    heardAt = Math.max(heardAt, at);
  };
  const onEvent = (e: Event): void => {
    if (e.getType() === zookeeper.Event.NODE_DELETED) lose(`the lock znode ${lock} was deleted`);
    else probe();
  };
  const probe = (): void => {
    if (stopped || lost !== undefined || !connected || probing) return;
    probing = true;
    const at = Date.now();
    client.exists(lock, onEvent, (err, stat) => {
      probing = false;
      check(err, stat, at);
    });
  };
  const tick = (): void => {
    if (stopped || lost !== undefined) return;
    const silent = Date.now() - heardAt;
    if (silent >= timeout / 2) return lose(`no answer from ZooKeeper for ${silent} ms (session timeout ${timeout} ms): the session may expire and another hbr lead`);
    probe();
    timer = setTimeout(tick, Math.max(1, Math.min(timeout / 4, heardAt + timeout / 2 - Date.now())));
    timer.unref();
  };
  const onState = (st: State): void => {
    if (st === zookeeper.State.SYNC_CONNECTED) {
      connected = true;
      probe(); // within the session again: is the znode still ours?
    } else if (st === zookeeper.State.DISCONNECTED) connected = false;
    else if (st === zookeeper.State.EXPIRED) lose('the ZooKeeper session expired');
    else if (st === zookeeper.State.AUTH_FAILED) lose('ZooKeeper rejected the credentials');
  };
  client.on('state', onState);
  tick();
  return {
    timeout,
    onLost(cb) {
      listeners.push(cb);
      if (lost !== undefined && !stopped) cb(lost); // lost before anyone listened
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      client.removeListener('state', onState);
      return lost !== undefined;
    },
  };
}
