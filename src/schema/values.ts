/**
 * Value checks JSON Schema cannot express (durations > 0, cron expressions, URLs without
 * credentials) and the normal forms of the values every system's policies share (keep, schedule).
 */
import { CronExpressionParser } from 'cron-parser';
import type { Keep, Schedule } from '../model/policy.js';
import { parseDuration } from './duration.js';
import { codePoint, CREDENTIAL_MESSAGE, errText, HIDDEN_CHAR_RE, isObj } from './wording.js';
import { locate, segmentsToKey, segmentsToPointer, type ParsedFile, type Segment } from './yaml.js';
import type { PolicyError } from './errors.js';

/** `scheme://userinfo@` anywhere in a string: a URL carrying a user (and a password). */
const USERINFO_RE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#]*@/i;

/**
 * Checks every key and every string of a file, whatever system it belongs to: no control or
 * bidirectional character (shown as U+XXXX, never printed), no URL with `user:password@` (the
 * value is not echoed: it may be the very credential). `paths` are the JSON pointers of what was
 * refused: the schema's errors there are left out, since they would echo the value and say less.
 */
export function checkStrings(f: ParsedFile, data: unknown): { errors: PolicyError[]; paths: Set<string> } {
  const errors: PolicyError[] = [];
  const paths = new Set<string>();
  const refuse = (segs: Segment[], where: 'key' | 'value', message: string) => {
    errors.push({ ...locate(f, segs, where), key: segmentsToKey(segs), message });
    paths.add(segmentsToPointer(segs));
  };
  const check = (s: string, segs: Segment[], where: 'key' | 'value'): boolean => {
    const what = where === 'key' ? 'the key' : 'the value';
    const hidden = HIDDEN_CHAR_RE.exec(s)?.[0];
    if (hidden !== undefined) {
      const kind = hidden <= '\u009F' ? 'a control character' : 'a bidirectional formatting character';
      refuse(segs, where, `${what} contains ${codePoint(hidden)} (${kind}): such characters hide or disguise what a name or path is and are not allowed in policy files`);
      return false;
    }
    if (USERINFO_RE.test(s)) {
      const hint = segs.length === 4 && segs[0] === 'notifications' && segs[1] === 'webhooks' && segs[3] === 'url' ? ' (url_env, bearer_env)' : '';
      refuse(segs, where, `${what} holds a URL with user:password@, which carries a credential; ${CREDENTIAL_MESSAGE}${hint}`);
      return false;
    }
    return true;
  };
  const walk = (v: unknown, segs: Segment[]): void => {
    if (typeof v === 'string') check(v, segs, 'value');
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...segs, i]));
    else if (isObj(v)) {
      for (const [k, x] of Object.entries(v)) if (check(k, [...segs, k], 'key')) walk(x, [...segs, k]);
    }
  };
  walk(data, []);
  return { errors, paths };
}

/**
 * Value checks JSON Schema cannot express: durations > 0, cron expressions, webhook URLs.
 * `sections`: the systems' policy keys, whose `every` and `cron` are checked. `failed`: the
 * pointers already reported (by the schema or checkStrings), not checked again.
 */
