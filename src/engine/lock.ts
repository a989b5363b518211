/**
 * A local exclusive lock, `<stateDir>/lock`: one hbr at a time applies (and writes the journal).
 * The file holds JSON `{ pid, host, startedAt, command }` of its holder.
 *
 * Taking it: the file is created exclusively. We write our record to a private temp file (opened
 * 'wx') and hard-link it to the lock name, which fails with EEXIST if the name exists: so the lock
 * appears with its whole content at once, and no one ever reads a half-written lock (that would
 * look like garbage left by a crash). On a file system without hard links we fall back to opening
 * the lock itself with 'wx' (O_CREAT|O_EXCL).
 *
 * Stale locks: a lock whose pid is dead on this host (kill -9, power loss) is taken over, and so
 * is one naming this very process's pid that this process did not take (a pid reused after a
 * restart, as in a container). "Remove the file only if it is still the stale one" is not atomic
 * on POSIX, so removal is guarded by a claim: `lock.takeover-<hash of the stale lock's bytes>`,
 * created exclusively like the lock. Of all processes that found the same stale lock, exactly one
 * makes the claim; only it removes the lock (which cannot change meanwhile: its owner is dead,
 * and only a claimant removes a stale lock), and then everyone races for a fresh one, which
 * exactly one wins. A claimant that dies mid-takeover leaves a claim whose own claimant is dead:
 * it is claimed in turn (the name grows by the hash of the dead claim), so no crash at any moment
 * wedges the lock.
 *
 * A lock held on another host (a state dir on a shared file system) is never judged stale: we
 * cannot see that process.
 */
import { createHash } from 'node:crypto';
import { closeSync, linkSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ensureStateDir, fsyncDir } from './journal.js';

export interface LockInfo {
  pid: number;
  host: string;
  /** ms since epoch */
  startedAt: number;
  command: string;
}

export class LockHeldError extends Error {
  constructor(
    readonly path: string,
    readonly holder: LockInfo,
  ) {
    super(
      `another hbr (pid ${holder.pid} on ${holder.host}, started at ${iso(holder.startedAt)}, command "${holder.command}") holds ${path}`,
    );
    this.name = 'LockHeldError';
  }
}

export interface Lock {
  readonly path: string;
  readonly info: LockInfo;
  /** Removes the lock if it is still ours (same pid, host and start); idempotent. */
  release(): void;
}

export function lockPath(stateDir: string): string {
  return join(stateDir, 'lock');
}

