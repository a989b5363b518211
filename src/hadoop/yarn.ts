/**
 * DistCp on YARN (issue 15; docs/design/secure-proposal.md §5): the tags hbr gives each job, and
 * finding and killing hbr's applications through the ResourceManager's REST API, so an abort, a
 * deadline or the next start's orphan reaping stops the *job*, not only its client JVM (killing the
 * client leaves the MR ApplicationMaster copying).
 *
 * REST (hadoop-yarn-server-resourcemanager RMWebServices / RMWSConsts, 3.4.3):
 *   GET /ws/v1/cluster/apps?applicationTags=<tag>&states=NEW,NEW_SAVING,SUBMITTED,ACCEPTED,RUNNING
 *   PUT /ws/v1/cluster/apps/{id}/state  {"state":"KILLED"}  → 202 while killing, 200 once killed
 * A Kerberized RM's web app asks for SPNEGO (RMAuthenticationFilter) and takes no HDFS token, so the
 * calls then go through hbr's keytab launcher (./jvm-login.ts `rest`); a simple-auth RM gets
 * `user.name=`. Tags: YARN lower-cases them and keeps at most 10 of at most 100 characters
 * (yarn.resourcemanager.application.max-tags / max-tag.length, YarnConfiguration defaults).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { spnegoRequest, type KerberosLogin } from './jvm-login.js';

/** How to reach one ResourceManager's REST API. */
export interface RmAccess {
  /** base URL of its web app, e.g. https://rm.example.com:8090 */
  webapp: string;
  /** Kerberized RM: calls go through the keytab launcher with SPNEGO */
  login?: KerberosLogin;
  /** PEM CA bundle for an https web app */
  caPem?: string;
  /** simple auth: the user.name to call as */
  user?: string;
  /** the `hadoop` launcher (Kerberized RM only) */
  hadoop?: string;
}

export interface YarnApp {
  id: string;
  state: string;
  user: string;
  tags: string[];
  progress: number;
}

export const UNFINISHED_STATES = ['NEW', 'NEW_SAVING', 'SUBMITTED', 'ACCEPTED', 'RUNNING'] as const;
const MAX_TAGS = 10;
const MAX_TAG_LENGTH = 100;

/** A tag YARN keeps as given: lower-case ASCII letters, digits, `.`, `_`, `-`; at most 100 characters. */
export function sanitizeTag(raw: string): string {
  return raw.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, MAX_TAG_LENGTH);
}

/** `hbr-owner-<8 hex>`: one deployment (its coordination path, or its state dir's real path). */
export function ownerTag(identity: string): string {
  return `hbr-owner-${createHash('sha256').update(identity).digest('hex').slice(0, 8)}`;
}

/** `hbr-step-<marker hex>` for a DistCp's `hbr-step=<hex>` marker (./distcp.ts). */
export function stepTag(marker: string): string {
  return sanitizeTag(`hbr-step-${marker.replace(/^hbr-step=/, '')}`);
}

/** The job's tags (proposal §5.1): hbr, its owner, its step marker, its policy; ≤ 10, deduplicated. */
export function jobTags(t: { marker: string; owner: string; policy?: string }): string[] {
  const tags = ['hbr', sanitizeTag(t.owner), stepTag(t.marker)];
  if (t.policy) tags.push(sanitizeTag(`hbr-policy-${t.policy}`).slice(0, 80));
  return [...new Set(tags.filter(Boolean))].slice(0, MAX_TAGS);
}

/** The application id in a line of the DistCp client's log (`Submitted application …`, `Running job: job_…`). */
export function appIdFromLog(line: string): string | undefined {
  const app = /\b(application_\d+_\d+)\b/.exec(line);
  if (app) return app[1];
  const job = /\bjob_(\d+_\d+)\b/.exec(line);
  return job ? `application_${job[1]}` : undefined;
}

/** GET /ws/v1/cluster/apps's answer: `{"apps":{"app":[...]}}`, or `{"apps":null}`/`{"apps":{}}` for none. */
export function parseApps(body: string): YarnApp[] {
  const doc = JSON.parse(body) as { apps?: { app?: Record<string, unknown>[] } | null };
  return (doc.apps?.app ?? []).map((a) => ({
    id: String(a.id),
    state: String(a.state),
    user: String(a.user ?? ''),
    tags: typeof a.applicationTags === 'string' && a.applicationTags ? a.applicationTags.split(',') : [],
    progress: Number(a.progress ?? 0),
  }));
}

/** The `<name>`→`<value>` pairs of one Hadoop *-site.xml (no includes, no variable expansion). */
export function siteProperties(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of xml.matchAll(/<property>([\s\S]*?)<\/property>/g)) {
    const name = /<name>\s*([^<]*?)\s*<\/name>/.exec(m[1]!)?.[1];
    const value = /<value>([^<]*)<\/value>/.exec(m[1]!)?.[1];
    if (name) out.set(name, (value ?? '').trim());
  }
  return out;
}

