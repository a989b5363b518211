/**
 * The journal: an append-only JSON-lines file, `<stateDir>/journal.jsonl`. An `intent` record is
 * written and fsynced before a step starts; `done` or `failed` after it ends. An intent with no
 * later outcome for the same step id means the process died mid-step: the planner gets it as
 * observed input (docs/architecture.md §1), until a later run that repaired what it left writes a
 * `resolved` record for it (./resolve.ts).
 *
 * One writer at a time: the journal is written only by the holder of the lock (lock.ts).
 */
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { UnfinishedStep } from '../model/observed.js';
import type { Step } from '../model/plan.js';
import { crashPoint } from '../model/faults.js';
import type { StepOutcome } from '../systems/types.js';

/** `resolved`: an intent without outcome that a later run repaired (./resolve.ts): no longer unfinished */
export type JournalEvent = 'intent' | 'done' | 'failed' | 'resolved';

export interface JournalRecord {
  ts: number;
  run: string;
  event: JournalEvent;
  stepId: string;
  kind: string;
  policy: string;
  /** on an intent: '-/+' when the step replaces (overwrites) what is there, as the operator allowed */
  action?: string;
  outcome?: StepOutcome;
  error?: string;
}

/** What the journal needs of a step (a Step has it all). */
export type JournalStep = Pick<Step, 'id' | 'kind' | 'policy'> & Partial<Pick<Step, 'action'>>;

const EVENTS: ReadonlySet<string> = new Set<JournalEvent>(['intent', 'done', 'failed', 'resolved']);

export function journalPath(stateDir: string): string {
  return join(stateDir, 'journal.jsonl');
}

/** mkdir -p the state dir, private to its owner when created. */
export function ensureStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
}

