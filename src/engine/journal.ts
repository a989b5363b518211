/**
 * The journal: an append-only JSON-lines file, `<stateDir>/journal.jsonl`. An `intent` record is
 * written and fsynced before a step starts; `done` or `failed` after it ends. An intent with no
 * later outcome for the same step id means the process died mid-step: the planner gets it as
 * observed input (DESIGN §6).
 */
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { UnfinishedStep } from '../model/observed.js';
import type { Step } from '../model/plan.js';
import type { StepOutcome } from '../executors/types.js';

export interface JournalRecord {
  ts: number;
  run: string;
  event: 'intent' | 'done' | 'failed';
  stepId: string;
  kind: string;
  policy: string;
  outcome?: StepOutcome;
  error?: string;
}

export function journalPath(stateDir: string): string {
  return join(stateDir, 'journal.jsonl');
}

export function ensureStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
}

export class Journal {
  private constructor(private fd: number | undefined, readonly path: string) {}

  static open(stateDir: string): Journal {
    ensureStateDir(stateDir);
    const path = journalPath(stateDir);
    const fd = openSync(path, 'a+', 0o600);
    // A crash mid-write leaves a last line without its newline: end it, so our first record
    // starts on a line of its own instead of being glued to (and lost with) the torn one.
    const size = fstatSync(fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) {
        writeSync(fd, '\n');
        fsyncSync(fd);
      }
    }
    return new Journal(fd, path);
  }

  private append(rec: JournalRecord): void {
    if (this.fd === undefined) throw new Error('journal is closed');
    writeSync(this.fd, JSON.stringify(rec) + '\n');
    fsyncSync(this.fd);
  }

  intent(run: string, step: Step): void {
    this.append({ ts: Date.now(), run, event: 'intent', stepId: step.id, kind: step.kind, policy: step.policy });
  }

  done(run: string, step: Step, outcome: StepOutcome): void {
    this.append({ ts: Date.now(), run, event: 'done', stepId: step.id, kind: step.kind, policy: step.policy, outcome });
  }

  failed(run: string, step: Step, error: string): void {
    this.append({ ts: Date.now(), run, event: 'failed', stepId: step.id, kind: step.kind, policy: step.policy, error });
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Every record; a line cut short by a crash mid-write (or otherwise unreadable) is skipped. */
export function readJournal(stateDir: string): JournalRecord[] {
  let text: string;
  try {
    text = readFileSync(journalPath(stateDir), 'utf8');
  } catch {
    return [];
  }
  const out: JournalRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as JournalRecord;
      if (r && typeof r.stepId === 'string' && typeof r.event === 'string') out.push(r);
    } catch {
      /* torn write */
    }
  }
  return out;
}

/** Intents with no later done/failed for the same step id. */
export function readUnfinished(stateDir: string): UnfinishedStep[] {
  const open = new Map<string, UnfinishedStep>();
  for (const r of readJournal(stateDir)) {
    if (r.event === 'intent') open.set(r.stepId, { stepId: r.stepId, kind: r.kind, policy: r.policy, startedAt: r.ts });
    else open.delete(r.stepId);
  }
  return [...open.values()];
}

/** Rewrite the journal atomically (temp file, fsync, rename) keeping the last `keepLast` records. */
export function compactJournal(stateDir: string, keepLast = 10_000): void {
  const recs = readJournal(stateDir).slice(-keepLast);
  const tmp = `${journalPath(stateDir)}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, recs.map((r) => JSON.stringify(r) + '\n').join(''));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, journalPath(stateDir));
}
