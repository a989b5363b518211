/**
 * HDFS delegation tokens for WebHDFS over Kerberos (issue 15; docs/security.md;
 * docs/design/secure-proposal.md §2, §7.3). Node has no SPNEGO, so hbr logs in from the keytab in
 * one JVM call, `hadoop dtutil -keytab K -principal P get <fs> -renewer <short> -format java <file>`
 * (org.apache.hadoop.security.token.DtUtilShell, the only stock CLI that logs in from a keytab by
 * itself), reads the token from the file and passes it as `delegation=` (AuthFilter lets
 * /webhdfs/v1 through with it, no SPNEGO).
 *
 * Never renewed: re-fetched when half of min(renew interval, max lifetime) has passed since issue,
 * and once after the NameNode refuses it (403 SecretManager$InvalidToken). Cached per cluster in
 * memory and in `<state-dir>/tokens/<cluster>.token` (0600 in a 0700 directory, written
 * atomically), so `hbr plan` does not pay a JVM (~2 s) each run. The token is a secret: registered
 * with the redactor (src/model/errors.ts) and never logged.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerSecret, UserError } from '../model/errors.js';
import { explain, jvmCause, kerberosReason } from './auth-errors.js';
import { runHadoop } from './cli.js';
import { principalShortName, type HdfsCluster } from './cluster.js';
import { nameserviceOptions } from './ha-conf.js';

export interface DelegationToken {
  kind: string;
  service: string;
  owner: string;
  renewer: string;
  issueDate: number;
  maxDate: number;
  /** Token.encodeToUrlString(): what WebHDFS takes as delegation=. A secret. */
  urlString: string;
}

// ---------------------------------------------------------------- the file (Writable format, pure)
/** Hadoop WritableUtils.readVLong: one byte for -112..127, else a length byte then big-endian bytes. */
function vlong(b: Buffer, o: number): [number, number] {
  if (o >= b.length) throw new Error('token file ends early');
  const first = ((b[o] ?? 0) << 24) >> 24;
  if (first >= -112) return [first, o + 1];
  const negative = first < -120;
  const len = negative ? -119 - first : -111 - first;
  if (o + len > b.length) throw new Error('token file ends early');
  let v = 0;
  for (let i = 1; i < len; i++) v = v * 256 + (b[o + i] ?? 0);
  return [negative ? -(v + 1) : v, o + len];
}
function bytes(b: Buffer, o: number): [Buffer, number] {
  const [len, p] = vlong(b, o);
  if (len < 0 || p + len > b.length) throw new Error('token file ends early');
  return [b.subarray(p, p + len), p + len];
}
function text(b: Buffer, o: number): [string, number] {
  const [v, p] = bytes(b, o);
  return [v.toString('utf8'), p];
}

/**
 * The first token of a Credentials file written with `-format java`: magic HDTS, version 0, a VInt
 * count, then per token its alias and Token.write (identifier, password, kind, service)
 * (Credentials.writeWritableOutputStream, Token.write; secure-proposal §2.3). The urlString is the
 * URL-safe, unpadded Base64 of the Token.write bytes (Token.encodeToUrlString), measured byte-equal.
 * The identifier (AbstractDelegationTokenIdentifier.writeImpl): version byte, owner, renewer,
 * realUser, VLong issueDate, VLong maxDate, ...
 */
export function parseTokenFile(buf: Buffer): DelegationToken {
  if (buf.subarray(0, 4).toString('latin1') !== 'HDTS') throw new Error('not a Hadoop token file (no HDTS magic)');
  if (buf[4] !== 0) throw new Error(`token file format ${String(buf[4])} (need -format java)`);
  const [count, at] = vlong(buf, 5);
  if (count < 1) throw new Error('no token in the file');
  let o = at;
  [, o] = text(buf, o); // alias
  const start = o;
  let id: Buffer, kind: string, service: string;
  [id, o] = bytes(buf, o);
  [, o] = bytes(buf, o); // password
  [kind, o] = text(buf, o);
  [service, o] = text(buf, o);
  let q = 1, owner: string, renewer: string, issueDate: number, maxDate: number;
  [owner, q] = text(id, q);
  [renewer, q] = text(id, q);
  [, q] = text(id, q); // realUser
  [issueDate, q] = vlong(id, q);
  [maxDate] = vlong(id, q);
  return { kind, service, owner, renewer, issueDate, maxDate, urlString: buf.subarray(start, o).toString('base64url') };
}

/** dfs.namenode.delegation.token.renew-interval's default (hdfs-default.xml 3.4.3): 24 h. */
export const DEFAULT_RENEW_INTERVAL = 86_400_000;

/**
 * When hbr fetches a new token instead of using `t` (pure): half-way through its useful life, which
 * ends at the first of its renew-by time (issue + renew interval: never renewed) and its max date.
 */
export function refreshAt(t: Pick<DelegationToken, 'issueDate' | 'maxDate'>, renewInterval = DEFAULT_RENEW_INTERVAL): number {
  const end = Math.min(t.issueDate + renewInterval, t.maxDate);
  return t.issueDate + Math.max(0, end - t.issueDate) / 2;
}

// ---------------------------------------------------------------- fetching and the cache
/** Where the token cache and dtutil's private temp dirs live; unset = memory only and the OS temp dir. */
let stateDir: string | undefined;
/** Set by the CLI and the daemon once they know `--state-dir` (src/cli/common.ts). */
export function setTokenStateDir(dir: string | undefined): void {
  stateDir = dir;
}

interface Cached {
  principal: string;
  fs: string;
  token: DelegationToken;
}

