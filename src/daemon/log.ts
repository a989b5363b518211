/**
 * The daemon's log: pino, one JSON object per line, ISO time, level as a label, and two layers
 * of redaction, because a backup tool handles credentials for every system it touches:
 *
 *  (a) by key — pino's `redact` (fast-redact): values under keys such as `password`, `token`,
 *      `authorization`, `secretAccessKey` become "[REDACTED]" whatever they are;
 *  (b) by value — the secrets this process actually holds (ZooKeeper digests, AWS keys, webhook
 *      URLs and tokens from the environment, plus any given) are replaced wherever they show up
 *      as text: in the message, in string fields at any depth, in an error's message and stack.
 *      Layer (b) is what catches a secret inside a free-form string (an error quoting a URL, a
 *      command line), which no key path can. It also strips the `user:password@` of any URL
 *      (stripUserinfo), secrets configured or not.
 *
 * Layer (b) uses the documented hooks, each on the values before they are serialized, so the
 * output stays valid JSON whatever the secret looks like (a string replace on the finished line
 * could cut through JSON syntax — think of a secret made of digits and a numeric field):
 *  - `hooks.logMethod` scrubs the message and its interpolation arguments, and makes the message
 *    explicit when pino would take it from an error (`log.error(err)`), which happens after hooks;
 *  - `formatters.log` scrubs the merging object (a copy: callers' objects are never modified);
 *  - the `err` serializer (pino's standard one) scrubs what it produces, since serializers run
 *    after `formatters.log`. Errors elsewhere in the object go through the same serializer.
 * Not covered: bindings given to `logger.child()` (serialized once, without the log formatter) —
 * bind names and ids there, not secrets.
 */
import { hostname } from 'node:os';
import pino, { type DestinationStream, type LogFn } from 'pino';
import { stripUserinfo } from '../model/errors.js';

export type Logger = import('pino').Logger;

export interface LoggerOptions {
  /** pino level name (default info) */
  level?: string;
  /** a stream, or a file descriptor written synchronously (default 1, stdout) */
  destination?: NodeJS.WritableStream | number;
  /** where known secrets are read from (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** more secret values to scrub (e.g. a webhook URL read from a variable of any name) */
  secrets?: string[];
}

export const CENSOR = '[REDACTED]';

/** Values shorter than this are not scrubbed: "1234" or "true" would shred every line. */
const MIN_SECRET_LENGTH = 4;

/** Layer (a): keys whose values are never logged. fast-redact paths: `*` is one level. */
const REDACT_KEYS = ['password', 'secret', 'token', 'authorization', 'Authorization', 'accessKeyId', 'secretAccessKey', 'sessionToken'];
export const REDACT_PATHS: string[] = [
  ...REDACT_KEYS,
  ...REDACT_KEYS.map((k) => `*.${k}`),
  'headers.authorization',
  'headers.Authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.headers.cookie',
  // the AWS SDK's shape: { credentials: { accessKeyId, secretAccessKey, sessionToken } } one level down
  '*.credentials.secretAccessKey',
  '*.credentials.sessionToken',
];

/**
 * The secret values in an environment: ZooKeeper digest credentials (`user:password` whole, and
 * the password alone), AWS secret key and session token, anything named *_TOKEN, *_SECRET,
 * *_PASSWORD, and HBR_WEBHOOK* (webhook URLs and tokens). Longest first; short values dropped.
 */
export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const found = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (/^HBR_ZK_ADMIN_AUTH/.test(name) || name === 'HBR_ZK_RESTORE_AUTH' || name === 'HBR_ZK_COORD_AUTH') {
      found.add(value);
      const colon = value.indexOf(':');
      if (colon >= 0) found.add(value.slice(colon + 1));
    } else if (
      name === 'AWS_SECRET_ACCESS_KEY' ||
      name === 'AWS_SESSION_TOKEN' ||
      /_(TOKEN|SECRET|PASSWORD)$/i.test(name) ||
      name.startsWith('HBR_WEBHOOK')
    ) {
      found.add(value);
    }
  }
  return normalizeSecrets([...found]);
}

function normalizeSecrets(values: string[]): string[] {
  // Longest first: the regex alternation then replaces `user:password` whole before `password`.
  return [...new Set(values)].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/**
 * Replaces known secret values in strings, and strips the userinfo of URLs, at any depth of a
 * value; returns copies, never mutates.
 */
export class Scrubber {
  private readonly re: RegExp | undefined;

  constructor(secrets: string[]) {
    const list = normalizeSecrets(secrets);
    // One precompiled alternation: a single pass per string, however many secrets.
    this.re = list.length ? new RegExp(list.map(escapeRegExp).join('|'), 'g') : undefined;
  }

  text(s: string): string {
    return stripUserinfo(this.re ? s.replace(this.re, CENSOR) : s);
  }

  value(v: unknown): unknown {
    return this.walk(v, 0, new WeakSet());
  }

  private walk(v: unknown, depth: number, seen: WeakSet<object>): unknown {
    if (typeof v === 'string') return this.text(v);
    if (typeof v !== 'object' || v === null) return v;
    if (seen.has(v)) return '[Circular]';
    if (depth >= 32) return '[Too deep]';
    seen.add(v);
    try {
      // An Error's message and stack are not enumerable; take pino's serialized shape first.
      if (v instanceof Error) return this.walk(pino.stdSerializers.err(v), depth, seen);
      if (Array.isArray(v)) return v.map((x) => this.walk(x, depth + 1, seen));
      // Dates, URLs, Buffers: what JSON.stringify would write is what must be scrubbed.
      const toJSON = (v as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return this.walk(toJSON.call(v), depth + 1, seen);
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) out[k] = this.walk((v as Record<string, unknown>)[k], depth + 1, seen);
      return out;
    } finally {
      // Only cycles are cut: the same object twice side by side is written twice, as JSON would.
      seen.delete(v);
    }
  }
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const scrub = new Scrubber([...secretsFromEnv(opts.env ?? process.env), ...(opts.secrets ?? [])]);
  const dest = opts.destination ?? 1;
  // A daemon logs little, and a line lost in a crash is the one that mattered: write synchronously.
  const stream: DestinationStream = typeof dest === 'number' ? pino.destination({ dest, sync: true }) : (dest as DestinationStream);

  return pino(
    {
      level: opts.level ?? 'info',
      base: { pid: process.pid, hostname: hostname(), name: 'hbr' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      serializers: {
        err: (e: unknown) => scrub.value(pino.stdSerializers.err(e as Error)),
      },
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => {
          const out: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(obj)) {
            // `err` is left whole for the err serializer, which scrubs after serializing.
            out[k] = k === 'err' ? v : scrub.value(v);
          }
          return out;
        },
      },
      hooks: {
        logMethod(args, method) {
          const [first, ...rest] = args as unknown[];
          if (typeof first === 'object' && first !== null && rest.length === 0) {
            // pino would take the message from the error after this hook has run: take it here.
            const err = first instanceof Error ? first : (first as { msg?: unknown; err?: unknown }).msg === undefined ? (first as { err?: unknown }).err : undefined;
            const message = (err as { message?: unknown } | undefined)?.message;
            if (typeof message === 'string') rest.push(message);
          }
          const next = typeof first === 'object' && first !== null ? [first, ...rest.map((a) => scrub.value(a))] : [first, ...rest].map((a) => scrub.value(a));
          return method.apply(this, next as Parameters<LogFn>);
        },
      },
    },
    stream,
  );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
