/**
 * Leadership and the apply lock for several `hbr daemon`s, through ZooKeeper (node-zookeeper-client).
 *
 * The recipe is ZooKeeper's own leader election (as Curator's LeaderLatch):
 *   - each daemon creates `<path>/election/n_<seq>`, EPHEMERAL_SEQUENTIAL, holding its identity;
 *   - the lowest sequence number is the candidate; every other daemon watches only the node just
 *     before its own (no herd: one death wakes one daemon);
 *   - the candidate then creates `<path>/lock`, EPHEMERAL — the apply lock, also taken by a one-shot
 *     `hbr apply` (acquireZkLock) — and only once it holds both is it 'leader'.
 * Ephemeral znodes vanish when their session ends: at once on a clean close, after the session
 * timeout when a daemon dies. So a dead leader's successor takes over within the timeout, and
 * never while the old session (which may still be applying) is alive.
 *
 * States: 'leader' acts; 'suspended' (disconnected, session maybe alive) starts nothing new;
 * 'follower' does nothing. An expired session means someone else may lead: the daemon aborts its
 * running steps (on 'follower') and rejoins with a new session.
 */
import { hostname } from 'node:os';
import zookeeper, { type Client, type Event, type State } from 'node-zookeeper-client';
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
  readonly state: LeaderState;
  /** connects and joins; never throws; reconnects with backoff (1 s … 30 s) until close() */
  start(): void;
  onChange(cb: (state: LeaderState, why: string) => void): void;
  /** who holds the apply lock now, if anyone (undefined when unknown) */
  leaderIdentity(): Promise<Identity | undefined>;
  /** leaves the election (its znodes go with the session); idempotent */
  close(): Promise<void>;
}

type ZkConfig = Coordination['zookeeper'];
type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;

const { CreateMode, Exception, ACL, Id, Permission } = zookeeper;

/** With HBR_ZK_COORD_AUTH=user:password, hbr's znodes are readable and writable by that user only. */
function authOf(env: NodeJS.ProcessEnv): Buffer | undefined {
  const a = env.HBR_ZK_COORD_AUTH;
  return a && a.includes(':') ? Buffer.from(a) : undefined;
}

function acls(auth: Buffer | undefined) {
  return auth ? [new ACL(Permission.ALL, new Id('auth', ''))] : [new ACL(Permission.ALL, new Id('world', 'anyone'))];
}

function newClient(cfg: ZkConfig): Client {
  const client = zookeeper.createClient(cfg.connect, { sessionTimeout: cfg.sessionTimeout, spinDelay: 1000, retries: 1 });
  const auth = authOf(process.env);
  if (auth) client.addAuthInfo('digest', auth);
  return client;
}

