/**
 * The HDFS restore drill (System.drill; docs/drills.md). For each site of the policy:
 *
 *   dr      the target's newest hbr snapshot S is restored with DistCp into a scratch directory
 *           beside the target on the DR cluster, and every file is compared (./drill-compare.ts)
 *           with the source's snapshot of the same name S: the DR copy restores to what was
 *           protected. When the source no longer has S (pruned), the restore is compared with the
 *           DR snapshot itself (it restores, and reads back as stored) and the check says so.
 *           Also: the target's live tree must not have changed since S (GETSNAPSHOTDIFF S..now):
 *           that tree is what a failover hands to applications, and a change there behind hbr's
 *           back is what the next replication would stop on.
 *   source  the source's newest hbr snapshot is restored into a second scratch directory on the
 *           same (DR) cluster, and compared with itself on the source.
 *
 * A policy without DR targets restores the source's snapshot beside the source path.
 *
 * The scratch copy runs `distcp -update -pbc`: block size and checksum type preserved, so the
 * MD5-of-MD5-of-CRC file checksums of the restore are comparable with the snapshot's (they depend
 * on both; hadoop-tools/hadoop-distcp RetriableFileCopyCommand compares them the same way).
 *
 * Scratch names are hbr's and dated: `<parent>/.hbr-drill-<target basename>-<yyyymmddThhmmssZ>-<site>`
 * (./scratch.ts). Each drill first removes every such name of its own targets (what a killed drill
 * left), and removes its own at the end, whether it passed, failed or was interrupted. Each place
 * is also recorded in the core's scratch ledger before it is made (src/engine/drill-scratch.ts), so
 * what a killed drill of a policy since removed (or moved, or no longer drilled) left is removed
 * too, by `removeDrillScratch` below, from any later drill.
 */
import { randomBytes } from 'node:crypto';
import { trackChild, untrackChild } from '../../hadoop/children.js';
import { parseJobCounters, runHadoopOk } from '../../hadoop/cli.js';
import { hdfsClusterOf } from '../../hadoop/cluster.js';
import { newestHbr } from '../../hadoop/snapshots.js';
import type { WebHdfs } from '../../hadoop/webhdfs.js';
import { trustedUntil } from '../../model/names.js';
import type { Config, PolicyBase } from '../../model/policy.js';
import type { DrillCheck, DrillContext, DrillResult, DrillScratchRef } from '../types.js';
import { checksumTree, compareTrees, describeDiff } from './drill-compare.js';
import { clientFor } from './observe.js';
import { drillScratch, isDrillScratchPath } from './scratch.js';
import type { HdfsLocation, HdfsSnapshotPolicy } from './types.js';

const snapPath = (path: string, snap: string) => `${path === '/' ? '' : path}/.snapshot/${snap}`;
const show = (l: HdfsLocation, snap?: string) => `${l.cluster}:${l.path}${snap ? `@${snap}` : ''}`;

interface Scratch {
  cluster: string;
  fs: WebHdfs;
  path: string;
  /** its record in the core's scratch ledger (DrillContext.scratch) */
  id: string;
}

async function snapshotsOf(fs: WebHdfs, path: string): Promise<string[]> {
  return (await fs.getSnapshotList(path)).map((s) => s.dirStatus.pathSuffix);
}

/** Removes the drill scratch a killed drill left beside `loc` (names only hbr's drills use). */
async function removeStale(fs: WebHdfs, loc: HdfsLocation, log: (m: string) => void): Promise<void> {
  const { parent, isMine } = drillScratch(loc.path);
  let list;
  try {
    list = await fs.listStatus(parent);
  } catch {
    return; // no parent: nothing left there
  }
  for (const s of list) {
    if (!isMine(s.pathSuffix)) continue;
    const p = `${parent === '/' ? '' : parent}/${s.pathSuffix}`;
    await fs.delete(p, true);
    log(`removed ${loc.cluster}:${p}, drill scratch an earlier drill left`);
  }
}

async function copy(ctx: DrillContext, from: string, to: string): Promise<void> {
  const marker = `hbr-step=${randomBytes(6).toString('hex')}`;
  let pid: number | undefined;
  // tracked like a replication's DistCp (src/hadoop/children.ts): a killed hbr's child is reaped
  const r = await runHadoopOk(['distcp', `-Dhbr.step=${marker}`, '-update', '-pbc', from, to], {
    hadoop: ctx.hadoop,
    signal: ctx.signal,
    onSpawn: (p) => {
      pid = p;
      trackChild(ctx.stateDir, { pid: p, marker, startedAt: Date.now(), step: `drill ${to}` });
    },
  }).finally(() => {
    if (pid !== undefined) untrackChild(ctx.stateDir, pid);
  });
  const c = parseJobCounters(r.stderr)['DistCp Counters'] ?? {};
  ctx.log(`restored ${from} into ${to}: ${c['Files Copied'] ?? 0} file(s), ${c['Bytes Copied'] ?? 0} bytes`);
}

