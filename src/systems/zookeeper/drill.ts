/**
 * The ZooKeeper archive drill (`hbr verify`, docs/drills-zookeeper.md): the policy's newest trusted
 * archive is downloaded into a scratch dir under `<stateDir>/tmp` (its SHA-256 checked by the
 * store client), unpacked into a scratch data dir the way `hbr restore zookeeper --to-datadir`
 * does it (restore.ts: manifest, entry sizes, snapshot seal, whole logs), then loaded and
 * replayed in TypeScript (replay.ts) to count the znodes and compare the digests ZooKeeper
 * recorded. No server is started and nothing outside the scratch dir is written.
 */
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { scratchDir } from '../../engine/scratch.js';
import { trustedUntil } from '../../model/names.js';
import { storeKey } from '../../model/observed.js';
import type { PolicyBase } from '../../model/policy.js';
import { openStore } from '../../stores/open.js';
import type { DrillCheck, DrillContext, DrillResult } from '../types.js';
import { observeStores } from './observe.js';
import { ownedArchives } from './plan.js';
import { replayDataDir } from './replay.js';
import { restoreToDataDir } from './restore.js';
import { progressLogger } from './steps.js';
import { isArchivePolicy } from './types.js';

export async function drillArchivePolicy(policy: PolicyBase, ctx: DrillContext): Promise<DrillResult> {
  if (!isArchivePolicy(policy)) throw new Error(`policy ${policy.name} is not a ZooKeeper archive policy`);
  const storeName = policy.archive.to;
  const store = ctx.config.stores[storeName];
  if (!store) throw new Error(`policy ${policy.name}: unknown store ${storeName}`);

  // Always observe: the newest archive the policy owns, never one named in the future of now.
  const { stores, errors } = await observeStores(ctx.config, { targets: [policy.name] });
  const listing = stores[storeKey(storeName, policy.archive.prefix)];
  if (!listing) throw new Error(errors.map((e) => e.message).join('; ') || `store ${storeName} could not be listed`);
  const owned = ownedArchives(policy, listing, trustedUntil(ctx.now));
  const newest = owned[owned.length - 1];
  if (!newest) throw new Error(`policy ${policy.name}: no archive to drill in store ${storeName} (prefix '${policy.archive.prefix}')`);

  const point = `${storeName}:${newest.key}`;
  const checks: DrillCheck[] = [];
  const result: DrillResult = { point, ok: false, checks, bytes: newest.size };
  const done = (): DrillResult => {
    result.ok = checks.length > 0 && checks.every((c) => c.ok);
    return result;
  };
  const client = await openStore(store);
  const dir = scratchDir(ctx.stateDir, 'zk-drill-');
  try {
    ctx.log(`drill ${policy.name}: ${client.url}${newest.key}`);
    const file = join(dir, 'archive.tar.gz');
    try {
      await client.getFile(newest.key, file, { signal: ctx.signal, onProgress: progressLogger(ctx, 'download') });
      checks.push({ what: `download ${newest.key} (SHA-256 verified)`, ok: true });
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      checks.push({ what: `download ${newest.key}`, ok: false, detail: (err as Error).message });
      return done();
    }
    result.bytes = (await stat(file)).size;

    let lastZxid: bigint;
    try {
      ctx.signal.throwIfAborted();
      const restored = await restoreToDataDir(file, join(dir, 'data'));
      lastZxid = BigInt(restored.lastZxid);
      result.files = restored.files.length;
      checks.push({ what: `archive ${newest.key}: ${restored.files.length} files, unpacked into a scratch data dir`, ok: true });
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      checks.push({ what: `archive ${newest.key}`, ok: false, detail: (err as Error).message.replace(file, newest.key) });
      return done();
    }

    ctx.signal.throwIfAborted();
    const replay = await replayDataDir(join(dir, 'data'), lastZxid, ctx.signal);
    checks.push(...replay.checks);
    ctx.log(`drill ${policy.name}: ${replay.znodes ?? '?'} znodes, ${replay.txns} txns replayed, ${replay.digestsCompared} txn digests compared`);
    return done();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
