/**
 * Executors for ZooKeeper archive steps: take the archive into a private temp file, then put it
 * in the store with a conditional create (so two hbr processes never overwrite each other's
 * archive), and delete archives retention let go.
 */
import { rmSync } from 'node:fs';
import { scratchDir } from '../../engine/scratch.js';
import { crashPoint } from '../../model/faults.js';
import { join } from 'node:path';
import { parseArchiveKey } from '../../model/names.js';
import type { Config } from '../../model/policy.js';
import { openStore } from '../../stores/open.js';
import type { Progress } from '../../stores/types.js';
import type { Executor, ExecContext } from '../types.js';
import { AdminError } from './admin.js';
import { takeArchive } from './archive.js';
import { isArchivePolicy, isZookeeperCluster, type ArchiveParams, type ZookeeperCluster } from './types.js';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

/**
 * AdminServer digest credentials, from the environment only: HBR_ZK_ADMIN_AUTH_<CLUSTER> (cluster
 * name upper-cased, other characters as _) or HBR_ZK_ADMIN_AUTH, as "user:password".
 */
export function zkAdminAuth(cluster: string, env: NodeJS.ProcessEnv = process.env): { user: string; password: string } {
  const specific = `HBR_ZK_ADMIN_AUTH_${cluster.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  const raw = env[specific] ?? env.HBR_ZK_ADMIN_AUTH;
  const i = raw?.indexOf(':') ?? -1;
  if (!raw || i <= 0) throw new Error(`no AdminServer credentials for ZooKeeper cluster '${cluster}': set ${specific} or HBR_ZK_ADMIN_AUTH to user:password`);
  return { user: raw.slice(0, i), password: raw.slice(i + 1) };
}

function zkCluster(config: Config, name: string | undefined): ZookeeperCluster {
  const c = name ? config.clusters[name] : undefined;
  if (!isZookeeperCluster(c)) throw new Error(`'${name}' is not a ZooKeeper cluster in the policies`);
  return c;
}

/** A progress reporter that logs at most every 2 s, and only for transfers over 4 MiB. */
export function progressLogger(ctx: Pick<ExecContext, 'log'>, what: string): (p: Progress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if ((p.total ?? p.bytes) < 4 * 1024 * 1024 || now - last < 2000) return;
    last = now;
    const mib = (n: number) => (n / 1048576).toFixed(1);
    ctx.log(`${what} ${mib(p.bytes)}${p.total ? ` / ${mib(p.total)}` : ''} MiB`);
  };
}

export const archive: Executor<ArchiveParams> = async (step, ctx) => {
  const cluster = zkCluster(ctx.config, step.params.zookeeper);
  const store = ctx.config.stores[step.target.cluster];
  if (!store) throw new Error(`unknown store ${step.target.cluster}`);
  const dir = scratchDir(ctx.stateDir, 'zk-');
  try {
    const file = join(dir, 'archive.tar.gz');
    const source =
      cluster.mode === 'admin'
        ? { mode: 'admin' as const, adminUrl: cluster.admin!, auth: zkAdminAuth(cluster.name) }
        : { mode: 'datadir' as const, dataDir: cluster.datadir! };
    const client = await openStore(store);
    // Another hbr may be taking this very archive: the AdminServer then refuses the second
    // snapshot (its rate limit answers 429, or 500 on the streaming path), or the two snapshots
    // land on the same zxid and the second rewrites the file the first streams (cut short).
    // Check whether the other run's archive has landed, and if not, retry with backoff within
    // the step's deadline.
    let info: Awaited<ReturnType<typeof takeArchive>> | undefined;
    for (let attempt = 0; !info; attempt++) {
      if (await client.head(step.target.path)) return { note: `${client.url}${step.target.path} already exists (written by another hbr run): kept it` };
      try {
        info = await takeArchive(source, file, { signal: ctx.signal });
      } catch (err) {
        const status = err instanceof AdminError ? err.status : undefined;
        const retryable = status === 429 || status === 500 || (err instanceof AdminError && err.retryable);
        if (!retryable || attempt >= 5 || ctx.signal.aborted) throw err;
        ctx.log(`${(err as Error).message}; retrying`);
        await sleep(500 * 2 ** attempt, ctx.signal);
      }
    }
    crashPoint(`archive:taken ${step.id}`);
    const put = await client.putFile(step.target.path, file, { signal: ctx.signal, onProgress: progressLogger(ctx, 'upload') });
    if (!put.created) return { note: `${client.url}${step.target.path} already exists (written by another hbr run): kept it` };
    return { bytesCopied: put.size, note: `${cluster.mode} archive, last zxid ${info.lastZxid}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

export const deleteObject: Executor = async (step, ctx) => {
  const policy = ctx.config.policies[step.policy];
  // Belt and braces: safety.ts already refuses it; an executor never deletes what is not an
  // archive of the policy's own prefix, whatever plan it is handed.
  if (!isArchivePolicy(policy) || parseArchiveKey(policy.archive.prefix, step.target.path) === undefined) {
    throw new Error(`refusing to delete ${step.target.path}: not an archive of policy ${step.policy}`);
  }
  const store = ctx.config.stores[step.target.cluster];
  if (!store) throw new Error(`unknown store ${step.target.cluster}`);
  await (await openStore(store)).delete(step.target.path);
  return {};
};