export async function hdfsDrill(policy: PolicyBase, ctx: DrillContext): Promise<DrillResult> {
  const p = policy as HdfsSnapshotPolicy;
  const notAfter = trustedUntil(ctx.now);
  const cluster = (name: string) => hdfsClusterOf(ctx.config.clusters, name);
  const fsOf = (name: string) => clientFor(cluster(name));
  const uri = (name: string, path: string) => `${cluster(name).fs.replace(/\/+$/, '')}${path}`;

  const src = fsOf(p.source.cluster);
  const srcNames = await snapshotsOf(src, p.source.path);
  const srcNewest = newestHbr(srcNames, notAfter);
  if (!srcNewest && p.replicate.length === 0) throw new Error(`nothing to drill: ${show(p.source)} has no hbr snapshot`);

  // all scratch on the first DR cluster (beside its target); on the source when there is none
  const home = p.replicate[0]?.to ?? p.source;
  const homeFs = fsOf(home.cluster);
  const stamp = drillScratch(home.path).stamp(ctx.now);
  const made: Scratch[] = [];
  const scratchFor = (loc: HdfsLocation, site: string): Scratch => {
    const path = drillScratch(loc.path).name(stamp, site);
    // recorded before it exists: a kill from here on leaves a record the next sweep acts on
    const s = { cluster: loc.cluster, fs: loc === home ? homeFs : fsOf(loc.cluster), path, id: ctx.scratch.made({ cluster: loc.cluster, path }) };
    made.push(s);
    return s;
  };
  for (const t of p.replicate) await removeStale(fsOf(t.to.cluster), t.to, ctx.log);
  if (p.replicate.length === 0) await removeStale(src, p.source, ctx.log);

  const checks: DrillCheck[] = [];
  const points: string[] = [];
  let files = 0;
  let bytes = 0;
  /** restores `from` (a snapshot path on `fromCluster`) into scratch and compares it with `want` */
  const restoreAndCompare = async (what: string, fromCluster: string, from: string, scratch: Scratch, wantFs: WebHdfs, want: string) => {
    await copy(ctx, uri(fromCluster, from), uri(scratch.cluster, scratch.path));
    const [w, g] = await Promise.all([checksumTree(wantFs, want, ctx.signal), checksumTree(scratch.fs, scratch.path, ctx.signal)]);
    const d = compareTrees(w, g);
    files += d.files;
    bytes += d.bytes;
    const detail = describeDiff(d);
    checks.push({ what, ok: detail === undefined, ...(detail !== undefined && { detail }) });
  };

  try {
    for (const [i, t] of p.replicate.entries()) {
      const dr = fsOf(t.to.cluster);
      const newest = newestHbr(await snapshotsOf(dr, t.to.path), notAfter);
      if (!newest) {
        checks.push({ what: `${show(t.to)} restore`, ok: false, detail: 'no hbr snapshot to restore (not replicated yet?)' });
        continue;
      }
      points.push(show(t.to, newest.name));
      const live = await dr.getSnapshotDiff(t.to.path, newest.name, '');
      const changed = live.diffList.map((e) => `${e.type === 'RENAME' ? `${e.sourcePath} -> ${e.targetPath}` : e.sourcePath || '.'} (${e.type.toLowerCase()})`);
      checks.push({
        what: `${show(t.to)} unchanged since ${newest.name}`,
        ok: changed.length === 0,
        ...(changed.length > 0 && { detail: `changed behind hbr's back: ${changed.slice(0, 10).join(', ')}${changed.length > 10 ? ` and ${changed.length - 10} more` : ''}` }),
      });
      const scratch = scratchFor(t.to, `dr${i}`);
      const onSource = srcNames.includes(newest.name);
      const [wantFs, wantPath, wantShow] = onSource ? [src, snapPath(p.source.path, newest.name), show(p.source, newest.name)] : [dr, snapPath(t.to.path, newest.name), `${show(t.to, newest.name)} (the source no longer has it)`];
      await restoreAndCompare(`${show(t.to, newest.name)} restored to ${scratch.cluster}:${scratch.path} vs ${wantShow}`, t.to.cluster, snapPath(t.to.path, newest.name), scratch, wantFs, wantPath);
    }
    if (srcNewest) {
      points.push(show(p.source, srcNewest.name));
      const scratch = scratchFor(home, 'source');
      const snap = snapPath(p.source.path, srcNewest.name);
      await restoreAndCompare(`${show(p.source, srcNewest.name)} restored to ${scratch.cluster}:${scratch.path}`, p.source.cluster, snap, scratch, src, snap);
    } else {
      checks.push({ what: `${show(p.source)} restore`, ok: false, detail: 'the source has no hbr snapshot' });
    }
  } finally {
    for (const s of made) {
      try {
        await s.fs.delete(s.path, true);
        ctx.scratch.removed(s.id);
      } catch (err) {
        ctx.log(`could not remove drill scratch ${s.cluster}:${s.path} (the next drill will): ${(err as Error).message}`);
      }
    }
  }
  return { point: points.join(', '), ok: checks.length > 0 && checks.every((c) => c.ok), checks, files, bytes };
}

/**
 * System.removeDrillScratch: removes a scratch directory a killed drill recorded. The ledger is a
 * local file, so its path is believed only if it is a drill scratch by name (./scratch.ts) on a
 * cluster this configuration still defines; anything else is refused, never deleted.
 */
export async function removeHdfsDrillScratch(config: Config, ref: DrillScratchRef, log: (m: string) => void): Promise<void> {
  const { cluster, path } = ref;
  if (typeof cluster !== 'string' || typeof path !== 'string' || !isDrillScratchPath(path)) {
    throw new Error(`the ledger names ${JSON.stringify(ref)}, which is not a drill scratch directory: not removed`);
  }
  if (!config.clusters[cluster]) throw new Error(`cluster '${cluster}' of drill scratch ${path} is no longer configured: remove it by hand`);
  const fs = clientFor(hdfsClusterOf(config.clusters, cluster));
  if (await fs.delete(path, true)) log(`removed ${cluster}:${path}, drill scratch a killed drill left`);
}
