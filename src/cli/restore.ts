/**
 * `hbr restore <system>`: each system with restores (System.restore) adds a subcommand. The system
 * chooses what to restore and how; here the plan is shown, confirmed (or --auto-approve), the
 * state-dir lock held while it runs, and the result printed.
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { acquireLock } from '../engine/lock.js';
import { SYSTEMS } from '../systems/index.js';
import type { RestoreCommand } from '../systems/types.js';
import { addPolicyOptions, CliError, eprint, loadOrFail, print, type CommonOptions } from './common.js';

interface RestoreOptions extends CommonOptions {
  policy: string;
  autoApprove?: boolean;
}

function registerOne(restore: Command, r: RestoreCommand): void {
  const cmd = r.options(restore.command(r.name).description(r.description));
  addPolicyOptions(cmd.option('--auto-approve', 'do not ask for confirmation').option('--json', 'print the plan and the result as JSON')).action(
    async (opts: RestoreOptions) => {
      const config = await loadOrFail(opts);
      const plan = await r.prepare(config, opts as unknown as Record<string, unknown>);
      if (opts.json) print(JSON.stringify(plan.json, null, 2) + '\n');
      else print(['hbr will perform the following actions:', '', `  # policy ${plan.policy}`, ...plan.lines, '', ''].join('\n'));
      if (!opts.autoApprove) {
        if (!process.stdin.isTTY) throw new CliError('restore needs confirmation: run it in a terminal, or pass --auto-approve');
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        const answer = await rl.question("Do you want to perform this restore? Only 'yes' will be accepted: ");
        rl.close();
        if (answer.trim() !== 'yes') throw new CliError('Restore cancelled.');
      }
      const lock = acquireLock(opts.stateDir, `hbr restore ${r.name} --policy ${plan.policy}`);
      try {
        const result = await plan.run(opts.json ? () => {} : (m: string) => eprint(m));
        if (opts.json) print(JSON.stringify(result.json) + '\n');
        else print(result.text);
      } finally {
        lock.release();
      }
    },
  );
}

export function registerRestore(program: Command): void {
  const restore = program.command('restore').description('restore from a backup (shows a plan first)');
  for (const system of SYSTEMS) if (system.restore) registerOne(restore, system.restore);
}
