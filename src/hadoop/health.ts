/**
 * NameNode health for the daemon's gauges, read over the NameNode's HTTP server (the same base
 * URL as WebHDFS) rather than from the hdfs CLI: no JVM per poll.
 *
 * Block counts come from the JMX JSON servlet (org.apache.hadoop.jmx.JMXJsonServlet):
 *   GET <webhdfs>/jmx?qry=Hadoop:service=NameNode,name=FSNamesystem
 *   → { "beans": [ { "name": "Hadoop:service=NameNode,name=FSNamesystem", "MissingBlocks": 0,
 *                    "CorruptBlocks": 0, "UnderReplicatedBlocks": 0, "LowRedundancyBlocks": 0, … } ] }
 * This is the metrics2 bean. The other bean, `name=FSNamesystemState` (the FSNamesystemMBean), has
 * UnderReplicatedBlocks but neither MissingBlocks nor CorruptBlocks, so it is not used. In Hadoop
 * 3.x UnderReplicatedBlocks is deprecated and returns the same count as LowRedundancyBlocks
 * (replicated blocks + EC block groups); we fall back to the latter should the former go away.
 * An unknown bean is not an error for the servlet: it answers 200 with `"beans": []`.
 *
 * Trash comes from the configuration servlet (org.apache.hadoop.conf.ConfServlet):
 *   GET <webhdfs>/conf?name=fs.trash.interval   with   Accept: application/json
 *   → { "property": { "key": "fs.trash.interval", "value": "0", "isFinal": false, "resource": "core-default.xml" } }
 * Hadoop 3 picks JSON from the Accept header only (a `format=json` parameter is ignored and XML
 * comes back); `name=` narrows to one key (404 if the key is unknown). The NameNode's value is
 * the one that counts: clients take the server's trash interval (FsServerDefaults) when it is set.
 * Both servlets may require an admin when hadoop.security.instrumentation.requires.admin is on;
 * a /conf we cannot read makes `trashEnabled` unknown, not the poll a failure.
 *
 * A Kerberized cluster guards both servlets with SPNEGO and takes no delegation token there (only
 * WebHDFS does): they are read through hbr's keytab launcher (./jvm-login.ts `spnegoRequest`, one
 * JVM per call), trusting the cluster's ca_bundle; the trash interval then comes from WebHDFS
 * GETSERVERDEFAULTS (the same NameNode value, over the cached token: no second JVM). An HTTPS
 * cluster's CA bundle is trusted on every call (./webhdfs-http.ts). Of an HA cluster's NameNodes the
 * one whose bean says `tag.HAState: active` answers (docs/security.md).
 */
import { readFileSync } from 'node:fs';
import { webhdfsUrls, type HdfsCluster } from './cluster.js';
import { spnegoRequest } from './jvm-login.js';
import { webhdfsFor } from './webhdfs-client.js';
import { send } from './webhdfs-http.js';
import { transportReason } from '../model/errors.js';

export interface HdfsHealth {
  cluster: string;
  missingBlocks: number;
  corruptBlocks: number;
  underReplicatedBlocks: number;
  /** fs.trash.interval > 0 on the NameNode; undefined if the conf servlet could not tell */
  trashEnabled?: boolean;
}

export interface HdfsHealthOptions {
  /** per request, ms (default 10 s) */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const FSNAMESYSTEM_BEAN = 'Hadoop:service=NameNode,name=FSNamesystem';

export async function observeHdfsHealth(cluster: HdfsCluster, opts: HdfsHealthOptions = {}): Promise<HdfsHealth> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const kerberos = cluster.auth?.kind === 'kerberos';
  // Both at once; the trash read never rejects, so a JMX failure is the only failure.
  const [{ jmx, jmxUrl }, trashEnabled] = await Promise.all([
    activeJmx(cluster, timeoutMs, opts.signal),
    kerberos ? trashFromServerDefaults(cluster, timeoutMs) : readTrash(cluster, endpoint(cluster, '/conf', { name: 'fs.trash.interval' }), timeoutMs, opts.signal),
  ]);

