/**
 * What the audit observes, read only, over the NameNode's HTTP server (docs/audit.md):
 *  - JMX FSNamesystem MissingBlocks / CorruptBlocks / LowRedundancyBlocks (src/hadoop/health.ts);
 *  - GETSERVERDEFAULTS trashInterval, the interval clients use (docs/design/blocks-proposal.md §5.1:
 *    Trash.moveToAppropriateTrash takes the server's value), and /conf fs.trash.checkpoint.interval;
 *  - a LISTSTATUS walk of the path for replication factors, bounded parallelism (§5.3), only with
 *    min_replication;
 *  - GETQUOTAUSAGE of the path and each ancestor (§5.2: a quota on /data limits /data/warehouse).
 * Each part that fails is left out and reported in `errors`; the others still count.
 */
import pLimit from 'p-limit';
import { isHdfsCluster, type HdfsCluster } from '../../hadoop/cluster.js';
import { readCorruptFiles } from '../../hadoop/corrupt-files.js';
import { observeHdfsHealth, readNameNodeConf } from '../../hadoop/health.js';
import type { WebHdfs, FileStatus } from '../../hadoop/webhdfs.js';
import { webhdfsFor } from '../../hadoop/webhdfs-client.js';
import type { Observed } from '../../model/observed.js';
import type { Config } from '../../model/policy.js';
import type { ObservedPart, ObserveOptions } from '../types.js';
import { LOW_LISTED, type AuditObservation, type AuditPart, type AuditPolicy, type ObservedQuota } from './types.js';

/** Simple auth's user, as Hadoop's clients pick it (src/hadoop/webhdfs-client.ts). */
const client = (c: HdfsCluster, timeoutMs: number | undefined): WebHdfs => webhdfsFor(c, timeoutMs);

export async function observeAudits(config: Config, policies: AuditPolicy[], opts: ObserveOptions): Promise<ObservedPart> {
  const errors: Observed['errors'] = [];
  const part: AuditPart = {};
  await Promise.all(
    policies.map(async (p) => {
      const c = config.clusters[p.source.cluster];
      if (!isHdfsCluster(c)) return;
      part[p.name] = await observeOne(p, c, opts.timeoutMs, (message) => errors.push({ cluster: p.source.cluster, path: p.source.path, message }));
    }),
  );
  return { errors, part };
}

async function observeOne(p: AuditPolicy, c: HdfsCluster, timeoutMs: number | undefined, error: (m: string) => void): Promise<AuditObservation> {
  const fs = client(c, timeoutMs);
  const o: AuditObservation = { policy: p.name, cluster: p.source.cluster, path: p.source.path };
  const tries = (what: string, f: () => Promise<void>) => f().catch((err: Error) => error(`audit: ${what}: ${err.message}`));
  await Promise.all([
    tries('block health', async () => {
      const h = await observeHdfsHealth(c, { ...(timeoutMs && { timeoutMs }) });
      o.blocks = { missing: h.missingBlocks, corrupt: h.corruptBlocks, lowRedundancy: h.underReplicatedBlocks };
      if (h.missingBlocks + h.corruptBlocks > 0) {
        const damaged = await damagedFiles(c, p.source.path, timeoutMs ?? 10_000);
        if (damaged?.length) o.blocks.damaged = damaged;
      }
    }),
    tries('trash', async () => {
      const d = await fs.getServerDefaults();
      if (typeof d.trashInterval !== 'number') throw new Error('GETSERVERDEFAULTS has no trashInterval');
      const cp = Number(await readNameNodeConf(c, 'fs.trash.checkpoint.interval', timeoutMs));
      o.trash = { intervalMinutes: d.trashInterval, ...(Number.isFinite(cp) && { checkpointMinutes: cp }) };
    }),
    tries('quotas', async () => {
      o.quotas = await observeQuotas(fs, p.source.path);
    }),
    ...(p.audit.minReplication !== undefined ? [tries(`replication walk of ${p.source.path}`, async () => { o.walk = await walk(fs, p.source.path, p.audit.minReplication!, p.audit.concurrency); })] : []),
  ]);
  return o;
}

