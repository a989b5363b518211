/**
 * Value checks JSON Schema cannot express (durations > 0, cron expressions, URLs without
 * credentials) and the normal forms of the values every system's policies share (keep, schedule).
 */
import { CronExpressionParser } from 'cron-parser';
import type { Keep, Schedule } from '../model/policy.js';
import { parseDuration } from './duration.js';
import { CREDENTIAL_MESSAGE, errText, isObj } from './wording.js';
import { locate, segmentsToKey, segmentsToPointer, type ParsedFile, type Segment } from './yaml.js';
import type { PolicyError } from './errors.js';

/**
 * Value checks JSON Schema cannot express: durations > 0, cron expressions, URLs without credentials.
 * `sections`: the systems' policy keys, whose `every` and `cron` are checked.
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
      let u: URL | undefined;
      try {
        u = new URL(h.url);
      } catch {
        errors.push({ ...locate(f, segs, 'value'), key: segmentsToKey(segs), message: `invalid URL '${h.url}'` });
        continue;
      }
      // The value is not echoed: it may be the very credential.
      if (u.username || u.password) errors.push({ ...locate(f, segs, 'value'), key: segmentsToKey(segs), message: `a URL with user:password@ carries a credential; ${CREDENTIAL_MESSAGE} (url_env, bearer_env)` });
    }
  }
  const policies = isObj(data) ? data.policies : undefined;
  if (!isObj(policies)) return errors;
  for (const [name, p] of Object.entries(policies)) {
    if (!isObj(p)) continue;
    dur(['policies', name, 'rpo'], p.rpo);
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