const code = (err: unknown): number | undefined => (err && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : undefined);

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Promise wrappers over the callback API. */
function p<T>(fn: (cb: (err: Error | InstanceType<typeof Exception> | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
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

/** Sorts election children by their sequence number (the 10 digits ZooKeeper appends). */
function bySequence(a: string, b: string): number {
  return Number(a.slice(-10)) - Number(b.slice(-10));
}

class ZkElection implements LeaderElection {
  state: LeaderState = 'follower';
  private client: Client | undefined;
  /** bumped on every new client: callbacks of an older one are ignored */
  private gen = 0;
  private myNode: string | undefined;
  private closed = false;
  private started = false;
  private retryMs = 1_000;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private checkAgain = false;
  private readonly listeners: Array<(s: LeaderState, why: string) => void> = [];
  private readonly electionPath: string;
  private readonly lockPath: string;
  private readonly acl;

  constructor(
    private readonly cfg: ZkConfig,
    private readonly me: Identity,
    private readonly log: Log,
  ) {
    const base = cfg.path.replace(/\/+$/, '');
    this.electionPath = `${base}/election`;
    this.lockPath = `${base}/lock`;
    this.acl = acls(authOf(process.env));
  }

  onChange(cb: (s: LeaderState, why: string) => void): void {
    this.listeners.push(cb);
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.connect();
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

  private connect(): void {
    if (this.closed) return;
    const g = ++this.gen;
    const client = newClient(this.cfg);
    this.client = client;
    this.myNode = undefined;
    client.on('state', (s: State) => this.onState(g, s));
    client.connect();
  }

  /** Drops the client (its session) and connects again after a growing delay. */
  private restart(why: string): void {
    if (this.closed) return;
    this.gen++;
    const old = this.client;
    this.client = undefined;
    this.myNode = undefined;
    this.set('follower', why);
    try {
      old?.close();
    } catch {
      /* already closed */
    }
    const wait = this.retryMs;
    this.retryMs = Math.min(30_000, this.retryMs * 2);
    this.log('warn', `ZooKeeper: ${why}; rejoining in ${Math.round(wait / 1000)}s`);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect();
    }, wait);
  }

  private onState(g: number, s: State): void {
    if (g !== this.gen || this.closed) return;
    const { State: S } = zookeeper;
    if (s === S.SYNC_CONNECTED) {
      this.retryMs = 1_000;
      // First connect: join. Reconnect within the session: our znodes may still be there — look.
      void this.check(g);
    } else if (s === S.DISCONNECTED) {
      if (this.state === 'leader') this.set('suspended', 'disconnected from ZooKeeper; the session may still be alive');
    } else if (s === S.EXPIRED) {
      this.restart('the ZooKeeper session expired (another daemon may lead now)');
    } else if (s === S.AUTH_FAILED) {
      this.restart('ZooKeeper authentication failed (HBR_ZK_COORD_AUTH)');
    }
  }

  /**
   * Looks at the election and the lock and sets the state accordingly; re-armed by watches.
   * Serialized: a call during a call makes one more pass after it.
   */
  private async check(g: number): Promise<void> {
    if (this.checking) {
      this.checkAgain = true;
      return;
    }
    this.checking = true;
    try {
      do {
        this.checkAgain = false;
        await this.checkOnce(g);
      } while (this.checkAgain && g === this.gen && !this.closed);
    } catch (err) {
      if (g !== this.gen || this.closed) return;
      if (code(err) === Exception.CONNECTION_LOSS) return; // the 'state' events take it from here
      if (code(err) === Exception.SESSION_EXPIRED) return this.restart('the ZooKeeper session expired');
      this.restart(`election error: ${errText(err)}`);
    } finally {
      this.checking = false;
    }
  }

  private async checkOnce(g: number): Promise<void> {
    const c = this.client;
    if (!c || g !== this.gen || this.closed) return;
    if (!this.myNode) {
      await p<string>((cb) => c.mkdirp(this.electionPath, this.acl, CreateMode.PERSISTENT, cb));
      const path = await p<string>((cb) => c.create(`${this.electionPath}/n_`, Buffer.from(JSON.stringify(this.me)), this.acl, CreateMode.EPHEMERAL_SEQUENTIAL, cb));
      if (g !== this.gen || this.closed) return;
      this.myNode = path.slice(this.electionPath.length + 1);
      this.log('info', `joined the election as ${path}`);
    }
    const children = (await p<string[]>((cb) => c.getChildren(this.electionPath, cb))).filter((n) => n.startsWith('n_')).sort(bySequence);
    if (g !== this.gen || this.closed) return;
    const i = children.indexOf(this.myNode);
    if (i < 0) {
      // Our node is gone though the session lives (someone deleted it): join again.
      this.myNode = undefined;
      this.set('follower', 'our election znode disappeared; rejoining');
      this.checkAgain = true;
      return;
    }
    if (i > 0) {
      const pred = `${this.electionPath}/${children[i - 1]}`;
      const stat = await p<unknown>((cb) => c.exists(pred, (_e: Event) => void this.check(g), cb));
      if (g !== this.gen || this.closed) return;
      if (!stat) {
        this.checkAgain = true; // gone between the listing and the watch
        return;
      }
      this.set('follower', `waiting behind ${children[i - 1]}`);
      return;
    }
    // The lowest: the candidate. Lead once the apply lock is ours.
    if (await this.takeLock(c, g)) this.set('leader', 'lowest in the election and holding the apply lock');
  }

  /** Creates the lock znode, or finds it ours already; else watches it and returns false. */
  private async takeLock(c: Client, g: number): Promise<boolean> {
    try {
      await p<string>((cb) => c.create(this.lockPath, Buffer.from(JSON.stringify(this.me)), this.acl, CreateMode.EPHEMERAL, cb));
      return true;
    } catch (err) {
      if (code(err) !== Exception.NODE_EXISTS) throw err;
    }
    let data: Buffer | undefined;
    let owner: Buffer | undefined;
    try {
      [data, owner] = await new Promise<[Buffer, Buffer]>((resolve, reject) =>
        c.getData(this.lockPath, (_e: Event) => void this.check(g), (err, d, stat) => (err ? reject(err) : resolve([d, stat.ephemeralOwner]))),
      );
    } catch (err) {
      if (code(err) === Exception.NO_NODE) {
        this.checkAgain = true;
        return false;
      }
      throw err;
    }
    if (g !== this.gen) return false;
    if (owner && owner.equals(c.getSessionId())) return true; // ours (a reconnect within the session)
    const holder = parseIdentity(data);
    this.set('follower', `first in the election, waiting for the apply lock held by ${holder ? `pid ${holder.pid} on ${holder.host}` : 'someone'}`);
    return false;
  }

  async leaderIdentity(): Promise<Identity | undefined> {
    const c = this.client;
    if (!c) return undefined;
    try {
      return parseIdentity(await p<Buffer>((cb) => c.getData(this.lockPath, cb)));
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.gen++;
    const c = this.client;
    this.client = undefined;
    this.set('follower', 'closed');
    if (!c) return;
    // Closing the session makes the server delete our ephemeral znodes at once: the next daemon
    // takes over now rather than after the session timeout. Wait (briefly) for that to be sent.
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2_000);
      c.once('disconnected', () => {
        clearTimeout(t);
        resolve();
      });
      try {
        c.close();
      } catch {
        clearTimeout(t);
        resolve();
      }
    });
  }
}

