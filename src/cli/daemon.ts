/** `hbr daemon`: runs the reconcile loops until SIGTERM/SIGINT (src/daemon/daemon.ts). */
import { setFlagsFromString } from 'node:v8';
import type { Command } from 'commander';
// The daemon's modules (prom-client, pino, chokidar, node-cron) are imported when `hbr daemon`
// runs, not at every start of the CLI: `hbr plan` never uses them (README, issue 16: ~0.1 s of
// imports a run).
import type { Daemon } from '../daemon/daemon.js';
import { LockHeldError } from '../engine/lock.js';
import { parseDuration } from '../schema/duration.js';
import { loadConfig } from '../schema/load.js';
import { CliError, collect, hadoopBin, policyPaths } from './common.js';

interface DaemonCliOptions {
  file: string[];
  stateDir: string;
  listen: string;
  parallel: string;
  concurrency: string;
  retryBase: string;
  retryMax: string;
  resync: string;
  shutdownGrace: string;
  healthInterval: string;
  logLevel: string;
}

function duration(flag: string, v: string): number {
  try {
    return parseDuration(v);
  } catch (err) {
    throw new CliError(`${flag}: ${(err as Error).message}`);
  }
}

function count(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag} expects a whole number ≥ 1, got '${v}'`);
  return n;
}

export function registerDaemon(program: Command): void {
  program
    .command('daemon')
    .description('reconcile every policy on its schedule until stopped; serve /metrics, /healthz and /status; reload policy files when they change')
    .option('-f, --file <path>', 'policy file or directory of *.yaml (repeatable; watched for changes)', collect, [])
    .option('--state-dir <dir>', 'where the journal, lock and daemon.json live', '.hbr')
    .option('--listen <host:port>', 'HTTP address for /metrics, /healthz, /status', '127.0.0.1:9464')
    .option('--parallel <n>', 'policies reconciled at once', '4')
    .option('--concurrency <n>', 'steps at once within one policy', '4')
    .option('--retry-base <duration>', 'first retry delay after a failed run (doubles per failure)', '2s')
    .option('--retry-max <duration>', 'longest retry delay', '5m')
    .option('--resync <duration>', 'reconcile each policy at least this often even when nothing is due', '10m')
    .option('--shutdown-grace <duration>', 'on SIGTERM, how long running steps may finish before they are aborted and checkpointed', '5m')
    .option('--health-interval <duration>', 'how often NameNode health (JMX) is read', '60s')
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .addHelpText(
      'after',
      `
Logs are JSON lines on stdout (pino), secrets redacted. Stop with SIGTERM or Ctrl-C: no new runs
start, running steps get --shutdown-grace to finish, then are aborted and recorded in the journal
(the next start repairs); a second signal aborts at once. Exit status 0 after a clean stop,
1 when it cannot start (invalid policies, another hbr holds the state dir, address in use).

With 'coordination: { zookeeper: { connect, path } }' in the policies, several daemons elect a
leader; only the leader acts, the others serve /metrics with hbr_leader 0.

Examples:
  hbr daemon -f /etc/hbr/policies --listen 127.0.0.1:9464 --state-dir /var/lib/hbr
  hbr status`,
    )
    .action(async (opts: DaemonCliOptions) => {
      // A long-running daemon favours memory over speed: V8's --optimize-for-size makes the heap
      // grow less between collections (it is read at each sizing decision, so it works when set
      // here). With 1,000 policies reconciling the garbage of past runs was most of the RSS: a
      // heap snapshot holds 22 MiB live, the old space grew to ~100 MiB before a full GC
      // (bench/daemon; README "Tests and benchmarks").
      setFlagsFromString('--optimize-for-size');
      const [{ Daemon }, { parseListen }, { createLogger }, { startSpreadCapMs }] = await Promise.all([
        import('../daemon/daemon.js'),
        import('../daemon/http.js'),
        import('../daemon/log.js'),
        import('../daemon/runtime.js'),
      ]);
      // a bad HBR_DAEMON_START_SPREAD_MS fails the start, not the first policy's loop
      try {
        startSpreadCapMs();
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      // Webhook URLs and tokens may be secrets under any variable name: redact their values too.
      const secrets: string[] = [];
      const pre = await loadConfig(policyPaths(opts));
      if ('config' in pre) {
        for (const w of Object.values(pre.config.webhooks)) {
          for (const v of [w.urlEnv, w.bearerEnv]) if (v && process.env[v]) secrets.push(process.env[v]!);
        }
      }
      const log = createLogger({ level: opts.logLevel, secrets });
      let daemon: Daemon;
      try {
        daemon = await Daemon.start({
          paths: policyPaths(opts),
          stateDir: opts.stateDir,
          listen: parseListen(opts.listen),
          hadoop: hadoopBin(),
          log,
          parallel: count('--parallel', opts.parallel),
          concurrency: count('--concurrency', opts.concurrency),
          timing: { retryBaseMs: duration('--retry-base', opts.retryBase), retryMaxMs: duration('--retry-max', opts.retryMax), resyncMs: duration('--resync', opts.resync) },
          shutdownGraceMs: duration('--shutdown-grace', opts.shutdownGrace),
          healthIntervalMs: duration('--health-interval', opts.healthInterval),
          command: `hbr ${process.argv.slice(2).join(' ')}`,
        });
      } catch (err) {
        if (err instanceof CliError) throw err;
        const msg = err instanceof LockHeldError ? `${err.message}; one daemon per state dir` : (err as Error).message;
        log.fatal(msg);
        log.flush();
        throw new CliError(msg);
      }
      await new Promise<void>((resolve) => {
        let signals = 0;
        const onSignal = (sig: NodeJS.Signals) => {
          signals++;
          log.info({ signal: sig }, signals === 1 ? `${sig}: stopping` : `${sig} again: aborting running steps now`);
          daemon.shutdown(signals === 1 ? undefined : 0).then(resolve, (err: Error) => {
            log.error({ err }, 'error while stopping');
            resolve();
          });
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
      log.flush();
    });
}