export function checkValues(f: ParsedFile, data: unknown, failed: Set<string>, sections: readonly string[]): PolicyError[] {
  const errors: PolicyError[] = [];
  const dur = (segs: Segment[], v: unknown) => {
    if (typeof v !== 'string' || failed.has(segmentsToPointer(segs))) return;
    try {
      parseDuration(v);
    } catch (err) {
      errors.push({ ...locate(f, segs, 'value'), key: segmentsToKey(segs), message: errText(err) });
    }
  };
  if (isObj(data) && isObj(data.coordination) && isObj(data.coordination.zookeeper)) {
    dur(['coordination', 'zookeeper', 'session_timeout'], data.coordination.zookeeper.session_timeout);
  }
  const hooks = isObj(data) && isObj(data.notifications) ? data.notifications.webhooks : undefined;
  if (isObj(hooks)) {
    for (const [name, h] of Object.entries(hooks)) {
      const segs = ['notifications', 'webhooks', name, 'url'];
      if (!isObj(h) || typeof h.url !== 'string' || failed.has(segmentsToPointer(segs))) continue;
      // A URL with user:password@ was refused by checkStrings (in `failed`).
      if (!URL.canParse(h.url)) errors.push({ ...locate(f, segs, 'value'), key: segmentsToKey(segs), message: `invalid URL '${h.url}'` });
    }
  }
  const policies = isObj(data) ? data.policies : undefined;
  if (!isObj(policies)) return errors;
  for (const [name, p] of Object.entries(policies)) {
    if (!isObj(p)) continue;
    dur(['policies', name, 'rpo'], p.rpo);
    dur(['policies', name, 'rto'], p.rto);
    if (isObj(p.verify)) dur(['policies', name, 'verify', 'every'], p.verify.every);
    for (const section of sections) {
      const s = p[section];
      if (!isObj(s)) continue;
      dur(['policies', name, section, 'every'], s.every);
      const segs = ['policies', name, section, 'cron'];
      if (typeof s.cron === 'string' && !failed.has(segmentsToPointer(segs))) {
        const msg = checkCron(s.cron);
        if (msg) errors.push({ ...locate(f, segs, 'value'), key: segmentsToKey(segs), message: msg });
      }
    }
  }
  return errors;
}

/** undefined when the expression is a valid 5-field UTC cron, else why not. */
export function checkCron(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 5) {
    return `invalid cron '${expr}': expected 5 fields (minute hour day-of-month month day-of-week), found ${fields.length}${expr.trim().startsWith('@') ? " (macros such as '@daily' are not supported)" : ''}`;
  }
  if (fields.some((x) => /(^|,)H/.test(x))) return `invalid cron '${expr}': hashed 'H' values are not supported (schedules must be deterministic)`;
  try {
    CronExpressionParser.parse(fields.join(' '), { tz: 'UTC', currentDate: Date.UTC(2026, 0, 1) });
  } catch (err) {
    return `invalid cron '${expr}': ${errText(err)}`;
  }
  return undefined;
}

/**
 * A gap longer than maxGap between two consecutive firings of a cron schedule within about a year,
 * if there is one: { after: the firing the gap starts at, gap }. Jumps from firing to the last
 * firing within maxGap, so the work is about (horizon / maxGap) steps, bounded.
 */
export function cronGapLongerThan(cron: string, maxGap: number, from = Date.UTC(2026, 0, 1)): { after: number; gap: number } | undefined {
  let it;
  try {
    it = CronExpressionParser.parse(cron.trim().split(/\s+/).join(' '), { tz: 'UTC', currentDate: from });
  } catch {
    return undefined;
  }
  let f = it.next().getTime();
  const horizon = f + 366 * 86_400_000;
  for (let steps = 0; steps < 5_000 && f < horizon; steps++) {
    it.reset(new Date(f + maxGap + 1));
    const last = it.prev().getTime(); // the last firing at or before f + maxGap
    if (last <= f) {
      it.reset(new Date(f));
      const next = it.next().getTime();
      return { after: f, gap: next - f };
    }
    f = last;
  }
  return undefined;
}

export function normalizeKeep(raw: Keep | undefined): Keep {
  const keep: Keep = {};
  for (const k of ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const) {
    const v = raw?.[k];
    if (v !== undefined) keep[k] = v;
  }
  return keep;
}

export function normalizeSchedule(s: { every?: string; cron?: string }): Schedule {
  return s.every !== undefined ? { every: parseDuration(s.every) } : { cron: s.cron!.trim().split(/\s+/).join(' ') };
}

/** A schema-checked `max_change` percentage ("25%", src/schema/parts.ts maxChangeKey) as a share 0..1. */
export function parseMaxChange(pct: string): number {
  return Number(pct.slice(0, -1)) / 100;
}
