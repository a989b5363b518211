/**
 * `hbr restore zookeeper`: a reviewable plan first (which archive, from where, into what), then,
 * once approved, download with checksum verification and restore into a stopped server's data
 * dir or through the AdminServer's restore command.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { acquireLock } from '../engine/lock.js';
import { progressLogger, zkAdminAuth } from '../executors/zookeeper/steps.js';
import { readArchiveInfo } from '../executors/zookeeper/archive.js';
import { restoreToAdmin, restoreToDataDir } from '../executors/zookeeper/restore.js';
import type { ZookeeperArchivePolicy } from '../model/policy.js';
import { storeKey } from '../model/observed.js';
import { observeStores } from '../observe/store.js';
import { ownedArchives } from '../planner/archives.js';
import { formatBytes } from '../render/plan.js';
import { openStore } from '../stores/index.js';
import { addPolicyOptions, CliError, eprint, loadOrFail, print, type CommonOptions } from './common.js';

interface RestoreZkOptions extends CommonOptions {
  policy: string;
  archive?: string;
  at?: string;
  toDatadir?: string;
  toAdmin?: string;
  force?: boolean;
  autoApprove?: boolean;
}

/**
 * Credentials for the AdminServer restored into: HBR_ZK_RESTORE_AUTH (user:password) when the
 * target is not the policy's own cluster, else the cluster's archive credentials.
 */
function restoreAuth(cluster: string): { user: string; password: string } {
  const raw = process.env.HBR_ZK_RESTORE_AUTH;
  if (raw) return zkAdminAuth(cluster, { HBR_ZK_ADMIN_AUTH: raw });
  return zkAdminAuth(cluster);
}

export function registerRestore(program: Command): void {
  const restore = program.command('restore').description('restore from a backup (shows a plan first)');
  addPolicyOptions(
    restore
      .command('zookeeper')
      .description('restore a ZooKeeper archive into an empty data dir or through the AdminServer')
      .requiredOption('--policy <name>', 'the archive policy whose store holds the archive')
      .option('--archive <key>', 'this archive (a key as listed by the plan); default: the newest good one')
      .option('--at <time>', 'the newest good archive taken at or before this ISO-8601 time')
      .option('--to-datadir <dir>', "unpack into this (stopped) server's data dir; must be empty unless --force")
      .option('--to-admin <url>', 'POST the snapshot to this AdminServer (/commands/restore); credentials as for archives')
      .option('--force', 'restore into a non-empty data dir (its content is moved aside, never deleted)')
      .option('--auto-approve', 'do not ask for confirmation')
      .option('--json', 'print the plan and the result as JSON'),
  ).action(async (opts: RestoreZkOptions) => {
    if (!!opts.toDatadir === !!opts.toAdmin) throw new CliError('say where to restore: exactly one of --to-datadir DIR or --to-admin URL');
    if (opts.archive && opts.at) throw new CliError('--archive and --at are mutually exclusive');
    const config = await loadOrFail(opts);
    const policy = config.policies[opts.policy];
    if (!policy || policy.kind !== 'zookeeper-archive') throw new CliError(`no ZooKeeper archive policy named '${opts.policy}'`);
    const store = config.stores[policy.archive.to]!;

    const { stores, errors } = await observeStores(config, { targets: [policy.name] });
    if (errors.length) throw new CliError(errors.map((e) => e.message).join('\n'));
    const listing = stores[storeKey(policy.archive.to, policy.archive.prefix)]!;
    const archives = ownedArchives(policy as ZookeeperArchivePolicy, listing);
    let chosen = archives[archives.length - 1];
    if (opts.archive) {
      chosen = archives.find((a) => a.key === opts.archive);
      if (!chosen) throw new CliError(`no archive ${opts.archive} of policy ${policy.name} in ${openStore(store).url} (${archives.length} archives there)`);
    } else if (opts.at) {
      const t = Date.parse(opts.at);
      if (Number.isNaN(t)) throw new CliError(`--at is not an ISO-8601 time: ${opts.at}`);
      chosen = [...archives].reverse().find((a) => a.time <= t);
    }
    if (!chosen) throw new CliError(`no archive of policy ${policy.name} to restore${opts.at ? ` at or before ${opts.at}` : ''}`);

    const into = opts.toDatadir ? `unpack into data dir ${opts.toDatadir}${opts.force ? ' (existing content moved aside)' : ''}` : `restore through ${opts.toAdmin}/commands/restore`;
    const planText = [
      'hbr will perform the following actions:',
      '',
      `  # policy ${policy.name}`,
      `  ~ restore.zookeeper  ${opts.toDatadir ?? opts.toAdmin} <- ${openStore(store).url}${chosen.key}`,
      `                       download ${formatBytes(chosen.size)}, verify its SHA-256, ${into}`,
      '',
    ].join('\n');
    if (opts.json) print(JSON.stringify({ restore: { policy: policy.name, archive: chosen.key, size: chosen.size, to: opts.toDatadir ?? opts.toAdmin } }, null, 2) + '\n');
    else print(planText + '\n');
    if (!opts.autoApprove) {
      if (!process.stdin.isTTY) throw new CliError('restore needs confirmation: run it in a terminal, or pass --auto-approve');
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question("Do you want to perform this restore? Only 'yes' will be accepted: ");
      rl.close();
      if (answer.trim() !== 'yes') throw new CliError('Restore cancelled.');
    }

    const lock = acquireLock(opts.stateDir, `hbr restore zookeeper --policy ${policy.name}`);
    const dir = mkdtempSync(join(tmpdir(), 'hbr-restore-'));
    try {
      const file = join(dir, 'archive.tar.gz');
      const log = opts.json ? () => {} : (m: string) => eprint(m);
      await openStore(store).getFile(chosen.key, file, { onProgress: progressLogger({ log }, 'download') });
      const info = await readArchiveInfo(file);
      if (opts.toDatadir) await restoreToDataDir(file, opts.toDatadir, { force: opts.force === true });
      else await restoreToAdmin(file, opts.toAdmin!, restoreAuth(policy.source.cluster));
      if (opts.json) print(JSON.stringify({ restored: chosen.key, lastZxid: info.lastZxid, takenAt: info.takenAt }) + '\n');
      else print(`Restore complete: ${chosen.key} (${info.mode} archive, last zxid ${info.lastZxid}, taken ${info.takenAt}).\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      lock.release();
    }
  });
}
