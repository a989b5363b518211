/**
 * Error wording: ajv's errors turned into sentences a person reads, located in the YAML, and the
 * small word helpers (type words, "did you mean", or-lists) every loader stage shares.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import { locate, pointerToSegments, segmentsToKey, type ParsedFile, type Segment } from './yaml.js';
import type { PolicyError } from './errors.js';

export const CREDENTIAL_KEY_RE = /pass(word|wd)?|secret|access[_-]?key|secret[_-]?key|token|credential|api[_-]?key|private[_-]?key/i;
export const CREDENTIAL_MESSAGE = 'credentials do not belong in policy files; use the environment (AWS default chain, Hadoop configuration, HBR_* variables)';

/**
 * instancePath → known keys that an unknown key there is probably a misspelling of. A key that is
 * reported as "unknown 'evrey' (did you mean 'every'?)" is not reported missing as well.
 */
export function likelyTypos(errors: ErrorObject[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const known = Object.keys(((e.parentSchema ?? {}) as { properties?: object }).properties ?? {});
    const fix = closest(String((e.params as { additionalProperty?: unknown }).additionalProperty), known);
    if (fix === undefined) continue;
    const set = out.get(e.instancePath) ?? new Set<string>();
    set.add(fix);
    out.set(e.instancePath, set);
  }
  return out;
}

/** Policy keys reserved for systems not built yet (none today: `backup` is the block backup system's). */
const NOT_YET_KINDS: Record<string, string> = {};

/** Turns one ajv error into a human one located in the YAML; undefined to drop it. */
export function mapAjvError(f: ParsedFile, e: ErrorObject, typos: Map<string, Set<string>>): { error: PolicyError; dedupe: string } | undefined {
  const path = pointerToSegments(e.instancePath);
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  const at = (segs: Segment[], where: 'key' | 'value', message: string, dedupe = `${e.instancePath}|value`) => ({
    error: { ...locate(f, segs, where), key: segmentsToKey(segs) || undefined, message },
    dedupe,
  });
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const prop = String(params.additionalProperty);
      const segs = [...path, prop];
      if (CREDENTIAL_KEY_RE.test(prop)) return at(segs, 'key', `'${prop}': ${CREDENTIAL_MESSAGE}`, `${e.instancePath}|+${prop}`);
      const known = Object.keys((parent.properties as object | undefined) ?? {});
      if (path.length === 2 && path[0] === 'policies' && NOT_YET_KINDS[prop]) {
        return at(segs, 'key', `unknown key '${prop}': ${NOT_YET_KINDS[prop]} (expected: ${known.join(', ')})`, `${e.instancePath}|+${prop}`);
      }
      return at(segs, 'key', `unknown key '${prop}'${suggest(prop, known)}`, `${e.instancePath}|+${prop}`);
    }
    case 'required': {
      if (/\/(anyOf|oneOf|not)\//.test(e.schemaPath)) return undefined; // reported by the compound keyword
      const missing = String(params.missingProperty);
      if (typos.get(e.instancePath)?.has(missing)) return undefined;
      return at(path, 'key', `missing required key '${missing}'`, `${e.instancePath}|-${missing}`);
    }
    case 'anyOf': {
      const alts = parent.anyOf as Array<Record<string, unknown>> | undefined;
      const keys = alts?.map((a) => (Array.isArray(a.required) && a.required.length === 1 ? String(a.required[0]) : undefined));
      if (keys && keys.every((k) => k !== undefined)) {
        if (keys.some((k) => typos.get(e.instancePath)?.has(k!))) return undefined;
        return at(path, 'key', `one of ${orList(keys as string[])} is required`, `${e.instancePath}|anyOf`);
      }
      return at(path, 'key', 'does not match any of the allowed forms', `${e.instancePath}|anyOf`);
    }
    case 'not': {
      const req = (e.schema as Record<string, unknown> | undefined)?.required;
      if (Array.isArray(req) && req.length >= 2) {
        const names = req.map(String);
        // point at the one declared last: that is the one to remove
        const locs = names.map((n) => ({ n, loc: locate(f, [...path, n], 'key') }));
        locs.sort((a, b) => a.loc.line - b.loc.line || a.loc.col - b.loc.col);
        const last = locs[locs.length - 1]!;
        return {
          error: { ...last.loc, key: segmentsToKey([...path, last.n]), message: `${names.map((n) => `'${n}'`).join(' and ')} are mutually exclusive` },
          dedupe: `${e.instancePath}|not`,
        };
      }
      return at(path, 'value', 'is not allowed here', `${e.instancePath}|not`);
    }
    case 'minProperties':
    case 'maxProperties': {
      const known = Object.keys((parent.properties as object | undefined) ?? {});
      const present = Object.keys((e.data as object | null) ?? {});
      const found = present.length === 0 ? 'found none' : `found ${present.map((k) => `'${k}'`).join(' and ')}`;
      if (e.keyword === 'minProperties' && known.length === 0) return at(path, 'key', 'must not be empty');
      return at(path, 'key', `expected exactly one of ${orList(known)}, ${found}`, `${e.instancePath}|props`);
    }
    case 'type': {
      const hint = typeof parent.patternErrorMessage === 'string' ? `; ${parent.patternErrorMessage}` : '';
      return at(path, 'value', `expected ${typeWords(params.type)}, got ${describe(e.data)}${hint}`);
    }
    case 'const': {
      if (path.length === 1 && path[0] === 'version') {
        if (typeof e.data !== 'number') return at(path, 'value', `expected version: 1, got ${describe(e.data)}`);
        return at(path, 'value', `unsupported version ${e.data}: this hbr reads version 1 policy files only`);
      }
      return at(path, 'value', `expected ${JSON.stringify(params.allowedValue)}, got ${describe(e.data)}`);
    }
    case 'pattern': {
      const hint = typeof parent.patternErrorMessage === 'string' ? parent.patternErrorMessage : `must match ${String(params.pattern)}`;
      if (e.propertyName !== undefined) {
        const segs = [...path, e.propertyName];
        return at(segs, 'key', `invalid name '${e.propertyName}': ${hint}`, `${e.instancePath}|name:${e.propertyName}`);
      }
      return at(path, 'value', `invalid value '${String(e.data)}': ${hint}`);
    }
    case 'propertyNames':
      return undefined; // the nested error (pattern) carries the name
    case 'minimum':
      if (params.limit === 0) return at(path, 'value', `expected a non-negative integer, got ${describeShort(e.data)}`);
      return at(path, 'value', `must be at least ${String(params.limit)}, got ${describeShort(e.data)}`);
    case 'minLength':
      return at(path, 'value', 'must not be empty');
    case 'enum': {
      const allowed = (params.allowedValues as unknown[] | undefined) ?? [];
      return at(path, 'value', `expected one of ${orList(allowed.map((v) => String(v)))}, got ${describeShort(e.data)}`);
    }
    case 'uniqueItems':
      return at(path, 'value', 'lists an item twice');
    default:
      return at(path, 'value', e.message ?? `failed ${e.keyword}`);
  }
}

