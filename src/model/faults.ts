/**
 * Crash points, for the suite that proves crash safety (test/integration/crash-points.test.ts; the
 * README's "Crash safety"). Read here and nowhere else:
 *   HBR_CRASH_AT=N       the process kills itself with SIGKILL at the Nth crash point it passes
 *   HBR_CRASH_TRACE=FILE each crash point passed is appended to FILE as "<n> <name>" (to list them)
 * Unset (always, in production) a crash point costs one comparison.
 *
 * Where they are: after each journal intent is durable, before and after each outcome is written,
 * and inside executors between their remote calls (DistCp running, scratch snapshots, uploads).
 */
import { appendFileSync } from 'node:fs';

const at = Number(process.env.HBR_CRASH_AT ?? 0) || 0;
const trace = process.env.HBR_CRASH_TRACE;
let passed = 0;

export function crashPoint(name: string): void {
  if (!at && !trace) return;
  passed++;
  if (trace) appendFileSync(trace, `${passed} ${name}\n`);
  if (passed === at) process.kill(process.pid, 'SIGKILL');
}
