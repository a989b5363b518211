/** `hbr status`: asks a running daemon for its /status and shows it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { DaemonStatus } from '../daemon/status.js';
import { needsAttention, renderStatusText } from '../render/status.js';
import { CliError, EXIT_CHANGES, print } from './common.js';

interface StatusOptions {
  url?: string;
  stateDir: string;
  json?: boolean;
}

/** The daemon's URL: --url, else what the daemon of this state dir wrote at start, else the default listen address. */
function daemonUrl(opts: StatusOptions): string {
  if (opts.url) return opts.url.replace(/\/+$/, '');
  try {
    const info = JSON.parse(readFileSync(join(opts.stateDir, 'daemon.json'), 'utf8')) as { url?: string };
    if (info.url) return info.url;
  } catch {
    /* no daemon wrote its address here */
  }
  return 'http://127.0.0.1:9464';
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("show a running daemon's policies: last and next run, recovery point ages against the RPO, pending steps")
    .option('--url <url>', 'the daemon address (default: from <state-dir>/daemon.json, else http://127.0.0.1:9464)')
    .option('--state-dir <dir>', 'the daemon state dir, to find its address', '.hbr')
    .option('--json', "print the daemon's /status JSON as is")
    .addHelpText('after', '\nExit status: 0 all well, 2 something needs attention (RPO breached, a policy failing, invalid policy files), 1 no answer.')
    .action(async (opts: StatusOptions) => {
      const url = daemonUrl(opts);
      let s: DaemonStatus;
      try {
        const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(10_000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        s = (await res.json()) as DaemonStatus;
      } catch (err) {
        throw new CliError(`no answer from an hbr daemon at ${url}: ${(err as Error).message}`);
      }
      print(opts.json ? JSON.stringify(s, null, 2) + '\n' : renderStatusText(s));
      if (needsAttention(s)) process.exitCode = EXIT_CHANGES;
    });
}