  const beans = (jmx as { beans?: unknown } | null)?.beans;
  const bean = Array.isArray(beans) ? (beans as Record<string, unknown>[]).find((b) => b?.name === FSNAMESYSTEM_BEAN) : undefined;
  if (!bean) throw healthError(cluster, jmxUrl, `no ${FSNAMESYSTEM_BEAN} bean in the answer (not a NameNode, or it is still starting)`);

  const count = (...keys: string[]): number => {
    for (const k of keys) {
      const v = bean[k];
      if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
    }
    throw healthError(cluster, jmxUrl, `${keys.join(' / ')} missing or not a count in ${FSNAMESYSTEM_BEAN}`);
  };

  return {
    cluster: cluster.name,
    missingBlocks: count('MissingBlocks'),
    corruptBlocks: count('CorruptBlocks'),
    underReplicatedBlocks: count('UnderReplicatedBlocks', 'LowRedundancyBlocks'),
    ...(trashEnabled !== undefined && { trashEnabled }),
  };
}

/**
 * The /jmx answer for `bean` from the active NameNode: an HA cluster's are asked in order and the
 * one whose FSNamesystem bean says `tag.HAState: active` (or that has no such tag) answers; a lone
 * NameNode answers as it is. Also for ./corrupt-files.ts.
 */
export async function activeJmx(cluster: HdfsCluster, timeoutMs: number, signal?: AbortSignal, bean = FSNAMESYSTEM_BEAN): Promise<{ jmx: unknown; jmxUrl: URL }> {
  const bases = webhdfsUrls(cluster);
  let first: { jmx: unknown; jmxUrl: URL } | undefined;
  let lastErr: unknown;
  for (const base of bases) {
    // the FSNamesystem bean too when another is wanted: it alone tells active from standby
    const jmxUrl = endpoint(cluster, '/jmx', { qry: bases.length > 1 && bean !== FSNAMESYSTEM_BEAN ? `Hadoop:service=NameNode,name=*` : bean }, base);
    try {
      const jmx = await getJson(cluster, jmxUrl, timeoutMs, signal);
      const beans = (jmx as { beans?: Array<Record<string, unknown>> } | null)?.beans;
      const state = Array.isArray(beans) ? beans.find((b) => b?.name === FSNAMESYSTEM_BEAN)?.['tag.HAState'] : undefined;
      if (bases.length === 1 || state === undefined || state === 'active') return { jmx, jmxUrl };
      first ??= { jmx, jmxUrl };
    } catch (err) {
      lastErr = err;
    }
  }
  if (first) return first; // none says active (a failover in progress): a standby's counts, as good as none
  throw lastErr;
}

/** fs.trash.interval as the NameNode serves it to clients (GETSERVERDEFAULTS trashInterval, minutes); undefined if unreadable. */
async function trashFromServerDefaults(cluster: HdfsCluster, timeoutMs: number): Promise<boolean | undefined> {
  try {
    const d = await webhdfsFor(cluster, timeoutMs).getServerDefaults();
    return typeof d.trashInterval === 'number' ? d.trashInterval > 0 : undefined;
  } catch {
    return undefined;
  }
}

/** undefined when the servlet is missing, forbidden, unreachable or answers something unexpected. */
async function readTrash(cluster: HdfsCluster, url: URL, timeoutMs: number, signal: AbortSignal | undefined): Promise<boolean | undefined> {
  let body: unknown;
  try {
    body = await getJson(cluster, url, timeoutMs, signal);
  } catch {
    return undefined;
  }
  const raw = (body as { property?: { key?: unknown; value?: unknown } } | null)?.property;
  if (raw?.key !== 'fs.trash.interval') return undefined;
  // minutes, a float in Hadoop (Configuration.getFloat); "0" or negative = no trash
  const minutes = Number(String(raw.value).trim());
  return Number.isFinite(minutes) ? minutes > 0 : undefined;
}

