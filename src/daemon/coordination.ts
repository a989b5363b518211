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
 * Files: the ZooKeeper client, its helpers and the session the election keeps (with its watchdog)
 * are in zk-session.ts; the apply lock of `hbr apply` and the Identity in the znodes in zk-lock.ts.
 */
import type { ACL, Stat } from 'node-zookeeper-client';
import {
  CLOSE_WAIT_MS,
  CREATOR_ALL_ACL,
  CreateMode,
  Exception,
  OPEN_ACL_UNSAFE,
  RETRY_MIN_MS,
  SessionKeeper,
  call,
  closeClient,
  code,
  errText,
  removeIfOurs,
  within,
  type Log,
  type Session,
  type ZkConfig,
} from './zk-session.js';
import { parseIdentity, type Identity } from './zk-lock.js';

export { acquireZkLock, ZkLockHeldError, type Identity, type ZkLock } from './zk-lock.js';

import type { LeaderState } from './zk-session.js';

export type { LeaderState };

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

/** leaderIdentity() answers "don't know" rather than hang on a server that does not answer */
const QUERY_TIMEOUT_MS = 5_000;

const describe = (id: Identity | undefined): string => (id ? `hbr pid ${id.pid} on ${id.host}` : 'an unknown holder');

/** Election znodes are n_ followed by the 10 digits ZooKeeper appends. */
const ELECTION_NODE = /^n_\d{10}$/;
const bySequence = (a: string, b: string): number => Number(a.slice(2)) - Number(b.slice(2));

// ------------------------------------------------------------------------------------------------
// the election

class ZkElection extends SessionKeeper implements LeaderElection {
  private started = false;
  private closing: Promise<void> | undefined;
  private readonly data: Buffer;
  private readonly acl: ACL[];

  constructor(cfg: ZkConfig, me: Identity, log: Log) {
    super(cfg, log);
    this.data = Buffer.from(JSON.stringify(me));
    this.acl = this.auth.auth ? CREATOR_ALL_ACL : OPEN_ACL_UNSAFE;
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

  // ---------------------------------------------------------------------------------- election

  /** Looks at the election and the lock and sets the state; run on connect and by every watch. */
  protected override async check(s: Session): Promise<void> {
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