/** `/a/b` → `/`, `/a`, `/a/b`. */
export function selfAndAncestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return ['/', ...parts.map((_, i) => '/' + parts.slice(0, i + 1).join('/'))];
}

/**
 * The quotas set on the path and its ancestors, root first, one request each, one after another
 * (an ancestor without a quota costs the NameNode a content-summary walk of it: §5.2).
 */
async function observeQuotas(fs: WebHdfs, path: string): Promise<ObservedQuota[]> {
  const out: ObservedQuota[] = [];
  for (const at of selfAndAncestors(path)) {
    const u = await fs.getQuotaUsage(at);
    // -1 = no quota; the root carries Long.MAX_VALUE as its name quota when none was set
    const set = (q: number) => q >= 0 && q < Number.MAX_SAFE_INTEGER;
    if (set(u.quota)) out.push({ path: at, kind: 'names', quota: u.quota, used: u.fileAndDirectoryCount });
    if (set(u.spaceQuota)) out.push({ path: at, kind: 'space', quota: u.spaceQuota, used: u.spaceConsumed });
    for (const [type, t] of Object.entries(u.typeQuota ?? {})) if (set(t.quota)) out.push({ path: at, kind: `type:${type}`, quota: t.quota, used: t.consumed });
  }
  return out;
}

/**
 * LISTSTATUS of every directory under `root`, `concurrency` at a time. Files with a replication
 * factor below `min` are counted (EC files are left out: they report 1, §5.3); `.Trash`
 * directories are not walked (what is there was deleted already).
 */
export async function walk(fs: WebHdfs, root: string, min: number, concurrency: number): Promise<NonNullable<AuditObservation['walk']>> {
  const limit = pLimit(concurrency);
  const w = { files: 0, dirs: 0, ec: 0, requests: 0, lowCount: 0, low: [] as Array<{ path: string; replication: number }> };
  const rootStatus = await fs.getFileStatus(root);
  w.requests++;
  const visitFile = (path: string, s: FileStatus) => {
    w.files++;
    if ((s as FileStatus & { ecBit?: boolean }).ecBit) {
      w.ec++;
      return;
    }
    if (s.replication < min) {
      w.lowCount++;
      w.low.push({ path, replication: s.replication });
      // only the first LOW_LISTED by path are kept: a whole cluster at replication 1 is millions
      if (w.low.length >= 4 * LOW_LISTED) w.low = byPath(w.low).slice(0, LOW_LISTED);
    }
  };
  if (rootStatus.type === 'FILE') visitFile(root, rootStatus);
  else {
    const listDir = async (dir: string): Promise<void> => {
      w.dirs++;
      const entries = await limit(() => fs.listStatus(dir));
      w.requests++;
      const subdirs: Promise<void>[] = [];
      for (const s of entries) {
        const path = dir === '/' ? `/${s.pathSuffix}` : `${dir}/${s.pathSuffix}`;
        if (s.type === 'DIRECTORY' && s.pathSuffix !== '.Trash') subdirs.push(listDir(path));
        else if (s.type === 'FILE') visitFile(path, s);
      }
      await Promise.all(subdirs);
    };
    await listDir(root);
  }
  w.low = byPath(w.low).slice(0, LOW_LISTED);
  return w;
}

const byPath = <T extends { path: string }>(xs: T[]): T[] => xs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

/**
 * The damaged files under `root` the NameNode names (src/hadoop/corrupt-files.ts: NameNodeInfo
 * CorruptFiles, shared with the block restore), the first LOW_LISTED by path; undefined when it
 * could not tell (the finding then only counts).
 */
async function damagedFiles(c: HdfsCluster, root: string, timeoutMs: number): Promise<string[] | undefined> {
  try {
    const { files } = await readCorruptFiles(c, timeoutMs);
    const under = (p: string) => root === '/' || p === root || p.startsWith(`${root}/`);
    return [...new Set(files.map((f) => f.path).filter(under))].sort().slice(0, LOW_LISTED);
  } catch {
    return undefined;
  }
}
