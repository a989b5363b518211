/**
 * A standalone HBase 2.6.1 with its backup module and REST gateway, on the test bed's primary HDFS
 * (`testbed/up --hbase NAME`, testbed/hbase.sh; the facts in docs/design/hbase-notes.md). Started
 * by the suites that need it, stopped and purged by them; `testbed/down` stops any left.
 *
 * The integration suites share one (sharedHbase): one start per uvu process instead of one per file.
 *
 * Tables and rows go in over REST (there is no `hbase shell` past 2.4); the backup commands run
 * through testbed/bin/hbase (BackupDriver / RestoreDriver, argv only); backup sessions are read
 * over REST and decoded without a JVM (hbase-backup-info.ts).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBackupInfo, type BackupSession } from '../../src/systems/hbase/backup-info.js';
import { repoRoot, testbed } from './testbed.js';

export interface HbaseEndpoints {
  name: string;
  /** the REST gateway, http://127.0.0.1:PORT */
  rest: string;
  /** HBase's own ZooKeeper (in the HMaster's JVM), 127.0.0.1:PORT */
  zookeeper: string;
  /** hbase.rootdir on the primary HDFS */
  rootdir: string;
  /** the config dir (hbase-site.xml) for the CLIs: HBASE_CONF_DIR */
  conf: string;
}

/** The environment hbr needs to drive this HBase's CLI: the test bed's launcher and its config dir. */
export function hbaseEnv(h: HbaseEndpoints): Record<string, string> {
  return { HBR_HBASE: join(repoRoot, 'testbed', 'bin', 'hbase'), HBASE_CONF_DIR: h.conf, HBR_TB_STATE: testbed().HBR_TB_STATE };
}

/** A policy file backing up `tables` of this HBase to `root` on the DR cluster; returns its path. */
export function writeHbasePolicy(file: string, h: HbaseEndpoints, o: { name: string; tables?: string[]; namespace?: string; root: string; full?: string; incremental?: string; keep?: string; rpo?: string }): string {
  const tb = testbed();
  const what = o.namespace !== undefined ? `namespace: ${o.namespace}` : `tables: [${(o.tables ?? []).join(', ')}]`;
  writeFileSync(file, [
    'version: 1',
    'clusters:',
    `  hb: { hbase: { rest: ${h.rest}, zookeeper: "${h.zookeeper}", fs: ${h.rootdir} } }`,
    `  primary: { hdfs: { webhdfs: ${tb.HBR_TB_PRIMARY_WEBHDFS}, fs: ${tb.HBR_TB_PRIMARY_FS}, user: ${tb.HBR_TB_HDFS_USER} } }`,
    `  dr: { hdfs: { webhdfs: ${tb.HBR_TB_DR_WEBHDFS}, fs: ${tb.HBR_TB_DR_FS}, user: ${tb.HBR_TB_HDFS_USER} } }`,
    'policies:',
    `  ${o.name}:`,
    '    source: { cluster: hb }',
    '    hbase:',
    `      ${what}`,
    `      backup_root: { cluster: dr, path: ${o.root} }`,
    `      full: { every: ${o.full ?? '7d'} }`,
    `      incremental: { every: ${o.incremental ?? '1h'} }`,
    ...(o.keep ? [`      keep: ${o.keep}`] : []),
    ...(o.rpo ? [`    rpo: ${o.rpo}`] : []),
    '',
  ].join('\n'));
  return file;
}

export interface CliResult { status: number | null; stdout: string; stderr: string }

export interface Hbase extends HbaseEndpoints {
  /** `testbed/down --purge NAME`: both JVMs stopped, local data and rootdir deleted */
  stop(): void;
  /** create (or alter to) a table with these column families, over REST */
  createTable(table: string, families: string[]): Promise<void>;
  /** put rows over REST: { rowKey: { 'family:qualifier': value } } */
  putRows(table: string, rows: Record<string, Record<string, string>>): Promise<void>;
  /** every row's key (a full scan over REST: for small test tables) */
  rowKeys(table: string): Promise<string[]>;
  /** `hbase backup ARGS` / `hbase restore ARGS` through testbed/bin/hbase (argv, no shell) */
  cli(command: 'backup' | 'restore', args: string[]): CliResult;
  /** every backup session in backup:system, decoded; [] before the first backup */
  sessions(): Promise<BackupSession[]>;
  /** the backup lock (row activesession:, column session:c): true when `yes` */
  locked(): Promise<boolean>;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string): Buffer => Buffer.from(s, 'base64');

