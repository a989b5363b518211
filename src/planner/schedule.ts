/**
 * Is a snapshot due? Pure: `now` is an argument and cron expressions are evaluated in UTC from it
 * (never from the clock).
 */
import { CronExpressionParser } from 'cron-parser';
import type { Schedule } from '../model/policy.js';
import { formatDuration, iso } from '../model/format.js';

/**
 * The most recent time the cron expression fires at or before `now` (ms since epoch, UTC).
 * Throws on an invalid expression (or one that never fires).
 */
export function lastCronFire(cron: string, now: number): number {
  // prev() is strictly before currentDate; start 1 ms later so a fire exactly at `now` counts.
  const expr = CronExpressionParser.parse(cron, { currentDate: new Date(now + 1), tz: 'UTC' });
  return expr.prev().getTime();
}

export type Due =
  | { due: true; reason: string }
  | { due: false; reason: string; error?: string };

/**
 * `every`: due if there is no hbr snapshot or newest + every <= now.
 * `cron`: due if the most recent fire time <= now is later than the newest hbr snapshot (or there is none).
 * `newest` is the time encoded in the newest hbr snapshot's name.
 */
export function isDue(schedule: Schedule, newest: { name: string; time: number } | undefined, now: number): Due {
  if (schedule.every !== undefined) {
    if (!(schedule.every > 0)) return { due: false, reason: 'invalid schedule', error: `every must be > 0 (got ${schedule.every})` };
    const every = formatDuration(schedule.every);
    if (!newest) return { due: true, reason: `first snapshot (every ${every})` };
    const age = now - newest.time;
    if (newest.time + schedule.every <= now) {
      return { due: true, reason: `due: newest ${newest.name} is ${formatDuration(age)} old (every ${every})` };
    }
    return { due: false, reason: `not due: newest ${newest.name} is ${formatDuration(age)} old (every ${every})` };
  }
  if (schedule.cron !== undefined) {
    let fire: number;
    try {
      fire = lastCronFire(schedule.cron, now);
    } catch (e) {
      return { due: false, reason: 'invalid schedule', error: `cron '${schedule.cron}': ${(e as Error).message}` };
    }
    if (!newest) return { due: true, reason: `first snapshot (cron '${schedule.cron}')` };
    if (fire > newest.time) {
      return { due: true, reason: `due: cron '${schedule.cron}' fired at ${iso(fire)}, after newest ${newest.name}` };
    }
    return { due: false, reason: `not due: cron '${schedule.cron}' last fired at ${iso(fire)}, newest is ${newest.name}` };
  }
  return { due: false, reason: 'no schedule', error: 'the policy has neither every nor cron' };
}
