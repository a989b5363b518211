/**
 * An error a person caused and can fix (a wrong option, a policy that names nothing): the CLI
 * prints its message alone, without a stack trace, and exits with its code.
 */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}

const WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'connection timed out',
};

/**
 * Why an HTTP request failed, in words. undici says only "fetch failed"; the useful part
 * (ECONNREFUSED, ENOTFOUND …) is in the cause: "connection refused (connect ECONNREFUSED 10.0.0.1:9870)".
 */
export function transportReason(err: unknown): string {
  const e = err as (Error & { cause?: { code?: string; message?: string; name?: string } }) | undefined;
  const cause = e?.cause;
  // The Fetch standard blocks some ports (6000, 6667 …) outright; say so rather than "bad port".
  if (cause?.message === 'bad port') return 'port blocked by fetch (a "bad port" in the Fetch standard)';
  if (e?.name === 'TimeoutError' || cause?.name === 'TimeoutError') return `timed out (${(cause ?? e)?.message ?? 'no answer'})`;
  const code = cause?.code;
  if (code && cause?.message) {
    const text = cause.message.includes(code) ? cause.message : `${code}: ${cause.message}`;
    return WORDS[code] ? `${WORDS[code]} (${text})` : text;
  }
  return stripUserinfo(cause?.message ?? e?.message ?? String(err));
}

/**
 * Any `scheme://user:password@host` in a text, without the `user:password@`: messages never carry
 * credentials. The userinfo runs to the last `@` before the host (a password may hold an `@`), and
 * stops at whitespace, quotes and what ends an authority (`/ ? #`).
 */
export function stripUserinfo(text: string): string {
  const t = redactSecrets(text);
  return t.includes('@') ? t.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>`]*@/gi, '$1') : t;
}

/** Secrets hbr holds at run time (delegation tokens: src/hadoop/dtoken.ts), never to be printed. */
const secrets = new Set<string>();

/** Remember a secret string: `redactSecrets` then replaces it wherever it appears. */
export function registerSecret(s: string): void {
  if (s.length >= 16) secrets.add(s);
}

/**
 * A text without the secrets hbr knows of: a WebHDFS `delegation=` parameter's value, an
 * `X-Hadoop-Delegation-Token` header, and every registered secret (docs/security.md, "Secrets").
 * `stripUserinfo` applies it, so every message that already went through it is covered.
 */
export function redactSecrets(text: string): string {
  let t = text;
  if (t.includes('delegation=')) t = t.replace(/delegation=[^&\s"'<>`]*/g, 'delegation=***');
  if (/x-hadoop-delegation-token/i.test(t)) t = t.replace(/(x-hadoop-delegation-token\s*[:=]\s*)[^\s"']+/gi, '$1***');
  for (const s of secrets) if (t.includes(s)) t = t.split(s).join('***');
  return t;
}
