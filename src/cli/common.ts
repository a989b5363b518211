/** What several commands share: loading policies, observing, exit codes, output. */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import type { ZkLock } from '../daemon/coordination.js';
import { stripUserinfo, UserError } from '../model/errors.js';
import { trustedUntil } from '../model/names.js';
import { loadConfig, formatPolicyError } from '../schema/load.js';
import type { Config } from '../model/policy.js';
import type { Observed } from '../model/observed.js';
import { observeAll } from '../observe/all.js';
import { readUnfinished } from '../engine/journal.js';
import { reapOrphans } from '../hadoop/children.js';
import { setTokenStateDir } from '../hadoop/dtoken.js';
import { reapOrphanApps } from '../hadoop/yarn-reap.js';
import { isHdfsCluster } from '../hadoop/cluster.js';
import { yarnSweep } from '../hadoop/distcp-access.js';
import { supersedingKinds } from '../systems/index.js';

/** Exit codes, as Terraform: plan --detailed-exitcode uses 2 for "changes present". */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_CHANGES = 2;

/** An error that ends the command with a message and an exit code, without a stack trace. */
export class CliError extends UserError {
  constructor(message: string, exitCode = EXIT_ERROR) {
    super(message, exitCode);
    this.name = 'CliError';
  }
}

export interface CommonOptions {
  file: string[];
  stateDir: string;
  json?: boolean;
  target?: string[];
}

export function addPolicyOptions(cmd: Command): Command {
  return cmd
    .option('-f, --file <path>', 'policy file or directory of *.yaml (repeatable)', collect, [])
    .option('--state-dir <dir>', 'where the journal and lock live', '.hbr');
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function policyPaths(opts: { file: string[] }): string[] {
  return opts.file.length ? opts.file : ['policies'];
}

export async function loadOrFail(opts: { file: string[] }): Promise<Config> {
  const r = await loadConfig(policyPaths(opts));
  if ('errors' in r) {
    const n = r.errors.length;
    throw new CliError(`${r.errors.map(formatPolicyError).join('\n')}\n${n} error${n === 1 ? '' : 's'} in the policies; nothing was done.`);
  }
  const unknown = (opts as { target?: string[] }).target?.filter((t) => !r.config.policies[t]) ?? [];
  if (unknown.length) throw new CliError(`--target names no policy: ${unknown.join(', ')}`);
  return r.config;
}

/**
 * The clock the planner is given. HBR_NOW (an ISO-8601 time) pretends the clock reads that time:
 * for restore drills and tests that walk a schedule forward without waiting for it.
 */
export function now(): number {
  const fake = process.env.HBR_NOW;
  if (!fake) return Date.now();
  const t = Date.parse(fake);
  if (Number.isNaN(t)) throw new CliError(`HBR_NOW is not an ISO-8601 time: ${fake}`);
  return t;
}

/**
 * `hbr apply` writes names into real clusters: with HBR_NOW ahead of this machine's clock they
 * would be dated in the future, where every later run distrusts them. Refused unless
 * HBR_NOW_ALLOW_FUTURE=1 says this is a scratch test bed (drills and tests that walk a schedule
 * forward). A past HBR_NOW is allowed: its names are older than the truth, never newer.
 */
export function refuseFutureNow(what: string): void {
  const fake = process.env.HBR_NOW;
  if (!fake || process.env.HBR_NOW_ALLOW_FUTURE === '1') return;
  const t = now();
  if (t > trustedUntil(Date.now())) {
    throw new CliError(
      `HBR_NOW=${fake} is ahead of this machine's clock (${new Date().toISOString()}): ${what} would write names dated in the future into real clusters, ` +
        'which hbr then never trusts as recovery points. Unset HBR_NOW, or set HBR_NOW_ALLOW_FUTURE=1 on a scratch test bed; nothing was done.',
    );
  }
}

export async function observe(config: Config, stateDir: string, targets?: string[]): Promise<Observed> {
  setTokenStateDir(stateDir); // delegation tokens are cached under it (docs/security.md)
  return observeAll(config, { unfinished: readUnfinished(stateDir, supersedingKinds), now, ...(targets && { targets }) });
}

export function hadoopBin(): string {
  return process.env.HBR_HADOOP || 'hadoop';
}

export function print(s: string): void {
  process.stdout.write(s);
}

/** To stderr, where every error of the CLI goes (src/cli/main.ts): a URL's userinfo never does. */
export function eprint(text: string): void {
  const s = stripUserinfo(text);
  process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);
}

/**
 * Stops what an interrupted hbr left running before anything is observed: its child processes
 * (src/hadoop/children.ts) and their YARN jobs, killed through the ResourceManager
 * (src/hadoop/yarn-reap.ts). apply, verify and restore, under their lock.
 */
export async function reapLeftovers(stateDir: string, config: Config): Promise<void> {
  for (const r of reapOrphans(stateDir, (m) => eprint(m))) eprint(`reaped ${r.step} (pid ${r.pid})`);
  // and every unfinished YARN job of this owner (the deployment's with coordination: the caller holds its ZooKeeper lock)
  const sweep = yarnSweep(Object.values(config.clusters).filter(isHdfsCluster), { stateDir, hadoop: hadoopBin(), ...(config.coordination && { coordination: config.coordination.zookeeper }) });
  for (const a of await reapOrphanApps(stateDir, (m) => eprint(m), sweep)) eprint(`reaped the YARN job(s) ${a.killed.join(', ')} of ${a.step}`);
}

/** What `hbr apply` (and `hbr restore`) say when a daemon holds the ZooKeeper apply lock. */
export function daemonLeadsMessage(err: { message: string; holder?: { listen?: string } }): string {
  const at = err.holder?.listen ? ` (hbr status --url ${err.holder.listen})` : '';
  return `${err.message}${at}: a daemon leads; let it act, or stop it first`;
}

/**
 * With `coordination:`, the ZooKeeper apply lock the daemons' leader holds while it leads, taken by
 * a command that acts on the clusters by hand (`hbr apply`, `hbr verify`, `hbr restore`), so it never runs beside
 * them. `lock` (the state-dir lock) is released when it cannot be taken; `whenHeld` says what the
 * operator can do when a daemon holds it. Undefined without coordination.
 */
export async function takeZkApplyLock(
  config: Config,
  lock: { release(): void },
  whenHeld: (err: { message: string; holder?: { listen?: string } }) => string,
): Promise<ZkLock | undefined> {
  if (!config.coordination) return undefined;
  const { acquireZkLock, ZkLockHeldError } = await import('../daemon/coordination.js');
  try {
    return await acquireZkLock(config.coordination.zookeeper, { host: hostname(), pid: process.pid, startedAt: Date.now() });
  } catch (err) {
    lock.release();
    if (err instanceof ZkLockHeldError) throw new CliError(whenHeld(err));
    throw new CliError(`cannot take the ZooKeeper apply lock at ${config.coordination.zookeeper.connect} ${config.coordination.zookeeper.path}: ${(err as Error).message}`);
  }
}
