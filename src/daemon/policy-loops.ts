/**
 * The policies a daemon runs and the life of their loops (docs/daemon.md): each policy has a
 * reconcile loop (./loop.ts, on its schedule or cron), and a drill loop when it has `verify:`
 * (./drills.ts). Added and removed as the policy files change (./reload.ts), resumed when the
 * daemon starts to lead, paused when it stops leading, stopped when it shuts down. What a run does
 * is the daemon's (`run`); here only when loops run.
 */
import type { Logger } from 'pino';
import type { HbrMetrics } from '../metrics/registry.js';
import type { Config } from '../model/policy.js';
import type { UnfinishedStep } from '../model/observed.js';
import { addDrillLoop, forgetDrillMetrics, resumeDrillLoop, type DrillHost } from './drills.js';
import { PolicyLoop } from './loop.js';
import { fingerprint } from './reload.js';
import { scheduleCron, scheduleOf, startJitter, type PolicyRuntime, type RecordContext } from './runtime.js';
import type { TimingOptions } from './timing.js';

export interface PolicyLoopsHost {
  config(): Config;
  /** this daemon leads: loops run */
  leading(): boolean;
  now: () => number;
  timing: TimingOptions;
  log: Logger;
  metrics: HbrMetrics;
  recording: RecordContext;
  drillHost: DrillHost;
  /** one reconcile run of a policy */
  run(name: string, reason: string): Promise<{ ok: boolean; nextAt?: number }>;
  /** a policy's loops started running (added while leading, or the daemon started to lead) */
  started(name: string): void;
}

export class PolicyLoops {
  /** by policy name; read by /status, the RPO tick and the reload */
  readonly all = new Map<string, PolicyRuntime>();

  constructor(private readonly host: PolicyLoopsHost) {}

  add(name: string, unfinished: UnfinishedStep[] = []): void {
    const h = this.host;
    const config = h.config();
    const p = config.policies[name]!;
    const loop = new PolicyLoop(name, scheduleOf(p), {
      run: (reason) => h.run(name, reason),
      onError: (err) => h.log.error({ policy: name, err }, `reconcile of ${name} failed unexpectedly: ${(err as Error)?.message ?? String(err)}`),
      now: h.now,
      random: Math.random,
      timing: h.timing,
    });
    const rt: PolicyRuntime = { loop, fingerprint: fingerprint(config, name), points: new Map(), pendingKinds: new Set(), unfinished };
    this.all.set(name, rt);
    scheduleCron(name, rt);
    addDrillLoop(h.drillHost, name, rt, Math.random);
    if (h.leading()) this.resumeOne(name, rt, 'policy added');
  }

  remove(name: string): void {
    const rt = this.all.get(name);
    if (!rt) return;
    rt.loop.stop();
    rt.drillLoop?.stop();
    forgetDrillMetrics(this.host.metrics, name);
    void rt.cronTask?.destroy();
    for (const kind of rt.pendingKinds) this.host.metrics.planPendingSteps.remove({ policy: name, kind });
    for (const { cluster, check } of rt.audit?.report.checked ?? []) this.host.metrics.auditFindings.remove({ cluster, policy: name, check });
    this.all.delete(name);
  }

  /** The daemon starts to lead: every loop runs (after a jitter), the drills when due. */
  resumeAll(why: string): void {
    for (const [name, rt] of this.all) this.resumeOne(name, rt, why);
  }

  private resumeOne(name: string, rt: PolicyRuntime, why: string): void {
    const p = this.host.config().policies[name]!;
    rt.loop.resume(startJitter(p), why);
    resumeDrillLoop(this.host.recording, p, rt, Math.random);
    this.host.started(name);
  }

  /** The daemon stops leading: no new runs or drills (running ones are the daemon's to abort). */
  pauseAll(): void {
    for (const rt of this.all.values()) [rt.loop, rt.drillLoop].forEach((l) => l?.pause());
  }

  /** Shutting down: no loop runs again. */
  stopAll(): void {
    for (const rt of this.all.values()) {
      rt.loop.stop();
      rt.drillLoop?.stop();
      void rt.cronTask?.destroy();
    }
  }

  /** Resolves when no run or drill of any policy is in flight. */
  idle(): Promise<unknown> {
    return Promise.all([...this.all.values()].flatMap((rt) => [rt.loop.idle(), rt.drillLoop?.idle()]));
  }
}
