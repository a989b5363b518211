/**
 * One single-node Apache Ozone 2.2.0 cluster beside the test bed, for the suites that need one
 * (`testbed/up --ozone NAME BASE-PORT`: SCM, OM, one DataNode and the HttpFS gateway; see
 * testbed/README.md, "Ozone"). The integration suites share one pair (sharedOzones), started on
 * first use and stopped when their uvu process exits; a plain `testbed/down` stops any left
 * running (after a SIGKILL, say). The first cluster ever started resolves Ozone's jars.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { WebHdfs } from '../../src/hadoop/webhdfs.js';
import { repoRoot, testbed } from './testbed.js';

/** How many consecutive ports one cluster takes from its base (OZ_PORTS in testbed/ozone.sh). */
export const OZONE_PORTS = 32;

export interface Ozone {
  name: string;
  /** The OM's RPC address, host:port (ozone.om.address). */
  om: string;
  /** The HttpFS gateway's base URL: WebHDFS over ofs (http://127.0.0.1:PORT). */
  httpfs: string;
  /** The cluster's root as a Hadoop file system URI: ofs://127.0.0.1:OM-PORT (volumes, then buckets). */
  ofs: string;
  /** The OM's web UI and JMX (http://127.0.0.1:PORT). */
  omHttp: string;
  /** A WebHDFS client on the HttpFS gateway, as the test bed's user. */
  client: WebHdfs;
  /** `ozone sh ARGS` against this cluster (testbed/bin/ozone; one JVM, ~2 s): its stdout. */
  sh(args: string[]): string;
  stop(): void;
}

