/**
 * Webhooks: one JSON POST per daemon event to every webhook that asked for it.
 *
 * Delivery is fire-and-forget — a slow or dead endpoint must never hold up a reconcile — with a
 * few retries for what may pass (network errors, timeouts, 5xx, 429) and none for what will not
 * (other 4xx, redirects). `flush` lets the daemon wait for what is still in flight at shutdown;
 * when its time is up, what is left is abandoned (aborted), so nothing outlives the daemon.
 *
 * A webhook URL is often the secret itself (Slack-style), and a bearer token always is: logs and
 * error messages carry only the webhook's name and the URL's origin (scheme://host:port).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { transportReason } from '../model/errors.js';
import type { NotifyEvent, Webhook } from '../model/policy.js';

export interface Notification {
  event: NotifyEvent;
  policy?: string;
  /** ISO 8601 */
  at: string;
  summary: string;
  details?: Record<string, unknown>;
}

export interface Notifier {
  /** Sends in the background; never throws, never waits. */
  notify(n: Notification): void;
  /**
   * Waits for the deliveries in flight (retries included). With `timeoutMs`, waits at most that
   * long, then abandons what is left (logged) so no request or backoff timer holds the process.
   */
  flush(timeoutMs?: number): Promise<void>;
}

export type NotifyLog = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export interface NotifierOptions {
  /** where urlEnv / bearerEnv are looked up (default process.env) */
  env?: NodeJS.ProcessEnv;
  log?: NotifyLog;
  /** per request, ms (default 10 s) */
  timeoutMs?: number;
  /** retries after the first attempt (default 3) */
  retries?: number;
  /** the first retry's delay, doubled for each next one (default 1 s: 1 s, 2 s, 4 s) */
  retryBaseMs?: number;
  fetchImpl?: typeof fetch;
}

/** The JSON body every webhook receives. */
export interface WebhookPayload {
  source: 'hbr';
  host: string;
  event: NotifyEvent;
  policy: string | null;
  at: string;
  summary: string;
  details: Record<string, unknown>;
}

/** A webhook ready to send to: URL and token resolved from the environment. */
interface Target {
  name: string;
  events: ReadonlySet<NotifyEvent>;
  url: URL;
  /** scheme://host:port, the only part of the URL that may be logged */
  origin: string;
  token: string | undefined;
  /** strings to strip from any error text before it is logged (URL, path+query, token) */
  secrets: string[];
}

export function createNotifier(webhooks: Webhook[], opts: NotifierOptions = {}): Notifier {
  const env = opts.env ?? process.env;
  const log = safeLog(opts.log);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const retries = Math.max(0, opts.retries ?? 3);
  const retryBaseMs = opts.retryBaseMs ?? 1_000;
  const fetchImpl = opts.fetchImpl ?? fetch;
  const userAgent = `hbr/${packageVersion()}`;
  const host = hostname();

  // Resolved once, at creation: a misconfigured webhook is reported once (here), not per event.
  const targets = webhooks.map((w) => resolveTarget(w, env, log)).filter((t): t is Target => t !== undefined);
  /** each delivery in flight, with the switch flush() uses to abandon it */
  const inflight = new Map<Promise<void>, AbortController>();

  async function deliver(t: Target, n: Notification, body: string, abandon: AbortSignal): Promise<void> {
    const fields = { webhook: t.name, origin: t.origin, event: n.event, ...(n.policy !== undefined && { policy: n.policy }) };
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': userAgent };
    if (t.token !== undefined) headers.authorization = `Bearer ${t.token}`;

    for (let attempt = 1; ; attempt++) {
      if (abandon.aborted) {
        log('warn', `webhook ${t.name}: ${n.event} abandoned after ${attempt - 1} attempt(s) (shutting down)`, { ...fields, attempts: attempt - 1 });
        return;
      }
      let reason: string;
      let retryable: boolean;
      try {
        const res = await fetchImpl(t.url, {
          method: 'POST',
          headers,
          body,
          // Redirects are not followed: the body (and the token) go only where the config says.
          redirect: 'manual',
          signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), abandon]),
        });
        // The answer's body is of no use to us and may echo what we sent; drop it unread.
        await res.body?.cancel().catch(() => {});
        if (res.ok) {
          log('info', `webhook ${t.name}: ${n.event} delivered`, { ...fields, status: res.status, attempts: attempt });
          return;
        }
        reason = `HTTP ${res.status}`;
        retryable = res.status >= 500 || res.status === 429;
      } catch (err) {
        if (abandon.aborted) continue; // reported at the top of the loop
        reason = (err as Error)?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : scrub(transportReason(err), t.secrets);
        retryable = true;
      }
      if (!retryable || attempt > retries) {
        log('error', `webhook ${t.name}: ${n.event} not delivered: ${reason}${retryable ? ` after ${attempt} attempts` : ''}`, { ...fields, attempts: attempt, error: reason });
        return;
      }
      const delayMs = retryBaseMs * 2 ** (attempt - 1);
      log('warn', `webhook ${t.name}: ${n.event} attempt ${attempt} failed (${reason}); retrying in ${delayMs} ms`, { ...fields, attempts: attempt, error: reason });
      await sleep(delayMs, abandon);
    }
  }

  return {
    notify(n: Notification): void {
      try {
        const wanted = targets.filter((t) => t.events.has(n.event));
        if (wanted.length === 0) return;
        const payload: WebhookPayload = {
          source: 'hbr',
          host,
          event: n.event,
          policy: n.policy ?? null,
          at: n.at,
          summary: n.summary,
          details: n.details ?? {},
        };
        const body = JSON.stringify(payload);
        for (const t of wanted) {
          const ac = new AbortController();
          const p = deliver(t, n, body, ac.signal).catch((err: unknown) => {
            // deliver handles its own failures; this is only a last guard for "never throws".
            log('error', `webhook ${t.name}: ${n.event} delivery crashed: ${scrub(String((err as Error)?.message ?? err), t.secrets)}`, { webhook: t.name, origin: t.origin });
          });
          inflight.set(p, ac);
          void p.finally(() => inflight.delete(p));
        }
      } catch (err) {
        // e.g. details that JSON cannot hold (a cycle, a BigInt)
        log('error', `webhook notification ${n?.event} not sent: ${(err as Error)?.message ?? String(err)}`, { event: n?.event });
      }
    },

    async flush(flushTimeoutMs?: number): Promise<void> {
      if (inflight.size === 0) return;
      const pending = [...inflight];
      const all = Promise.allSettled(pending.map(([p]) => p)).then(() => true);
      if (flushTimeoutMs === undefined) {
        await all;
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((r) => { timer = setTimeout(() => r(false), flushTimeoutMs); });
      const done = await Promise.race([all, timedOut]);
      clearTimeout(timer);
      if (done) return;
      log('warn', `webhooks: ${inflight.size} delivery(ies) still in flight after ${flushTimeoutMs} ms; abandoning them`, { pending: inflight.size });
      for (const [, ac] of pending) ac.abort();
      // Aborting settles them promptly (each logs what it gave up on); wait for that, not for the network.
      await all;
    },
  };
}

