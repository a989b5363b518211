/**
 * One policy's reconcile loop: a timer, a mutex and a retry count.
 *
 * - Never two runs of one policy at once: a trigger while a run is going marks "run again" and
 *   the loop runs once more right after (level-triggered: one more look catches whatever the
 *   trigger was about).
 * - After a success the next wake-up is what the caller computes (the policy's schedule); after a
 *   failure it is a backoff that grows with consecutive failures (timing.ts).
 * - `pause()` (not the leader, shutting down) lets the running run finish and starts no new one;
 *   `resume()` runs at once (whatever was due meanwhile is due now).
 *
 * The loop knows nothing of HDFS or plans: `run` does the work and says whether it went well.
 */
import type { Schedule } from '../model/policy.js';
import { backoffMs, type TimingOptions } from './timing.js';

export interface RunReport {
  ok: boolean;
  /** when to run next after a success (ignored after a failure: the backoff decides) */
  nextAt?: number;
}

export interface LoopHooks {
  run(reason: string): Promise<RunReport>;
  /** called when a run threw instead of reporting (a bug: it is logged and counts as a failure) */
  onError(err: unknown): void;
  now(): number;
  random(): number;
  timing: TimingOptions;
}

export interface LoopState {
  running: boolean;
  paused: boolean;
  /** ms since epoch of the next scheduled wake-up; undefined while running or paused */
  nextAt?: number;
  nextReason?: string;
  consecutiveFailures: number;
}

export class PolicyLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again: string | undefined;
  private stopped = false;
  private paused = true;
  private failures = 0;
  private nextAt: number | undefined;
  private nextReason: string | undefined;

  constructor(
    readonly name: string,
    public schedule: Schedule,
    private readonly hooks: LoopHooks,
  ) {}

  get state(): LoopState {
    return {
      running: this.running !== undefined,
      paused: this.paused,
      ...(this.nextAt !== undefined && { nextAt: this.nextAt, nextReason: this.nextReason }),
      consecutiveFailures: this.failures,
    };
  }

  /** Starts (or restarts) scheduling: the first run after `delayMs`. */
  resume(delayMs = 0, reason = 'start'): void {
    if (this.stopped) return;
    this.paused = false;
    this.wakeAt(this.hooks.now() + delayMs, reason);
  }

  /** Starts no new run; a running one goes on (await `idle()` to wait for it). */
  pause(): void {
    this.paused = true;
    this.clearTimer();
  }

  /** Runs as soon as possible (after the running run, if any). */
  trigger(reason: string): void {
    if (this.stopped || this.paused) return;
    if (this.running) {
      this.again ??= reason;
      return;
    }
    this.wakeAt(this.hooks.now(), reason);
  }

  /** For good: no run starts after this. */
  stop(): void {
    this.stopped = true;
    this.pause();
  }

  /** Resolves when no run is going. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.nextAt = undefined;
    this.nextReason = undefined;
  }

  private wakeAt(at: number, reason: string): void {
    this.clearTimer();
    if (this.paused || this.stopped) return;
    const delay = Math.max(0, at - this.hooks.now());
    this.nextAt = this.hooks.now() + delay;
    this.nextReason = reason;
    // setTimeout's ceiling is ~24.8 days; a longer wait wakes early and looks again (harmless).
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fire(reason);
    }, Math.min(delay, 2 ** 31 - 1));
  }

  private fire(reason: string): void {
    if (this.paused || this.stopped || this.running) return;
    this.nextAt = undefined;
    this.nextReason = undefined;
    const p = this.runOnce(reason).finally(() => {
      this.running = undefined;
      if (this.paused || this.stopped) return;
      const again = this.again;
      this.again = undefined;
      if (again !== undefined) this.wakeAt(this.hooks.now(), again);
    });
    this.running = p;
  }

  private async runOnce(reason: string): Promise<void> {
    let report: RunReport;
    try {
      report = await this.hooks.run(reason);
    } catch (err) {
      this.hooks.onError(err);
      report = { ok: false };
    }
    if (this.paused || this.stopped) return;
    if (report.ok) {
      this.failures = 0;
      this.wakeAt(report.nextAt ?? this.hooks.now() + this.hooks.timing.resyncMs, 'schedule');
    } else {
      this.failures++;
      const wait = backoffMs(this.failures, this.hooks.timing, this.hooks.random());
      this.wakeAt(this.hooks.now() + wait, `retry ${this.failures} after a failure (backoff ${Math.round(wait / 1000)}s)`);
    }
  }
}
