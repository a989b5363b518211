/**
 * hbr command line. Each command lives in its own file under src/cli and is registered here.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { registerApply } from './apply.js';
import { registerDaemon } from './daemon.js';
import { UserError } from '../model/errors.js';
import { eprint, EXIT_ERROR } from './common.js';
import { registerPlan, registerValidate } from './plan.js';
import { registerRestore } from './restore.js';
import { registerFailover } from './failover.js';
import { registerStatus } from './status.js';
import { registerVerify } from './verify.js';

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
  registerRestore(program);
  registerVerify(program);
  registerFailover(program);
  registerDaemon(program);
  registerStatus(program);
  program.addHelpText(
    'after',
    `
Examples:
  hbr validate -f policies/
  hbr plan -f policies/ --detailed-exitcode
  hbr plan --out tonight.plan && hbr apply tonight.plan
  hbr apply --auto-approve --target warehouse
  hbr verify --policy warehouse
  hbr restore zookeeper --policy zk --at 2026-11-22T00:00:00Z --to-datadir /var/lib/zookeeper
  hbr failover --policy warehouse --unplanned --auto-approve
  hbr failback --policy warehouse --allow-overwrite prod:/warehouse
  hbr daemon -f /etc/hbr/policies --listen 127.0.0.1:9464
  hbr status

Environment:
  HBR_HADOOP              the hadoop launcher used for DistCp (default: hadoop on PATH)
  HBR_ZK_ADMIN_AUTH       user:password for ZooKeeper AdminServer snapshot/restore
                          (HBR_ZK_ADMIN_AUTH_<CLUSTER> for one cluster)
  AWS_*                   S3 credentials and region (the AWS default chain)
  HBR_NOW                 plan as if the clock read this ISO-8601 time (drills, tests); apply refuses
                          one ahead of the real clock unless HBR_NOW_ALLOW_FUTURE=1 (scratch test beds)`,
  );
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // The AWS SDK warns at every start that its 2027 releases will need Node 22; hbr pins its SDK
  // and runs on Node 20, so in a daemon's output that is noise. The SDK's own switch turns it off.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
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
    if (err instanceof UserError) {
      eprint(err.message);
      process.exitCode = err.exitCode;
      return;
    }
    eprint(`hbr: ${(err as Error).message ?? err}`);
    process.exitCode = EXIT_ERROR;
  }
}