function resolveTarget(w: Webhook, env: NodeJS.ProcessEnv, log: NotifyLog): Target | undefined {
  const raw = w.url ?? (w.urlEnv !== undefined ? env[w.urlEnv] : undefined);
  if (!raw) {
    const why = w.urlEnv !== undefined ? `environment variable ${w.urlEnv} is not set` : 'it has neither url nor url_env';
    log('error', `webhook ${w.name} disabled: ${why}`, { webhook: w.name });
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The text itself may be the secret: say what is wrong, not what it is.
    log('error', `webhook ${w.name} disabled: its URL does not parse`, { webhook: w.name });
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    log('error', `webhook ${w.name} disabled: URL scheme ${url.protocol} is not http(s)`, { webhook: w.name });
    return undefined;
  }
  if (url.username || url.password) {
    // fetch refuses such URLs (with an error that quotes them); a token belongs in bearer_env.
    log('error', `webhook ${w.name} disabled: user:password@ in the URL is not supported (use bearer_env)`, { webhook: w.name, origin: url.origin });
    return undefined;
  }
  let token: string | undefined;
  if (w.bearerEnv !== undefined) {
    token = env[w.bearerEnv];
    if (!token) {
      // Sending without the token would only earn a 401 — or hand the payload to whoever answers.
      log('error', `webhook ${w.name} disabled: environment variable ${w.bearerEnv} (bearer token) is not set`, { webhook: w.name, origin: url.origin });
      return undefined;
    }
  }
  const pathAndQuery = url.pathname + url.search;
  return {
    name: w.name,
    events: new Set(w.events),
    url,
    origin: url.origin,
    token,
    secrets: [raw, url.href, ...(pathAndQuery.length > 1 ? [pathAndQuery] : []), ...(token ? [token] : [])],
  };
}

function scrub(text: string, secrets: string[]): string {
  let out = text;
  // longest first, so the whole URL goes before its path does
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s) out = out.split(s).join('[REDACTED]');
  return out;
}

/** A logger that throws must not turn into an unhandled rejection in a fire-and-forget path. */
function safeLog(log: NotifyLog | undefined): NotifyLog {
  if (!log) return () => {};
  return (level, msg, fields) => {
    try {
      log(level, msg, fields);
    } catch {
      /* nothing sensible left to do */
    }
  };
}

/** A backoff wait that ends early when the delivery is abandoned. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

let version: string | undefined;
function packageVersion(): string {
  if (version === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      version = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      version = 'unknown';
    }
  }
  return version;
}