/** Make a directory entry (a new or renamed file in `dir`) durable. Not every platform can. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* e.g. EISDIR/EPERM where directories cannot be fsynced: the file's own fsync is all we get */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** writeSync may write less than asked (rarely, for files): loop until all of it is written. */
function writeAll(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/**
 * Replaces `path` atomically and durably: a temporary file beside it, written in full, fsynced,
 * renamed over it, the directory fsynced. A crash leaves the old file or the new one, never half.
 */
export function writeFileDurable(path: string, data: string, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeAll(fd, Buffer.from(data, 'utf8'));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

export class Journal {
  private constructor(
    private fd: number | undefined,
    readonly path: string,
  ) {}

  static open(stateDir: string): Journal {
    ensureStateDir(stateDir);
    const path = journalPath(stateDir);
    const fd = openSync(path, 'a+', 0o600);
    try {
      const size = fstatSync(fd).size;
      if (size === 0) {
        fsyncDir(stateDir); // a new file: its name must survive a crash too
      } else {
        // A crash mid-write leaves a last line without its newline: end it, so our first record
        // starts on a line of its own instead of being glued to (and lost with) the torn one.
        const last = Buffer.alloc(1);
        readSync(fd, last, 0, 1, size - 1);
        if (last[0] !== 0x0a) {
          writeAll(fd, Buffer.from('\n'));
          fsyncSync(fd);
        }
      }
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return new Journal(fd, path);
  }

  /** Appends one record and fsyncs it: when this returns, the record survives a crash. */
  append(rec: JournalRecord): void {
    if (this.fd === undefined) throw new Error(`journal ${this.path} is closed`);
    writeAll(this.fd, Buffer.from(JSON.stringify(rec) + '\n', 'utf8'));
    fsyncSync(this.fd);
  }

  intent(run: string, step: JournalStep): void {
    this.append({ ts: Date.now(), run, event: 'intent', stepId: step.id, kind: step.kind, policy: step.policy, ...(step.action === '-/+' && { action: step.action }) });
    crashPoint(`journal:intent ${step.id}`);
  }

  done(run: string, step: JournalStep, outcome: StepOutcome): void {
    crashPoint(`journal:outcome-before ${step.id}`);
    this.append({ ts: Date.now(), run, event: 'done', stepId: step.id, kind: step.kind, policy: step.policy, outcome });
    crashPoint(`journal:outcome-after ${step.id}`);
  }

  failed(run: string, step: JournalStep, error: string): void {
    crashPoint(`journal:outcome-before ${step.id}`);
    this.append({ ts: Date.now(), run, event: 'failed', stepId: step.id, kind: step.kind, policy: step.policy, error });
    crashPoint(`journal:outcome-after ${step.id}`);
  }

  /** Run `run` repaired what the unfinished step `u` left: it is unfinished no more. */
  resolved(run: string, u: UnfinishedStep): void {
    this.append({ ts: Date.now(), run, event: 'resolved', stepId: u.stepId, kind: u.kind, policy: u.policy });
  }

  /**
   * compactJournal on this open journal (a long-running daemon's journal would otherwise grow for
   * its whole life): the file is closed, rewritten keeping the last `keepLast` records and every
   * unfinished intent, and reopened. Appends are synchronous, so none can fall in between.
   */
  compact(keepLast = 10_000): { kept: number; dropped: number } {
    if (this.fd === undefined) throw new Error(`journal ${this.path} is closed`);
    closeSync(this.fd);
    this.fd = undefined;
    try {
      return compactJournal(dirname(this.path), keepLast);
    } finally {
      this.fd = openSync(this.path, 'a+', 0o600);
    }
  }

  get closed(): boolean {
    return this.fd === undefined;
  }

  /** Idempotent. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function isRecord(r: unknown): r is JournalRecord {
  if (typeof r !== 'object' || r === null) return false;
  const x = r as Record<string, unknown>;
  return typeof x.stepId === 'string' && typeof x.event === 'string' && EVENTS.has(x.event) && typeof x.ts === 'number';
}

/**
 * Every record, in the order written; none if there is no journal yet. A line cut short by a
 * crash mid-write (or otherwise not a record) is skipped.
 */
export function readJournal(stateDir: string): JournalRecord[] {
  let text: string;
  try {
    text = readFileSync(journalPath(stateDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: JournalRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      continue; // torn write
    }
    if (isRecord(r)) out.push(r);
  }
  return out;
}

/** A step id without its `@snapshot`: the same step on its target, whichever snapshot it carried. */
const onTarget = (stepId: string): string => stepId.replace(/@[^@/]*$/, '');

function unfinishedOf(recs: readonly JournalRecord[], superseding: ReadonlySet<string> = new Set()): Map<string, { rec: JournalRecord; index: number }> {
  const open = new Map<string, { rec: JournalRecord; index: number }>();
  recs.forEach((r, index) => {
    if (r.event === 'intent') {
      open.delete(r.stepId); // re-inserted: the map stays in the order of the intents
      open.set(r.stepId, { rec: r, index });
    } else {
      open.delete(r.stepId); // a done/failed (of this run or a later one), or resolved, ends every earlier intent
      // a finished step of a superseding kind ends the earlier intents of its kind on its target
      // (StepKindDef.supersedes: e.g. an Ozone bootstrap that finished under a newer snapshot)
      if (r.event === 'done' && superseding.has(r.kind)) {
        for (const [id, o] of open) if (o.rec.kind === r.kind && onTarget(id) === onTarget(r.stepId)) open.delete(id);
      }
    }
  });
  return open;
}

/**
 * Intents with no later done/failed/resolved for the same step id: steps a crashed (kill -9) run
 * left midway and no run has repaired since. One per step id (the newest intent), in the order of
 * those intents.
 */
export function readUnfinished(stateDir: string, superseding?: ReadonlySet<string>): UnfinishedStep[] {
  return [...unfinishedOf(readJournal(stateDir), superseding).values()].map(({ rec: r }) => ({ stepId: r.stepId, kind: r.kind, policy: r.policy, startedAt: r.ts }));
}

/**
 * Rewrites the journal atomically (temp file, fsync, rename, fsync of the dir) keeping the last
 * `keepLast` records, and also every older intent that is still unfinished: compaction never hides
 * a crash from the planner. Torn lines are dropped. Call it holding the lock, with no Journal of
 * this state dir open (an open Journal would go on appending to the replaced file).
 */
export function compactJournal(stateDir: string, keepLast = 10_000): { kept: number; dropped: number } {
  const path = journalPath(stateDir);
  const recs = readJournal(stateDir);
  const from = Math.max(0, recs.length - Math.max(0, Math.floor(keepLast)));
  const keep = new Set<number>();
  for (let i = from; i < recs.length; i++) keep.add(i);
  for (const { index } of unfinishedOf(recs).values()) keep.add(index);
  const kept = recs.filter((_, i) => keep.has(i));
  ensureStateDir(stateDir);
  writeFileDurable(path, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  return { kept: kept.length, dropped: recs.length - kept.length };
}
