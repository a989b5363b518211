/**
 * Observes HBase backup policies (level-triggered: nothing kept between runs): over the cluster's
 * REST gateway its backup sessions, the lock and a namespace's tables; over WebHDFS of the backup
 * root's cluster each COMPLETE backup's image against hbr's record of it (./image.ts).
 */
import pLimit from 'p-limit';
import { isHdfsCluster } from '../../hadoop/cluster.js';
import { webhdfsFor } from '../../hadoop/webhdfs-client.js';
import type { Observed } from '../../model/observed.js';
import type { Config } from '../../model/policy.js';
import type { ObservedPart, ObserveOptions } from '../types.js';
import type { BackupSession } from './backup-info.js';
import { observeDebris, rootdirOf } from './debris.js';
import { compareImage, readRecord, summarize } from './image.js';
import { rootUri } from './load.js';
import { HbaseRest } from './rest.js';
import { isHbaseCluster, type HbaseBackupPolicy, type HbaseObserved, type HbasePolicyObserved, type ObservedBackup } from './types.js';

/** One URI spelling per root: no trailing slash, scheme and authority lower-cased. */
export function sameRoot(a: string, b: string): boolean {
  const norm = (u: string) => u.replace(/\/+$/, '').replace(/^([a-z0-9+.-]+:\/\/[^/]*)/i, (m) => m.toLowerCase());
  return norm(a) === norm(b);
}

interface ClusterView { sessions: BackupSession[]; locked: boolean }

export async function observeHbase(config: Config, policies: HbaseBackupPolicy[], opts: ObserveOptions): Promise<ObservedPart> {
  const errors: Observed['errors'] = [];
  const part: HbaseObserved = {};
  const limit = pLimit(8);
  // One read of each cluster's sessions and lock per observation, shared by its policies.
  const views = new Map<string, Promise<ClusterView>>();
  const view = (name: string, rest: HbaseRest): Promise<ClusterView> => {
    let v = views.get(name);
    if (!v) {
      v = Promise.all([rest.sessions(), rest.locked()]).then(([sessions, locked]) => ({ sessions, locked }));
      views.set(name, v);
    }
    return v;
  };
  await Promise.all(policies.map(async (p) => {
    const c = config.clusters[p.source.cluster];
    const r = config.clusters[p.hbase.root.cluster];
    const root = rootUri(config, p);
    if (!isHbaseCluster(c) || !isHdfsCluster(r) || !root) return;
    const rest = new HbaseRest(c.rest, opts.timeoutMs);
    let obs: HbasePolicyObserved;
    try {
      let tables = p.hbase.tables ?? [];
      if (p.hbase.namespace !== undefined) {
        const listed = await rest.namespaceTables(p.hbase.namespace);
        if (!listed) throw new Error(`namespace ${p.hbase.namespace} does not exist`);
        tables = listed;
      }
      const v = await view(c.name, rest);
      const running = v.sessions.filter((s) => s.state === 'RUNNING').map((s) => ({ id: s.id, root: s.root, tables: s.tables, phase: s.phase, startTs: s.startTs }));
      obs = { tables, locked: v.locked, running, backups: v.sessions.filter((s) => sameRoot(s.root, root)).map((s) => ({ ...s, image: 'unchecked' })) };
    } catch (err) {
      errors.push({ cluster: p.source.cluster, message: (err as Error).message });
      return;
    }
    const fs = webhdfsFor(r, opts.timeoutMs);
    try {
      obs.backups = await Promise.all(obs.backups.map((b) => limit(async (): Promise<ObservedBackup> => {
        if (b.state !== 'COMPLETE') return b;
        const rec = await readRecord(fs, p.hbase.root.path, b.id);
        if (!rec) return { ...b, image: 'unrecorded' };
        const diff = compareImage(rec, await summarize(fs, p.hbase.root.path, b.id));
        return diff ? { ...b, image: 'bad', imageDetail: diff } : { ...b, image: 'ok' };
      })));
    } catch (err) {
      errors.push({ cluster: p.hbase.root.cluster, path: p.hbase.root.path, message: `cannot check the backup images: ${(err as Error).message}` });
      return;
    }
    // What sessions that did not complete left (./debris.ts): looked for, never fatal to the policy's plan.
    const rootdir = rootdirOf(config, c);
    try {
      obs.debris = await observeDebris(obs.backups, p, rootdir, (name) => (name === r.name ? fs : webhdfsFor(rootdir!.cluster, opts.timeoutMs)));
    } catch (err) {
      errors.push({ cluster: rootdir?.cluster.name ?? p.source.cluster, message: `cannot look for what failed backups left: ${(err as Error).message}` });
    }
    part[p.name] = obs;
  }));
  return { errors, part };
}
