/**
 * A local exclusive lock, `<stateDir>/lock`, created with O_EXCL and holding who took it. A lock
 * left by a dead process on this host (kill -9) is stale and taken over; of two processes that
 * both find it stale, exactly one wins (the lock file is made by link(), which fails if the name
 * exists).
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ensureStateDir } from './journal.js';

interface LockInfo {
  pid: number;
  host: string;
  startedAt: number;
  command: string;
}

export class LockHeldError extends Error {
  constructor(readonly path: string, readonly holder: LockInfo) {
    super(
      `another hbr (pid ${holder.pid} on ${holder.host}, started ${new Date(holder.startedAt).toISOString()}, ` +
        `command "${holder.command}") holds ${path}`,
    );
    this.name = 'LockHeldError';
  }
}

export interface Lock {
  path: string;
  release(): void;
}

function readInfo(path: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Write our info to a private temp file, then hard-link it to the lock path (atomic, exclusive). */
function tryCreate(path: string, info: LockInfo): boolean {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(info));
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

export function acquireLock(stateDir: string, command: string): Lock {
  ensureStateDir(stateDir);
  const path = join(stateDir, 'lock');
  const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: Date.now(), command };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path, info)) {
      return {
        path,
        release() {
          const now = readInfo(path);
          if (now && now.pid === info.pid && now.host === info.host && now.startedAt === info.startedAt) rmSync(path, { force: true });
        },
      };
    }
    const holder = readInfo(path);
    if (holder && (holder.host !== info.host || alive(holder.pid))) throw new LockHeldError(path, holder);
    // Stale (dead pid on this host) or unreadable (torn write by a dead process). Move it aside
    // atomically; if what we moved is not the stale file we judged (another process took over in
    // between), put it back. Then race for the lock again: link() lets exactly one win.
    const grave = `${path}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`;
    try {
      renameSync(path, grave);
    } catch {
      continue; // someone else moved it first
    }
    if (JSON.stringify(readInfo(grave)) !== JSON.stringify(holder)) {
      try { linkSync(grave, path); } catch { /* a third process holds it now */ }
    }
    rmSync(grave, { force: true });
  }
  const holder = readInfo(path);
  throw holder ? new LockHeldError(path, holder) : new Error(`could not take the lock ${path}`);
}
