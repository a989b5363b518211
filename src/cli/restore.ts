/**
 * `hbr restore <system>`: each system with restores (System.restore) adds a subcommand. The system
 * chooses what to restore and how; here the plan is shown, confirmed (or --auto-approve), the
 * state-dir lock and, with `coordination:`, the ZooKeeper apply lock (as `hbr apply` takes it,
 * docs/daemon.md) held while it runs, and the result printed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { acquireLock } from '../engine/lock.js';
import { crashPoint } from '../model/faults.js';
import { SYSTEMS } from '../systems/index.js';
import type { RestoreCommand } from '../systems/types.js';
import { addPolicyOptions, CliError, daemonLeadsMessage, eprint, hadoopBin, loadOrFail, now, print, takeZkApplyLock, reapLeftovers, type CommonOptions } from './common.js';

interface RestoreOptions extends CommonOptions {
  policy: string;
  autoApprove?: boolean;
  out?: string;
  plan?: string;
}

/**
 * A saved restore plan (--out) is the plan's JSON. It is carried out (--plan) only if the same
 * command, observing afresh, plans exactly the same thing: otherwise what it was made from has
 * changed and it is refused, as a stale `hbr apply` plan is.
 */
function sameSavedPlan(file: string, fresh: object): boolean {
  let saved: unknown;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(`cannot read the saved restore plan ${file}: ${(err as Error).message}`);
  }
  return JSON.stringify(saved) === JSON.stringify(fresh);
}

function registerOne(restore: Command, r: RestoreCommand): void {
  const cmd = r.options(restore.command(r.name).description(r.description));
  addPolicyOptions(
    cmd
      .option('--auto-approve', 'do not ask for confirmation')
      .option('--json', 'print the plan and the result as JSON')
      .option('--out <file>', 'save the plan to this file for review and stop')
      .option('--plan <file>', 'carry out this saved plan (the same command with --out made it); refused if a fresh plan differs'),
  ).action(
    async (opts: RestoreOptions) => {
      const config = await loadOrFail(opts);
      // The lock first: a restore observes what it will write, and an earlier restore killed
      // mid-copy may have left a DistCp running (reaped here, as `hbr apply` does).
      const lock = acquireLock(opts.stateDir, `hbr restore ${r.name} --policy ${opts.policy}`);
      // With coordination, a daemon on another host may be replicating into what is restored: the
      // same ZooKeeper apply lock as `hbr apply` (docs/daemon.md), refused with the same words when a daemon leads.
      const zkLock = await takeZkApplyLock(config, lock, daemonLeadsMessage);
      // Losing it stops the restore (its DistCp is killed); a re-run converges (docs/restore.md).
      const stop = new AbortController();
      zkLock?.onLost((why) => stop.abort(new Error(`lost the ZooKeeper apply lock: ${why}`)));
      try {
        await reapLeftovers(opts.stateDir, config);
        const plan = await r.prepare(config, opts as unknown as Record<string, unknown>, { now: now(), stateDir: opts.stateDir, hadoop: hadoopBin(), signal: stop.signal });
        if (opts.json) print(JSON.stringify({ ...plan.json, noChanges: plan.noChanges === true }, null, 2) + '\n');
        else print(['hbr will perform the following actions:', '', `  # policy ${plan.policy}`, ...plan.lines, '', ''].join('\n'));
        if (plan.noChanges) {
          if (!opts.json) print('No changes: nothing to restore.\n');
          return;
        }
        if (opts.out) {
          writeFileSync(opts.out, JSON.stringify(plan.json, null, 2) + '\n');
          if (!opts.json) print(`Saved the restore plan to ${opts.out}. Carry it out with the same command and --plan ${opts.out}.\n`);
          return;
        }
        if (opts.plan && !sameSavedPlan(opts.plan, plan.json)) {
          throw new CliError(`stale restore plan ${opts.plan}: what it was made from has changed (see the fresh plan above); plan again`);
        }
        if (!opts.autoApprove) {
          if (!process.stdin.isTTY) throw new CliError('restore needs confirmation: run it in a terminal, or pass --auto-approve');
          const rl = createInterface({ input: process.stdin, output: process.stdout });
          const answer = await rl.question("Do you want to perform this restore? Only 'yes' will be accepted: ");
          rl.close();
          if (answer.trim() !== 'yes') throw new CliError('Restore cancelled.');
        }
        crashPoint('restore:approved'); // between the plan shown and the run (a test acts on the destination here)
        const stopped = () => new CliError(`restore stopped: ${(stop.signal.reason as Error).message}; its DistCp was killed; run it again (it converges)`);
        const result = await plan.run(opts.json ? () => {} : (m: string) => eprint(m)).catch((err: unknown) => {
          throw stop.signal.aborted ? stopped() : err;
        });
        if (stop.signal.aborted) throw stopped();
        if (opts.json) print(JSON.stringify(result.json) + '\n');
        else print(result.text);
      } finally {
        await zkLock?.release().catch(() => {});
        lock.release();
      }
    },
  );
}

export function registerRestore(program: Command): void {
  const restore = program.command('restore').description('restore from a backup (shows a plan first)');
  for (const system of SYSTEMS) if (system.restore) registerOne(restore, system.restore);
}
