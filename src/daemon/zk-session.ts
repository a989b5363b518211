/**
 * ZooKeeper sessions for hbr's coordination (node-zookeeper-client): clients, their paths and ACLs,
 * small helpers over the callback API, stopping a client for good, and the one session at a time
 * that the leader election keeps (SessionKeeper: connect, watchdog, start over with backoff).
 *
 * Every client (session) lives in a Session object. Replacing it is how we forget a session:
 * callbacks and watches of an old one find it is no longer `this.s` and do nothing.
 */
import zookeeper, { type ACL, type Client, type Stat, type State } from 'node-zookeeper-client';
import type { Coordination } from '../model/policy.js';

/** Where a daemon stands in the election: leading, cut off (nothing new starts), or following. */
export type LeaderState = 'leader' | 'suspended' | 'follower';

export type ZkConfig = Coordination['zookeeper'];
export type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;

export const { CreateMode, Exception } = zookeeper;
// The library exports these ACL lists; its type definitions do not declare them.
export const { OPEN_ACL_UNSAFE, CREATOR_ALL_ACL } = zookeeper.ACL as unknown as { OPEN_ACL_UNSAFE: ACL[]; CREATOR_ALL_ACL: ACL[] };

export const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** how long close() and release() wait for the server before abandoning the connection */
export const CLOSE_WAIT_MS = 2_000;

// ------------------------------------------------------------------------------------------------
// small helpers over the callback API

/** The ZooKeeper error code of a library Exception, if it is one. */
export const code = (err: unknown): number | undefined => (err && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : undefined);