/**
 * Control characters (C0, DEL, C1) and bidirectional formatting characters (LRM, RLM, ALM, the
 * embeddings, overrides and isolates): they hide or disguise what a name or path is, so a policy
 * file may not hold them (./values.ts) and an error message never prints them.
 */
export const HIDDEN_CHAR_RE = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

export function codePoint(c: string): string {
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** s with every hidden character written as <U+XXXX>. */
export function visible(s: string): string {
  return s.replace(new RegExp(HIDDEN_CHAR_RE.source, 'g'), (c) => `<${codePoint(c)}>`);
}

export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function errText(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && err.code === 'ENOENT') return 'no such file or directory';
  return err instanceof Error ? err.message : String(err);
}

export function typeWords(t: unknown): string {
  const list = (Array.isArray(t) ? t : String(t).split(',')).map(String).filter((x) => x !== 'null');
  return list.map(typeWord).join(' or ');
}

export function typeWord(t: string): string {
  switch (t) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'integer':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    default:
      return t;
  }
}

export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (empty value)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `string '${v}'`;
  return `${typeof v} ${String(v)}`;
}

export function describeShort(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : v === null || v === undefined ? 'nothing' : String(v);
}

export function orList(keys: string[]): string {
  const q = keys.map((k) => `'${k}'`);
  if (q.length <= 1) return q.join('');
  return `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/** " (did you mean 'every'?)", or the list of what is allowed, or "". */
export function suggest(word: string, known: string[], label = 'expected'): string {
  if (known.length === 0) return '';
  const fix = closest(word, known);
  return fix !== undefined ? ` (did you mean '${fix}'?)` : ` (${label}: ${known.join(', ')})`;
}

/** The known word within a small edit distance of word, if any. */
export function closest(word: string, known: string[]): string | undefined {
  const scored = known.map((k) => ({ k, d: editDistance(word.toLowerCase(), k.toLowerCase()) })).sort((a, b) => a.d - b.d);
  const best = scored[0];
  return best && best.d <= Math.max(1, Math.floor(best.k.length / 3)) ? best.k : undefined;
}

/** Damerau-Levenshtein (optimal string alignment): a swap of two letters counts as 1. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
