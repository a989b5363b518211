/**
 * hbr command line. Each command lives in its own file under src/cli and is registered here.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { registerApply } from './apply.js';
import { CliError, eprint, EXIT_ERROR } from './common.js';
import { registerPlan, registerValidate } from './plan.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('hbr')
    .description(
      'Declarative backup and disaster recovery for Hadoop clusters. hbr observes the clusters ' +
        'the policies name, plans the difference as typed, idempotent steps, and applies them. ' +
        'Policies are YAML (see docs/policies.md).',
    )
    .version(version(), '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  registerValidate(program);
  registerPlan(program);
  registerApply(program);
  program.addHelpText(
    'after',
    `
Examples:
  hbr validate -f policies/
  hbr plan -f policies/ --detailed-exitcode
  hbr plan --out tonight.plan && hbr apply tonight.plan
  hbr apply --auto-approve --target warehouse

Environment:
  HBR_HADOOP   the hadoop launcher used for DistCp (default: hadoop on PATH)`,
  );
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `hbr plan | head` closes our stdout early: that is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof CliError) {
      eprint(err.message);
      process.exitCode = err.exitCode;
      return;
    }
    eprint(`hbr: ${(err as Error).message ?? err}`);
    process.exitCode = EXIT_ERROR;
  }
}
