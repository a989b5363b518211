/** Builds GET /status (the shape is src/daemon/status.ts) from the daemon's state (src/daemon/daemon.ts). */
import { hostname } from 'node:os';
import { agePoint } from '../metrics/recovery.js';
import type { Config, Schedule } from '../model/policy.js';
import { formatDuration } from '../schema/duration.js';
import { formatPolicyError, type PolicyError } from '../schema/load.js';
import type { LeaderState } from './coordination.js';
import { scheduleOf, type PolicyRuntime } from './runtime.js';
import type { DaemonStatus, PolicyStatus } from './status.js';

/** What /status reports, as the daemon holds it. */
export interface StatusInput {
  now: number;
  startedAt: number;
  config: Config;
  policies: ReadonlyMap<string, PolicyRuntime>;
  leaderState: LeaderState;
  stopping: boolean;
  lastLoad: { at: number; errors: PolicyError[] };
}

function scheduleText(s: Schedule): string {
  if (s.every !== undefined) return `every ${formatDuration(s.every)}`;
  return `cron '${s.cron}' (UTC)`;
}

function drillStatus(rt: PolicyRuntime, every: number | undefined): NonNullable<PolicyStatus['drill']> {
  const st = rt.drillLoop?.state;
  const d = rt.drill;
  return {
    ...(every !== undefined && { every: formatDuration(every) }),
    running: st?.running ?? false,
    ...(st?.nextAt !== undefined && { nextAt: new Date(st.nextAt).toISOString() }),
    ...(d && {
      last: {
        point: d.point,
        ok: d.ok,
        startedAt: d.startedAt,
        finishedAt: d.finishedAt,
        durationSeconds: d.durationSeconds,
        rtoExceeded: d.rtoExceeded,
        ...(d.lastSuccessAt !== undefined && { lastSuccessAt: d.lastSuccessAt }),
        ...(d.files !== undefined && { files: d.files }),
        ...(d.bytes !== undefined && { bytes: d.bytes }),
        failed: d.checks.filter((c) => !c.ok).map((c) => `${c.what}: ${c.detail ?? 'failed'}`),
      },
    }),
  };
}

export function buildStatus(daemon: StatusInput): DaemonStatus {
  const now = daemon.now;
  const policies: PolicyStatus[] = [];
  for (const [name, rt] of [...daemon.policies].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const p = daemon.config.policies[name];
    if (!p) continue;
    const st = rt.loop.state;
    const r = rt.lastRun;
    const done = new Set(r?.apply?.done.map((d) => d.step.id) ?? []);
    policies.push({
      name,
      kind: p.kind,
      schedule: scheduleText(scheduleOf(p)),
      ...(p.rpo !== undefined && { rpoSeconds: p.rpo / 1000 }),
      running: st.running,
      ...(st.nextAt !== undefined && { nextRunAt: new Date(st.nextAt).toISOString(), nextRunReason: st.nextReason }),
      consecutiveFailures: st.consecutiveFailures,
      ...(r && {
        lastRun: {
          run: r.run,
          startedAt: new Date(r.startedAt).toISOString(),
          finishedAt: new Date(r.finishedAt).toISOString(),
          ok: r.ok,
          planned: r.plan?.steps.length ?? 0,
          done: r.apply?.done.length ?? 0,
          failed: r.apply?.failed.length ?? 0,
          skipped: r.apply?.skipped.length ?? 0,
          bytesCopied: r.apply?.done.reduce((s, d) => s + (d.outcome.bytesCopied ?? 0), 0) ?? 0,
          errors: [...r.errors, ...(r.apply?.failed.map((f) => `${f.step.id}: ${f.error}`) ?? [])],
        },
      }),
      ...(rt.lastSuccessAt !== undefined && { lastSuccessAt: new Date(rt.lastSuccessAt).toISOString() }),
      recoveryPoints: [...rt.points.values()].map(({ point, observedAt }) => {
        const a = agePoint(point, now);
        return {
          site: a.site,
          ...(a.newestAt !== undefined && { newestAt: new Date(a.newestAt).toISOString(), ageSeconds: Math.round(a.ageSeconds!) }),
          ...(a.rpoSeconds !== undefined && { rpoSeconds: a.rpoSeconds }),
          breached: a.breached,
          count: a.count,
          observedAt: new Date(observedAt).toISOString(),
          ...(a.where !== undefined && { where: a.where }),
        };
      }),
      rpoBreached: rt.breached ?? false,
      held: [...(rt.holds?.values() ?? [])].map(({ hold, since }) => ({
        target: hold.target,
        source: hold.source,
        reason: hold.reason,
        message: hold.message,
        since: new Date(since).toISOString(),
      })),
      ...(p.rto !== undefined && { rtoSeconds: p.rto / 1000 }),
      ...((rt.drillLoop || rt.drill) && { drill: drillStatus(rt, p.verify?.every) }),
      ...(rt.audit && {
        audit: {
          at: new Date(rt.audit.at).toISOString(),
          checked: [...new Set(rt.audit.report.checked.map((c) => c.check))],
          findings: rt.audit.report.findings.map((f) => ({ ...f })),
        },
      }),
      pendingSteps: (r?.plan?.steps ?? [])
        .filter((s) => !done.has(s.id))
        .map((s) => ({ id: s.id, kind: s.kind, action: s.action, target: `${s.target.cluster}:${s.target.path}`, reason: s.reason })),
    });
  }
  return {
    version: 1,
    host: hostname(),
    pid: process.pid,
    startedAt: new Date(daemon.startedAt).toISOString(),
    now: new Date(now).toISOString(),
    leadership: daemon.leaderState,
    ...(daemon.config.coordination && { coordination: { connect: daemon.config.coordination.zookeeper.connect, path: daemon.config.coordination.zookeeper.path } }),
    stopping: daemon.stopping,
    policyFiles: daemon.config.files,
    lastLoad: { at: new Date(daemon.lastLoad.at).toISOString(), errors: daemon.lastLoad.errors.map(formatPolicyError) },
    policies,
  };
}
