/**
 * `hbr verify --policy P`: a restore drill now (docs/drills.md). The policy's system restores its
 * newest recovery point of each site into a scratch place, compares it with what was protected and
 * cleans up; the core times it against the policy's `rto` and records it in the state dir, where
 * `hbr status` and the daemon find it. Exit 0 when every check passed, 1 otherwise.
 */
import type { Command } from 'commander';
import { runDrill, type DrillRecord } from '../engine/drill.js';
import { acquireLock } from '../engine/lock.js';
import { systemOf } from '../systems/index.js';
import { addPolicyOptions, CliError, eprint, EXIT_ERROR, hadoopBin, loadOrFail, now, print, takeZkApplyLock, reapLeftovers, type CommonOptions } from './common.js';

interface VerifyOptions extends CommonOptions {
  policy: string;
}

/** The drill as text: one line per check, then the verdict. */
export function renderDrill(r: DrillRecord): string {
  const lines = [`# policy ${r.policy}: restore drill of ${r.point || '(none: the drill could not start)'}`];
  for (const c of r.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}${c.detail ? `: ${c.detail}` : ''}`);
  const size = r.files !== undefined ? `, ${r.files} file(s)${r.bytes !== undefined ? `, ${r.bytes} bytes` : ''}` : '';
  const rto = r.rtoSeconds !== undefined ? ` (rto ${r.rtoSeconds}s${r.rtoExceeded ? ': EXCEEDED' : ''})` : '';
  lines.push('', `Drill ${r.ok ? 'passed' : 'FAILED'} in ${r.durationSeconds.toFixed(1)}s${rto}${size}.`, '');
  return lines.join('\n');
}

export function registerVerify(program: Command): void {
  addPolicyOptions(
    program
      .command('verify')
      .description("run a restore drill of a policy now: restore its newest recovery points into scratch, compare, clean up, record the time against the rto")
      .requiredOption('--policy <name>', 'the policy to drill')
      .option('--json', 'print the drill record as JSON'),
  )
    .addHelpText('after', '\nExit status: 0 the drill passed, 1 it failed (the failing checks name the file, archive or znode).')
    .action(async (opts: VerifyOptions) => {
      const config = await loadOrFail(opts);
      const p = config.policies[opts.policy];
      if (!p) throw new CliError(`--policy names no policy: ${opts.policy}`);
      if (!systemOf(p).drill) throw new CliError(`policy '${opts.policy}' (${p.kind}) has no restore drill`);
      const lock = acquireLock(opts.stateDir, `hbr verify --policy ${opts.policy}`);
      // With coordination, the leader may be replicating into the very target drilled: take the
      // ZooKeeper apply lock as `hbr apply` does (src/cli/apply.ts), so a drill never runs beside it.
      const zkLock = await takeZkApplyLock(
        config,
        lock,
        (err) => `${err.message}: a daemon leads and drills on the policy's verify: schedule (hbr status shows its last drill); stop it to drill by hand`,
      );
      const stop = new AbortController();
      zkLock?.onLost((why) => stop.abort(new Error(`lost the ZooKeeper apply lock: ${why}`)));
      const onSignal = () => stop.abort(new Error('interrupted'));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await reapLeftovers(opts.stateDir, config);
        const rec = await runDrill({
          config,
          policy: opts.policy,
          stateDir: opts.stateDir,
          hadoop: hadoopBin(),
          signal: stop.signal,
          log: opts.json ? () => {} : (m) => eprint(m),
          now: now(),
        });
        print(opts.json ? JSON.stringify(rec, null, 2) + '\n' : renderDrill(rec));
        if (!rec.ok) process.exitCode = EXIT_ERROR;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await zkLock?.release().catch(() => {});
        lock.release();
      }
    });
}
