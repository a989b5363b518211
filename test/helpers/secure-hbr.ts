/**
 * Running the built hbr against the secure test bed (test/secure/web*.test.ts; docs/security.md):
 * a policy for the Kerberized HA primary (nameservice hbrns, https://, ca_bundle, keytab), the CLI
 * with the bed's launcher (testbed/bin/hadoop with HBR_TB_SECURE=1 runs dtutil on the secure
 * config), a product WebHDFS client for setting up and checking, and the search for a secret in
 * everything hbr printed or wrote.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HdfsCluster } from '../../src/hadoop/cluster.js';
import { webhdfsFor } from '../../src/hadoop/webhdfs-client.js';
import type { WebHdfs } from '../../src/hadoop/webhdfs.js';
import { HBR, type HbrResult } from './hbr.js';
import { secureState, type SecureBed } from './secure.js';
import { repoRoot } from './testbed.js';

export interface SecurePolicy {
  /** policy name → snapshottable directory */
  dirs: Record<string, string>;
  keytab?: string;
  principal?: string;
  ca?: string;
  /** namenodes' order (default nn1, nn2) */
  order?: ['nn1' | 'nn2', 'nn1' | 'nn2'];
  /** every policy's source retention (default { last: 3 }), DR retention (default { last: 3 }), rpo */
  keep?: string;
  drKeep?: string;
  rpo?: string;
}

/**
 * A policy file: cluster `prod` = the bed's HA primary, one snapshot policy per directory; with
 * `replicateTo`, also cluster `dr` (the secure DR) and each policy replicating to `<dst>`.
 */
/**
 * The YAML of cluster `prod` (two-space indent, under `clusters:`): the bed's HA primary with
 * hbr's keytab and the bed's CA, namenodes in `order`.
 */
export function securePrimaryYaml(bed: SecureBed, o: Pick<SecurePolicy, 'keytab' | 'principal' | 'ca' | 'order'> & { confDir?: string } = {}): string {
  const urls = { nn1: bed.nn1, nn2: bed.nn2 };
  const rpc = { nn1: 'localhost:' + (process.env.HBR_TB_SECURE_NN1_RPC ?? '41020'), nn2: 'localhost:' + (process.env.HBR_TB_SECURE_NN2_RPC ?? '41021') };
  const [a, b] = o.order ?? ['nn1', 'nn2'];
  return `  prod:
    hdfs:
      nameservice: ${bed.nameservice}
      namenodes:
        ${a}: { http: ${urls[a]}, rpc: ${rpc[a]} }
        ${b}: { http: ${urls[b]}, rpc: ${rpc[b]} }
      ${kerberosYaml(bed, o)}
${o.confDir ? `      conf_dir: ${o.confDir}\n` : ''}`;
}

function kerberosYaml(bed: SecureBed, o: Pick<SecurePolicy, 'keytab' | 'principal' | 'ca'>): string {
  return `auth:\n        kerberos: { principal: ${o.principal ?? bed.hbrPrincipal}, keytab: ${o.keytab ?? bed.hbrKeytab}, krb5_conf: ${bed.krb5Conf} }\n      ca_bundle: ${o.ca ?? bed.caPem}`;
}

export function writeSecurePolicy(file: string, bed: SecureBed, o: SecurePolicy & { replicateTo?: Record<string, string>; confDir?: string; distcp?: string }): string {
  const dr = o.replicateTo ? `  dr:\n    hdfs:\n      webhdfs: ${bed.dr}\n      fs: ${bed.drFs}\n      ${kerberosYaml(bed, o)}\n` : '';
  const to = (name: string) => (o.replicateTo?.[name] ? `${o.rpo ? `    rpo: ${o.rpo}\n` : ''}    replicate:\n      - to: { cluster: dr, path: ${o.replicateTo[name]} }\n        keep: ${o.drKeep ?? '{ last: 3 }'}\n${o.distcp ? `        distcp: ${o.distcp}\n` : ''}` : '');
  writeFileSync(
    file,
    `version: 1
clusters:
${securePrimaryYaml(bed, o)}${dr}policies:
${Object.entries(o.dirs)
  .map(([name, path]) => `  ${name}:\n    source: { cluster: prod, path: ${path} }\n    snapshots: { every: 1h, keep: ${o.keep ?? '{ last: 3 }'} }\n${to(name)}`)
  .join('')}`,
  );
  return file;
}

/** The bed's primary as hbr's cluster model sees it, for a client in the test process. */
export function primaryCluster(bed: SecureBed): HdfsCluster {
  return {
    name: 'test-prod',
    kind: 'hdfs',
    webhdfs: bed.nn1,
    fs: bed.fs,
    nameservice: bed.nameservice,
    namenodes: [{ name: 'nn1', http: bed.nn1 }, { name: 'nn2', http: bed.nn2 }],
    auth: { kind: 'kerberos', principal: bed.hbrPrincipal, keytab: bed.hbrKeytab, krb5Conf: bed.krb5Conf },
    caBundle: bed.caPem,
    at: { file: 'test', line: 1, col: 1 },
  };
}

/** The product's WebHDFS client on the primary (a token fetched in this process, memory only). */
export function primaryClient(bed: SecureBed): WebHdfs {
  Object.assign(process.env, { HBR_HADOOP: secureEnv().HBR_HADOOP, HBR_TB_STATE: secureState(), HBR_TB_SECURE: '1' }); // dtutil through the bed's launcher
  return webhdfsFor(primaryCluster(bed));
}

export function secureEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, HBR_HADOOP: join(repoRoot, 'testbed', 'bin', 'hadoop'), HBR_TB_STATE: secureState(), HBR_TB_SECURE: '1', ...extra };
}

/** `hbr ARGS` against the secure bed; `onSpawn` gets the child (to act while it runs). */
export function hbrSecure(args: string[], extra: Record<string, string> = {}, onSpawn?: (child: ChildProcess) => void): Promise<HbrResult & { ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HBR, ...args], { env: secureEnv(extra), stdio: ['ignore', 'pipe', 'pipe'] });
    onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 }));
  });
}

/** Every file under `dir` (recursively) whose bytes contain `secret`, but those `except` names. */
export function filesHolding(dir: string, secret: string | Buffer, except: (path: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (!except(p) && readFileSync(p).includes(secret)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The cached token's urlString (the file hbr writes under <state-dir>/tokens, src/hadoop/dtoken.ts). */
export function cachedToken(stateDir: string, cluster = 'prod'): { file: string; urlString: string; raw: Record<string, unknown> } {
  const file = join(stateDir, 'tokens', `${cluster}.token`);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { token: { urlString: string } };
  return { file, urlString: raw.token.urlString, raw };
}

/** The same token with one byte of its password changed (WebHDFS answers 403 "password doesn't match"). */
export function forge(urlString: string): string {
  const b = Buffer.from(urlString, 'base64url');
  const vint = (o: number): [number, number] => {
    const f = ((b[o] ?? 0) << 24) >> 24;
    if (f >= -112) return [f, o + 1];
    const len = -111 - f;
    let v = 0;
    for (let i = 1; i < len; i++) v = v * 256 + (b[o + i] ?? 0);
    return [v, o + len];
  };
  const [idLen, p] = vint(0);
  const [, q] = vint(p + idLen);
  b[q] = (b[q]! ^ 0xff) & 0xff;
  return b.toString('base64url');
}
