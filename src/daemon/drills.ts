/**
 * Restore drills in the daemon (docs/drills.md, docs/daemon.md): a second loop per policy with
 * `verify: { every }`, which runs the core's drill (src/engine/drill.ts) on that schedule.
 *
 * - Only the leader drills (the loop is paused and resumed with the policy's own loop).
 * - Never at the same time as an apply of the same policy's claims: a drill holds the same mutex
 *   keys as a run (policyClaims), so a drill waits for a replication of its target and back.
 * - Level-triggered: when the next drill is due is computed from the record in the state dir
 *   (its finish + every), so a restarted daemon neither drills again at once nor forgets one; a
 *   daemon with no record (a new policy, a new leader on another host after an HA failover,
 *   whose state dir holds no record) drills soon after it starts to lead.
 * - The metrics and /status show the last record; `drill.failed` is sent when a drill fails after
 *   one that passed (or the first drill fails), `drill.recovered` when one passes after a failure.
 */
import { readDrillRecord, runDrill, type DrillRecord } from '../engine/drill.js';
import type { HbrMetrics } from '../metrics/registry.js';
import type { Config, Policy } from '../model/policy.js';
import { PolicyLoop } from './loop.js';
import type { RecordContext, PolicyRuntime } from './runtime.js';
import { jitterMs, type TimingOptions } from './timing.js';

/** What running a drill needs from the daemon. */
export interface DrillHost {
  record: RecordContext;
  config(): Config;
  stateDir: string;
  hadoop: string;
  /** runs `fn` holding the policy's mutex keys, within the daemon's parallelism; undefined when not leading */
  withClaims<T>(name: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T | undefined>;
}

/** A failed drill is retried sooner than `every`, but never in a tight loop: it restores a whole tree. */
export function drillTiming(every: number): TimingOptions {
  const base = Math.max(1_000, Math.min(every / 8, 3_600_000));
  return { retryBaseMs: base, retryMaxMs: Math.max(base, every), resyncMs: every };
}

/**
 * Pure: how long after `now` the first drill of a (re)started loop is due: the last recorded drill
 * + every when it passed, soon (a jitter) when there is none or it failed.
 */
export function firstDrillDelay(rec: DrillRecord | undefined, every: number, now: number, random: number): number {
  const soon = jitterMs(every, random);
  if (!rec || !rec.ok) return soon;
  const due = Date.parse(rec.finishedAt) + every;
  return Number.isNaN(due) ? soon : Math.max(soon, due - now);
}

/** Sets the drill series of one policy from its last record (none: only the interval and rto). */
export function setDrillMetrics(m: HbrMetrics, p: Policy, rec: DrillRecord | undefined): void {
  const policy = p.name;
  forgetDrillMetrics(m, policy);
  if (p.verify) m.drillInterval.set({ policy }, p.verify.every / 1000);
  if (p.rto !== undefined) m.rtoSeconds.set({ policy }, p.rto / 1000);
  if (!rec) return;
  m.drillDuration.set({ policy }, rec.durationSeconds);
  m.drillFailed.set({ policy }, rec.ok ? 0 : 1);
  if (rec.lastSuccessAt) m.drillLastSuccess.set({ policy }, Date.parse(rec.lastSuccessAt) / 1000);
}

export function forgetDrillMetrics(m: HbrMetrics, policy: string): void {
  for (const g of [m.drillInterval, m.rtoSeconds, m.drillDuration, m.drillFailed, m.drillLastSuccess]) g.remove({ policy });
}

/** Records a finished drill: runtime, metrics, log, and a notification on a change of state. */
export function recordDrill(c: RecordContext, p: Policy, rt: PolicyRuntime, rec: DrillRecord): void {
  const prev = rt.drill;
  rt.drill = rec;
  setDrillMetrics(c.metrics, p, rec);
  const failed = rec.checks.filter((x) => !x.ok);
  const fields = { policy: p.name, point: rec.point, seconds: rec.durationSeconds, files: rec.files, bytes: rec.bytes, rtoSeconds: rec.rtoSeconds };
  if (rec.ok) {
    c.log[rec.rtoExceeded ? 'warn' : 'info'](fields, `restore drill of ${p.name} passed in ${rec.durationSeconds.toFixed(1)}s${rec.rtoExceeded ? `, longer than the rto ${rec.rtoSeconds}s` : ''}`);
    if (prev && !prev.ok) c.notify({ event: 'drill.recovered', policy: p.name, summary: `restore drill of ${p.name} passes again (${rec.point})`, details: fields });
    return;
  }
  const why = failed.map((x) => `${x.what}: ${x.detail ?? 'failed'}`);
  c.log.error({ ...fields, failed: why }, `restore drill of ${p.name} FAILED: ${why.join('; ')}`);
  if (!prev || prev.ok) {
    c.notify({ event: 'drill.failed', policy: p.name, summary: `restore drill of ${p.name} failed: ${why.slice(0, 3).join('; ')}`, details: { ...fields, checks: rec.checks } });
  }
}

/** The drill loop of policy `name`, when it has `verify:`; its last record is read from the state dir. */
export function addDrillLoop(host: DrillHost, name: string, rt: PolicyRuntime, random: () => number): void {
  const p = host.config().policies[name];
  rt.drill = readDrillRecord(host.stateDir, name);
  if (!p?.verify) return;
  const every = p.verify.every;
  rt.drillLoop = new PolicyLoop(`${name} (drill)`, { every }, {
    run: async () => {
      const config = host.config();
      const pol = config.policies[name];
      if (!pol?.verify) return { ok: true };
      const rec = await host.withClaims(name, (signal) =>
        runDrill({ config, policy: name, stateDir: host.stateDir, hadoop: host.hadoop, signal, log: (m) => host.record.log.info({ policy: name, component: 'drill' }, m), now: host.record.now() }),
      );
      if (!rec) return { ok: true };
      recordDrill(host.record, pol, rt, rec);
      return { ok: rec.ok, nextAt: Date.parse(rec.finishedAt) + every };
    },
    onError: (err) => host.record.log.error({ policy: name, err }, `restore drill of ${name} failed unexpectedly: ${(err as Error)?.message ?? String(err)}`),
    now: host.record.now,
    random,
    timing: drillTiming(every),
  });
}

/** Starts the drill loop (leader): the first drill when the record says it is due. */
export function resumeDrillLoop(c: RecordContext, p: Policy, rt: PolicyRuntime, random: () => number): void {
  if (!rt.drillLoop || !p.verify) return;
  setDrillMetrics(c.metrics, p, rt.drill);
  rt.drillLoop.resume(firstDrillDelay(rt.drill, p.verify.every, c.now(), random()), rt.drill ? 'verify schedule (from the last drill)' : 'verify: no drill recorded');
}
