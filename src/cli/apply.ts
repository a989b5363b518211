/** `hbr apply [PLANFILE]`: observe, plan (or take a saved plan if still fresh), confirm, execute. */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { applyPlan, newRunId, type ApplyEvent } from '../engine/apply.js';
import { Journal } from '../engine/journal.js';
import { clearScratch } from '../engine/scratch.js';
import { resolveInterrupted, type ResolveInput } from '../engine/resolve.js';
import { acquireLock } from '../engine/lock.js';
import { executors } from '../systems/index.js';
import type { Plan, PlanRequest } from '../model/plan.js';
import { checkSafety, checkSteps, digestObserved, planAll, SafetyViolation } from '../planner/plan.js';
import { describeTarget, formatBytes, renderPlanJson, renderPlanText } from '../render/plan.js';
import { addPolicyOptions, CliError, collect, daemonLeadsMessage, eprint, EXIT_ERROR, hadoopBin, loadOrFail, observe, print, refuseFutureNow, takeZkApplyLock, reapLeftovers, type CommonOptions } from './common.js';
import type { ZkLock } from '../daemon/coordination.js';
import { ALLOW_OVERWRITE_HELP, type SavedPlan } from './plan.js';

export interface ApplyOptions extends CommonOptions {
  autoApprove?: boolean;
  concurrency: string;
  allowOverwrite: string[];
}

function readSavedPlan(file: string): SavedPlan {
  let saved: SavedPlan;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as SavedPlan;
  } catch (err) {
    throw new CliError(`cannot read plan file ${file}: ${(err as Error).message}`);
  }
  if (saved?.hbrPlan !== 1 || !saved.plan || !Array.isArray(saved.plan.steps)) throw new CliError(`${file} is not an hbr plan file`);
  if (saved.allowOverwrite !== undefined && (!Array.isArray(saved.allowOverwrite) || saved.allowOverwrite.some((t) => typeof t !== 'string'))) {
    throw new CliError(`${file} is not an hbr plan file (allowOverwrite)`);
  }
  return saved;
}

async function confirm(plan: Plan): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`\nDo you want to perform these ${plan.steps.length} actions? Only 'yes' will be accepted: `);
    return answer.trim() === 'yes';
  } finally {
    rl.close();
  }
}

function clock(): string {
  return new Date().toISOString().slice(11, 19);
}

export function registerApply(program: Command): void {
  addPolicyOptions(
    program
      .command('apply')
      .argument('[planfile]', 'a plan saved by `hbr plan --out`; refused if the observed state changed since')
      .description('observe, plan and carry out the steps (asks for confirmation unless --auto-approve)')
      .option('--auto-approve', 'do not ask for confirmation (needed when not on a terminal)')
      .option('--json', 'print the plan and the result as JSON')
      .option('--concurrency <n>', 'steps run at once', '4')
      .option('--target <policy>', 'apply only this policy (repeatable)', collect, [])
      .option('--allow-overwrite <target>', ALLOW_OVERWRITE_HELP, collect, []),
  ).action((planfile: string | undefined, opts: ApplyOptions) => runApply(planfile, opts));
}

/**
 * The body of `hbr apply`, shared with `hbr failover` / `hbr failback` (./failover.ts), which add
 * the operator's request for one policy (PlanRequest), may only show the plan (`dryRun`), and may
 * accept a side that does not answer (`observeErrorsOk`: the primary of an unplanned failover).
 */
