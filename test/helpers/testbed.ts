/** Endpoints of the running test bed (written by testbed/up), for integration tests. */
import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface TestBed {
  HBR_TB_PRIMARY_WEBHDFS: string;
  HBR_TB_PRIMARY_FS: string;
  HBR_TB_DR_WEBHDFS: string;
  HBR_TB_DR_FS: string;
  HBR_TB_HDFS_USER: string;
  HBR_TB_ZK_CONNECT: string;
  HBR_TB_ZK_ADMIN: string;
  HBR_TB_ZK_ADMIN_USER: string;
  HBR_TB_ZK_ADMIN_PASSWORD: string;
  HBR_TB_ZK_DATADIR: string;
  HBR_TB_S3_ENDPOINT: string;
  HBR_TB_S3_REGION: string;
  HBR_TB_S3_ACCESS_KEY: string;
  HBR_TB_S3_SECRET_KEY: string;
  HBR_TB_S3_BUCKET: string;
  HBR_TB_HADOOP: string;
  HBR_TB_HDFS: string;
  HBR_TB_PROMTOOL: string;
  HBR_TB_STATE: string;
}

const endpointsFile = (): string => join(process.env.HBR_TB_STATE ?? join(repoRoot, 'testbed', '.state'), 'endpoints.json');

export function testbed(): TestBed {
  const file = endpointsFile();
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as TestBed;
  } catch (err) {
    throw new Error(`no test bed endpoints at ${file} (${(err as Error).message}); start it with: bash testbed/up`);
  }
}

/**
 * The path of a tool testbed/up builds (promtool): the one the running test bed's endpoints name,
 * else the one in the tools dir ($HBR_TB_TOOLS/bin, after `testbed/up --install`), else the bare
 * name, found on PATH. Needs no running test bed.
 */
export function testbedTool(name: 'promtool'): string {
  const candidates: string[] = [];
  try {
    const fromEndpoints = (JSON.parse(readFileSync(endpointsFile(), 'utf8')) as Partial<TestBed>)[`HBR_TB_${name.toUpperCase()}` as keyof TestBed];
    if (fromEndpoints) candidates.push(fromEndpoints);
  } catch {
    // no test bed started: look in the tools dir
  }
  candidates.push(join(process.env.HBR_TB_TOOLS ?? join(repoRoot, 'testbed', '.tools'), 'bin', name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not built there
    }
  }
  return name;
}

/** A name unique to this run, for paths, buckets and znodes that tests create. */
export function uniq(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/**
 * Which crash points (1..n) a walk visits. Every one by default and with HBR_CRASH_WALK=all; in CI
 * (CI=true) every second one, offset by the UTC day so that two days of CI cover them all, to keep
 * CI under its time budget (README, "Tests and benchmarks": the full walks and their figures).
 */
export function crashWalkPoints(n: number, env: NodeJS.ProcessEnv = process.env, now = Date.now()): number[] {
  const all = Array.from({ length: n }, (_, i) => i + 1);
  if (env.HBR_CRASH_WALK === 'all' || !env.CI || env.CI === 'false') return all;
  const offset = Math.floor(now / 86_400_000) % 2;
  return all.filter((k) => k % 2 === offset || k === n);
}

/**
 * Walks crash points `lanes` at a time (HBR_CRASH_LANES, default 2). Each point has its own copy
 * of its scenario (own paths, own state dir, its own lock), and the walks assert no durations, so
 * two at once only use the second core that a walk of one hbr + one DistCp JVM leaves idle. Every
 * point runs to its end even when another failed (nothing outlives the test); the first failure,
 * in point order, is thrown. `first`, when given, is one more job a lane does before any point
 * (the rest of the walk's clean run, say: so the other lane starts on the points meanwhile); its
 * failure is thrown before any point's.
 */
export async function walkPoints(points: number[], visit: (k: number) => Promise<void>, lanes = Number(process.env.HBR_CRASH_LANES ?? 2), first?: () => Promise<void>): Promise<void> {
  const queue: number[] = [...(first ? [0] : []), ...points];
  const failures = new Map<number, unknown>();
  const lane = async (): Promise<void> => {
    for (let k = queue.shift(); k !== undefined; k = queue.shift()) {
      if (k === 0 && first) {
        try {
          await first();
        } catch (err) {
          failures.set(0, err);
        }
        continue;
      }
      try {
        await visit(k);
      } catch (err) {
        failures.set(k, err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, lanes) }, lane));
  const firstFailed = [...failures.keys()].sort((a, b) => a - b)[0];
  if (firstFailed !== undefined) throw failures.get(firstFailed);
}

/**
 * Copies of a crash walk's scenario made ahead: `ahead()` starts one setup now (while the walk's
 * clean run keeps one core busy and the other idle); `take()` hands out a copy made ahead, else
 * sets one up. Every copy is used once, by one point: nothing of the scenario is shared.
 */
export function setupsAhead<C>(setup: () => Promise<C>): { ahead: () => void; take: () => Promise<C> } {
  const made: Array<Promise<C>> = [];
  return {
    ahead() {
      const p = setup();
      p.catch(() => undefined); // reported by the point that takes it
      made.push(p);
    },
    take: () => made.shift() ?? setup(),
  };
}
