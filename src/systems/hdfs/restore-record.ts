/**
 * What `hbr restore hdfs` journals (docs/restore.md, "Crash-safe, journaled"): before it touches a
 * destination it writes, and fsyncs, `<stateDir>/restores/<key>.json` naming the destination
 * cluster and paths (the intent); after the verify it writes the outcome and removes the record.
 * A record still there on a later run is an unfinished restore of THIS state dir: DistCp's
 * `.distcp.tmp.*` files under its paths are that restore's (its DistCp was reaped first, by
 * reapOrphans in src/cli/restore.ts) and may be removed; any other `.distcp.tmp.*` is not hbr's.
 * The outcomes are appended to `<stateDir>/restores/history.jsonl`.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, writeFileDurable } from '../../engine/journal.js';
import { crashPoint } from '../../model/faults.js';

export interface RestoreRecord {
  policy: string;
  cluster: string;
  /** destination paths the restore writes under */
  paths: string[];
  snapshot: string;
  startedAt: number;
  pid: number;
}

const dirOf = (stateDir: string) => join(stateDir, 'restores');

function keyOf(cluster: string, paths: string[]): string {
  return createHash('sha256').update(JSON.stringify([cluster, [...paths].sort()])).digest('hex').slice(0, 16);
}

/** The unfinished restores this state dir recorded (torn or unreadable records are skipped). */
export function unfinishedRestores(stateDir: string): RestoreRecord[] {
  let names: string[];
  try {
    names = readdirSync(dirOf(stateDir)).filter((n) => /^[0-9a-f]{16}\.json$/.test(n));
  } catch {
    return [];
  }
  const out: RestoreRecord[] = [];
  for (const n of names) {
    try {
      out.push(JSON.parse(readFileSync(join(dirOf(stateDir), n), 'utf8')) as RestoreRecord);
    } catch {
      /* torn: written to a temp file and renamed, so never ours half-written */
    }
  }
  return out;
}

/** Whether `path` on `cluster` is at or under a path an unfinished restore of this state dir recorded. */
export function recordedByUnfinished(records: RestoreRecord[], cluster: string, path: string): boolean {
  return records.some((r) => r.cluster === cluster && r.paths.some((p) => path === p || path.startsWith(p === '/' ? '/' : `${p}/`)));
}

/** The intent: durable before the first destination write. Returns the outcome writer. */
export function recordIntent(stateDir: string, rec: RestoreRecord): { outcome(result: object): void } {
  const dir = dirOf(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${keyOf(rec.cluster, rec.paths)}.json`);
  writeFileDurable(file, JSON.stringify(rec) + '\n');
  crashPoint(`restore:intent ${rec.cluster}:${rec.paths.join(',')}`);
  return {
    outcome(result: object) {
      appendFileSync(join(dir, 'history.jsonl'), JSON.stringify({ ...rec, finishedAt: Date.now(), ...result }) + '\n', { mode: 0o600 });
      rmSync(file, { force: true });
      // An older unfinished restore wholly under what this one just restored and verified is done too.
      for (const n of readdirSync(dir).filter((x) => /^[0-9a-f]{16}\.json$/.test(x))) {
        try {
          const r = JSON.parse(readFileSync(join(dir, n), 'utf8')) as RestoreRecord;
          if (r.paths.every((p) => recordedByUnfinished([rec], r.cluster, p))) rmSync(join(dir, n), { force: true });
        } catch {
          /* unreadable: left */
        }
      }
      fsyncDir(dir);
    },
  };
}
