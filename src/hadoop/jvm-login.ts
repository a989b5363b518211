/**
 * Running a Hadoop JVM tool logged in from a keytab, without kinit or a ticket cache
 * (docs/design/secure-proposal.md §7.3): hbr ships a tiny launcher, dev.hbr.KeytabRun
 * (java/dev/hbr/KeytabRun.java, compiled into dist/java by `npm run build`), run through the
 * operator's own `hadoop` launcher as `hadoop dev.hbr.KeytabRun run <main-class> ARGS` with
 * HADOOP_CLASSPATH pointing at it; it logs in (UserGroupInformation.loginUserFromKeytab) and calls
 * the tool's main, or makes one REST call with SPNEGO (`rest METHOD URL [CA-PEM]`, for the
 * ResourceManager: ./yarn.ts). Only paths and the principal travel (in the environment); the keytab's
 * bytes are read by the JVM alone and never reach argv, logs or errors.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runHadoop } from './cli.js';

/** The plain options a cluster's `auth: { kind: 'kerberos', ... }` and `confDir` map onto. */
export interface KerberosLogin {
  principal: string;
  /** path of the keytab (read by the JVM only) */
  keytab: string;
  /** krb5.conf for the JVM (java.security.krb5.conf); default: the JVM's own lookup */
  krb5Conf?: string;
  /** the cluster's Hadoop conf dir, as HADOOP_CONF_DIR */
  confDir?: string;
}

export const LAUNCHER_CLASS = 'dev.hbr.KeytabRun';

/**
 * Where dev/hbr/KeytabRun.class lives: $HBR_LAUNCHER_CLASSPATH, else <repo>/dist/java (the same
 * from dist/hadoop/ and, under tsx, src/hadoop/).
 */
export function launcherClasspath(env: NodeJS.ProcessEnv = process.env): string {
  return env.HBR_LAUNCHER_CLASSPATH ?? fileURLToPath(new URL('../../dist/java', import.meta.url));
}

/** The environment a launched JVM needs: the launcher on HADOOP_CLASSPATH, who to log in as. */
export function loginEnv(login: KerberosLogin, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const cp = launcherClasspath(base);
  if (!existsSync(join(cp, 'dev', 'hbr', 'KeytabRun.class'))) {
    throw new Error(`hbr's keytab launcher is not built (${join(cp, 'dev', 'hbr', 'KeytabRun.class')} missing): run \`npm run build\` with a JDK's javac on PATH`);
  }
  const env: NodeJS.ProcessEnv = {
    ...base,
    HADOOP_CLASSPATH: base.HADOOP_CLASSPATH ? `${cp}:${base.HADOOP_CLASSPATH}` : cp,
    HBR_KRB_PRINCIPAL: login.principal,
    HBR_KRB_KEYTAB: login.keytab,
  };
  if (login.krb5Conf) env.HBR_KRB5_CONF = login.krb5Conf;
  if (login.confDir) env.HADOOP_CONF_DIR = login.confDir;
  return env;
}

/**
 * argv and env for `hadoop <sub> ARGS` (e.g. `distcp`), whose main class is `mainClass`: unchanged
 * without a login; through the launcher with one.
 */
export function toolCommand(
  login: KerberosLogin | undefined,
  tool: { sub: string; mainClass: string },
  args: readonly string[],
  base: NodeJS.ProcessEnv = process.env,
): { argv: string[]; env: NodeJS.ProcessEnv } {
  if (!login) return { argv: [tool.sub, ...args], env: base };
  return { argv: [LAUNCHER_CLASS, 'run', tool.mainClass, ...args], env: loginEnv(login, base) };
}

/** argv for one REST call with SPNEGO through the launcher (the body, if any, goes on stdin). */
export function restCommand(method: 'GET' | 'PUT', url: string, caPem?: string): string[] {
  return [LAUNCHER_CLASS, 'rest', method, url, ...(caPem ? [caPem] : [])];
}

/**
 * One HTTP call with SPNEGO, logged in from the keytab, through the launcher (one JVM): the
 * ResourceManager's REST (./yarn.ts) and the NameNode's /jmx and /conf servlets (./health.ts),
 * which a Kerberized cluster guards with SPNEGO and where an HDFS delegation token is not taken.
 * Resolves with the status and body; rejects when the launcher printed no answer (login failed,
 * no route, untrusted certificate), with the last lines of its stderr that are not stack frames.
 */
export async function spnegoRequest(
  login: KerberosLogin,
  method: 'GET' | 'PUT',
  url: string,
  o: { caPem?: string; hadoop?: string; body?: string; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ status: number; body: string }> {
  const r = await runHadoop(restCommand(method, url, o.caPem), {
    ...(o.hadoop && { hadoop: o.hadoop }),
    env: loginEnv(login),
    ...(o.body !== undefined && { input: o.body }),
    ...(o.signal && { signal: o.signal }),
    timeoutMs: o.timeoutMs ?? 120_000,
  });
  const m = /^HBR-HTTP (\d+)\n([\s\S]*)$/m.exec(r.stdout);
  if (!m) {
    const why = r.stderr.trim().split('\n').filter((l) => !/^\s+at |^\s+\.\.\. \d+ more/.test(l)).slice(-3).join(' ');
    throw new Error(`${method} ${url} through hbr's keytab launcher failed (exit ${r.code ?? r.signal}): ${why}`);
  }
  return { status: Number(m[1]), body: m[2]!.trim() };
}
