/**
 * The secure test bed (testbed/up --secure, testbed/secure.sh; issue 15): a KDC and a Kerberized,
 * HTTPS-only HA primary (nameservice hbrns, nn1 + nn2). Started and stopped by the suites of
 * test/secure only. What it proves and the facts behind it: testbed/secure.md
 * and docs/design/secure-proposal.md.
 *
 * Here for the smoke suite: the delegation token fetched with `hadoop dtutil` from hbr's keytab and
 * read from its Writable file (format: docs/design/secure-proposal.md §2.3, measured byte-equal to
 * Token.encodeToUrlString), and HTTPS requests from Node trusting the test CA. The hbr code for
 * Kerberos (issue 15's next piece) will have its own client in src/hadoop.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './testbed.js';

export interface SecureBed {
  nameservice: string;
  fs: string;
  nn1: string;
  nn2: string;
  realm: string;
  hbrPrincipal: string;
  hbrKeytab: string;
  hdfsPrincipal: string;
  serversKeytab: string;
  krb5Conf: string;
  caPem: string;
  otherCaPem: string;
  conf: string;
  /** the single-NameNode secure DR: hdfs://localhost:<rpc> and its https:// WebHDFS */
  drFs: string;
  dr: string;
}

export const secureState = (): string => process.env.HBR_TB_STATE ?? join(repoRoot, 'testbed', '.state');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** One command as an argv array (never a shell), in the repository, with HBR_TB_SECURE=1. */
export function run([cmd, ...args]: [string, ...string[]], timeoutMs = 300_000): Run {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, {
    cwd: repoRoot,
    env: { ...process.env, HBR_TB_STATE: secureState(), HBR_TB_SECURE: '1' },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - t0 };
}

export function runOk(argv: [string, ...string[]], timeoutMs?: number): Run {
  const r = run(argv, timeoutMs);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return r;
}

/** `testbed/up --secure`, with `--yarn` also the Kerberized YARN (testbed/secure-yarn.sh). */
export function startSecureBed(opts: { yarn?: boolean } = {}): SecureBed & { upMs: number } {
  const r = runOk(['bash', join('testbed', 'up'), '--secure', ...(opts.yarn ? ['--yarn'] : [])]);
  const bed = JSON.parse(readFileSync(join(secureState(), 'secure', 'endpoints.json'), 'utf8')) as SecureBed;
  return { ...bed, upMs: r.ms };
}

export function stopSecureBed(): void {
  runOk(['bash', join('testbed', 'down'), '--secure']);
}

/** `hdfs haadmin ARGS` as hbr (a member of the superuser group), logged in from its keytab. */
export const haadmin = (...args: string[]): Run => run([join('testbed', 'bin', 'hdfs'), 'haadmin', ...args], 120_000);

// ---------------------------------------------------------------- the token file (Writable format)
/** Hadoop WritableUtils.readVLong: one byte for -112..127, else a length byte then big-endian bytes. */
function vlong(b: Buffer, o: number): [number, number] {
  const first = ((b[o] ?? 0) << 24) >> 24;
  if (first >= -112) return [first, o + 1];
  const negative = first < -120;
  const len = negative ? -119 - first : -111 - first;
  let v = 0;
  for (let i = 1; i < len; i++) v = v * 256 + (b[o + i] ?? 0);
  return [negative ? -(v + 1) : v, o + len];
}
function text(b: Buffer, o: number): [string, number] {
  const [len, p] = vlong(b, o);
  return [b.subarray(p, p + len).toString('utf8'), p + len];
}
function skipBytes(b: Buffer, o: number): [Buffer, number] {
  const [len, p] = vlong(b, o);
  return [b.subarray(p, p + len), p + len];
}

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

/** The first token of a Credentials file written with `-format java` (magic HDTS, version 0). */
export function parseTokenFile(buf: Buffer): DelegationToken {
  if (buf.subarray(0, 4).toString('latin1') !== 'HDTS') throw new Error('not a Hadoop token file');
  if (buf[4] !== 0) throw new Error(`token file format ${buf[4]} (need -format java)`);
  const [count, at] = vlong(buf, 5);
  let o = at;
  if (count < 1) throw new Error('no token in the file');
  [, o] = text(buf, o); // alias
  const start = o;
  let id: Buffer, kind: string, service: string;
  [id, o] = skipBytes(buf, o);
  [, o] = skipBytes(buf, o); // password
  [kind, o] = text(buf, o);
  [service, o] = text(buf, o);
  // the identifier: version byte, owner, renewer, realUser, issueDate, maxDate, ...
  let q = 1, owner: string, renewer: string, issueDate: number, maxDate: number;
  [owner, q] = text(id, q);
  [renewer, q] = text(id, q);
  [, q] = text(id, q);
  [issueDate, q] = vlong(id, q);
  [maxDate] = vlong(id, q);
  return { kind, service, owner, renewer, issueDate, maxDate, urlString: buf.subarray(start, o).toString('base64url') };
}

/**
 * A fresh HDFS delegation token for `principal` from its keytab: `hadoop dtutil -keytab … -principal
 * … get hdfs://hbrns -renewer <short> -format java` into a private (0700) temp dir, read, removed.
 * (dtutil appends to an existing file and writes a .crc beside it at the umask's mode.)
 */
export function fetchToken(bed: SecureBed, principal = bed.hbrPrincipal, keytab = bed.hbrKeytab, fs = bed.fs): { token: DelegationToken; run: Run } {
  const dir = mkdtempSync(join(tmpdir(), 'hbr-dt-'));
  try {
    const file = join(dir, 'token');
    const r = runOk([join('testbed', 'bin', 'hadoop'), 'dtutil', '-keytab', keytab, '-principal', principal,
      'get', fs, '-renewer', principal.split(/[/@]/)[0] ?? principal, '-format', 'java', file], 120_000);
    return { token: parseTokenFile(readFileSync(file)), run: r };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- HTTPS from Node
export interface Answer {
  status: number;
  location?: string;
  body: string;
}

/** One HTTPS request trusting exactly the CA file `caFile` (node:https; no redirect followed). */
export function request(url: string, caFile: string, method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca: readFileSync(caFile), timeout: 60_000 }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: data }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${new URL(url).host}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** `delegation=` and its value out of a URL, for messages. */
export const redact = (s: string): string => s.replace(/delegation=[^&\s"]*/g, 'delegation=***');
