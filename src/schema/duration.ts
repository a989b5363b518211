/**
 * Durations as written in policy files: whole numbers with units, largest unit first, e.g.
 * `90s`, `15m`, `2h`, `7d`, `1w`, `1h30m`. The same grammar is the `duration` pattern of
 * schema/hbr-policy.schema.json.
 */

const UNIT_MS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
type Unit = keyof typeof UNIT_MS;
const ORDER: readonly Unit[] = ['w', 'd', 'h', 'm', 's'];

const DURATION_RE = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

export const DURATION_HINT = 'use a number and a unit (w, d, h, m, s; largest first), e.g. 90s, 15m, 2h, 7d, 1w or 1h30m';

/** Milliseconds of a duration string. Throws (with a human message) on bad input or zero. */
export function parseDuration(s: string): number {
  if (typeof s !== 'string' || s === '' || !/^\d/.test(s)) throw new Error(`invalid duration '${String(s)}': ${DURATION_HINT}`);
  const m = DURATION_RE.exec(s);
  if (!m) throw new Error(`invalid duration '${s}': ${DURATION_HINT}`);
  let ms = 0;
  ORDER.forEach((unit, i) => {
    const n = m[i + 1];
    if (n !== undefined) ms += Number(n) * UNIT_MS[unit];
  });
  if (!Number.isSafeInteger(ms)) throw new Error(`invalid duration '${s}': too large`);
  if (ms <= 0) throw new Error(`invalid duration '${s}': must be greater than zero`);
  return ms;
}

/**
 * A compact human form of a number of milliseconds: `1h30m`, `7d`, `45s`, `1s500ms`, `0s`.
 * Weeks are shown as days. Inverse of parseDuration for whole seconds (up to w → d).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  let out = '';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * UNIT_MS[unit];
    }
  }
  if (rest > 0) out += `${rest}ms`;
  return out;
}