export function zookeeperElection(cfg: ZkConfig, me: Identity, log: Log = () => {}): LeaderElection {
  return new ZkElection(cfg, me, log);
}

// ------------------------------------------------------------------------------------------------
// The one-shot lock of `hbr apply`

export interface ZkLock {
  readonly holder: Identity;
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
 * Takes `<path>/lock` for the duration of one apply. Fails at once (or after `timeoutMs`) with
 * ZkLockHeldError naming the holder when a daemon leads or another apply runs.
 */
export async function acquireZkLock(cfg: ZkConfig, me: Identity = { host: hostname(), pid: process.pid, startedAt: Date.now() }, opts: { timeoutMs?: number; connectTimeoutMs?: number } = {}): Promise<ZkLock> {
  const lockPath = `${cfg.path.replace(/\/+$/, '')}/lock`;
  const acl = acls(authOf(process.env));
  const client = newClient(cfg);
  const closeClient = (): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, 2_000);
      client.once('disconnected', () => {
        clearTimeout(t);
        resolve();
      });
      try {
        client.close();
      } catch {
        clearTimeout(t);
        resolve();
      }
    });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      try { client.close(); } catch { /* never connected */ }
      reject(new Error(`no ZooKeeper at ${cfg.connect} within ${Math.round((opts.connectTimeoutMs ?? 10_000) / 1000)}s`));
    }, opts.connectTimeoutMs ?? 10_000);
    client.once('connected', () => {
      clearTimeout(t);
      resolve();
    });
    client.connect();
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 0);
  try {
    await p<string>((cb) => client.mkdirp(cfg.path, acl, CreateMode.PERSISTENT, cb));
    for (;;) {
      try {
        await p<string>((cb) => client.create(lockPath, Buffer.from(JSON.stringify(me)), acl, CreateMode.EPHEMERAL, cb));
        return { holder: me, release: closeClient };
      } catch (err) {
        if (code(err) !== Exception.NODE_EXISTS) throw err;
      }
      const holder = await p<Buffer>((cb) => client.getData(lockPath, cb)).then(parseIdentity, () => undefined);
      const left = deadline - Date.now();
      if (left <= 0) throw new ZkLockHeldError(holder, lockPath);
      // Wait for the lock to go (or the time to run out), then try again.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        client.exists(lockPath, () => { clearTimeout(t); resolve(); }, (err, stat) => {
          if (err || !stat) {
            clearTimeout(t);
            resolve();
          }
        });
      });
    }
  } catch (err) {
    await closeClient();
    throw err;
  }
}