const memory = new Map<string, Cached>();
/**
 * A login that just failed is not tried again for a minute: observing 100 directories of a
 * cluster with a wrong keytab costs one JVM, not 100, and says the same error for each.
 */
const FAILURE_MEMO_MS = 60_000;
const failures = new Map<string, { at: number; err: unknown }>();
const inflight = new Map<string, Promise<DelegationToken>>();

const cacheFile = (cluster: string): string | undefined => (stateDir ? join(stateDir, 'tokens', `${cluster.replace(/[^A-Za-z0-9._-]/g, '_')}.token`) : undefined);

function readCache(c: HdfsCluster): Cached | undefined {
  const m = memory.get(c.name);
  if (m) return m;
  const f = cacheFile(c.name);
  if (!f) return undefined;
  try {
    const v = JSON.parse(readFileSync(f, 'utf8')) as Cached;
    if (typeof v.token?.urlString !== 'string') return undefined;
    registerSecret(v.token.urlString);
    memory.set(c.name, v);
    return v;
  } catch {
    return undefined;
  }
}

function writeCache(c: HdfsCluster, v: Cached): void {
  memory.set(c.name, v);
  const f = cacheFile(c.name);
  if (!f) return;
  const dir = join(stateDir!, 'tokens');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const tmp = `${f}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(v), { mode: 0o600 });
  renameSync(tmp, f);
}

function dropCache(c: HdfsCluster): void {
  memory.delete(c.name);
  const f = cacheFile(c.name);
  if (f) rmSync(f, { force: true });
}

/** A cached token still good for `c` at `now`: same principal and fs, not past its refresh time. */
function usable(v: Cached | undefined, c: HdfsCluster, now: number): v is Cached {
  return v !== undefined && v.principal === c.auth?.principal && v.fs === c.fs && now < refreshAt(v.token);
}

/** The environment of hbr's JVM calls for a cluster: its conf dir and krb5.conf (docs/security.md). */
export function kerberosEnv(c: HdfsCluster, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  if (c.confDir) env.HADOOP_CONF_DIR = c.confDir;
  if (c.auth?.krb5Conf) env.HADOOP_OPTS = `${base.HADOOP_OPTS ?? ''} -Djava.security.krb5.conf=${c.auth.krb5Conf}`.trim();
  return env;
}

/** One JVM call: a fresh token for the cluster's principal from its keytab, in a private temp dir. */
export async function fetchToken(c: HdfsCluster, opts: { hadoop?: string; timeoutMs?: number } = {}): Promise<DelegationToken> {
  const k = c.auth;
  if (!k) throw new Error(`cluster ${c.name} has no auth.kerberos`);
  const base = stateDir ? join(stateDir, 'tmp') : tmpdir();
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'dt-')); // 0700; dtutil appends to an existing file, so a fresh one
  try {
    const file = join(dir, 'token');
    const r = await runHadoop(
      ['dtutil', ...nameserviceOptions([c], c.confDir), '-keytab', k.keytab, '-principal', k.principal, 'get', c.fs, '-renewer', principalShortName(k.principal), '-format', 'java', file],
      { env: kerberosEnv(c), timeoutMs: opts.timeoutMs ?? 120_000, ...(opts.hadoop && { hadoop: opts.hadoop }) },
    );
    let buf: Buffer | undefined;
    try {
      buf = readFileSync(file);
    } catch {
      buf = undefined;
    }
    if (r.code !== 0 || !buf) {
      const out = `${r.stdout}\n${r.stderr}`;
      const reason = kerberosReason(out);
      const who = { cluster: c.name, principal: k.principal, keytab: k.keytab, ...(k.krb5Conf && { krb5Conf: k.krb5Conf }) };
      const why = reason ? explain(reason, who) : `cluster ${c.name}: hadoop dtutil could not get a delegation token as ${k.principal} (exit ${String(r.code)}): ${jvmCause(out) || 'no output'}`;
      throw new UserError(why);
    }
    const t = parseTokenFile(buf);
    registerSecret(t.urlString);
    return t;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The token WebHDFS requests to cluster `c` carry: the cached one while it is fresh, else one
 * fetched (one JVM call at a time per cluster). `refused` names a token the NameNode just refused:
 * it is dropped, and a new one fetched even if it looked fresh (once per refusal: the caller retries once).
 */
export async function tokenFor(c: HdfsCluster, opts: { refused?: string; now?: number; hadoop?: string } = {}): Promise<string> {
  const now = opts.now ?? Date.now();
  const have = readCache(c);
  if (opts.refused !== undefined && have?.token.urlString === opts.refused) dropCache(c);
  else if (usable(have, c, now)) return have.token.urlString;
  const failed = failures.get(c.name);
  if (failed && now - failed.at < FAILURE_MEMO_MS) throw failed.err;
  let p = inflight.get(c.name);
  if (!p) {
    p = fetchToken(c, opts.hadoop ? { hadoop: opts.hadoop } : {}).then(
      (token) => {
        failures.delete(c.name);
        writeCache(c, { principal: c.auth!.principal, fs: c.fs, token });
        return token;
      },
      (err: unknown) => {
        failures.set(c.name, { at: Date.now(), err });
        throw err;
      },
    );
    inflight.set(c.name, p);
    void p.finally(() => inflight.delete(c.name)).catch(() => undefined);
  }
  return (await p).urlString;
}

/** The cached token's public facts (no secret), for /status: until when hbr uses it. */
export function tokenFacts(c: HdfsCluster): { owner: string; issueDate: number; maxDate: number; refreshAt: number } | undefined {
  const v = readCache(c);
  return v ? { owner: v.token.owner, issueDate: v.token.issueDate, maxDate: v.token.maxDate, refreshAt: refreshAt(v.token) } : undefined;
}
