/**
 * Long-running child processes (DistCp) outlive a `kill -9` of hbr: the JVM is not our child any
 * more, and it would go on writing into a DR target while the next run plans a repair of that
 * very target. So each one is recorded under <stateDir>/children/<pid>.json before it runs, and
 * the next run reaps any recorded child still alive (only if its command line still matches what
 * was recorded: a recycled pid is never touched) before it observes anything. A DistCp on YARN's
 * record also names its job, which the next run kills through the ResourceManager (./yarn-reap.ts).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RmAccess } from './yarn.js';

export interface ChildRecord {
  pid: number;
  /** a string the child's /proc cmdline must contain for it to be ours */
  marker: string;
  startedAt: number;
  step: string;
  /**
   * A DistCp on YARN: its job outlives the client JVM (pdeathsig ends the client, not the MR
   * ApplicationMaster), so the record keeps where to kill it (./yarn-reap.ts).
   */
  yarn?: { rm: RmAccess; tags: string[]; appId?: string };
}

function dir(stateDir: string): string {
  return join(stateDir, 'children');
}

export function trackChild(stateDir: string, rec: ChildRecord): void {
  mkdirSync(dir(stateDir), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir(stateDir), `${rec.pid}.json`), JSON.stringify(rec));
}

/** The YARN application id of a tracked child, as soon as its log names it. */
export function recordChildApp(stateDir: string, pid: number, appId: string): void {
  const path = join(dir(stateDir), `${pid}.json`);
  try {
    const rec = JSON.parse(readFileSync(path, 'utf8')) as ChildRecord;
    if (!rec.yarn || rec.yarn.appId === appId) return;
    rec.yarn.appId = appId;
    writeFileSync(path, JSON.stringify(rec));
  } catch {
    /* untracked already */
  }
}

/** Where reapOrphans leaves the records of YARN jobs for reapOrphanApps (./yarn-reap.ts). */
export function pendingAppsDir(stateDir: string): string {
  return join(dir(stateDir), 'yarn');
}

export function untrackChild(stateDir: string, pid: number): void {
  rmSync(join(dir(stateDir), `${pid}.json`), { force: true });
}

/** A process's command line, arguments joined by spaces; undefined when it is gone. */
export function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

/** The records in directory `d` (an unreadable one is removed), each with its file's path. */
export function readRecords(d: string): { path: string; rec: ChildRecord }[] {
  let files: string[];
  try {
    files = readdirSync(d).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: { path: string; rec: ChildRecord }[] = [];
  for (const f of files) {
    const path = join(d, f);
    try {
      out.push({ path, rec: JSON.parse(readFileSync(path, 'utf8')) as ChildRecord });
    } catch {
      rmSync(path, { force: true });
    }
  }
  return out;
}

/** Kill recorded children of a dead hbr that are still running; returns what was reaped. */
export function reapOrphans(stateDir: string, log: (m: string) => void = () => {}): ChildRecord[] {
  const reaped: ChildRecord[] = [];
  for (const { path, rec } of readRecords(dir(stateDir))) {
    const cmd = cmdline(rec.pid);
    if (cmd && cmd.includes(rec.marker)) {
      log(`stopping pid ${rec.pid} left running by an interrupted run (${rec.step})`);
      try {
        process.kill(-rec.pid, 'SIGKILL'); // its own process group (spawned detached)
      } catch {
        try { process.kill(rec.pid, 'SIGKILL'); } catch { /* gone */ }
      }
      reaped.push(rec);
    }
    if (rec.yarn) {
      // The client is gone (or just killed), its job perhaps not: reapOrphanApps asks the RM.
      mkdirSync(pendingAppsDir(stateDir), { recursive: true, mode: 0o700 });
      writeFileSync(join(pendingAppsDir(stateDir), `${rec.pid}-${rec.startedAt}.json`), JSON.stringify(rec));
    }
    rmSync(path, { force: true });
  }
  return reaped;
}
