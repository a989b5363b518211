/**
 * `hbr failover --policy P [--planned|--unplanned]` and `hbr failback --policy P`: an `hbr apply`
 * of that one policy with the operator's request in the plan (docs/failover.md). What the request
 * means is the policy's system's to say (a PlanRequest); here is only the command line.
 */
import type { Command } from 'commander';
import { runApply, type ApplyOptions } from './apply.js';
import { addPolicyOptions, CliError, collect } from './common.js';
import { ALLOW_OVERWRITE_HELP } from './plan.js';

interface FailOptions extends ApplyOptions {
  policy: string;
  planned?: boolean;
  unplanned?: boolean;
  dryRun?: boolean;
}

function common(cmd: Command): Command {
  return addPolicyOptions(
    cmd
      .requiredOption('--policy <name>', 'the policy whose DR pair fails over or back')
      .option('--dry-run', 'show the plan only (exit 1 when the pair is held or cannot be planned)')
      .option('--auto-approve', 'do not ask for confirmation (needed when not on a terminal)')
      .option('--json', 'print the plan and the result as JSON')
      .option('--concurrency <n>', 'steps run at once', '4'),
  );
}

export function registerFailover(program: Command): void {
  common(
    program
      .command('failover')
      .description(
        "make a policy's DR target the writable copy: --planned copies the primary's last changes first; --unplanned acts at once, without the primary; hbr then stops replicating into the DR copy",
      )
      .option('--planned', 'the primary answers: snapshot it, copy the last changes, then fail over (the default)')
      .option('--unplanned', 'the primary is lost: fail over at once to the DR side as it stands')
      .option(
        '--allow-overwrite <target>',
        'with --unplanned, a DR copy left torn by a copy cut short (cluster:path): keep its tree as an hbr-torn-* snapshot, roll it back to its newest snapshot, then fail over (docs/failover.md)',
        collect,
        [],
      ),
  ).action(async (opts: FailOptions) => {
    if (opts.planned && opts.unplanned) throw new CliError('--planned and --unplanned exclude each other');
    const mode = opts.unplanned ? 'unplanned' : 'planned';
    // A planned failover rolls a torn DR copy back from the primary by itself (an ordinary repair before the last copy).
    if (mode === 'planned' && opts.allowOverwrite?.length) throw new CliError('--allow-overwrite goes with --unplanned (the roll-back of a torn DR copy); a planned failover needs none');
    await runApply(undefined, {
      ...opts,
      allowOverwrite: mode === 'unplanned' ? (opts.allowOverwrite ?? []) : [],
      target: [opts.policy],
      requests: [{ policy: opts.policy, verb: 'failover', mode }],
      observeErrorsOk: mode === 'unplanned',
    });
  });

  common(
    program
      .command('failback')
      .description(
        'after a failover: snapshot the DR copy, copy what changed there back to the old primary incrementally, and make the primary the primary again (its own changes since the common snapshot are rolled back only with --allow-overwrite)',
      )
      .option('--allow-overwrite <target>', ALLOW_OVERWRITE_HELP, collect, []),
  ).action(async (opts: FailOptions) => {
    await runApply(undefined, { ...opts, target: [opts.policy], requests: [{ policy: opts.policy, verb: 'failback' }] });
  });
}