function bash(args: string[]): void {
  const r = spawnSync('bash', args, { cwd: repoRoot, env: { ...process.env, HBR_TB_STATE: testbed().HBR_TB_STATE }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bash ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}

async function rest(base: string, method: string, path: string, body?: unknown, accept = 'application/json'): Promise<Response> {
  const send = (): Promise<Response> =>
    fetch(`${base}${path}`, {
      method,
      headers: { Accept: accept, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000),
    });
  try {
    return await send();
  } catch (err) {
    // fetch keeps connections alive: after the gateway restarted (down + up on the same port) the
    // first request can go out on a socket the old one closed. Every request here is idempotent
    // (PUTs of whole schemas and cells, GETs): send it once more on a new connection.
    if ((err as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw err;
    return send();
  }
}

async function ok(res: Response, what: string): Promise<Response> {
  if (!res.ok) throw new Error(`HBase REST ${what}: ${res.status} ${await res.text()}`);
  return res;
}

interface CellSet { Row?: { key: string; Cell?: { column: string; $: string }[] }[] }

/**
 * Start (or find running) the HBase called NAME. Ports (ZooKeeper, master, regionserver, REST): the
 * argument, else HBR_TB_HBASE_PORTS ("ZK MASTER RS REST", for engineers sharing a machine), else
 * picked free by testbed/up.
 */
export function startHbase(name: `hbase-${string}`, ports?: [number, number, number, number]): Hbase {
  const fromEnv = process.env.HBR_TB_HBASE_PORTS?.trim().split(/\s+/);
  const chosen = ports?.map(String) ?? (fromEnv?.length === 4 ? fromEnv : []);
  bash([join('testbed', 'up'), '--hbase', name, ...chosen]);
  const e = JSON.parse(readFileSync(join(testbed().HBR_TB_STATE, name, 'endpoints.json'), 'utf8')) as HbaseEndpoints;
  const enc = encodeURIComponent;
  // A scan of a missing table answers 500, not 404: ask for the schema first.
  const tableExists = async (table: string): Promise<boolean> => {
    const res = await rest(e.rest, 'GET', `/${enc(table)}/schema`);
    if (res.status === 404) return false;
    await ok(res, `schema of ${table}`);
    return true;
  };
  return {
    ...e,
    stop: () => bash([join('testbed', 'down'), '--purge', name]),
    async createTable(table, families) {
      const schema = { name: table, ColumnSchema: families.map((f) => ({ name: f })) };
      await ok(await rest(e.rest, 'PUT', `/${enc(table)}/schema`, schema), `create ${table}`);
    },
    async putRows(table, rows) {
      const Row = Object.entries(rows).map(([key, cells]) => ({
        key: b64(key),
        Cell: Object.entries(cells).map(([column, value]) => ({ column: b64(column), $: b64(value) })),
      }));
      // A multi-row CellSet goes to any row path; the keys in the body win (HBase REST's RowResource).
      await ok(await rest(e.rest, 'PUT', `/${enc(table)}/batch`, { Row }), `put ${Row.length} rows into ${table}`);
    },
    async rowKeys(table) {
      const res = await rest(e.rest, 'GET', `/${enc(table)}/*`);
      if (res.status === 404) return []; // an empty table
      const set = (await (await ok(res, `scan ${table}`)).json()) as CellSet;
      return (set.Row ?? []).map((r) => unb64(r.key).toString('utf8'));
    },
    cli(command, args) {
      const r = spawnSync(join(repoRoot, 'testbed', 'bin', 'hbase'), [command, ...args], {
        env: { ...process.env, HBR_TB_STATE: testbed().HBR_TB_STATE, HBASE_CONF_DIR: e.conf },
        encoding: 'utf8',
        timeout: 600_000,
      });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    async sessions() {
      if (!(await tableExists('backup:system'))) return []; // created by the first backup command
      // A row-prefix scan: the gateway's `session:*` suffix globbing (RowSpec) reads only these rows.
      const res = await rest(e.rest, 'GET', `/${enc('backup:system')}/${enc('session:')}*/${enc('session:context')}`);
      if (res.status === 404) return []; // no backup:system table yet, or no session row
      const set = (await (await ok(res, 'scan backup:system sessions')).json()) as CellSet;
      return (set.Row ?? []).flatMap((r) => (r.Cell ?? []).map((c) => decodeBackupInfo(unb64(c.$))));
    },
    async locked() {
      if (!(await tableExists('backup:system'))) return false;
      const res = await rest(e.rest, 'GET', `/${enc('backup:system')}/${enc('activesession:')}/${enc('session:c')}`, undefined, 'application/octet-stream');
      if (res.status === 404) return false;
      return (await (await ok(res, 'read the backup lock')).text()) === 'yes';
    },
  };
}

/** Printed when the shared HBase is stopped at exit; test/run.mjs gives that stop more time. */
export const HBASE_STOPPING = 'stopping the shared HBase (sharedHbase)';
const SHARED_HBASE = 'hbase-shared';
let sharedH: Hbase | undefined;
let exitHook = false;

/**
 * The HBase every HBase integration suite of the uvu process shares (as sharedOzones in ./ozone.ts
 * shares the Ozone pair): started fresh on the first call (a leftover of its name, from a killed
 * run, is purged first), reused by every later call; CI runs all integration files in one process
 * (test/run.mjs), and a start costs 20-35 s on 2 cores (testbed/README.md, "HBase"). Stopped and
 * purged when the process exits (the 'exit' hook may only do synchronous work: spawnSync), or
 * before by stopSharedHbase. A plain `testbed/down` stops it after a SIGKILL, like any hbase-*.
 * A suite keeps to its own tables and backup roots: backup:system holds every suite's sessions.
 */
export function sharedHbase(): { hbase: Hbase; started: boolean } {
  if (sharedH) return { hbase: sharedH, started: false };
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      if (!sharedH) return;
      try {
        console.log(HBASE_STOPPING);
        sharedH.stop();
      } catch (err) {
        console.error(`stopping the shared HBase: ${(err as Error).message}`);
      }
    });
  }
  bash([join('testbed', 'down'), '--purge', SHARED_HBASE]);
  sharedH = startHbase(SHARED_HBASE);
  return { hbase: sharedH, started: true };
}

/** Stop and purge the shared HBase now (a later sharedHbase() starts a fresh one); returns what it was. */
export function stopSharedHbase(): Hbase | undefined {
  const h = sharedH;
  sharedH = undefined;
  h?.stop();
  return h;
}
