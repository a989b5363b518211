/**
 * `hbr restore hdfs` (docs/restore.md): restores files or directories of a snapshot policy from a
 * recovery point, the source's own snapshot when it still has it, else the DR side's. Observes
 * (./restore-walk.ts), decides (./restore-plan.ts, pure), shows the plan; ./restore-run.ts carries it
 * out only on the destination the plan saw (re-walked before the copy), copies with DistCp
 * `-update`, deletes (--overwrite) exactly the listed extras, and verifies every copied file's
 * HDFS checksum against the recovery point before it says done.
 *
 * Idempotent and crash-safe: a second run finds the files identical and plans nothing; a run
 * killed mid-copy leaves complete files (DistCp writes a temporary file and renames it) or none and
 * a record of its intent (./restore-record.ts), and the next run removes that restore's temporary
 * files and copies what is still missing.
 */
import type { Command } from 'commander';
import { UserError } from '../../model/errors.js';
import { formatBytes, iso } from '../../model/format.js';
import type { Config } from '../../model/policy.js';
import { trustedUntil } from '../../model/names.js';
import type { RestoreCommand, RestoreContext, RestorePlan } from '../types.js';
import { hdfsCluster } from './exec-snapshots.js';
import { clientFor } from './observe.js';
import { ALL_PRESERVE, preserveArgs } from './preserve.js';
import { chooseRecoveryPoint, cleanSub, comparePath, join, type PathPlan, type Side, type SideSnapshots } from './restore-plan.js';
import { recordedByUnfinished, unfinishedRestores } from './restore-record.js';
import { runRestore } from './restore-run.js';
import { checksumsWhereLengthsMatch, walk } from './restore-walk.js';
import { isHdfsPolicy, type HdfsSnapshotPolicy } from './types.js';
import { cleanPath } from './check.js';
import { failedOverFrom, failoverMark } from './failover-mark.js';
import { xattrsDisabled } from './scratch.js';

/**
 * The writable copy when the pair is failed over (docs/failover.md): the replicate target whose
 * parent carries the failover mark naming this policy's source, observed now (never cached).
 * A mark that cannot be read is an error unless the operator said where to restore (--onto-source).
 */
async function writableCopy(config: Config, policy: HdfsSnapshotPolicy, ontoSource: boolean): Promise<{ cluster: string; path: string } | undefined> {
  const self = `${policy.source.cluster}:${policy.source.path}`;
  for (const r of policy.replicate) {
    const m = failoverMark(r.to.path);
    try {
      const fs = clientFor(hdfsCluster(config, r.to.cluster));
      if (!(await fs.stat(m.dir))) continue;
      // xattrs off on that cluster: no failover mark can exist there (./scratch.ts), so not failed over.
      const xattrs = await fs.getXAttrs(m.dir).catch((err: unknown) => {
        if (xattrsDisabled(err)) return {} as Record<string, string>;
        throw err;
      });
      if (failedOverFrom(xattrs, r.to.path) === self) return r.to;
    } catch (err) {
      if (ontoSource) continue;
      throw new UserError(
        `cannot tell whether policy ${policy.name} is failed over: the mark on ${r.to.cluster}:${m.dir} cannot be read (${(err as Error).message}); --onto-source restores onto ${self} anyway`,
      );
    }
  }
  return undefined;
}

