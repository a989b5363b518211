/**
 * Crash points, for the suite that proves crash safety (test/integration/crash-points.test.ts; the
 * README's "Crash safety"). Read here and nowhere else:
 *   HBR_CRASH_AT=N       the process kills itself with SIGKILL at the Nth crash point it passes
 *   HBR_CRASH_TRACE=FILE each crash point passed is appended to FILE as "<n> <name>" (to list them)
 *   HBR_PAUSE_AT=TEXT    with HBR_PAUSE_FILE=FILE: the first crash point whose name contains TEXT
 *                        writes its name to FILE and holds the whole process until FILE is removed
 *                        (≤ 5 min): a test acts on a server between two steps of one apply (a
 *                        NameNode failover: test/secure/web-failover.test.ts)
 * Unset (always, in production) a crash point costs one comparison.
 *
 * Where they are: after each journal intent is durable, before and after each outcome is written,
 * and inside executors between their remote calls (DistCp running, scratch snapshots, uploads).
 */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';

const at = Number(process.env.HBR_CRASH_AT ?? 0) || 0;
const trace = process.env.HBR_CRASH_TRACE;
let pauseAt = process.env.HBR_PAUSE_FILE ? process.env.HBR_PAUSE_AT : undefined;
let passed = 0;

function pause(name: string): void {
  const file = process.env.HBR_PAUSE_FILE!;
  pauseAt = undefined; // once
  writeFileSync(file, `${name}\n`);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (const end = Date.now() + 300_000; existsSync(file) && Date.now() < end; ) Atomics.wait(cell, 0, 0, 50);
}

export function crashPoint(name: string): void {
  if (pauseAt !== undefined && name.includes(pauseAt)) pause(name);
  if (!at && !trace) return;
  passed++;
  if (trace) appendFileSync(trace, `${passed} ${name}\n`);
  if (passed === at) process.kill(process.pid, 'SIGKILL');
}
