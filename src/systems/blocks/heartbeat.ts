/**
 * A run's liveness in the store (docs/blocks.md, "Run markers"; review finding 8): while a run's
 * upload or manifest step works it writes runs/<policy>/<run>.<beat>.beat at once and every
 * RUN_HEARTBEAT_MS, then removes its previous beat. Another hbr process (another state dir, no
 * shared lock) judges the run alive while a beat or the marker is younger than RUN_STALE_MS
 * (safety.ts runMarkers), and never sweeps a live run's marker or uploads.
 *
 * The beat's time is this machine's clock, or the run's time carried forward by the time elapsed
 * when that is later (HBR_NOW on a test bed walks the clock forward: names stay consistent with
 * the plan's). A failed beat is not fatal: the run goes on; at worst it looks dead to another
 * process, whose sweep then removes its marker (safe: gc_grace still keeps its fresh blocks).
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoreClient } from '../../stores/types.js';
import { RUN_HEARTBEAT_MS, RUN_STALE_MS, runBeatKey } from './names.js';

/** Puts a small text object if absent (a run marker, a heartbeat). */
export async function putText(client: StoreClient, key: string, text: string, dir: string): Promise<boolean> {
  const file = join(dir, `text-${Math.random().toString(36).slice(2)}`);
  await writeFile(file, text);
  try {
    return (await client.putFile(key, file)).created;
  } finally {
    await rm(file, { force: true });
  }
}

/**
 * The clock of an executor working for the run planned at `runAt`: this machine's clock, or the
 * run's time carried forward by the time elapsed when that is later (HBR_NOW on a test bed).
 */
export function runClock(runAt: number): () => number {
  const t0 = Date.now();
  return () => Math.max(Date.now(), runAt + (Date.now() - t0));
}

/** Starts the heartbeat of the run at `runAt` (the first beat is written before it returns); call the result to stop it. */
export async function startHeartbeat(client: StoreClient, policy: string, runAt: number, dir: string, log: (line: string) => void): Promise<() => Promise<void>> {
  const clock = runClock(runAt);
  let last: string | undefined;
  let warned = false;
  const beat = async (): Promise<void> => {
    const at = clock();
    const key = runBeatKey(policy, runAt, at);
    if (key === last) return;
    try {
      await putText(client, key, `${new Date(at).toISOString()}\n`, dir);
      if (last) await client.delete(last);
      last = key;
    } catch (err) {
      if (!warned) log(`heartbeat ${key} not written (${(err as Error).message}): the run goes on`);
      warned = true;
    }
  };
  await beat();
  let chain: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    chain = chain.then(beat);
  }, heartbeatMs());
  timer.unref();
  return async () => {
    clearInterval(timer);
    await chain;
  };
}

/**
 * The interval between beats: RUN_HEARTBEAT_MS, or HBR_RUN_HEARTBEAT_MS (1 s up to a third of
 * RUN_STALE_MS, so a live run always has a beat younger than the stale bound). The tests that watch a
 * run renew its beat set it short rather than wait a minute (test/integration/blocks-markers.test.ts).
 */
export function heartbeatMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.HBR_RUN_HEARTBEAT_MS;
  if (v === undefined || v === '') return RUN_HEARTBEAT_MS;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1000 || n > RUN_STALE_MS / 3) throw new Error(`HBR_RUN_HEARTBEAT_MS must be milliseconds from 1000 to ${RUN_STALE_MS / 3}, got ${JSON.stringify(v)}`);
  return n;
}
