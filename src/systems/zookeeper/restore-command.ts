/**
 * `hbr restore zookeeper`: which archive, from where, into what (the plan the CLI shows), then
 * download with checksum verification and restore into a stopped server's data dir or through
 * the AdminServer's restore command.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../model/errors.js';
import { storeKey } from '../../model/observed.js';
import type { Config } from '../../model/policy.js';
import { formatBytes } from '../../model/format.js';
import { openStore } from '../../stores/open.js';
import type { RestoreCommand, RestorePlan } from '../types.js';
import { readArchiveInfo } from './archive.js';
import { observeStores } from './observe.js';
import { ownedArchives } from './plan.js';
import { restoreToAdmin, restoreToDataDir } from './restore.js';
import { refuseCoordinationEnsemble } from './restore-guard.js';
import { progressLogger, zkAdminAuth } from './steps.js';
import { isArchivePolicy } from './types.js';
import { trustedUntil } from '../../model/names.js';

interface RestoreZkOptions {
  policy: string;
  archive?: string;
  at?: string;
  toDatadir?: string;
  toAdmin?: string;
  force?: boolean;
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

async function prepare(config: Config, raw: Record<string, unknown>): Promise<RestorePlan> {
  const opts = raw as unknown as RestoreZkOptions;
  if (!!opts.toDatadir === !!opts.toAdmin) throw new UserError('say where to restore: exactly one of --to-datadir DIR or --to-admin URL');
  if (opts.archive && opts.at) throw new UserError('--archive and --at are mutually exclusive');
  const policy = config.policies[opts.policy];
  if (!isArchivePolicy(policy)) throw new UserError(`no ZooKeeper archive policy named '${opts.policy}'`);
  if (opts.toAdmin) await refuseCoordinationEnsemble(config, opts.toAdmin);
  const store = config.stores[policy.archive.to]!;
  const client = await openStore(store);

  const { stores, errors } = await observeStores(config, { targets: [policy.name] });
  if (errors.length) throw new UserError(errors.map((e) => e.message).join('\n'));
  const listing = stores[storeKey(policy.archive.to, policy.archive.prefix)]!;
  // Archives named in the future are no recovery point: the newest trusted one is chosen; only when
  // every archive is dated in the future (a clock was wrong) is the newest by name, with a note.
  const all = ownedArchives(policy, listing, Infinity);
  const trusted = ownedArchives(policy, listing, trustedUntil(Date.now()));
  const archives = trusted.length ? trusted : all;
  let chosen = archives[archives.length - 1];
  if (opts.archive) {
    chosen = all.find((a) => a.key === opts.archive);
    if (!chosen) throw new UserError(`no archive ${opts.archive} of policy ${policy.name} in ${client.url} (${all.length} archives there)`);
  } else if (opts.at) {
    const t = Date.parse(opts.at);
    if (Number.isNaN(t)) throw new UserError(`--at is not an ISO-8601 time: ${opts.at}`);
    chosen = [...archives].reverse().find((a) => a.time <= t);
  }
  if (!chosen) throw new UserError(`no archive of policy ${policy.name} to restore${opts.at ? ` at or before ${opts.at}` : ''}`);
  const archive = chosen;

  const into = opts.toDatadir ? `unpack into data dir ${opts.toDatadir}${opts.force ? ' (existing content moved aside)' : ''}` : `restore through ${opts.toAdmin}/commands/restore`;
  return {
    policy: policy.name,
    lines: [
      `  ~ restore.zookeeper  ${opts.toDatadir ?? opts.toAdmin} <- ${client.url}${archive.key}`,
      `                       download ${formatBytes(archive.size)}, verify its SHA-256, ${into}`,
      ...(archive.time > trustedUntil(Date.now()) ? [`                       note: ${archive.key} is dated in the future (a clock was wrong?)`] : []),
    ],
    json: { restore: { policy: policy.name, archive: archive.key, size: archive.size, to: opts.toDatadir ?? opts.toAdmin } },
    async run(log) {
      const dir = mkdtempSync(join(tmpdir(), 'hbr-restore-'));
      try {
        const file = join(dir, 'archive.tar.gz');
        await client.getFile(archive.key, file, { onProgress: progressLogger({ log }, 'download') });
        const info = await readArchiveInfo(file);
        if (opts.toDatadir) await restoreToDataDir(file, opts.toDatadir, { force: opts.force === true });
        else await restoreToAdmin(file, opts.toAdmin!, restoreAuth(policy.source.cluster));
        return {
          text: `Restore complete: ${archive.key} (${info.mode} archive, last zxid ${info.lastZxid}, taken ${info.takenAt}).\n`,
          json: { restored: archive.key, lastZxid: info.lastZxid, takenAt: info.takenAt },
        };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export const zookeeperRestore: RestoreCommand = {
  name: 'zookeeper',
  description: 'restore a ZooKeeper archive into an empty data dir or through the AdminServer',
  options: (cmd: Command) =>
    cmd
      .requiredOption('--policy <name>', 'the archive policy whose store holds the archive')
      .option('--archive <key>', 'this archive (a key as listed by the plan); default: the newest good one')
      .option('--at <time>', 'the newest good archive taken at or before this ISO-8601 time')
      .option('--to-datadir <dir>', "unpack into this (stopped) server's data dir; must be empty unless --force")
      .option('--to-admin <url>', 'POST the snapshot to this AdminServer (/commands/restore); credentials as for archives')
      .option('--force', 'restore into a non-empty data dir (its content is moved aside, never deleted)'),
  prepare,
};
