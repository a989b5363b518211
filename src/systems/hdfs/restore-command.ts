/**
 * `hbr restore hdfs` (docs/restore.md): restores files or directories of a snapshot policy from a
 * recovery point, the source's own snapshot when it still has it, else the DR side's. Observes
 * (./restore-walk.ts), decides (./restore-plan.ts, pure), shows the plan; then copies with DistCp
 * `-update` and the policy's preserve flags (runDistcp in ./exec-distcp.ts), and verifies every
 * copied file's HDFS checksum against the recovery point before it says done.
 *
 * Idempotent and crash-safe by observation: a second run finds the files identical and plans
 * nothing; a run killed mid-copy leaves complete files (DistCp writes a temporary file and renames
 * it) or none, and the next run copies what is still missing.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join as pjoin } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../model/errors.js';
import { formatBytes, iso } from '../../model/format.js';
import type { Config } from '../../model/policy.js';
import { trustedUntil } from '../../model/names.js';
import type { RestoreCommand, RestoreContext, RestorePlan } from '../types.js';
import { hdfsCluster } from './exec-snapshots.js';
import { runDistcp } from './exec-distcp.js';
import { clientFor } from './observe.js';
import { ALL_PRESERVE, preserveArgs } from './preserve.js';
import { chooseRecoveryPoint, cleanSub, comparePath, exactPathFilter, join, type PathPlan, type Side, type SideSnapshots } from './restore-plan.js';
import { checksumsWhereLengthsMatch, fileAt, walk } from './restore-walk.js';
import { isHdfsPolicy } from './types.js';
import { cleanPath } from './check.js';

interface Options {
  policy: string;
  path: string[];
  at?: string;
  snapshot?: string;
  from?: string;
  to?: string;
  overwrite?: boolean;
}

/** commander's accumulator for the repeatable --path. */
function collectOption(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** At most this many files named per list in the text plan (the JSON has all). */
const SHOW = 200;

async function prepare(config: Config, raw: Record<string, unknown>, ctx: RestoreContext): Promise<RestorePlan> {
  const o = raw as unknown as Options;
  const policy = config.policies[o.policy];
  if (!isHdfsPolicy(policy)) throw new UserError(`no HDFS snapshot policy named '${o.policy}'`);
  if (o.at !== undefined && o.snapshot !== undefined) throw new UserError('--at and --snapshot are mutually exclusive');
  if (o.from !== undefined && o.from !== 'source' && o.from !== 'dr') throw new UserError(`--from is 'source' or 'dr', not '${o.from}'`);
  if (o.snapshot !== undefined && !/^[A-Za-z0-9._-]+$/.test(o.snapshot)) throw new UserError(`--snapshot ${JSON.stringify(o.snapshot)} is not a snapshot name`);
  if (o.to !== undefined && !cleanPath(o.to)) throw new UserError(`--to ${JSON.stringify(o.to)} is not a clean absolute path`);
  const at = o.at === undefined ? ctx.now : Date.parse(o.at);
  if (Number.isNaN(at)) throw new UserError(`--at is not an ISO-8601 time: ${o.at}`);
  const root = policy.source.path;
  const subs = (o.path.length ? o.path : ['']).map((p) => {
    // an absolute path inside the policy's directory, or one relative to it
    const rel = p.startsWith('/') ? (p === root ? '' : p.startsWith(`${root === '/' ? '' : root}/`) ? p.slice(root === '/' ? 1 : root.length + 1) : undefined) : p.replace(/\/+$/, '');
    if (rel === undefined || !cleanSub(rel)) throw new UserError(`--path ${p}: not a path inside ${policy.source.cluster}:${root}`);
    return rel;
  });
  const dest = { cluster: policy.source.cluster, root: o.to ?? root };
  if (o.to !== undefined && subs.some((s) => s === '') && (o.to === root || o.to.startsWith(`${root}/`))) {
    throw new UserError(`--to ${o.to} is inside ${root}, which is restored whole: restore beside it`);
  }

  // Which snapshots each side holds (observed now; never cached).
  const sideList: SideSnapshots[] = [];
  const listed = async (side: Side, cluster: string, path: string) => {
    const fs = clientFor(hdfsCluster(config, cluster));
    const st = await fs.stat(path);
    const snaps = st?.snapshotEnabled ? (await fs.getSnapshotList(path)).filter((s) => s.deletionStatus !== 'DELETED') : [];
    const names = snaps.map((s) => s.dirStatus.pathSuffix);
    sideList.push({ side, cluster, root: path, names, createdAt: Object.fromEntries(snaps.map((s) => [s.dirStatus.pathSuffix, s.dirStatus.modificationTime])) });
  };
  await listed('source', policy.source.cluster, root);
  for (const r of policy.replicate) await listed('dr', r.to.cluster, r.to.path).catch((err: Error) => {
    if (o.from === 'dr') throw new UserError(`DR side ${r.to.cluster}:${r.to.path}: ${err.message}`);
  });
  const chosen = chooseRecoveryPoint(sideList, { ...(o.snapshot !== undefined && { snapshot: o.snapshot }), at, trusted: trustedUntil(ctx.now), ...(o.from && { from: o.from as Side }) });
  if ('error' in chosen) throw new UserError(`policy ${policy.name}: ${chosen.error}`);
  const from = chosen.from;
  const snapRoot = `${from.root === '/' ? '' : from.root}/.snapshot/${chosen.snapshot}`;
  const srcFs = clientFor(hdfsCluster(config, from.cluster));
  const dstFs = clientFor(hdfsCluster(config, dest.cluster));

  const plans: PathPlan[] = [];
  for (const sub of subs) {
    const [snap, there] = await Promise.all([walk(srcFs, join(snapRoot, sub)), walk(dstFs, join(dest.root, sub))]);
    if (!snap.length) throw new UserError(`${from.cluster}:${join(from.root, sub)} is not in ${chosen.snapshot}`);
    await checksumsWhereLengthsMatch(srcFs, join(snapRoot, sub), snap, dstFs, join(dest.root, sub), there);
    plans.push(comparePath(sub, snap, there, chosen.createdAt));
  }

  const wanted = policy.preserve ?? ALL_PRESERVE;
  const overwrite = o.overwrite === true;
  const copying = (p: PathPlan) => p.copy.length > 0 || (overwrite && (p.differ.length > 0 || p.extra.length > 0));
  const work = plans.filter((p) => copying(p) || p.leftovers.length > 0);
  const bytes = (es: Array<{ length: number }>) => es.reduce((n, e) => n + e.length, 0);
  const copied = plans.flatMap((p) => [...p.copy, ...(overwrite ? p.differ : [])].map((e) => ({ sub: p.sub, ...e })));
  const source = `${from.cluster}:${snapRoot}`;
  const lines: string[] = [];
  const list = (sym: string, es: Array<{ rel: string; length: number }>, note: (e: never) => string = () => '') => {
    for (const e of es.slice(0, SHOW)) lines.push(`        ${sym} ${e.rel || '(the file itself)'} (${formatBytes(e.length)})${note(e as never)}`);
    if (es.length > SHOW) lines.push(`        … and ${es.length - SHOW} more (--json lists all)`);
  };
  lines.push(`  # recovery point ${chosen.snapshot}${chosen.time !== undefined ? ` (${iso(chosen.time)})` : ''} from the ${from.side === 'source' ? "source's own snapshot" : 'DR side'} ${from.cluster}:${from.root}`);
  for (const p of plans) {
    const to = `${dest.cluster}:${join(dest.root, p.sub)}`;
    const n = p.copy.length + (overwrite ? p.differ.length : 0);
    const sym = overwrite && (p.differ.length || p.extra.length) ? '-/+' : '+';
    lines.push(`  ${n || (overwrite && p.extra.length) ? sym : ' '} restore.hdfs  ${to} <- ${source}${p.sub ? `/${p.sub}` : ''}`);
    lines.push(`        ${n} file${n === 1 ? '' : 's'}, ${formatBytes(bytes(p.copy) + (overwrite ? bytes(p.differ) : 0))} to copy; ${p.same} already identical`);
    list('+', p.copy);
    if (overwrite) list('~', p.differ, (e: { newer: boolean }) => (e.newer ? ' REPLACES a version written after the snapshot' : ' REPLACES a differing file'));
    else if (p.differ.length) {
      lines.push(`        ${p.differ.length === 1 ? '1 file differs from the recovery point and is' : `${p.differ.length} files differ from the recovery point and are`} KEPT (--overwrite replaces ${p.differ.length === 1 ? 'it' : 'them'}):`);
      list('!', p.differ, (e: { newer: boolean }) => (e.newer ? ' written after the snapshot' : ''));
    }
    if (p.leftovers.length) lines.push(`        ${p.leftovers.length} temporary file${p.leftovers.length === 1 ? '' : 's'} of an interrupted DistCp (.distcp.tmp.*) removed`);
    if (p.extra.length) {
      if (overwrite) {
        lines.push(`        ${p.extra.length === 1 ? '1 file not in the recovery point is' : `${p.extra.length} files not in the recovery point are`} DELETED (--overwrite):`);
        list('-', p.extra);
      } else lines.push(`        ${p.extra.length === 1 ? '1 file not in the recovery point is' : `${p.extra.length} files not in the recovery point are`} kept`);
    }
  }
  if (work.length) lines.push(`        copies with distcp -update ${preserveArgs(wanted).join(' ')}${overwrite ? ' -delete' : ''}; every copied file's checksum is verified after`);
  const json = {
    restore: {
      policy: policy.name,
      snapshot: chosen.snapshot,
      from: { side: from.side, cluster: from.cluster, path: from.root },
      to: { cluster: dest.cluster, path: dest.root },
      overwrite,
      paths: plans.map((p) => ({
        path: p.sub,
        copy: p.copy.map((e) => ({ path: e.rel, bytes: e.length })),
        differ: p.differ.map((e) => ({ path: e.rel, bytes: e.length, newer: e.newer, action: overwrite ? 'replace' : 'keep' })),
        extra: p.extra.map((e) => ({ path: e.rel, bytes: e.length, action: overwrite ? 'delete' : 'keep' })),
        same: p.same,
        leftovers: p.leftovers,
      })),
      files: copied.length,
      bytes: bytes(copied),
    },
  };

  return {
    policy: policy.name,
    lines,
    json,
    noChanges: work.length === 0,
    async run(log) {
      const tmp = pjoin(ctx.stateDir, 'tmp');
      mkdirSync(tmp, { recursive: true });
      const exec = { config, signal: ctx.signal ?? new AbortController().signal, log, hadoop: ctx.hadoop, stateDir: ctx.stateDir };
      let bytesCopied = 0;
      for (const p of work) {
        const srcPath = join(snapRoot, p.sub);
        const dstPath = join(dest.root, p.sub);
        // What a killed DistCp left (RetriableFileCopyCommand's temporary files): never data, removed.
        for (const l of p.leftovers) await dstFs.delete(fileAt(dstPath, l));
        if (!copying(p)) continue;
        const parent = dstPath.slice(0, dstPath.lastIndexOf('/')) || '/';
        await dstFs.mkdirs(parent);
        const args = ['-update'];
        let filters: string | undefined;
        if (!overwrite && p.differ.length) {
          // Files that differ at the destination are the operator's to replace: DistCp skips them.
          filters = pjoin(tmp, `restore-filters-${process.pid}-${Date.now()}`);
          writeFileSync(filters, p.differ.map((e) => exactPathFilter(fileAt(srcPath, e.rel))).join('\n') + '\n');
          args.push('-filters', filters);
        }
        if (overwrite) args.push('-delete');
        const fsUri = (cluster: string, path: string) => `${hdfsCluster(config, cluster).fs.replace(/\/+$/, '')}${path}`;
        try {
          const out = await runDistcp(exec, { id: `restore.hdfs ${dest.cluster}:${dstPath}`, policy: policy.name, clusters: [from.cluster, dest.cluster] }, [
            ...args,
            fsUri(from.cluster, srcPath),
            fsUri(dest.cluster, dstPath),
          ]);
          bytesCopied += out.bytesCopied ?? 0;
        } finally {
          if (filters) rmSync(filters, { force: true });
        }
      }
      // Verify: every file the plan copied now has the recovery point's checksum.
      const bad: string[] = [];
      for (const f of copied) {
        const [a, b] = await Promise.all([
          srcFs.getFileChecksum(fileAt(join(snapRoot, f.sub), f.rel)),
          dstFs.getFileChecksum(fileAt(join(dest.root, f.sub), f.rel)).catch((err: Error) => ({ bytes: `(${err.message})`, length: -1, algorithm: '' })),
        ]);
        if (a.bytes !== b.bytes || a.length !== b.length) bad.push(join(f.sub, f.rel));
      }
      if (bad.length) {
        throw new UserError(`restore copied, but ${bad.length} file${bad.length === 1 ? '' : 's'} do not match the recovery point's checksum: ${bad.slice(0, 10).join(', ')}${bad.length > 10 ? ', …' : ''}`);
      }
      return {
        text: `Restore complete: ${copied.length} file${copied.length === 1 ? '' : 's'} (${formatBytes(bytesCopied)} copied) from ${chosen.snapshot}, checksums verified.\n`,
        json: { restored: chosen.snapshot, files: copied.length, bytesCopied, verified: copied.length },
      };
    },
  };
}

export const hdfsRestore: RestoreCommand = {
  name: 'hdfs',
  description: 'restore files or directories of an HDFS snapshot policy from a recovery point (source snapshot or DR side)',
  options: (cmd: Command) =>
    cmd
      .requiredOption('--policy <name>', 'the snapshot policy whose recovery points are restored')
      .option('--path <subpath>', "a file or directory inside the policy's directory (relative, or absolute under it); repeatable; default: all of it", collectOption, [])
      .option('--at <time>', 'the newest recovery point at or before this ISO-8601 time (default: now)')
      .option('--snapshot <name>', 'this snapshot')
      .option('--from <side>', "'source' (the source's own snapshot) or 'dr' (the DR side); default: the source when it has the snapshot")
      .option('--to <path>', "restore into this directory instead of the policy's own (beside the original)")
      .option('--overwrite', 'also replace files that differ from the recovery point and delete files it does not have'),
  prepare,
};