/**
 * One key of the NameNode's configuration through its /conf servlet (as for fs.trash.interval
 * above); undefined when the servlet cannot be read or does not know the key.
 */
export async function readNameNodeConf(cluster: HdfsCluster, key: string, timeoutMs = 10_000): Promise<string | undefined> {
  let body: unknown;
  try {
    body = await getJson(cluster, endpoint(cluster, '/conf', { name: key }), timeoutMs, undefined);
  } catch {
    return undefined;
  }
  const raw = (body as { property?: { key?: unknown; value?: unknown } } | null)?.property;
  return raw?.key === key && raw.value !== undefined && raw.value !== null ? String(raw.value) : undefined;
}

function endpoint(cluster: HdfsCluster, path: string, params: Record<string, string>, base = webhdfsUrls(cluster)[0] ?? cluster.webhdfs): URL {
  const u = new URL(base.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  // Simple auth: a NameNode that refuses anonymous HTTP wants user.name on every servlet, not only WebHDFS.
  if (cluster.user !== undefined) u.searchParams.set('user.name', cluster.user);
  return u;
}

async function getJson(cluster: HdfsCluster, url: URL, timeoutMs: number, signal: AbortSignal | undefined): Promise<unknown> {
  // fetch would refuse such a URL anyway, but with an error message that repeats it whole.
  if (url.username || url.password) throw healthError(cluster, url, 'user:password@ in the webhdfs URL is not supported');
  if (cluster.auth?.kind === 'kerberos') {
    const { principal, keytab, krb5Conf } = cluster.auth;
    let r: { status: number; body: string };
    try {
      // a JVM's start is seconds of the budget on a loaded host: at least a minute for it
      r = await spnegoRequest({ principal, keytab, ...(krb5Conf !== undefined && { krb5Conf }) }, 'GET', url.toString(), {
        ...(cluster.caBundle !== undefined && { caPem: cluster.caBundle }),
        timeoutMs: Math.max(timeoutMs, 60_000),
        ...(signal && { signal }),
      });
    } catch (err) {
      throw healthError(cluster, url, (err as Error).message.replace(/^GET \S+ /, ''));
    }
    return answer(cluster, url, r.status, '', r.body);
  }
  if (url.protocol === 'https:' && cluster.caBundle !== undefined) {
    let a;
    try {
      a = await send(url.toString(), { method: 'GET', headers: { accept: 'application/json' }, ca: readFileSync(cluster.caBundle), timeoutMs });
    } catch (err) {
      throw healthError(cluster, url, transportReason(err));
    }
    return answer(cluster, url, a.status, '', a.body.toString('utf8'));
  }
  const timeout = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
    });
  } catch (err) {
    if (timeout.aborted) throw healthError(cluster, url, `no answer within ${timeoutMs} ms`);
    if (signal?.aborted) throw healthError(cluster, url, 'aborted');
    throw healthError(cluster, url, transportReason(err));
  }
  return answer(cluster, url, res.status, res.statusText, await res.text());
}

function answer(cluster: HdfsCluster, url: URL, status: number, statusText: string, body: string): unknown {
  if (status < 200 || status >= 300) {
    const hint = status === 401 || status === 403 ? ' (authentication required, or instrumentation needs an admin)' : '';
    throw healthError(cluster, url, `HTTP ${status}${statusText ? ` ${statusText}` : ''}${hint}`);
  }
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    throw healthError(cluster, url, `not JSON: ${(err as Error).message}`);
  }
}

function healthError(cluster: HdfsCluster, url: URL, reason: string): Error {
  return new Error(`NameNode health of cluster '${cluster.name}': GET ${displayUrl(url)}: ${reason}`);
}

/** The URL as it may appear in logs: no userinfo, no user.name. */
function displayUrl(url: URL): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  u.searchParams.delete('user.name');
  // URLSearchParams encodes ':' ',' '=' in the bean name; decoded reads better and is still unambiguous here.
  return decodeURIComponent(u.toString());
}
