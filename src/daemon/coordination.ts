/**
 * Leadership and the apply lock for several `hbr daemon`s, through ZooKeeper (node-zookeeper-client).
 *
 * The recipe is ZooKeeper's own leader election (as Curator's LeaderLatch):
 *   - each daemon creates `<path>/election/n_<seq>`, EPHEMERAL_SEQUENTIAL, holding its identity;
 *   - the lowest sequence number is the candidate; every other daemon watches only the node just
 *     before its own (no herd: one death wakes one daemon);
 *   - the candidate then creates `<path>/lock`, EPHEMERAL — the apply lock, also taken by a one-shot
 *     `hbr apply` (acquireZkLock) — and only once it holds both is it 'leader'.
 * Ephemeral znodes vanish when their session ends: at once on a clean close (we also delete them
 * ourselves), after the session timeout when a daemon dies. So a dead leader's successor takes
 * over within the timeout, and never while the old session (which may still be applying) lives.
 *
 * States: 'leader' acts; 'suspended' (a leader that lost touch with ZooKeeper, its session maybe
 * still alive) starts nothing new but lets running steps go on; 'follower' does nothing. Once the
 * session is expired — or must be presumed so — someone else may lead: the daemon goes 'follower'
 * (which aborts its running steps) and rejoins with a new session after a backoff.
 *
 * Every client (session) lives in a Session object. Replacing it is how we forget a session:
 * callbacks and watches of an old one find it is no longer `this.s` and do nothing.
 */
import { hostname } from 'node:os';
import zookeeper, { type ACL, type Client, type Stat, type State } from 'node-zookeeper-client';
import type { Coordination } from '../model/policy.js';

export interface Identity {
  host: string;
  pid: number;
  /** the daemon's HTTP address, if it serves one */
  listen?: string;
  startedAt: number;
}

export type LeaderState = 'leader' | 'suspended' | 'follower';

export interface LeaderElection {
  /** current state; starts 'follower' */
  readonly state: LeaderState;
  /** connects and joins; never throws; reconnects with backoff (1 s … 30 s) until close() */
  start(): void;
  /** called on every change of state, with a human reason */
  onChange(cb: (state: LeaderState, why: string) => void): void;
  /** who holds the apply lock now, from its znode (undefined: nobody, or not connected) */
  leaderIdentity(): Promise<Identity | undefined>;
  /** deletes our znodes and closes the session; idempotent; afterwards the state is 'follower' */
  close(): Promise<void>;
}

type ZkConfig = Coordination['zookeeper'];
type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;

const { CreateMode, Exception } = zookeeper;
// The library exports these ACL lists; its type definitions do not declare them.
const { OPEN_ACL_UNSAFE, CREATOR_ALL_ACL } = zookeeper.ACL as unknown as { OPEN_ACL_UNSAFE: ACL[]; CREATOR_ALL_ACL: ACL[] };

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** how long close() and release() wait for the server before abandoning the connection */
const CLOSE_WAIT_MS = 2_000;
/** leaderIdentity() answers "don't know" rather than hang on a server that does not answer */
const QUERY_TIMEOUT_MS = 5_000;

// ------------------------------------------------------------------------------------------------
// small helpers over the callback API