function site(confDir: string, file: string): Map<string, string> {
  try {
    return siteProperties(readFileSync(join(confDir, file), 'utf8'));
  } catch {
    return new Map();
  }
}

/**
 * The RM's web app from a Hadoop conf dir when its MapReduce runs on YARN
 * (mapred-site.xml mapreduce.framework.name=yarn); undefined for the local job runner.
 * yarn.http.policy=HTTPS_ONLY → yarn.resourcemanager.webapp.https.address, else .webapp.address.
 */
export function rmWebappFromConfDir(confDir: string): string | undefined {
  if (site(confDir, 'mapred-site.xml').get('mapreduce.framework.name') !== 'yarn') return undefined;
  const y = site(confDir, 'yarn-site.xml');
  const host = y.get('yarn.resourcemanager.hostname') ?? '0.0.0.0';
  if (y.get('yarn.http.policy') === 'HTTPS_ONLY') return `https://${y.get('yarn.resourcemanager.webapp.https.address') ?? `${host}:8090`}`;
  return `http://${y.get('yarn.resourcemanager.webapp.address') ?? `${host}:8088`}`;
}

/** Bodies of error answers are shortened; they hold ids and messages, never credentials. */
function short(body: string): string {
  const m = /"message"\s*:\s*"([^"]*)"/.exec(body);
  return (m?.[1] ?? body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')).trim().slice(0, 300);
}

async function plainRequest(rm: RmAccess, method: 'GET' | 'PUT', url: string, body?: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  if (rm.user) u.searchParams.set('user.name', rm.user);
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(u, {
      method,
      headers: { Accept: 'application/json', ...(body && { 'Content-Type': 'application/json' }) },
      ...(rm.caPem && { ca: readFileSync(rm.caPem) }),
      timeout: 30_000,
    }, (res) => {
      let data = '';
      res.setEncoding('utf8').on('data', (d: string) => (data += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${u.origin}${u.pathname}: no answer in 30 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** One REST call to the RM: SPNEGO through the launcher when it is Kerberized, plain HTTP(S) otherwise. */
export async function rmRequest(rm: RmAccess, method: 'GET' | 'PUT', path: string, body?: string): Promise<{ status: number; body: string }> {
  const url = `${rm.webapp.replace(/\/+$/, '')}${path}`;
  if (!rm.login) return plainRequest(rm, method, url, body);
  return spnegoRequest(rm.login, method, url, { ...(rm.caPem && { caPem: rm.caPem }), ...(rm.hadoop && { hadoop: rm.hadoop }), ...(body !== undefined && { body }) });
}

/** hbr's applications carrying `tag` that are not finished. */
export async function findApps(rm: RmAccess, tag: string, states: readonly string[] = UNFINISHED_STATES): Promise<YarnApp[]> {
  const r = await rmRequest(rm, 'GET', `/ws/v1/cluster/apps?applicationTags=${encodeURIComponent(sanitizeTag(tag))}&states=${states.join(',')}`);
  if (r.status !== 200) throw new Error(`ResourceManager ${rm.webapp}: listing applications tagged ${tag} answered ${r.status}: ${short(r.body)}`);
  return parseApps(r.body);
}

/** The application's state (GET /ws/v1/cluster/apps/{id}/state). */
export async function appState(rm: RmAccess, id: string): Promise<string> {
  const r = await rmRequest(rm, 'GET', `/ws/v1/cluster/apps/${encodeURIComponent(id)}/state`);
  if (r.status !== 200) throw new Error(`ResourceManager ${rm.webapp}: state of ${id} answered ${r.status}: ${short(r.body)}`);
  return String((JSON.parse(r.body) as { state?: string }).state);
}

/** Asks the RM to kill `id`; resolves once accepted (202) or done (200); an app already finished is fine. */
export async function killApp(rm: RmAccess, id: string): Promise<void> {
  const r = await rmRequest(rm, 'PUT', `/ws/v1/cluster/apps/${encodeURIComponent(id)}/state`, '{"state":"KILLED"}');
  if (r.status === 200 || r.status === 202) return;
  // RMWebServices.killApp answers 400 "… is already in a final state" style errors for finished apps
  if (/final state|FINISHED|FAILED|KILLED/.test(r.body) && r.status === 400) return;
  throw new Error(`ResourceManager ${rm.webapp}: killing ${id} answered ${r.status}: ${short(r.body)}`);
}

/** Kills every unfinished application tagged `tag`; returns their ids. */
export async function killTagged(rm: RmAccess, tag: string, log: (m: string) => void = () => {}): Promise<string[]> {
  const apps = await findApps(rm, tag);
  for (const a of apps) {
    log(`killing YARN application ${a.id} (${a.state}, tagged ${tag}) left by an interrupted run`);
    await killApp(rm, a.id);
  }
  return apps.map((a) => a.id);
}