export const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A library call as a promise (a synchronous throw, e.g. an invalid path, rejects it too). */
export function call<T>(fn: (cb: (err: Error | InstanceType<typeof Exception> | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
}

/** `promise`, or a rejection after `ms`; the timer never outlives the race. */
export function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`no answer from ZooKeeper within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(t));
}

export function pathsOf(cfg: ZkConfig): { base: string; election: string; lock: string } {
  const base = cfg.path.replace(/\/+$/, '');
  return { base: base || '/', election: `${base}/election`, lock: `${base}/lock` };
}

/**
 * HBR_ZK_COORD_AUTH=user:password: the client authenticates with that digest and hbr's znodes are
 * created CREATOR_ALL_ACL (that user only). Only the user name is ever shown.
 */
export function coordAuth(env: NodeJS.ProcessEnv = process.env): { auth?: Buffer; user?: string; problem?: string } {
  const a = env.HBR_ZK_COORD_AUTH;
  if (!a) return {};
  const i = a.indexOf(':');
  if (i <= 0) return { problem: 'HBR_ZK_COORD_AUTH must be user:password' };
  return { auth: Buffer.from(a), user: a.slice(0, i) };
}

export function newClient(cfg: ZkConfig, auth: Buffer | undefined): Client {
  // retries: 0 — a lost connection is handled by the state events here, and the library's own
  // retry timers would outlive close().
  const client = zookeeper.createClient(cfg.connect, { sessionTimeout: cfg.sessionTimeout, spinDelay: 1_000, retries: 0 });
  if (auth) client.addAuthInfo('digest', auth);
  return client;
}

/** Deletes `path` if it is an ephemeral znode of this client's session (never someone else's). */
export async function removeIfOurs(c: Client, path: string): Promise<void> {
  const stat = await call<Stat | null>((cb) => c.exists(path, cb));
  if (!stat || !stat.ephemeralOwner.equals(c.getSessionId())) return;
  try {
    await call<void>((cb) => c.remove(path, stat.version, cb));
  } catch (err) {
    if (code(err) !== Exception.NO_NODE) throw err;
  }
}

/**
 * Stops a client for good, without leaving a socket or a reconnect behind.
 *
 * A connected client is closed properly — the server deletes its ephemeral znodes at once — and
 * cut off if the server does not confirm within CLOSE_WAIT_MS (a silent network).
 *
 * One that is not connected is only cut off: node-zookeeper-client 1.1.3 cannot abandon a
 * connection attempt. Its close() while connecting makes it read the server's connect response as
 * a reply (which can throw from a socket callback and take the process down), and it reconnects on
 * its own forever. So we disable its reconnect, mark it closed and destroy its socket (private
 * fields, hence the guards); its session, if it had one, expires on the server.
 */
/** ConnectionManager.STATES.CLOSED of node-zookeeper-client */
const CM_CLOSED = -2;

export function closeClient(client: Client): Promise<void> {
  type Internals = { connect?: () => void; state?: number; socket?: { destroy(): void }; connectTimeoutHandler?: NodeJS.Timeout | null };
  const cm = (client as unknown as { connectionManager?: Internals }).connectionManager;
  const cutOff = () => {
    if (!cm) return;
    cm.connect = () => {}; // no more reconnects
    cm.state = CM_CLOSED; // a connect response still under way is not taken for a session
    if (cm.connectTimeoutHandler) clearTimeout(cm.connectTimeoutHandler); // only cleared on a socket error otherwise
    cm.socket?.destroy();
  };
  if (client.getState() !== zookeeper.State.SYNC_CONNECTED) {
    cutOff();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      client.removeListener('disconnected', done);
      cutOff();
      resolve();
    };
    const t = setTimeout(done, CLOSE_WAIT_MS);
    client.once('disconnected', done);
    try {
      client.close();
    } catch {
      done();
    }
  });
}

// ------------------------------------------------------------------------------------------------
// the session of the election

export interface Session {
  client: Client;
  /** our election znode's name (n_0000000042), once created in this session */
  node?: string;
  /** an election znode was requested in this session: a lost reply may have left one we do not know */
  created: boolean;
  /** we hold `<path>/lock` (created it, or found it ours after a reconnect) */
  holdsLock: boolean;
  /** the server gave us a session (a first SYNC_CONNECTED) */
  established: boolean;
  /** connected right now, as far as the client knows */
  connected: boolean;
  /**
   * When we last heard the server, counted from when the answered request was *sent*: the server
   * cannot have expired the session earlier than sessionTimeout after that.
   */
  heardAt: number;
  probing: boolean;
  /** the watchdog (see tick) */
  timer?: NodeJS.Timeout;
  /** check() runs one pass at a time; a wake-up during a pass asks for another */
  checking: boolean;
  again: boolean;
  /** the one watcher of this session: the library keeps a function once per path, so watches never pile up */
  wake: () => void;
}

/**
 * Keeps the election's ZooKeeper session: opens it, follows its state events, runs the watchdog,
 * and forgets it and opens a new one after a growing delay. The election proper is check().
 */
export abstract class SessionKeeper {
  state: LeaderState = 'follower';
  protected s: Session | undefined;
  protected closed = false;
  protected retryMs = RETRY_MIN_MS;
  protected retryTimer: NodeJS.Timeout | undefined;
  /** closes of forgotten sessions still under way: close() waits for them too */
  protected readonly dropping = new Set<Promise<void>>();
  protected readonly listeners: Array<(s: LeaderState, why: string) => void> = [];
  protected readonly paths: ReturnType<typeof pathsOf>;
  protected readonly auth: ReturnType<typeof coordAuth>;

  constructor(
    protected readonly cfg: ZkConfig,
    protected readonly log: Log,
  ) {
    this.paths = pathsOf(cfg);
    this.auth = coordAuth();
  }

  /** Looks at the election and the lock and sets the state; run on connect and by every watch. */
  protected abstract check(s: Session): Promise<void>;

  onChange(cb: (s: LeaderState, why: string) => void): void {
    this.listeners.push(cb);
  }

  protected set(state: LeaderState, why: string): void {
    if (this.state === state) return;
    this.state = state;
    for (const l of this.listeners) {
      try {
        l(state, why);
      } catch (err) {
        this.log('error', `leadership listener failed: ${errText(err)}`);
      }
    }
  }

  protected live(s: Session): boolean {
    return !this.closed && this.s === s;
  }

  // ---------------------------------------------------------------------------------- sessions

  protected open(): void {
    if (this.closed) return;
    const s: Session = {
      client: newClient(this.cfg, this.auth.auth),
      created: false,
      holdsLock: false,
      established: false,
      connected: false,
      heardAt: Date.now(),
      probing: false,
      checking: false,
      again: false,
      wake: () => void this.check(s),
    };
    this.s = s;
    s.client.on('state', (st: State) => this.onState(s, st));
    this.tick(s);
    s.client.connect();
  }

  /** Forgets the session (closing it) and opens a new one after a growing delay. */
  protected restart(s: Session, why: string): void {
    if (!this.live(s)) return;
    this.s = undefined;
    clearTimeout(s.timer);
    this.set('follower', why);
    // Not awaited (close() is): if the server hears the close, our znodes go now; if not, they expire.
    const dropped = closeClient(s.client).finally(() => this.dropping.delete(dropped));
    this.dropping.add(dropped);
    if (this.closed) return; // a listener closed us
    const wait = this.retryMs;
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    this.log('warn', `ZooKeeper ${this.cfg.connect}: ${why}; joining again in ${(wait / 1000).toFixed(0)}s`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.open();
    }, wait);
  }

  private onState(s: Session, st: State): void {
    if (!this.live(s)) return;
    const S = zookeeper.State;
    if (st === S.SYNC_CONNECTED) {
      s.connected = true;
      s.heardAt = Math.max(s.heardAt, Date.now());
      if (!s.established) {
        s.established = true;
        this.log('info', `connected to ZooKeeper ${this.cfg.connect} (session 0x${s.client.getSessionId().toString('hex')}, timeout ${s.client.getSessionTimeout()} ms)`);
      } else {
        this.log('info', 'reconnected to ZooKeeper within the session; checking our place in the election');
      }
      // First connect: join. Reconnect within the session: our znodes should still be there — verify.
      void this.check(s);
    } else if (st === S.DISCONNECTED) {
      s.connected = false;
      if (!s.established) return; // still trying to connect: the watchdog's connect deadline runs
      this.log('warn', `disconnected from ZooKeeper ${this.cfg.connect}; reconnecting`);
      if (this.state === 'leader') this.set('suspended', 'disconnected from ZooKeeper; the session may still be alive');
    } else if (st === S.EXPIRED) {
      this.restart(s, 'the ZooKeeper session expired (another daemon may lead now)');
    } else if (st === S.AUTH_FAILED) {
      this.restart(s, 'ZooKeeper rejected the credentials of HBR_ZK_COORD_AUTH');
    }
  }

  /**
   * The watchdog, every quarter of the session timeout. This client has no read timeout: over a
   * silent network it stays "connected" while the server expires the session and another daemon
   * takes over. So we ask the server something small each time and go by when it last answered:
   * silent for half the timeout, a leader is 'suspended'; silent for the whole timeout, the session
   * is presumed expired — never later than the server can have expired it — and we start over.
   * Before the first connect the same clock is the connect deadline.
   */
  private tick(s: Session): void {
    const timeout = s.established ? s.client.getSessionTimeout() : this.cfg.sessionTimeout;
    const silent = Date.now() - s.heardAt;
    if (silent >= timeout) {
      return this.restart(s, s.established ? `no answer from ZooKeeper for ${silent} ms, the session timeout: the session is presumed expired` : `no ZooKeeper session within ${timeout} ms`);
    }
    if (s.established && silent >= timeout / 2 && this.state === 'leader') {
      this.set('suspended', `no answer from ZooKeeper for ${silent} ms`);
      if (!this.live(s)) return; // a listener closed us
    }
    if (s.connected && !s.probing) {
      s.probing = true;
      const sentAt = Date.now();
      s.client.exists(this.paths.election, (err) => {
        s.probing = false;
        if (err || !this.live(s)) return;
        s.heardAt = Math.max(s.heardAt, sentAt);
        // It answers again: a leader suspended by the silence re-verifies and resumes.
        if (this.state === 'suspended') void this.check(s);
      });
    }
    // Look again in a quarter of the timeout, or exactly when the silence would cross a threshold.
    const next = s.heardAt + (silent < timeout / 2 ? timeout / 2 : timeout) - Date.now();
    s.timer = setTimeout(() => {
      if (this.live(s)) this.tick(s);
    }, Math.max(1, Math.min(timeout / 4, next)));
  }
}
