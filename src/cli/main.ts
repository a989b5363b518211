/**
 * hbr command line. Each command lives in its own file under src/cli and is registered here.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('hbr')
    .description('Declarative backup and disaster recovery for Hadoop clusters')
    .version(version(), '-V, --version')
    .showHelpAfterError();
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