/** The ZooKeeper error code of a library Exception, if it is one. */
const code = (err: unknown): number | undefined => (err && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : undefined);

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A library call as a promise (a synchronous throw, e.g. an invalid path, rejects it too). */
function call<T>(fn: (cb: (err: Error | InstanceType<typeof Exception> | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
}

/** `promise`, or a rejection after `ms`; the timer never outlives the race. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`no answer from ZooKeeper within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(t));
}

function parseIdentity(data: Buffer | undefined): Identity | undefined {
  if (!data) return undefined;
  try {
    const x = JSON.parse(data.toString('utf8')) as Identity;
    return typeof x.pid === 'number' && typeof x.host === 'string' ? x : undefined;
  } catch {
    return undefined;
  }
}

const describe = (id: Identity | undefined): string => (id ? `hbr pid ${id.pid} on ${id.host}` : 'an unknown holder');

/** Election znodes are n_ followed by the 10 digits ZooKeeper appends. */
const ELECTION_NODE = /^n_\d{10}$/;
const bySequence = (a: string, b: string): number => Number(a.slice(2)) - Number(b.slice(2));

function pathsOf(cfg: ZkConfig): { base: string; election: string; lock: string } {
  const base = cfg.path.replace(/\/+$/, '');
  return { base: base || '/', election: `${base}/election`, lock: `${base}/lock` };
}

/**
 * HBR_ZK_COORD_AUTH=user:password: the client authenticates with that digest and hbr's znodes are
 * created CREATOR_ALL_ACL (that user only). Only the user name is ever shown.
 */
function coordAuth(env: NodeJS.ProcessEnv = process.env): { auth?: Buffer; user?: string; problem?: string } {
  const a = env.HBR_ZK_COORD_AUTH;
  if (!a) return {};
  const i = a.indexOf(':');
  if (i <= 0) return { problem: 'HBR_ZK_COORD_AUTH must be user:password' };
  return { auth: Buffer.from(a), user: a.slice(0, i) };
}

function newClient(cfg: ZkConfig, auth: Buffer | undefined): Client {
  // retries: 0 — a lost connection is handled by the state events here, and the library's own
  // retry timers would outlive close().
  const client = zookeeper.createClient(cfg.connect, { sessionTimeout: cfg.sessionTimeout, spinDelay: 1_000, retries: 0 });
  if (auth) client.addAuthInfo('digest', auth);
  return client;
}

/** Deletes `path` if it is an ephemeral znode of this client's session (never someone else's). */
async function removeIfOurs(c: Client, path: string): Promise<void> {
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

function closeClient(client: Client): Promise<void> {
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
// the election

interface Session {
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

class ZkElection implements LeaderElection {
  state: LeaderState = 'follower';
  private s: Session | undefined;
  private started = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  /** closes of forgotten sessions still under way: close() waits for them too */
  private readonly dropping = new Set<Promise<void>>();
  private readonly listeners: Array<(s: LeaderState, why: string) => void> = [];
  private readonly paths: ReturnType<typeof pathsOf>;
  private readonly data: Buffer;
  private readonly auth: ReturnType<typeof coordAuth>;
  private readonly acl: ACL[];

  constructor(
    private readonly cfg: ZkConfig,
    me: Identity,
    private readonly log: Log,
  ) {
    this.paths = pathsOf(cfg);
    this.data = Buffer.from(JSON.stringify(me));
    this.auth = coordAuth();
    this.acl = this.auth.auth ? CREATOR_ALL_ACL : OPEN_ACL_UNSAFE;
  }

  onChange(cb: (s: LeaderState, why: string) => void): void {
    this.listeners.push(cb);
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    if (this.auth.problem) {
      // Joining without the intended ACL would silently open hbr's znodes: refuse, loudly.
      this.log('error', `${this.auth.problem}; not joining the leader election`);
      return;
    }
    if (this.auth.user) this.log('info', `ZooKeeper digest authentication as ${this.auth.user} (HBR_ZK_COORD_AUTH); znodes are CREATOR_ALL_ACL`);
    this.open();
  }

  private set(state: LeaderState, why: string): void {
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

  private live(s: Session): boolean {
    return !this.closed && this.s === s;
  }

  // ---------------------------------------------------------------------------------- sessions

  private open(): void {
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
  private restart(s: Session, why: string): void {
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

  // ---------------------------------------------------------------------------------- election

  /** Looks at the election and the lock and sets the state; run on connect and by every watch. */
  private async check(s: Session): Promise<void> {
    if (s.checking) {
      s.again = true;
      return;
    }
    s.checking = true;
    try {
      do {
        s.again = false;
        if (!this.live(s) || !s.connected) return; // SYNC_CONNECTED will check again
        await this.checkOnce(s);
      } while (s.again);
      if (this.live(s)) this.retryMs = RETRY_MIN_MS; // a full pass: ZooKeeper works for us, so the backoff starts over
    } catch (err) {
      if (!this.live(s)) return;
      // The connection dropped mid-pass: the state events take it from here (SYNC_CONNECTED
      // checks again, EXPIRED or the watchdog start over).
      if (code(err) === Exception.CONNECTION_LOSS) return;
      if (code(err) === Exception.SESSION_EXPIRED) return this.restart(s, 'the ZooKeeper session expired (another daemon may lead now)');
      this.log('error', `leader election under ${this.paths.election} failed: ${errText(err)}`);
      this.restart(s, `election error: ${errText(err)}`);
    } finally {
      s.checking = false;
    }
  }

  private async checkOnce(s: Session): Promise<void> {
    const c = s.client;
    const { election } = this.paths;
    if (!s.node) {
      await call<string>((cb) => c.mkdirp(election, this.acl, CreateMode.PERSISTENT, cb));
      // An earlier create in this session whose reply was lost (or our node deleted by hand)
      // must not stay behind: a stray of ours ahead of the new node would block us forever.
      if (s.created) await this.removeStrays(s);
      s.created = true;
      const path = await call<string>((cb) => c.create(`${election}/n_`, this.data, this.acl, CreateMode.EPHEMERAL_SEQUENTIAL, cb));
      s.node = path.slice(election.length + 1);
      if (!this.live(s)) return;
      this.log('info', `joined the leader election as ${path}`);
    }
    const children = (await call<string[]>((cb) => c.getChildren(election, cb))).filter((n) => ELECTION_NODE.test(n)).sort(bySequence);
    if (!this.live(s)) return;
    const i = children.indexOf(s.node);

    if (i < 0) {
      // Our znode is gone though the session lives (deleted by hand): we are out of the line, so
      // the lock is not ours to keep. Join again at the end.
      s.node = undefined;
      this.set('follower', 'our election znode disappeared; joining again');
      await this.releaseLock(s);
      s.again = true;
      return;
    }

    if (i > 0) {
      // Not first: the candidate must not find the lock held by us (we may have rejoined behind it).
      this.set('follower', `in line behind ${children[i - 1]}`);
      await this.releaseLock(s);
      const pred = `${election}/${children[i - 1]}`;
      // Watch only the predecessor: its deletion wakes us, and nobody else.
      const stat = await call<Stat | null>((cb) => c.exists(pred, s.wake, cb));
      if (!this.live(s)) return;
      if (!stat) {
        s.again = true; // gone between the listing and the watch
      } else if (stat.ephemeralOwner.equals(c.getSessionId())) {
        // A stray of our own session ahead of us (see removeStrays): waiting for it would be forever.
        this.log('warn', `removing ${pred}, an election znode of this session left behind`);
        await removeIfOurs(c, pred);
        s.again = true;
      }
      return;
    }

    // First in line. Watch our own znode too: if it is deleted under us we must stop leading.
    if (!(await call<Stat | null>((cb) => c.exists(`${election}/${s.node}`, s.wake, cb)))) {
      s.again = true;
      return;
    }
    if (!(await this.takeLock(s)) || !this.live(s)) return;
    // A reply that arrived just before a disconnect must not make us leader while disconnected.
    if (s.connected) this.set('leader', 'first in the election and holding the apply lock');
  }

  /**
   * Creates the lock znode or finds it ours; either way watches it, so that its deletion (its
   * holder leaving, or ours deleted under us) wakes us. False while someone else holds it.
   */
  private async takeLock(s: Session): Promise<boolean> {
    const c = s.client;
    try {
      await call<string>((cb) => c.create(this.paths.lock, this.data, this.acl, CreateMode.EPHEMERAL, cb));
    } catch (err) {
      if (code(err) !== Exception.NODE_EXISTS) throw err;
    }
    let data: Buffer | undefined;
    let stat: Stat;
    try {
      [data, stat] = await new Promise<[Buffer | undefined, Stat]>((resolve, reject) =>
        c.getData(this.paths.lock, s.wake, (err, d, st) => (err ? reject(err) : resolve([d, st]))),
      );
    } catch (err) {
      if (code(err) !== Exception.NO_NODE) throw err;
      s.again = true; // released between our create and our look: try again
      return false;
    }
    // Ours also when a create's reply was lost with the connection, or after a reconnect.
    s.holdsLock = stat.ephemeralOwner.equals(c.getSessionId());
    if (!s.holdsLock && this.live(s)) {
      // A previous leader whose session has not expired yet, or an `hbr apply`.
      this.set('follower', `first in the election; waiting for the apply lock, held by ${describe(parseIdentity(data))}`);
    }
    return s.holdsLock;
  }

  private async releaseLock(s: Session): Promise<void> {
    if (!s.holdsLock) return;
    await removeIfOurs(s.client, this.paths.lock);
    s.holdsLock = false;
  }

  /** Deletes election znodes owned by this session other than our current one. */
  private async removeStrays(s: Session): Promise<void> {
    const c = s.client;
    const children = (await call<string[]>((cb) => c.getChildren(this.paths.election, cb))).filter((n) => ELECTION_NODE.test(n) && n !== s.node);
    await Promise.all(children.map((n) => removeIfOurs(c, `${this.paths.election}/${n}`)));
  }

  // ---------------------------------------------------------------------------------- queries

  async leaderIdentity(): Promise<Identity | undefined> {
    const s = this.s;
    if (!s || !s.connected || this.closed) return undefined;
    try {
      return parseIdentity(await within(QUERY_TIMEOUT_MS, call<Buffer>((cb) => s.client.getData(this.paths.lock, cb))));
    } catch {
      return undefined;
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const s = this.s;
    this.s = undefined;
    this.set('follower', 'closed');
    if (s) {
      clearTimeout(s.timer);
      if (s.connected) {
        // Delete our znodes ourselves rather than trusting the close alone: the successor is
        // woken now even if the close-session request is lost.
        const mine = [this.paths.lock, ...(s.node ? [`${this.paths.election}/${s.node}`] : [])];
        await within(CLOSE_WAIT_MS, Promise.all(mine.map((p) => removeIfOurs(s.client, p)))).catch((err: unknown) =>
          this.log('warn', `could not delete our znodes before closing (they go with the session): ${errText(err)}`),
        );
      }
      await closeClient(s.client);
    }
    while (this.dropping.size) await Promise.all(this.dropping);
  }
}

export function zookeeperElection(cfg: ZkConfig, me: Identity, log: Log = () => {}): LeaderElection {
  return new ZkElection(cfg, me, log);
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