interface Options {
  policy: string;
  path: string[];
  at?: string;
  snapshot?: string;
  from?: string;
  to?: string;
  overwrite?: boolean;
  ontoSource?: boolean;
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
  // Failed over, the DR copy is the writable one and the old primary stale: restored onto by default
  // is the writable copy; the old primary only with --onto-source, said loudly in the plan.
  const writable = await writableCopy(config, policy, o.ontoSource === true);
  const home = writable && !o.ontoSource ? { cluster: writable.cluster, root: writable.path } : { cluster: policy.source.cluster, root };
  const under = (p: string, r: string) => (p === r ? '' : p.startsWith(`${r === '/' ? '' : r}/`) ? p.slice(r === '/' ? 1 : r.length + 1) : undefined);
  const subs = (o.path.length ? o.path : ['']).map((p) => {
    // an absolute path inside the policy's directory (or the writable DR copy's), or one relative to it
    const rel = p.startsWith('/') ? (under(p, root) ?? (writable ? under(p, writable.path) : undefined)) : p.replace(/\/+$/, '');
    if (rel === undefined || !cleanSub(rel)) throw new UserError(`--path ${p}: not a path inside ${policy.source.cluster}:${root}`);
    return rel;
  });
  const dest = { cluster: home.cluster, root: o.to ?? home.root };
  if (o.to !== undefined && subs.some((s) => s === '') && (o.to === home.root || o.to.startsWith(`${home.root}/`))) {
    throw new UserError(`--to ${o.to} is inside ${home.root}, which is restored whole: restore beside it`);
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
  const chosen = chooseRecoveryPoint(sideList, {
    ...(o.snapshot !== undefined && { snapshot: o.snapshot }),
    at,
    trusted: trustedUntil(ctx.now),
    ...(o.from && { from: o.from as Side }),
    prefer: dest.cluster === policy.source.cluster ? 'source' : 'dr',
  });
  if ('error' in chosen) throw new UserError(`policy ${policy.name}: ${chosen.error}`);
  const from = chosen.from;
  const snapRoot = `${from.root === '/' ? '' : from.root}/.snapshot/${chosen.snapshot}`;
  const srcFs = clientFor(hdfsCluster(config, from.cluster));
  const dstFs = clientFor(hdfsCluster(config, dest.cluster));

  const plans: PathPlan[] = [];
  const unfinished = unfinishedRestores(ctx.stateDir);
  for (const sub of subs) {
    const [snap, there] = await Promise.all([walk(srcFs, join(snapRoot, sub)), walk(dstFs, join(dest.root, sub))]);
    if (!snap.length) throw new UserError(`${from.cluster}:${join(from.root, sub)} is not in ${chosen.snapshot}`);
    await checksumsWhereLengthsMatch(srcFs, join(snapRoot, sub), snap, dstFs, join(dest.root, sub), there);
    plans.push(comparePath(sub, snap, there, chosen.createdAt, recordedByUnfinished(unfinished, dest.cluster, join(dest.root, sub))));
  }

  const wanted = policy.preserve ?? ALL_PRESERVE;
  const overwrite = o.overwrite === true;
  const copying = (p: PathPlan) => p.copy.length > 0 || (overwrite && (p.differ.length > 0 || p.extra.length > 0 || p.extraDirs.length > 0));
  const work = plans.filter((p) => copying(p) || p.leftovers.length > 0);
  const bytes = (es: Array<{ length: number }>) => es.reduce((n, e) => n + e.length, 0);
  const copied = plans.flatMap((p) => [...p.copy, ...(overwrite ? p.differ : [])].map((e) => ({ sub: p.sub, ...e })));
  const source = `${from.cluster}:${snapRoot}`;
  const lines: string[] = [];
  const list = (sym: string, es: Array<{ rel: string; length: number }>, note: (e: never) => string = () => '') => {
    for (const e of es.slice(0, SHOW)) lines.push(`        ${sym} ${e.rel || '(the file itself)'} (${formatBytes(e.length)})${note(e as never)}`);
    if (es.length > SHOW) lines.push(`        … and ${es.length - SHOW} more (--json lists all)`);
  };
  if (writable) {
    const wc = `${writable.cluster}:${writable.path}`;
    const old = `${policy.source.cluster}:${root}`;
    lines.push(`  # THE PAIR IS FAILED OVER (docs/failover.md): ${wc} is the writable copy, ${old} the old primary (stale)`);
    lines.push(
      o.ontoSource
        ? `  # RESTORING ONTO THE OLD PRIMARY ${old} (--onto-source): the applications write ${wc}; a failback holds on what this writes there`
        : `  # restoring onto the writable copy ${dest.cluster}:${dest.root} (--onto-source restores onto the old primary instead)`,
    );
  }
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
    if (p.leftovers.length) lines.push(`        ${p.leftovers.length} temporary file${p.leftovers.length === 1 ? '' : 's'} (.distcp.tmp.*) of an interrupted restore of this state dir removed`);
    if (p.foreignTemps.length) {
      lines.push(`        ${p.foreignTemps.length} DistCp temporary file${p.foreignTemps.length === 1 ? '' : 's'} (.distcp.tmp.*) not hbr's (another DistCp may be writing there), left alone:`);
      for (const t of p.foreignTemps.slice(0, SHOW)) lines.push(`        ? ${t}`);
    }
    if (p.extra.length) {
      if (overwrite) {
        lines.push(`        ${p.extra.length === 1 ? '1 file not in the recovery point is' : `${p.extra.length} files not in the recovery point are`} DELETED (--overwrite):`);
        list('-', p.extra);
        for (const d of p.extraDirs.slice(0, SHOW)) lines.push(`        - ${d}/ (directory; removed if empty after)`);
      } else lines.push(`        ${p.extra.length === 1 ? '1 file not in the recovery point is' : `${p.extra.length} files not in the recovery point are`} kept`);
    }
  }
  if (work.length) {
    lines.push(`        copies with distcp -update ${preserveArgs(wanted).join(' ')}${overwrite ? '; deletes the files listed with - one by one, each only if unchanged since this plan' : ''}; every copied file's checksum is verified after`);
    lines.push(`        refused, nothing done, if anything at the destination changes between this plan and the copy`);
  }
  const json = {
    restore: {
      policy: policy.name,
      snapshot: chosen.snapshot,
      from: { side: from.side, cluster: from.cluster, path: from.root },
      to: { cluster: dest.cluster, path: dest.root },
      ...(writable && { failedOver: { writable: `${writable.cluster}:${writable.path}`, oldPrimary: `${policy.source.cluster}:${root}`, ontoOldPrimary: o.ontoSource === true } }),
      overwrite,
      paths: plans.map((p) => ({
        path: p.sub,
        copy: p.copy.map((e) => ({ path: e.rel, bytes: e.length })),
        differ: p.differ.map((e) => ({ path: e.rel, bytes: e.length, newer: e.newer, action: overwrite ? 'replace' : 'keep' })),
        extra: p.extra.map((e) => ({ path: e.rel, bytes: e.length, action: overwrite ? 'delete' : 'keep' })),
        same: p.same,
        ...(overwrite && p.extraDirs.length && { extraDirs: p.extraDirs }),
        leftovers: p.leftovers,
        ...(p.foreignTemps.length && { notHbrs: p.foreignTemps }),
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
    run: (log) =>
      runRestore(
        {
          config,
          policy: policy.name,
          stateDir: ctx.stateDir,
          hadoop: ctx.hadoop,
          signal: ctx.signal,
          snapshot: chosen.snapshot,
          from: { cluster: from.cluster, snapRoot },
          dest,
          srcFs,
          dstFs,
          work,
          overwrite,
          copied,
        },
        log,
      ),
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
      .option('--to <path>', "restore into this directory instead of the policy's own (beside the original), on the cluster restored onto")
      .option('--onto-source', 'when the pair is failed over: restore onto the old primary (the policy source) instead of the writable DR copy')
      .option('--overwrite', 'also replace files that differ from the recovery point and delete files it does not have'),
  prepare,
};
