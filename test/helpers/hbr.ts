/** Run the built `hbr` CLI as an operator would, and small HDFS helpers for integration tests. */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebHdfs } from '../../src/hadoop/webhdfs.js';
import { openStore, type StoreClient } from '../../src/stores/index.js';
import { repoRoot, testbed, uniq } from './testbed.js';

export const HBR = join(repoRoot, 'bin', 'hbr');

export interface HbrResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function hbrEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  // The suites walk schedules forward (HBR_NOW in 2030) on the scratch test bed: allowed here, refused by default.
  // the launcher runs on the classpath of the test bed whose endpoints named it (testbed/lib.sh reads HBR_TB_STATE)
  const tb = testbed();
  const env: NodeJS.ProcessEnv = { ...process.env, HBR_HADOOP: tb.HBR_TB_HADOOP, HBR_TB_STATE: tb.HBR_TB_STATE, HBR_NOW_ALLOW_FUTURE: '1', ...extra };
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  return env;
}

export function hbr(args: string[], env: Record<string, string | undefined> = {}): Promise<HbrResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HBR, ...args], { env: hbrEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * `hbr ARGS` held at the first crash point whose name contains `pauseAt` (HBR_PAUSE_AT,
 * src/model/faults.ts): resolves once it is held, so a test can act on a server between two
 * steps; `release()` lets it go on; `closed` is its exit code, `out()` what it printed so far.
 */
export async function hbrHeldAt(args: string[], pauseAt: string, dir: string, env: Record<string, string | undefined> = {}): Promise<{ out: () => string; release: () => void; closed: Promise<number | null> }> {
  const pauseFile = join(dir, `paused-${process.hrtime.bigint()}`);
  const child = spawn(process.execPath, [HBR, ...args], { env: hbrEnv({ ...env, HBR_PAUSE_AT: pauseAt, HBR_PAUSE_FILE: pauseFile }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const closed = new Promise<number | null>((r) => child.on('close', r));
  for (let i = 0; i < 1200 && !existsSync(pauseFile) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(pauseFile)) throw new Error(`hbr ${args[0]} never reached ${pauseAt}:\n${out}`);
  return { out: () => out, release: () => rmSync(pauseFile, { force: true }), closed };
}

/** Whether a process of this pid is alive (signal 0). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function hbrSync(args: string[], env: Record<string, string | undefined> = {}): HbrResult {
  const r = spawnSync(process.execPath, [HBR, ...args], { env: hbrEnv(env), encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `hbr-${prefix}-`));
}

/** A policy file pairing primary:<src> with dr:<dst>, written into a fresh directory. */
export function writePairPolicy(dir: string, o: { name: string; src: string; dst: string; every?: string; keep?: string; drKeep?: string; rpo?: string }): string {
  const tb = testbed();
  const file = join(dir, `${o.name}.yaml`);
  writeFileSync(
    file,
    `version: 1
clusters:
  primary: { hdfs: { webhdfs: ${tb.HBR_TB_PRIMARY_WEBHDFS}, fs: ${tb.HBR_TB_PRIMARY_FS} } }
  dr: { hdfs: { webhdfs: ${tb.HBR_TB_DR_WEBHDFS}, fs: ${tb.HBR_TB_DR_FS} } }
policies:
  ${o.name}:
    source: { cluster: primary, path: ${o.src} }
    snapshots:
      every: ${o.every ?? '1h'}
      keep: ${o.keep ?? '{ last: 3 }'}
${o.rpo ? `    rpo: ${o.rpo}\n` : ''}    replicate:
      - to: { cluster: dr, path: ${o.dst} }
        keep: ${o.drKeep ?? '{ last: 3 }'}
`,
  );
  return file;
}

/**
 * A policy file of one block backup (docs/blocks.md) of primary:<root> into the test bed's S3 under
 * `prefix` (or a local store at `vault`), written to `file`. `backup` is the policy's backup map
 * after `to:` (e.g. `every: 1d, keep: { last: 2 }`); `webhdfs`/`s3` replace the endpoints (a
 * counting proxy in a bench).
 */
export function writeBlocksPolicy(file: string, o: { name: string; root: string; backup: string; prefix?: string; vault?: string; webhdfs?: string; s3?: string }): string {
  const tb = testbed();
  const store = o.vault
    ? `vault: { local: { path: ${o.vault} } }`
    : `s3: { s3: { bucket: ${tb.HBR_TB_S3_BUCKET}, prefix: ${o.prefix}, endpoint: ${o.s3 ?? tb.HBR_TB_S3_ENDPOINT}, force_path_style: true } }`;
  writeFileSync(
    file,
    `version: 1
clusters:
  primary: { hdfs: { webhdfs: ${o.webhdfs ?? tb.HBR_TB_PRIMARY_WEBHDFS}, fs: ${tb.HBR_TB_PRIMARY_FS}, user: ${tb.HBR_TB_HDFS_USER} } }
stores:
  ${store}
policies:
  ${o.name}:
    source: { cluster: primary, path: ${o.root} }
    backup: { to: ${o.vault ? 'vault' : 's3'}, ${o.backup} }
`,
  );
  return file;
}

export function clusters(): { primary: WebHdfs; dr: WebHdfs } {
  const tb = testbed();
  return {
    primary: new WebHdfs({ baseUrl: tb.HBR_TB_PRIMARY_WEBHDFS, user: tb.HBR_TB_HDFS_USER }),
    dr: new WebHdfs({ baseUrl: tb.HBR_TB_DR_WEBHDFS, user: tb.HBR_TB_HDFS_USER }),
  };
}

/** Every file under dir, as paths relative to dir. */
export async function listFiles(fs: WebHdfs, dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const st of await fs.listStatus(rel ? `${dir}/${rel}` : dir)) {
    const p = rel ? `${rel}/${st.pathSuffix}` : st.pathSuffix;
    if (st.type === 'DIRECTORY') out.push(...(await listFiles(fs, dir, p)));
    else out.push(p);
  }
  return out.sort();
}

/** Asserts two trees hold the same files with the same HDFS checksums (GETFILECHECKSUM). */
export async function treesIdentical(a: WebHdfs, aDir: string, b: WebHdfs, bDir: string): Promise<string | undefined> {
  const [fa, fb] = await Promise.all([listFiles(a, aDir), listFiles(b, bDir)]);
  if (JSON.stringify(fa) !== JSON.stringify(fb)) return `file lists differ:\n  ${fa.join(',')}\n  ${fb.join(',')}`;
  for (const f of fa) {
    const [ca, cb] = await Promise.all([a.getFileChecksum(`${aDir}/${f}`), b.getFileChecksum(`${bDir}/${f}`)]);
    if (ca.bytes !== cb.bytes || ca.length !== cb.length) return `checksum differs for ${f}`;
  }
  return undefined;
}

export async function snapshotNames(fs: WebHdfs, dir: string): Promise<string[]> {
  return (await fs.getSnapshotList(dir)).map((s) => s.dirStatus.pathSuffix).sort();
}

/** ISO time `hours` after t0. */
export function at(t0: string, hours: number): string {
  return new Date(Date.parse(t0) + hours * 3600_000).toISOString();
}

/**
 * A `hadoop` launcher in `dir` whose DistCp is throttled to `mbPerMap` MB/s per map (a slow link),
 * so a kill or a stop lands mid-copy. hbr passes generic -D options first; DistCp's own options
 * must follow them.
 */
export function throttledHadoop(dir: string, mbPerMap: number): string {
  const real = testbed().HBR_TB_HADOOP;
  const slow = join(dir, 'hadoop-slow');
  // -bandwidth goes after every leading generic option (-Dhbr.step=…, an Ozone cluster's -Dozone.replication=…)
  writeFileSync(
    slow,
    `#!/usr/bin/env bash\nif [ "$1" = distcp ]; then shift; g=(); while [ "\${1#-D}" != "$1" ]; do g+=("$1"); shift; done; exec "${real}" distcp "\${g[@]}" -bandwidth ${mbPerMap} "$@"; fi\nexec "${real}" "$@"\n`,
  );
  chmodSync(slow, 0o755);
  return slow;
}

/**
 * The test bed's S3 credentials in process.env (the AWS SDK's default chain, as hbr reads them),
 * and a StoreClient on its bucket under `prefix` (the block suites' view of a policy's store).
 */
export function testbedS3Store(prefix: string): StoreClient & { destroy?: () => void } {
  const tb = testbed();
  process.env.AWS_ACCESS_KEY_ID = tb.HBR_TB_S3_ACCESS_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = tb.HBR_TB_S3_SECRET_KEY;
  process.env.AWS_REGION = tb.HBR_TB_S3_REGION;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  return openStore({ name: 's3', kind: 's3', bucket: tb.HBR_TB_S3_BUCKET, prefix, endpoint: tb.HBR_TB_S3_ENDPOINT, forcePathStyle: true, at: { file: '', line: 1, col: 1 } });
}

/**
 * One block backup policy `bk` of a fresh primary:/it/<id> into the test bed's S3 under `<id>/`, with
 * its own state dir: `run(args, now)` runs hbr with HBR_NOW, `cleanup()` removes the tree and the prefix.
 */
export function blocksCase(tag: string, backup: string) {
  const id = uniq(tag);
  const root = `/it/${id}`;
  const prefix = `${id}/`;
  const dir = tempDir(tag);
  const file = writeBlocksPolicy(join(dir, 'p.yaml'), { name: 'bk', root, prefix, backup });
  const store = testbedS3Store(prefix);
  const run = (args: string[], now: number) => hbr([...args, '-f', file, '--state-dir', join(dir, 'state')], { HBR_NOW: new Date(now).toISOString() });
  const cleanup = async () => {
    await clusters().primary.delete(root, true).catch(() => undefined);
    for (const o of await store.list('')) await store.delete(o.key);
    store.destroy?.();
  };
  return { id, root, prefix, dir, file, store, run, cleanup };
}
