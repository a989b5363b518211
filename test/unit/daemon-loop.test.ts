/** The daemon's scheduling pieces: timing arithmetic, the per-policy loop, the keyed mutex. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { PolicyLoop, type RunReport } from '../../src/daemon/loop.js';
import { KeyedMutex } from '../../src/daemon/mutex.js';
import { startSpreadCapMs } from '../../src/daemon/runtime.js';
import { backoffMs, jitterMs, nextRunAfterSuccess } from '../../src/daemon/timing.js';
import { agePoint, type RecoveryPoint } from '../../src/metrics/recovery.js';

const S = 1000;
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------------------
// timing

test('jitter: up to 10% of the interval, never more than 30 s, never negative', () => {
  assert.is(jitterMs(10 * S, 0), 0);
  assert.is(jitterMs(10 * S, 0.999), 999);
  assert.is(jitterMs(24 * 3600 * S, 1), 30 * S);
  fc.assert(fc.property(fc.integer({ min: 1, max: 10 ** 10 }), fc.double({ min: -1, max: 2, noNaN: true }), (interval, r) => {
    const j = jitterMs(interval, r);
    return j >= 0 && j <= Math.min(interval * 0.1, 30 * S);
  }));
});

test('start spread: a minute by default; HBR_DAEMON_START_SPREAD_MS lowers it (0: at once); anything else is refused', () => {
  assert.is(startSpreadCapMs({}), 60 * S);
  assert.is(startSpreadCapMs({ HBR_DAEMON_START_SPREAD_MS: '' }), 60 * S);
  assert.is(startSpreadCapMs({ HBR_DAEMON_START_SPREAD_MS: '0' }), 0);
  assert.is(startSpreadCapMs({ HBR_DAEMON_START_SPREAD_MS: '2500' }), 2500);
  for (const bad of ['-1', '60001', '1.5', 'soon', '1s']) assert.throws(() => startSpreadCapMs({ HBR_DAEMON_START_SPREAD_MS: bad }), /HBR_DAEMON_START_SPREAD_MS must be milliseconds from 0 to 60000/);
});

test('backoff doubles per failure, is capped, and jitter only shortens it (by at most 20%)', () => {
  const t = { retryBaseMs: 2 * S, retryMaxMs: 60 * S };
  assert.equal([1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffMs(n, t, 0)), [2, 4, 8, 16, 32, 60, 60, 60].map((x) => x * S));
  assert.is(backoffMs(3, t, 1), 6.4 * S);
  fc.assert(fc.property(fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, r) => {
    const b = backoffMs(n, t, r);
    return b >= 0.8 * Math.min(t.retryMaxMs, t.retryBaseMs * 2 ** Math.min(n - 1, 30)) - 1 && b <= t.retryMaxMs && b >= 1;
  }));
});

test('next run after a success: newest + every (+1 s, + jitter), never in the past, never after the resync', () => {
  const t = { resyncMs: 600 * S };
  const every = { every: 60 * S };
  // newest 20 s ago: due in 40 s
  assert.is(nextRunAfterSuccess(every, T0 - 20 * S, T0, t, 0), T0 + 41 * S);
  // overdue (newest 5 min ago): now + 1 s
  assert.is(nextRunAfterSuccess(every, T0 - 300 * S, T0, t, 0), T0 + S);
  // no recovery point seen: one interval from now
  assert.is(nextRunAfterSuccess(every, undefined, T0, t, 0), T0 + 61 * S);
  // a daily schedule still looks every resync interval (drift repair)
  assert.is(nextRunAfterSuccess({ every: 86_400 * S }, T0, T0, t, 0), T0 + 600 * S);
  // cron: node-cron wakes it; here only the resync
  assert.is(nextRunAfterSuccess({ cron: '0 * * * *' }, T0, T0, t, 0.5), T0 + 600 * S);
  fc.assert(fc.property(fc.integer({ min: 1, max: 10 ** 9 }), fc.option(fc.integer({ min: T0 - 10 ** 10, max: T0 + 10 ** 6 })), fc.double({ min: 0, max: 1, noNaN: true }), (e, newest, r) => {
    const n = nextRunAfterSuccess({ every: e }, newest ?? undefined, T0, t, r);
    return n > T0 && n <= T0 + t.resyncMs;
  }));
});

test('agePoint: a kept recovery point ages and breaches once older than the rpo', () => {
  const p: RecoveryPoint = { policy: 'w', site: 'dr', newestAt: T0, ageSeconds: 0, count: 3, rpoSeconds: 30, breached: false };
  assert.equal(agePoint(p, T0 + 30 * S), { ...p, ageSeconds: 30, breached: false });
  assert.equal(agePoint(p, T0 + 31 * S), { ...p, ageSeconds: 31, breached: true });
  assert.equal(agePoint({ ...p, rpoSeconds: undefined }, T0 + 3600 * S).breached, false);
  const none: RecoveryPoint = { policy: 'w', site: 'dr', count: 0, rpoSeconds: 30, breached: true };
  assert.is(agePoint(none, T0), none);
});

// ------------------------------------------------------------------------------------------------
// PolicyLoop (real timers, short delays)

function loopWith(run: (reason: string) => Promise<RunReport>, timing = { retryBaseMs: 20, retryMaxMs: 80, resyncMs: 60_000 }) {
  const errors: unknown[] = [];
  const loop = new PolicyLoop('w', { every: 1000 }, { run, onError: (e) => errors.push(e), now: Date.now, random: () => 0, timing });
  return { loop, errors };
}

test('loop: never two runs at once; a trigger during a run runs once more right after', async () => {
  let active = 0;
  let maxActive = 0;
  const reasons: string[] = [];
  const { loop } = loopWith(async (reason) => {
    reasons.push(reason);
    active++;
    maxActive = Math.max(maxActive, active);
    await sleep(40);
    active--;
    return { ok: true, nextAt: Date.now() + 60_000 };
  });
  loop.resume(0, 'start');
  await sleep(10);
  loop.trigger('a');
  loop.trigger('b'); // folded into one re-run
  await sleep(150);
  loop.stop();
  await loop.idle();
  assert.is(maxActive, 1);
  assert.equal(reasons, ['start', 'a']);
});

test('loop: failures back off (growing delays, capped), a success resets the count', async () => {
  const times: number[] = [];
  let n = 0;
  const { loop } = loopWith(async () => {
    times.push(Date.now());
    n++;
    return n <= 4 ? { ok: false } : { ok: true, nextAt: Date.now() + 60_000 };
  });
  loop.resume(0);
  await sleep(400);
  assert.is(times.length, 5);
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  // 20, 40, 80, 80 ms (cap), each at least that long
  for (const [i, min] of [20, 40, 80, 80].entries()) assert.ok(gaps[i]! >= min - 2, `gap ${i} ${gaps[i]} >= ${min}`);
  assert.ok(gaps[2]! > gaps[0]!, 'delays grow');
  assert.is(loop.state.consecutiveFailures, 0);
  assert.ok(loop.state.nextAt! > Date.now() + 50_000);
  loop.stop();
});

test('loop: a run that throws counts as a failure and is reported, the loop goes on', async () => {
  let n = 0;
  const { loop, errors } = loopWith(async () => {
    n++;
    if (n === 1) throw new Error('boom');
    return { ok: true, nextAt: Date.now() + 60_000 };
  });
  loop.resume(0);
  await sleep(100);
  loop.stop();
  assert.is(n, 2);
  assert.is((errors[0] as Error).message, 'boom');
});

test('loop: pause lets the running run finish and starts nothing; resume runs at once; stop is final', async () => {
  let runs = 0;
  const { loop } = loopWith(async () => {
    runs++;
    await sleep(30);
    return { ok: true, nextAt: Date.now() + 10 };
  });
  loop.resume(0);
  await sleep(5);
  loop.pause();
  assert.ok(loop.state.running);
  await loop.idle();
  await sleep(50);
  assert.is(runs, 1, 'nothing started while paused');
  assert.is(loop.state.nextAt, undefined);
  loop.trigger('ignored while paused');
  await sleep(20);
  assert.is(runs, 1);
  loop.resume(0, 'leader again');
  await sleep(10);
  assert.is(runs, 2);
  loop.stop();
  await loop.idle();
  loop.resume(0);
  loop.trigger('after stop');
  await sleep(60);
  assert.is(runs, 2, 'nothing after stop');
});

// ------------------------------------------------------------------------------------------------
// KeyedMutex

test('mutex: overlapping key sets serialize, disjoint ones run together, no deadlock on crossed orders', async () => {
  const m = new KeyedMutex();
  const log: string[] = [];
  const job = async (name: string, keys: string[], ms: number) => {
    const release = await m.acquire(keys);
    log.push(`+${name}`);
    await sleep(ms);
    log.push(`-${name}`);
    release();
    release(); // idempotent
  };
  await Promise.all([job('a', ['x', 'y'], 30), job('b', ['y', 'x'], 10), job('c', ['z'], 5)]);
  // c never waits; b starts only after a ends
  assert.ok(log.indexOf('+c') < log.indexOf('-a'));
  assert.ok(log.indexOf('+b') > log.indexOf('-a'));
  assert.is(m.size, 0, 'keys are forgotten when free');
});

test('mutex: property — at no time do two holders share a key', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.subarray(['a', 'b', 'c', 'd'], { minLength: 1 }), { minLength: 1, maxLength: 12 }), async (sets) => {
      const m = new KeyedMutex();
      const held = new Set<string>();
      let clash = false;
      await Promise.all(
        sets.map(async (keys, i) => {
          await sleep(i % 3);
          const release = await m.acquire(keys);
          for (const k of keys) {
            if (held.has(k)) clash = true;
            held.add(k);
          }
          await sleep(1);
          for (const k of keys) held.delete(k);
          release();
        }),
      );
      return !clash && m.size === 0;
    }),
    { numRuns: 40 },
  );
});

test.run();