export async function runApply(
  planfile: string | undefined,
  opts: ApplyOptions & { requests?: PlanRequest[]; dryRun?: boolean; observeErrorsOk?: boolean },
): Promise<void> {
  {
    refuseFutureNow('apply');
    const saved = planfile ? readSavedPlan(planfile) : undefined;
    const config = await loadOrFail(opts);
    if (!opts.autoApprove && !opts.dryRun && !process.stdin.isTTY) {
      throw new CliError('apply needs confirmation: run it in a terminal, or pass --auto-approve');
    }
    const lock = acquireLock(opts.stateDir, `hbr apply ${process.argv.slice(3).join(' ')}`.trim());
    // With coordination, daemons on other hosts may be acting: take the same ZooKeeper apply lock
    // they do (the leader holds it while it leads), so a manual apply never runs beside them.
    const zkLock = await takeZkApplyLock(config, lock, daemonLeadsMessage);
    // Losing the ZooKeeper lock (session expired, cut off, znode gone) stops the apply as SIGTERM
    // stops a daemon: nothing new starts at once, the running steps are aborted after a grace.
    const drain = new AbortController();
    const stop = new AbortController();
    const lost = zkLock ? stopOnLockLost(zkLock, drain, stop) : undefined;
    const journal = Journal.open(opts.stateDir);
    try {
      await reapLeftovers(opts.stateDir, config);
      const cleared = clearScratch(opts.stateDir);
      if (cleared) eprint(`removed ${cleared} temporary file(s) an interrupted run left in ${opts.stateDir}/tmp`);
      const observed = await observe(config, opts.stateDir, opts.target);
      let plan: Plan;
      // A saved plan carries the allowance it was made with; on the command line it is for this run only.
      const allowOverwrite = saved?.allowOverwrite ?? opts.allowOverwrite;
      const input = {
        config,
        observed,
        now: observed.at,
        ...(opts.target?.length ? { targets: opts.target } : {}),
        ...(allowOverwrite.length ? { allowOverwrite } : {}),
        ...(opts.requests ? { requests: opts.requests } : {}),
      };
      if (saved) {
        const fresh = planAll(input);
        if (fresh.policyDigest !== saved.plan.policyDigest) {
          throw new CliError(`the policies changed since ${planfile} was made; run hbr plan again`);
        }
        if (digestObserved(observed) !== saved.plan.observedDigest) {
          throw new CliError(`the observed state changed since ${planfile} was made (stale plan); run hbr plan again`);
        }
        // The file may have been edited since: every step is checked by its system and every
        // delete against the floors, as if the planner had just made it.
        const problems = checkSteps(saved.plan, config);
        if (problems.length) throw new CliError(`${planfile} is not a plan hbr would make: ${problems.join('; ')}; nothing was done`);
        const unsafe = checkSafety(saved.plan, config, observed);
        if (unsafe.length) throw new SafetyViolation(unsafe);
        plan = saved.plan;
      } else {
        plan = planAll(input);
      }
      if (!opts.json) print(renderPlanText(plan, observed));
      const observeFailed = observed.errors.length > 0 && !opts.observeErrorsOk;
      if (opts.dryRun) {
        if (opts.json) print(renderPlanJson(plan, observed));
        if (observeFailed || plan.holds?.length || plan.unplanned?.length) process.exitCode = EXIT_ERROR;
        return;
      }
      const resolveIn = { config, observed, plan, ...(opts.target?.length ? { targets: opts.target } : {}) };
      if (plan.steps.length === 0) {
        if (opts.json) print(renderPlanJson(plan, observed));
        if (observeFailed || plan.holds?.length || (opts.requests && plan.unplanned?.length)) process.exitCode = EXIT_ERROR;
        resolve(journal, newRunId(Date.now()), resolveIn, !opts.json);
        return;
      }
      if (!opts.autoApprove && !(await confirm(plan))) throw new CliError('Apply cancelled.');
      if (lost?.why) throw new CliError(`${lost.why}; nothing was done`);

      const run = newRunId(Date.now());
      const onEvent = (e: ApplyEvent) => {
        if (opts.json) return;
        const what = `${e.step.action} ${e.step.kind} ${describeTarget(e.step)}`;
        if (e.type === 'start') print(`[${clock()}] ${what}: started\n`);
        else if (e.type === 'log') print(`[${clock()}] ${what}: ${e.message}\n`);
        else if (e.type === 'done') {
          const o = e.outcome;
          const extra = [o.note, o.bytesCopied !== undefined ? `${formatBytes(o.bytesCopied)} copied` : undefined].filter(Boolean).join(', ');
          print(`[${clock()}] ${what}: done in ${(e.ms / 1000).toFixed(1)}s${extra ? ` (${extra})` : ''}\n`);
        } else if (e.type === 'failed') print(`[${clock()}] ${what}: FAILED after ${(e.ms / 1000).toFixed(1)}s: ${e.error}\n`);
        else print(`[${clock()}] ${what}: skipped (${e.because})\n`);
      };
      const onSignal = () => stop.abort(new Error('interrupted'));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const result = await applyPlan(plan, {
        executors,
        ctx: { config, hadoop: hadoopBin(), stateDir: opts.stateDir },
        journal,
        run,
        concurrency: Math.max(1, Number(opts.concurrency) || 4),
        onEvent,
        signal: stop.signal,
        drain: drain.signal,
      }).finally(() => {
        lost?.dispose();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      });
      resolve(journal, run, { ...resolveIn, result }, !opts.json);
      if (opts.json) {
        print(JSON.stringify({
          run,
          plan,
          done: result.done.map((d) => ({ id: d.step.id, outcome: d.outcome, ms: d.ms })),
          failed: result.failed.map((f) => ({ id: f.step.id, error: f.error, ms: f.ms })),
          skipped: result.skipped.map((s) => ({ id: s.step.id, because: s.because })),
          interrupted: result.interrupted,
        }, null, 2) + '\n');
      } else {
        print(`\nApply ${result.failed.length || result.interrupted ? 'incomplete' : 'complete'}: ${result.done.length} done, ${result.failed.length} failed, ${result.skipped.length} skipped.\n`);
      }
      if (result.failed.length || result.skipped.length || result.interrupted || observeFailed || plan.holds?.length || (opts.requests && plan.unplanned?.length)) process.exitCode = EXIT_ERROR;
      for (const h of plan.holds ?? []) eprint(`Held: [${h.policy}] ${h.message}`);
      if (lost?.why) {
        process.exitCode = EXIT_ERROR;
        eprint(`Apply stopped: ${lost.why}. What did not finish is repaired by the next apply, or by the daemon that leads.`);
      }
    } finally {
      lost?.dispose();
      journal.close();
      await zkLock?.release().catch(() => {});
      lock.release();
    }
  }
}

