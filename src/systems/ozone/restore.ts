/**
 * `hbr restore ozone` (docs/ozone.md, "Restores"): a bucket, or a key or directory in it, from a
 * recovery point — the source's own snapshot or the DR side's — into a place that does not exist
 * yet (a new bucket, or a path beside the original), as a plan first. A destination that exists
 * is refused; `--overwrite` restores over the original place instead, a `-/+` that keeps what it
 * replaces in a snapshot first (./restore-overwrite.ts). The copy
 * is DistCp over ofs:// through the shared launcher (src/hadoop/distcp.ts), from
 * `<bucket>/.snapshot/<name>[/<path>]`; afterwards the destination's file count and bytes are
 * compared with the recovery point's.
 */
import type { Command } from 'commander';
import { hbrNewestFirst } from '../../hadoop/snapshots.js';
import { runDistcpJob } from '../../hadoop/distcp.js';
import { UserError } from '../../model/errors.js';
import { iso } from '../../model/format.js';
import { LOWER_CASE_NAMING, trustedUntil } from '../../model/names.js';
import type { Config } from '../../model/policy.js';
import type { RestoreCommand, RestoreContext, RestorePlan } from '../types.js';
import { gatewayFor } from './observe.js';
import { prepareOverwrite } from './restore-overwrite.js';
import { bucketOfSide, isOzoneCluster, isOzonePolicy, isVolumePolicy, pairFor, snapshotDir, type OzoneCluster } from './types.js';

interface Options {
  policy: string;
  bucket?: string;
  from?: string;
  at?: string;
  path?: string;
  to?: string;
  toCluster?: string;
  overwrite?: boolean;
}

const SEGMENT = /^[A-Za-z0-9._=+@,-]+$/;
const clean = (p: string) => p.split('/').every((s) => SEGMENT.test(s) && s !== '.' && s !== '..');

