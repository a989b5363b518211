/**
 * Long-running child processes (DistCp) outlive a `kill -9` of hbr: the JVM is not our child any
 * more, and it would go on writing into a DR target while the next run plans a repair of that
 * very target. So each one is recorded under <stateDir>/children/<pid>.json before it runs, and
 * the next run reaps any recorded child still alive (only if its command line still matches what
 * was recorded: a recycled pid is never touched) before it observes anything.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface ChildRecord {
  pid: number;
  /** a string the child's /proc cmdline must contain for it to be ours */
  marker: string;
  startedAt: number;
  step: string;
}

function dir(stateDir: string): string {
  return join(stateDir, 'children');
}

export function trackChild(stateDir: string, rec: ChildRecord): void {
  mkdirSync(dir(stateDir), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir(stateDir), `${rec.pid}.json`), JSON.stringify(rec));
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

/** Kill recorded children of a dead hbr that are still running; returns what was reaped. */
export function reapOrphans(stateDir: string, log: (m: string) => void = () => {}): ChildRecord[] {
  let files: string[];
  try {
    files = readdirSync(dir(stateDir)).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const reaped: ChildRecord[] = [];
  for (const f of files) {
    const path = join(dir(stateDir), f);
    let rec: ChildRecord;
    try {
      rec = JSON.parse(readFileSync(path, 'utf8')) as ChildRecord;
    } catch {
      rmSync(path, { force: true });
      continue;
    }
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
    rmSync(path, { force: true });
  }
  return reaped;
}
