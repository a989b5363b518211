/**
 * What `hbr daemon` is started with (DaemonOptions, src/daemon/daemon.ts), and the daemon's own
 * housekeeping apart from its policies: the fixed intervals and thresholds, the timers that run
 * it, and the journal's size check.
 */
import { statSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Journal } from '../engine/journal.js';
import type { TimingOptions } from './timing.js';

export interface DaemonOptions {
  /** policy files and directories (watched) */
  paths: string[];
  stateDir: string;
  /** host:port for /metrics, /healthz, /status; undefined = no HTTP */
  listen?: { host: string; port: number };
  hadoop: string;
  log: Logger;
  /** policies reconciled at once (default 4) */
  parallel?: number;
  /** steps at once within one policy's apply (default 4) */
  concurrency?: number;
  timing?: Partial<TimingOptions>;
  /** how long running steps may go on after SIGTERM before they are aborted and checkpointed (default 5 min) */
  shutdownGraceMs?: number;
  /** NameNode health (JMX) poll interval (default 60 s) */
  healthIntervalMs?: number;
  /** the command line, for the lock file */
  command?: string;
  env?: NodeJS.ProcessEnv;
  /** the clock; tests may pass their own */
  now?: () => number;
}

export const RPO_TICK_MS = 5_000;
/** The journal is compacted (to its last 10,000 records and what is unfinished) when it passes this. */
const JOURNAL_MAX_BYTES = 16 * 1024 * 1024;
export const JOURNAL_CHECK_MS = 5 * 60_000;

/** Runs `fn` every `ms` (the timer does not keep the process alive; it joins `timers`, cleared at teardown); a throw is logged. */
export function every(timers: Set<NodeJS.Timeout>, log: Logger, ms: number, fn: () => void): void {
  const t = setInterval(() => {
    try {
      fn();
    } catch (err) {
      log.error({ err }, 'periodic task failed');
    }
  }, ms);
  t.unref();
  timers.add(t);
}

export function compactJournalIfBig(j: Journal | undefined, log: Logger): void {
  if (!j || j.closed) return;
  let size = 0;
  try {
    size = statSync(j.path).size;
  } catch {
    return;
  }
  if (size < JOURNAL_MAX_BYTES) return;
  const r = j.compact(10_000);
  log.info({ ...r, bytesBefore: size }, 'journal compacted');
}