function iso(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

/** How long an unreadable lock may be the work of a live writer (only with the 'wx' fallback). */
const YOUNG_MS = 5_000;
/** How long to wait for another process's takeover of a stale lock to end. */
const CONTENTION_MS = 2_000;
const MAX_CLAIM_DEPTH = 4;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function readBytes(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function parseInfo(bytes: Buffer): LockInfo | undefined {
  try {
    const x = JSON.parse(bytes.toString('utf8')) as Partial<LockInfo> | null;
    // pid 0 or negative would make process.kill(pid, 0) probe a process group: not a holder.
    if (!x || !Number.isSafeInteger(x.pid) || x.pid! <= 0 || typeof x.host !== 'string') return undefined;
    return { pid: x.pid!, host: x.host, startedAt: Number(x.startedAt), command: String(x.command ?? '') };
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, not ours to signal
  }
}

function tag(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

let linkUnsupported = false;

/** Creates `path` holding `data` if no file has that name; false if one has. */
function createExclusive(path: string, data: string): boolean {
  if (!linkUnsupported) {
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, path);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
      linkUnsupported = true; // e.g. some FUSE/SMB mounts: fall through to plain O_EXCL
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
  return true;
}

function youngerThan(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < ms;
  } catch {
    return false;
  }
}

type Judgement = { kind: 'gone' } | { kind: 'held'; info: LockInfo } | { kind: 'stale'; bytes: Buffer } | { kind: 'busy' };

/** Locks this process holds (by path). */
const heldHere = new Set<string>();

/** What the file at `path` (a lock or a claim) is worth to us. */
function judge(path: string, host: string): Judgement {
  const bytes = readBytes(path);
  if (bytes === undefined) return { kind: 'gone' };
  const info = parseInfo(bytes);
  if (info) {
    if (info.host !== host) return { kind: 'held', info };
    // Our own pid on a lock we did not take: a pid reused after a restart (in a container, hbr
    // gets the same small pid every time), not us.
    if (info.pid === process.pid) return heldHere.has(resolve(path)) ? { kind: 'held', info } : { kind: 'stale', bytes };
    return alive(info.pid) ? { kind: 'held', info } : { kind: 'stale', bytes };
  }
  // Unreadable: garbage from a crash (power loss), unless it may be a live writer's half-done write.
  return linkUnsupported && youngerThan(path, YOUNG_MS) ? { kind: 'busy' } : { kind: 'stale', bytes };
}

/**
 * Removes the stale lock whose content is `stale` if we win the claim to it. Returns false when
 * another live process is taking it over (wait a moment and look again).
 */
function takeOver(path: string, stale: Buffer, me: string, host: string): boolean {
  const chain: string[] = [];
  let claim = `${path}.takeover-${tag(stale)}`;
  let mine = false;
  for (let depth = 0; depth < MAX_CLAIM_DEPTH && !mine; depth++) {
    if (createExclusive(claim, me)) {
      mine = true;
      chain.push(claim);
      break;
    }
    const j = judge(claim, host);
    if (j.kind === 'held' || j.kind === 'busy') return false; // a live process is at it
    if (j.kind === 'gone') return false; // its claimant just finished: look at the lock again
    chain.push(claim);
    claim = `${claim}-${tag(j.bytes)}`; // its claimant died mid-takeover: claim the dead claim
  }
  if (!mine) throw new Error(`cannot take over the stale lock ${path}: too many dead claims (${chain.join(', ')}); remove them by hand`);
  try {
    // Only a claimant of this very content removes it, and its owner is dead: it is still the
    // stale lock unless it is gone altogether (a dead claimant removed it before dying).
    const now = readBytes(path);
    if (now !== undefined && now.equals(stale)) {
      rmSync(path, { force: true });
      fsyncDir(dirname(path));
    }
  } finally {
    // The stale content is gone for good (we removed it, or a dead claimant did): every claim
    // on it is garbage. A late claimant only finds the lock is not what it claimed.
    for (const c of chain) rmSync(c, { force: true });
  }
  return true;
}

/**
 * Takes `<stateDir>/lock` (creating the state dir, mode 0700, if missing). Throws LockHeldError
 * if a live process (or any process on another host) holds it; takes over a lock left by a dead
 * process of this host.
 */
export function acquireLock(stateDir: string, command: string): Lock {
  ensureStateDir(stateDir);
  const path = lockPath(stateDir);
  const host = hostname();
  const info: LockInfo = { pid: process.pid, host, startedAt: Date.now(), command };
  const me = JSON.stringify(info);
  const giveUpAt = Date.now() + CONTENTION_MS;
  for (;;) {
    if (createExclusive(path, me)) {
      fsyncDir(stateDir);
      heldHere.add(resolve(path));
      sweep(stateDir);
      let released = false;
      return {
        path,
        info,
        release() {
          if (released) return;
          released = true;
          heldHere.delete(resolve(path));
          const bytes = readBytes(path);
          const now = bytes && parseInfo(bytes);
          if (now && now.pid === info.pid && now.host === info.host && now.startedAt === info.startedAt) rmSync(path, { force: true });
        },
      };
    }
    const j = judge(path, host);
    if (j.kind === 'held') throw new LockHeldError(path, j.info);
    // 'gone': released between our attempt and our look. 'stale': ours to take over, or someone
    // else's takeover is under way. 'busy': being written. All settle in moments: look again.
    if (j.kind === 'stale' && takeOver(path, j.bytes, me, host)) continue;
    if (j.kind !== 'gone') {
      if (Date.now() > giveUpAt) throw new Error(`cannot take the lock ${path}: another process keeps taking it over or writing it; try again`);
      sleepSync(5 + Math.random() * 20);
    }
  }
}

/**
 * Holding the lock, remove what crashed processes left beside it: takeover claims (while we hold
 * the lock, every claim names content that is not the lock's any more, so a claimant still at
 * work only finds the lock is not what it claimed) and temp files of dead pids.
 */
function sweep(stateDir: string): void {
  try {
    for (const name of readdirSync(stateDir)) {
      if (!name.startsWith('lock.')) continue;
      const tmp = /\.(\d+)\.[a-z0-9]*\.tmp$/.exec(name);
      if (tmp ? !alive(Number(tmp[1])) : name.startsWith('lock.takeover-')) rmSync(join(stateDir, name), { force: true });
    }
  } catch {
    /* housekeeping only */
  }
}