/**
 * When the ZooKeeper lock is lost: `drain` at once (no new step starts), `stop` (abort the running
 * steps) after half the session timeout — by when the server may have expired the session and a
 * daemon may lead. `why` is set from then on; dispose() once the steps are over.
 */
function stopOnLockLost(zkLock: ZkLock, drain: AbortController, stop: AbortController): { why?: string; dispose(): void } {
  let timer: NodeJS.Timeout | undefined;
  let disposed = false;
  const state: { why?: string; dispose(): void } = {
    dispose: () => {
      disposed = true;
      clearTimeout(timer);
    },
  };
  zkLock.onLost((why) => {
    if (disposed) return; // the steps are over: nothing ran without the lock
    const lost = `lost the ZooKeeper apply lock: ${why}`;
    state.why = lost;
    const grace = Math.round(zkLock.sessionTimeout / 2);
    eprint(`${lost}. No new step starts; running steps are aborted in ${(grace / 1000).toFixed(1)}s.`);
    drain.abort(new Error(lost));
    timer = setTimeout(() => stop.abort(new Error(lost)), grace);
  });
  return state;
}

/**
 * Journals the interrupted steps of an earlier run that this run repaired (../engine/resolve.ts),
 * so plans stop naming them. A journal that cannot be written only means they are named again.
 */
function resolve(journal: Journal, run: string, input: ResolveInput, say: boolean): void {
  if (!input.observed.unfinished.length) return;
  try {
    const resolved = resolveInterrupted(journal, run, input);
    if (say && resolved.length) print(`Repaired what ${resolved.length} interrupted step(s) left: ${resolved.map((u) => u.stepId).join(', ')} (no longer reported).\n`);
  } catch (err) {
    eprint(`warning: could not journal the interrupted steps this run repaired (they are reported again): ${(err as Error).message}`);
  }
}