async function prepare(config: Config, raw: Record<string, unknown>, ctx: RestoreContext): Promise<RestorePlan> {
  const o = raw as unknown as Options;
  const policy = config.policies[o.policy];
  if (!isOzonePolicy(policy)) throw new UserError(`no Ozone policy named '${o.policy}'`);
  const bucket = o.bucket ?? (isVolumePolicy(policy) ? undefined : policy.source.bucket);
  if (bucket === undefined) throw new UserError(`policy ${policy.name} covers every bucket of volume ${policy.source.volume}: say which with --bucket`);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new UserError(`--bucket ${JSON.stringify(bucket)} is not an Ozone bucket name`);
  const pair = pairFor(policy, bucket);
  if (!bucketOfSide(policy, pair.source)) throw new UserError(`bucket ${bucket} is not one of policy ${policy.name}'s`);
  if (o.from !== undefined && o.from !== 'source' && o.from !== 'dr') throw new UserError(`--from is 'source' or 'dr', not '${o.from}'`);
  const from = o.from ?? (pair.targets.length ? 'dr' : 'source');
  const side = from === 'source' ? pair.source : pair.targets[0]?.side;
  if (!side) throw new UserError(`policy ${policy.name} replicates nowhere: no DR side to restore from`);
  const sub = o.path?.replace(/^\/+|\/+$/g, '') ?? '';
  if (sub !== '' && !clean(sub)) throw new UserError(`--path ${JSON.stringify(o.path)} is not a clean path inside the bucket`);
  if (o.overwrite && (o.to !== undefined || o.toCluster !== undefined)) throw new UserError('--overwrite restores over the original place: it takes no --to or --to-cluster');
  if (!o.overwrite && o.to === undefined) throw new UserError('say where to restore: --to /volume/bucket[/path] (a new place), or --overwrite (over the original)');
  const toCluster = o.toCluster ?? policy.source.cluster;
  const dstCluster = config.clusters[toCluster];
  if (!isOzoneCluster(dstCluster)) throw new UserError(`--to-cluster ${toCluster} is not an Ozone cluster of the policies`);
  // over the original: the same bucket (and path in it) on the source cluster
  const to = o.to ?? `${pair.source.path}${sub ? `/${sub}` : ''}`;
  if (!to.startsWith('/') || !clean(to.slice(1)) || to.split('/').length < 3) throw new UserError(`--to ${JSON.stringify(to)} is not /volume/bucket[/path]`);
  const at = o.at === undefined ? ctx.now : Date.parse(o.at);
  if (Number.isNaN(at)) throw new UserError(`--at is not an ISO-8601 time: ${o.at}`);

  // The recovery points on the side asked for, observed now (never cached): the newest hbr snapshot at or before --at.
  const srcCluster = config.clusters[side.cluster] as OzoneCluster;
  const src = gatewayFor(srcCluster);
  const listed = await src.listStatus(snapshotDir(side.path)).catch((err: Error) => {
    throw new UserError(`${side.cluster}:${side.path}: ${err.message}`);
  });
  const names = listed.map((s) => s.pathSuffix);
  const point = hbrNewestFirst(names, Math.min(at, trustedUntil(ctx.now)), LOWER_CASE_NAMING.parse)[0];
  if (!point) throw new UserError(`${side.cluster}:${side.path} has no hbr snapshot at or before ${iso(at)}`);
  const from_ = `${snapshotDir(side.path)}/${point.name}${sub ? `/${sub}` : ''}`;
  const what = await src.stat(from_);
  if (!what) throw new UserError(`${sub || 'the bucket'} is not in ${side.cluster}:${side.path}@${point.name}`);
  const summary = await src.getContentSummary(from_);
  const dst = gatewayFor(dstCluster);
  const existing = await dst.stat(to);
  if (existing && !o.overwrite) throw new UserError(`${toCluster}:${to} exists: a restore goes to a new place (it never replaces anything); --overwrite restores over the original, keeping it in a snapshot first`);

  const source = `${side.cluster}:${side.path}@${point.name}${sub ? `/${sub}` : ''}`;
  const header = `  # recovery point ${point.name} (${iso(point.time)}) from the ${from === 'source' ? "source's own snapshot" : 'DR side'} ${side.cluster}:${side.path}`;
  const json = { from: { cluster: side.cluster, bucket: side.path, snapshot: point.name, path: sub }, to: { cluster: toCluster, path: to }, files: summary.fileCount, bytes: summary.length };
  // when the snapshot was taken by the server's clock, which key times are written with (as HDFS's restore, docs/restore.md)
  const takenAt = listed.find((s) => s.pathSuffix === point.name)?.modificationTime || point.time;
  if (existing) return prepareOverwrite({ ctx, policy: policy.name, srcFs: src, dstFs: dst, srcCluster, dstCluster, toCluster, from_, to, bucket: pair.source.path, rel: sub ? `/${sub}` : '', point, takenAt, source, header, json, summary, file: what.type === 'FILE' });
  const lines = [header, `  + restore.ozone  ${toCluster}:${to} <- ${source}`, `        ${summary.fileCount} file${summary.fileCount === 1 ? '' : 's'}, ${summary.length} bytes; ${toCluster}:${to} does not exist, nothing is replaced`];
  return {
    policy: policy.name,
    lines,
    json,
    run: async (log) => {
      const file = what.type === 'FILE';
      // Nothing was at --to when this was planned (and shown); something may be now (a confirmation
      // that waited, a saved plan): DistCp would write over it. Look again; refuse if anything is there.
      if (await dst.stat(to)) throw new Error(`${toCluster}:${to} exists now; it did not when this restore was planned, and a restore to a new place never writes over anything: nothing copied; plan again`);
      // a file goes to exactly --to; a directory or bucket's content into --to (made first: MKDIRS makes a volume's bucket too)
      const parent = file ? to.slice(0, to.lastIndexOf('/')) : to;
      if (parent.split('/').length >= 3) await dst.mkdirs(parent);
      const opts = dstCluster.replication !== undefined ? [`-Dozone.replication=${dstCluster.replication}`] : [];
      const counts = await runDistcpJob(`restore.ozone:${toCluster}:${to}`, { hadoop: ctx.hadoop, stateDir: ctx.stateDir, ...(ctx.signal && { signal: ctx.signal }), log }, [
        ...opts,
        ...(file ? [] : ['-update']),
        `${srcCluster.fs}${from_}`,
        `${dstCluster.fs}${to}`,
      ]);
      const after = await dst.getContentSummary(to);
      if (after.fileCount !== summary.fileCount || after.length !== summary.length) {
        throw new Error(`restore of ${source} into ${toCluster}:${to} incomplete: ${after.fileCount} files / ${after.length} bytes there, ${summary.fileCount} / ${summary.length} in the recovery point`);
      }
      return {
        text: `Restored ${source} into ${toCluster}:${to}: ${counts.filesCopied} files, ${counts.bytesCopied} bytes copied; ${after.fileCount} files, ${after.length} bytes there, as in the recovery point.\n`,
        json: { ...json, copied: counts },
      };
    },
  };
}

export const ozoneRestore: RestoreCommand = {
  name: 'ozone',
  description: 'restore an Ozone bucket, or a key or directory in it, from a recovery point (source snapshot or DR side) into a new place, or over the original (--overwrite)',
  options: (cmd: Command) =>
    cmd
      .requiredOption('--policy <name>', 'the Ozone policy whose recovery points are restored')
      .option('--to <path>', '/volume/bucket[/path] to restore into; must not exist (nothing is replaced)')
      .option('--overwrite', 'restore over the original bucket or path instead (-/+): keeps it in a pre-restore-<time> snapshot first')
      .option('--bucket <name>', 'the bucket (required for a volume policy, bucket: "*")')
      .option('--path <key-or-dir>', 'a key or directory inside the bucket (default: all of it)')
      .option('--from <side>', "'source' (the source's own snapshot) or 'dr' (the DR side); default: dr when the policy replicates")
      .option('--at <time>', 'the newest recovery point at or before this ISO-8601 time (default: now)')
      .option('--to-cluster <name>', 'the Ozone cluster restored onto (default: the policy source)'),
  prepare,
};
