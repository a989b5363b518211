/**
 * When a policy's loop wakes up next: pure arithmetic, the clock and the random source come in as
 * arguments (unit-tested in test/unit/daemon-timing.test.ts).
 *
 * The loop only decides *when to look*; whether a snapshot or an archive is due is the planner's
 * call, made from the names it observes. So waking early is harmless (the plan is empty) and the
 * loop aims at the moment the planner will say "due": the newest recovery point + `every`.
 */
import type { Schedule } from '../model/policy.js';

export interface TimingOptions {
  /** first retry delay after a failure, ms (doubles per consecutive failure) */
  retryBaseMs: number;
  /** retries never wait longer than this, ms */
  retryMaxMs: number;
  /** even when nothing is due, reconcile at least this often (repairs drift: a DR target changed by hand, a deleted snapshot), ms */
  resyncMs: number;
}

export const DEFAULT_TIMING: TimingOptions = { retryBaseMs: 2_000, retryMaxMs: 5 * 60_000, resyncMs: 10 * 60_000 };

/** Jitter spreads policies with the same schedule apart: up to 10% of the interval, at most 30 s. */
export function jitterMs(intervalMs: number, random: number): number {
  const span = Math.min(intervalMs * 0.1, 30_000);
  return Math.floor(Math.max(0, Math.min(1, random)) * span);
}

/**
 * Delay before retry number `failures` (1 = the first retry): retryBase · 2^(failures−1), capped
 * by retryMax, minus up to 20% jitter so a fleet of failing policies does not retry in lockstep.
 */
export function backoffMs(failures: number, t: Pick<TimingOptions, 'retryBaseMs' | 'retryMaxMs'>, random: number): number {
  const n = Math.max(1, Math.floor(failures));
  const raw = Math.min(t.retryMaxMs, t.retryBaseMs * 2 ** Math.min(n - 1, 30));
  return Math.max(1, Math.round(raw * (1 - 0.2 * Math.max(0, Math.min(1, random)))));
}

/**
 * After a successful run: when to look again. `every` schedules aim at newest + every (+ jitter),
 * never before `now`; cron schedules are woken by node-cron, so here only the resync applies.
 * `newestAt` is the time in the name of the newest recovery point (undefined: none seen).
 */
export function nextRunAfterSuccess(schedule: Schedule, newestAt: number | undefined, now: number, t: Pick<TimingOptions, 'resyncMs'>, random: number): number {
  const resync = now + t.resyncMs;
  if (schedule.every === undefined || !(schedule.every > 0)) return resync;
  const due = newestAt === undefined ? now + schedule.every : Math.max(now, newestAt + schedule.every);
  // Names carry whole seconds: one more second makes sure the planner sees it due, not 999 ms early.
  return Math.min(resync, due + 1_000 + jitterMs(schedule.every, random));
}
