/**
 * A DistCp's progress in bytes, rate and ETA, from what its client prints (./distcp.ts feeds it
 * each stderr line). Pure but for the clock it is handed.
 *
 * What the client says (hadoop-mapreduce-client-core Job.monitorAndPrintJob, hadoop-distcp
 * RetriableFileCopyCommand, Hadoop 3.4.3; seen on the test bed):
 *   `INFO mapreduce.Job:  map 42% reduce 0%`                        every job, local or on YARN
 *   `INFO mapred.RetriableFileCopyCommand: Completed writing hdfs://…/a (5000000 bytes)`
 *                                                                    the local job runner only: its
 *                                                                    mappers log into the client
 * DistCp's default copy strategy (`uniformsize`) gives each map an equal share of the bytes, so
 * the map % times the bytes to copy (when the caller knows them, e.g. a bootstrap's snapshot size)
 * estimates the bytes done on YARN, marked `~`; in the local runner the completed files count
 * exactly (a file counts when it is whole).
 */
import { formatBytes, formatDuration } from '../model/format.js';

export interface DistcpProgressState {
  startedAt: number;
  /** bytes DistCp will copy, when the caller knows (undefined: map % only) */
  expected?: number;
  mapPct?: number;
  /** bytes of the files the local runner reported complete */
  written: number;
  lastLogAt: number;
}

export function newProgress(now: number, expected?: number): DistcpProgressState {
  return { startedAt: now, ...(expected !== undefined && expected > 0 && { expected }), written: 0, lastLogAt: 0 };
}

const MAP = /mapreduce\.Job:\s+map (\d+)% reduce \d+%/;
const WROTE = /RetriableFileCopyCommand: Completed writing .* \((\d+) bytes\)/;

/** How often a line is logged at most when only bytes moved (a new map % is always logged). */
export const PROGRESS_EVERY_MS = 5_000;

/**
 * Reads one line of the client's stderr; returns the progress line to log, if this one is worth
 * one: a new map %, or bytes written at least PROGRESS_EVERY_MS after the last line.
 */
export function onLine(s: DistcpProgressState, line: string, now: number): string | undefined {
  const m = MAP.exec(line);
  const w = m ? undefined : WROTE.exec(line);
  if (!m && !w) return undefined;
  if (m) {
    const pct = Number(m[1]);
    if (pct === s.mapPct) return undefined;
    s.mapPct = pct;
  } else {
    s.written += Number(w![1]);
    if (now - s.lastLogAt < PROGRESS_EVERY_MS) return undefined;
  }
  s.lastLogAt = now;
  return render(s, now);
}

/** `map 42%, 2.1 GiB of 5.0 GiB, 48 MiB/s, ETA 1m2s` (`~` when estimated from the map %). */
export function render(s: DistcpProgressState, now: number): string {
  const parts: string[] = [`map ${s.mapPct ?? 0}%`];
  const estimate = s.expected !== undefined && s.mapPct !== undefined ? Math.round((s.expected * s.mapPct) / 100) : undefined;
  // exact bytes when the local runner reports them (and they are not behind the map %'s estimate)
  const exact = s.written > 0 && (estimate === undefined || s.written >= estimate);
  const done = exact ? s.written : estimate;
  if (done !== undefined) {
    parts.push(`${exact ? '' : '~'}${formatBytes(done)}${s.expected !== undefined ? ` of ${formatBytes(s.expected)}` : ''}`);
    const secs = (now - s.startedAt) / 1000;
    if (secs >= 1 && done > 0) {
      const rate = done / secs;
      parts.push(`${formatBytes(Math.round(rate))}/s`);
      if (s.expected !== undefined && s.expected > done) parts.push(`ETA ${formatDuration(((s.expected - done) / rate) * 1000)}`);
    }
  }
  return parts.join(', ');
}
