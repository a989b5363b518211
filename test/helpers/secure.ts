/**
 * The secure test bed (testbed/up --secure, testbed/secure.sh; issue 15): a KDC and a Kerberized,
 * HTTPS-only HA primary (nameservice hbrns, nn1 + nn2). Started and stopped by the suites of
 * test/secure only. What it proves and the facts behind it: testbed/secure.md
 * and docs/design/secure-proposal.md.
 *
 * Here for the smoke suite: the delegation token fetched with `hadoop dtutil` from hbr's keytab and
 * read from its Writable file (format: docs/design/secure-proposal.md §2.3, measured byte-equal to
 * Token.encodeToUrlString; the parser is src/hadoop/dtoken.ts's), and HTTPS requests from Node
 * trusting the test CA.
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

/** The line test/run.mjs's reaper reads as "stopping servers, not hanging". */
export const SECURE_STOPPING = 'stopping the shared secure bed (sharedSecureBed)';
let shared: (SecureBed & { upMs: number }) | undefined;

/**
 * The secure bed every file of test/secure shares: started on first use (up --secure is
 * idempotent), stopped once when the uvu process exits (~35 s per start saved per file). Suites
 * keep to their own paths (uniq names) and leave nn1 active when they fail over. With
 * HBR_TB_NO_UP=1 the bed is left running (`testbed/down --secure` stops it).
 */
export function sharedSecureBed(): SecureBed & { upMs: number } {
  if (!shared) {
    shared = startSecureBed();
    if (process.env.HBR_TB_NO_UP === '1') return shared; // the caller manages the bed (test/run.mjs)
    process.once('exit', () => {
      try {
        console.log(SECURE_STOPPING);
        stopSecureBed();
      } catch (err) {
        console.error(`stopping the shared secure bed: ${(err as Error).message}`);
      }
    });
  }
  return shared;
}

/** Make nn1 the active NameNode (a bed left running, or a suite that failed over, may have nn2). */
export function nn1Active(): void {
  if (haadmin('-getServiceState', 'nn1').stdout.trim() !== 'active') runOk([join('testbed', 'bin', 'hdfs'), 'haadmin', '-failover', 'nn2', 'nn1'], 120_000);
}

/** `hdfs haadmin ARGS` as hbr (a member of the superuser group), logged in from its keytab. */
export const haadmin = (...args: string[]): Run => run([join('testbed', 'bin', 'hdfs'), 'haadmin', ...args], 120_000);

// ---------------------------------------------------------------- the token file (Writable format)
// The parser is the product's (src/hadoop/dtoken.ts): the smoke suite proves it on the real token.
export { parseTokenFile, type DelegationToken } from '../../src/hadoop/dtoken.js';
import { parseTokenFile, type DelegationToken } from '../../src/hadoop/dtoken.js';

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

/** `delegation=` and its value out of a URL, for messages (the product's redactor, src/model/errors.ts). */
export { redactSecrets as redact } from '../../src/model/errors.js';
