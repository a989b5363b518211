/**
 * The few ZooKeeper AdminServer calls hbr makes (3.9: `snapshot` streamed, `restore`), over
 * node:http so a request body can be streamed with a known length. The AdminServer answers JSON
 * `{ "command": …, "error": null | "…", … }` with the HTTP status set by the command (401/403
 * without the right auth, 429 when rate limited, 503 when disabled).
 *
 * The password goes only into the Authorization header: it is never part of a URL, an error
 * message or a log line.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';

export interface AdminAuth {
  user: string;
  password: string;
}

/** `<adminUrl>/commands/<name>`; an adminUrl that already ends in /commands is accepted too. */
export function commandUrl(adminUrl: string, command: string): URL {
  const base = new URL(adminUrl);
  base.username = '';
  base.password = '';
  const path = base.pathname.replace(/\/+$/, '');
  base.pathname = (path.endsWith('/commands') ? path : `${path}/commands`) + `/${command}`;
  return base;
}

/** The admin URL as it may be shown and recorded: no credentials, no query. */
export function displayUrl(adminUrl: string): string {
  const u = new URL(adminUrl);
  u.username = '';
  u.password = '';
  u.search = '';
  u.hash = '';
  return u.toString().replace(/\/+$/, '');
}

export function authHeader(auth: AdminAuth): string {
  if (auth.user.includes(':')) throw new Error('ZooKeeper admin user must not contain ":"');
  return `digest ${auth.user}:${auth.password}`;
}

export class AdminError extends Error {
  /**
   * @param retryable another client's concurrent `snapshot` may be the cause (it rewrites the file
   *   this request streams when both land on the same zxid); looking again may succeed.
   */
  constructor(message: string, readonly status?: number, readonly retryable = false) {
    super(message);
    this.name = 'AdminError';
  }
}

export interface AdminRequest {
  method: 'GET' | 'POST';
  auth?: AdminAuth;
  headers?: Record<string, string>;
  body?: Readable;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** One request; resolves with the response (body unread) whatever its status. */
export function adminRequest(url: URL, req: AdminRequest): Promise<IncomingMessage> {
  const headers: Record<string, string> = { ...req.headers };
  if (req.auth) headers.authorization = authHeader(req.auth);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = send(url, { method: req.method, headers, signal: req.signal, timeout: req.timeoutMs ?? 600_000 }, resolve);
    r.on('timeout', () => r.destroy(new AdminError(`${req.method} ${url.pathname}: no answer from ${url.host} in time`)));
    r.on('error', (err) => reject(err instanceof AdminError ? err : new AdminError(`${req.method} ${url.origin}${url.pathname}: ${err.message}`)));
    if (req.body) {
      req.body.on('error', (err) => r.destroy(err));
      req.body.pipe(r);
    } else {
      r.end();
    }
  });
}

export async function readBody(res: IncomingMessage, limit = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    n += c.length;
    if (n <= limit) chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The command's JSON answer; an HTTP status >= 400 or a non-null "error" is an AdminError. */
export async function commandResult(command: string, res: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(res);
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  const status = res.statusCode ?? 0;
  const error = json && typeof json.error === 'string' ? json.error : undefined;
  if (status >= 400 || error || !json) {
    throw new AdminError(`ZooKeeper admin command '${command}' failed: HTTP ${status}${hint(status)}${error ? `: ${error}` : ''}${!json ? `: ${printable(text)}` : ''}`, status);
  }
  return json;
}

/** A short, printable excerpt of an answer that was not the expected JSON. */
export function printable(text: string): string {
  const t = text.slice(0, 200).replace(/[^\x20-\x7e]+/g, ' ').trim();
  return t ? `'${t}'` : '(no text)';
}

export function hint(status: number): string {
  switch (status) {
    case 401: return ' (authentication required: a digest user with ALL on "/")';
    case 403: return ' (the admin user lacks ALL permission on "/")';
    case 429: return ' (rate limited: zookeeper.admin.rateLimiterIntervalInMS, 5 min by default)';
    case 503: return ' (command disabled: set zookeeper.admin.snapshot.enabled / zookeeper.admin.restore.enabled)';
    default: return '';
  }
}

/** Asks the server to write a snapshot to its own data dir now (non-streamed `snapshot`). */
export async function triggerSnapshot(adminUrl: string, auth: AdminAuth, signal?: AbortSignal): Promise<bigint> {
  const url = commandUrl(adminUrl, 'snapshot');
  url.searchParams.set('streaming', 'false'); // the default is to stream the file back
  const res = await adminRequest(url, { method: 'GET', auth, signal });
  await commandResult('snapshot', res);
  const z = res.headers['last_zxid'];
  if (typeof z !== 'string' || !/^0x[0-9a-f]+$/i.test(z)) throw new AdminError(`snapshot answered without a last_zxid header`);
  return BigInt(z);
}