function run(args: string[]): void {
  const r = spawnSync('bash', args, { cwd: repoRoot, env: { ...process.env, HBR_TB_STATE: testbed().HBR_TB_STATE }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bash ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A base port whose OZONE_PORTS ports are all free. Picked below the kernel's ephemeral range
 * (32768+ on Linux), so no client connection takes one of them between this check and the start;
 * testbed/up checks them again and fails clearly if another process took one meanwhile.
 */
export async function freeOzoneBase(tries = 40): Promise<number> {
  for (let i = 0; i < tries; i++) {
    const base = 20_000 + OZONE_PORTS * Math.floor(Math.random() * ((32_000 - 20_000) / OZONE_PORTS));
    let free = true;
    for (let p = base; p < base + OZONE_PORTS && free; p++) free = await portFree(p);
    if (free) return base;
  }
  throw new Error(`no ${OZONE_PORTS} consecutive free ports found between 20000 and 32000`);
}

/** Start a fresh cluster NAME (any leftover of that name is stopped and purged first). */
export async function startOzone(name: `oz-${string}`): Promise<Ozone> {
  run([join('testbed', 'down'), '--purge', name]);
  const base = await freeOzoneBase();
  run([join('testbed', 'up'), '--ozone', name, String(base)]);
  const httpfs = `http://127.0.0.1:${base + 22}`;
  return {
    name,
    om: `127.0.0.1:${base}`,
    httpfs,
    ofs: `ofs://127.0.0.1:${base}`,
    omHttp: `http://127.0.0.1:${base + 1}`,
    client: new WebHdfs({ baseUrl: httpfs, user: testbed().HBR_TB_HDFS_USER }),
    sh: (args) => {
      const r = spawnSync(join(repoRoot, 'testbed', 'bin', 'ozone'), [name, 'sh', ...args], {
        env: { ...process.env, HBR_TB_STATE: testbed().HBR_TB_STATE },
        encoding: 'utf8',
        timeout: 120_000,
      });
      if (r.status !== 0) throw new Error(`ozone sh ${args.join(' ')} on ${name} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
      return r.stdout;
    },
    stop: () => run([join('testbed', 'down'), '--purge', name]),
  };
}

/** Start clusters one after the other (each costs ~1.1 GB and 15-50 s; in parallel they only slow each other). */
export async function startOzones<N extends `oz-${string}`>(...names: N[]): Promise<Ozone[]> {
  const out: Ozone[] = [];
  for (const n of names) out.push(await startOzone(n));
  return out;
}

/** Stop and purge every cluster given (a suite's `after`), reporting every failure at once. */
export function stopOzones(...clusters: Array<Ozone | undefined>): void {
  const errors: string[] = [];
  for (const c of clusters) {
    try {
      c?.stop();
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length) throw new Error(errors.join('\n'));
}

let shared: Promise<[Ozone, Ozone]> | undefined;

/** Printed when the shared clusters are being stopped at exit; test/run.mjs gives that more time. */
export const OZONE_STOPPING = 'stopping the shared Ozone clusters (sharedOzones)';

/**
 * The pair of clusters every Ozone integration suite shares (oz-pri, oz-dr): started once per uvu
 * process, on the first call, and reused by every later one; CI runs all integration files in one
 * process (test/run.mjs), and two clusters cost ~40-60 s to start on 2 cores. Stopped and purged
 * once, when the process exits (the 'exit' hook may only do synchronous work: stop() is spawnSync).
 * A suite must not stop them, and must keep to its own volumes and buckets (uniq names): the other
 * suites' data is on the same clusters.
 */
export function sharedOzones(): Promise<[Ozone, Ozone]> {
  if (!shared) {
    const names = ['oz-pri', 'oz-dr'] as const;
    // by name, not by the Ozone objects: a cluster whose start failed half way is stopped too. Every
    // gateway, OM and DataNode first (testbed/down stops those side by side), then the SCMs: ~half
    // the time of one cluster after the other. The marker line tells test/run.mjs's reaper that
    // the process is stopping servers, not hanging on a leaked handle.
    process.once('exit', () => {
      try {
        console.log(OZONE_STOPPING);
        const daemons = ['httpfs', 'om', 'dn'].flatMap((r) => names.map((n) => `${n}-${r}`));
        run([join('testbed', 'down'), '--purge', ...daemons, ...names.map((n) => `${n}-scm`)]);
      } catch (err) {
        console.error(`stopping the shared Ozone clusters: ${(err as Error).message}`);
      }
    });
    shared = startOzones(...names) as Promise<[Ozone, Ozone]>;
  }
  return shared;
}

/** hbr's Ozone snapshot name at an ISO time (LOWER_CASE_NAMING, src/model/names.ts): hbr-20300101t000000z. */
export const ozSnap = (iso: string) => `hbr-${iso.replace(/[-:]/g, '').slice(0, 15)}z`.toLowerCase();

/** The SHA-256 of some bytes, hex. */
export const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The snapshot names of bucket `path`, sorted. */
export const snapshots = async (fs: WebHdfs, path: string) => (await fs.listStatus(`${path}/.snapshot`)).map((s) => s.pathSuffix).sort();

/** Every key under `path` with the SHA-256 of its bytes, by relative name. */
export async function tree(fs: WebHdfs, path: string, rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const s of await fs.listStatus(`${path}${rel}`)) {
    const r = `${rel}/${s.pathSuffix}`;
    if (s.type === 'DIRECTORY') Object.assign(out, await tree(fs, path, r));
    else out[r] = sha(await fs.open(`${path}${r}`));
  }
  return out;
}

/** What a suite's policy file says: one bucket policy from oz-src to oz-tgt (or no replication). */
export interface OzonePolicyFile {
  name: string;
  volume: string;
  bucket: string;
  keep?: string;
  drKeep?: string;
  /** `max_change` of the replication target; absent: the default */
  maxChange?: string;
  replicate?: boolean;
  /** the schedule (default 1h) and the policy's rpo (default none) */
  every?: string;
  rpo?: string;
}

/** A policy file in `dir` for bucket `o.bucket` of volume `o.volume`, replicated from `primary` (oz-src) to `dr` (oz-tgt). */
export function writeOzonePolicy(dir: string, primary: Ozone, dr: Ozone, o: OzonePolicyFile): string {
  const user = testbed().HBR_TB_HDFS_USER;
  const cluster = (c: Ozone) => `{ ozone: { om: "${c.om}", httpfs: ${c.httpfs}, fs: "${c.ofs}", user: ${user}, replication: 1 } }`;
  const file = join(dir, `${o.name}.yaml`);
  const target = `      replicate:\n        - to: oz-tgt\n          keep: ${o.drKeep ?? '{ last: 3 }'}\n${o.maxChange !== undefined ? `          max_change: ${o.maxChange}\n` : ''}`;
  writeFileSync(
    file,
    `version: 1
clusters:
  oz-src: ${cluster(primary)}
  oz-tgt: ${cluster(dr)}
policies:
  ${o.name}:
    source: { cluster: oz-src }
${o.rpo !== undefined ? `    rpo: ${o.rpo}\n` : ''}    ozone:
      volume: ${o.volume}
      bucket: ${o.bucket}
      every: ${o.every ?? '1h'}
      keep: ${o.keep ?? '{ last: 3 }'}
${o.replicate === false ? '' : target}`,
  );
  return file;
}
