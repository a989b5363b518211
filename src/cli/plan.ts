/** `hbr validate` and `hbr plan`. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Plan } from '../model/plan.js';
import { planAll } from '../planner/plan.js';
import { renderPlanJson, renderPlanText } from '../render/plan.js';
import { addPolicyOptions, collect, EXIT_CHANGES, EXIT_ERROR, EXIT_OK, loadOrFail, observe, print, type CommonOptions } from './common.js';

/** What `hbr plan --out` writes and `hbr apply PLANFILE` reads. */
export interface SavedPlan {
  hbrPlan: 1;
  plan: Plan;
  /** the targets the operator allowed hbr to overwrite when the plan was made */
  allowOverwrite?: string[];
}

export const ALLOW_OVERWRITE_HELP =
  'allow hbr to overwrite this diverged or held DR target, given as cluster:path (repeatable); the plan shows it as a replace (-/+)';

/** The exit code of a plan: 1 for observation errors and held pairs, else 2 / 0 with --detailed-exitcode. */
export function planExitCode(plan: Plan, observeErrors: number, detailed: boolean | undefined): number | undefined {
  if (observeErrors || plan.holds?.length) return EXIT_ERROR;
  if (detailed) return plan.steps.length ? EXIT_CHANGES : EXIT_OK;
  return undefined;
}

export function registerValidate(program: Command): void {
  addPolicyOptions(
    program
      .command('validate')
      .description('check policy files (schema, references, durations) without contacting any cluster'),
  ).action(async (opts: CommonOptions) => {
    const config = await loadOrFail(opts);
    const n = Object.keys(config.policies).length;
    print(`${config.files.length} file${config.files.length === 1 ? '' : 's'}, ${n} polic${n === 1 ? 'y' : 'ies'}: valid.\n`);
  });
}

export function registerPlan(program: Command): void {
  addPolicyOptions(
    program
      .command('plan')
      .description('observe the clusters and show what apply would do')
      .option('--out <file>', 'save the plan for `hbr apply FILE`')
      .option('--json', 'print the plan as JSON')
      .option('--detailed-exitcode', 'exit 0 when there are no changes, 2 when there are, 1 on error')
      .option('--target <policy>', 'plan only this policy (repeatable)', collect, [])
      .option('--allow-overwrite <target>', ALLOW_OVERWRITE_HELP, collect, []),
  ).action(async (opts: CommonOptions & { out?: string; detailedExitcode?: boolean; allowOverwrite: string[] }) => {
    const config = await loadOrFail(opts);
    const observed = await observe(config, opts.stateDir, opts.target);
    const plan = planAll({
      config,
      observed,
      now: observed.at,
      ...(opts.target?.length ? { targets: opts.target } : {}),
      ...(opts.allowOverwrite.length ? { allowOverwrite: opts.allowOverwrite } : {}),
    });
    print(opts.json ? renderPlanJson(plan, observed) : renderPlanText(plan, observed));
    if (opts.out) {
      const saved: SavedPlan = { hbrPlan: 1, plan, ...(opts.allowOverwrite.length ? { allowOverwrite: opts.allowOverwrite } : {}) };
      writeFileSync(opts.out, JSON.stringify(saved, null, 2) + '\n');
      if (!opts.json) print(`\nSaved the plan to ${opts.out}. Apply exactly these steps with: hbr apply ${opts.out}\n`);
    }
    const code = planExitCode(plan, observed.errors.length, opts.detailedExitcode);
    if (code !== undefined) process.exitCode = code;
  });
}
