/**
 * Policy loader: YAML files → validated, normalized Config (src/model/policy.ts), or a list of
 * errors that each point at file:line:col of the offending node.
 *
 * Three stages; a later one runs only when the earlier ones found nothing, so that every error
 * reported is a real one and not the echo of another:
 *   1. YAML syntax (per file)
 *   2. JSON Schema (schema/hbr-policy.schema.json, per file) and value checks that need code
 *      (durations, cron expressions)
 *   3. whole-config checks across files: duplicate names, references, overlapping paths, rpo
 */
import { readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { CronExpressionParser } from 'cron-parser';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node, Pair } from 'yaml';
import { NOTIFY_EVENTS } from '../model/policy.js';
import type {
  Cluster,
  Config,
  NotifyEvent,
  HdfsLocation,
  HdfsSnapshotPolicy,
  Keep,
  Policy,
  ReplicationTarget,
  Schedule,
  SourceLocation,
  Store,
  ZookeeperArchivePolicy,
} from '../model/policy.js';
import { formatDuration, parseDuration } from './duration.js';

export interface PolicyError {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  col: number;
  /** dotted path of the offending key, e.g. policies.warehouse.snapshots.every, replicate[0] for list items */
  key?: string;
  message: string;
}

export type LoadResult = { config: Config } | { errors: PolicyError[] };

/** file:line:col: key: message */
export function formatPolicyError(e: PolicyError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.key ? `${e.key}: ` : ''}${e.message}`;
}

/** The JSON Schema policy files are validated against (also usable by editors). */
export const SCHEMA_URL = new URL('../../schema/hbr-policy.schema.json', import.meta.url);

const CREDENTIAL_KEY_RE = /pass(word|wd)?|secret|access[_-]?key|secret[_-]?key|token|credential|api[_-]?key|private[_-]?key/i;
const CREDENTIAL_MESSAGE = 'credentials do not belong in policy files; use the environment (AWS default chain, Hadoop configuration, HBR_* variables)';

/**
 * Load and validate policy files. Each path is a file or a directory; a directory contributes
 * every *.yaml / *.yml file directly in it, sorted by name. All files merge into one Config.
 */
export async function loadConfig(paths: string[]): Promise<LoadResult> {
  const errors: PolicyError[] = [];
  const files: string[] = [];
  const seen = new Set<string>();
  const add = (f: string) => {
    const abs = resolve(f);
    if (!seen.has(abs)) {
      seen.add(abs);
      files.push(f);
    }
  };
  if (paths.length === 0) return { errors: [{ file: '(arguments)', line: 1, col: 1, message: 'no policy files given' }] };
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch (err) {
      errors.push({ file: p, line: 1, col: 1, message: `cannot read: ${errText(err)}` });
      continue;
    }
    if (st.isDirectory()) {
      const names = (await readdir(p, { withFileTypes: true }))
        .filter((d) => /\.ya?ml$/i.test(d.name))
        .map((d) => d.name)
        .sort();
      const found: string[] = [];
      for (const n of names) {
        const f = join(p, n);
        try {
          if ((await stat(f)).isFile()) found.push(f);
        } catch {
          /* dangling symlink: not a policy file */
        }
      }
      if (found.length === 0) errors.push({ file: p, line: 1, col: 1, message: 'no policy files (*.yaml, *.yml) in this directory' });
      found.forEach(add);
    } else {
      add(p);
    }
  }
  const sources: PolicySource[] = [];
  for (const f of files) {
    try {
      sources.push({ file: f, text: await readFile(f, 'utf8') });
    } catch (err) {
      errors.push({ file: f, line: 1, col: 1, message: `cannot read: ${errText(err)}` });
    }
  }
  if (errors.length > 0) return { errors };
  return loadConfigSources(sources);
}

export interface PolicySource {
  /** name used in error messages and Config.files */
  file: string;
  text: string;
}

/** Same as loadConfig, from texts already in memory (in load order). */
export function loadConfigSources(sources: PolicySource[]): LoadResult {
  const parsed: ParsedFile[] = [];
  const errors: PolicyError[] = [];
  for (const src of sources) {
    const r = parseFile(src);
    errors.push(...r.errors);
    if (r.file) parsed.push(r.file);
  }
  if (errors.length > 0) return { errors: sortErrors(errors, sources) };
  const r = buildConfig(parsed);
  if ('errors' in r) return { errors: sortErrors(r.errors, sources) };
  return r;
}

// ---------------------------------------------------------------------------------------------
// Stage 1 + 2: one file

interface ParsedFile {
  file: string;
  doc: Document.Parsed;
  lc: LineCounter;
  data: RawFile;
}

type Segment = string | number;

interface RawFile {
  version?: number;
  clusters?: Record<string, RawCluster>;
  stores?: Record<string, RawStore>;
  policies?: Record<string, RawPolicy>;
  coordination?: { zookeeper: { connect: string; path: string; session_timeout?: string } };
  notifications?: { webhooks?: Record<string, RawWebhook> | null };
}
interface RawWebhook {
  url?: string;
  url_env?: string;
  bearer_env?: string;
  events?: NotifyEvent[];
}
interface RawCluster {
  hdfs?: { webhdfs: string; fs: string; user?: string };
  zookeeper?: { admin?: string; connect?: string; datadir?: string; mode?: 'admin' | 'datadir' };
}
interface RawStore {
  s3?: { bucket: string; prefix?: string; region?: string; endpoint?: string; force_path_style?: boolean };
  local?: { path: string };
}
interface RawPolicy {
  source: { cluster: string; path?: string };
  snapshots?: { every?: string; cron?: string; keep?: Keep };
  archive?: { to: string; prefix: string; every?: string; cron?: string; keep?: Keep };
  rpo?: string;
  replicate?: Array<{ to: HdfsLocation; keep?: Keep }>;
}

function parseFile(src: PolicySource): { file?: ParsedFile; errors: PolicyError[] } {
  const lc = new LineCounter();
  const doc = parseDocument(src.text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
  const errors: PolicyError[] = [];
  const lines = new Set<number>();
  for (const e of doc.errors) {
    let { line, col } = lc.linePos(e.pos[0]);
    if (lines.has(line)) continue; // YAML errors cascade along a line: the first one is the useful one
    lines.add(line);
    let message = `YAML syntax error: ${e.message}`;
    if (e.code === 'DUPLICATE_KEY') message = `duplicate key: ${keyAt(src.text, e.pos[0]) ?? 'this key'} is already defined in this mapping`;
    else if (/alias/i.test(e.message)) {
      message += " (a value starting with '*' is read as a YAML alias: quote it, e.g. cron: '*/5 * * * *')";
      // point at the '*' that starts the value rather than where YAML noticed
      const text = src.text.split(/\r?\n/)[line - 1] ?? '';
      const m = /(^|[:,[{-]\s+)\*/.exec(text);
      if (m && m.index + m[0].length <= col) col = m.index + m[0].length;
    }
    errors.push({ file: src.file, line, col, message });
  }
  if (errors.length > 0) return { errors };

  const file: ParsedFile = { file: src.file, doc, lc, data: {} };
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return { errors: [{ file: src.file, line: 1, col: 1, message: "empty policy file: expected at least 'version: 1'" }] };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    return { errors: [{ file: src.file, line: 1, col: 1, message: `YAML error: ${errText(err)}` }] };
  }
  const validate = schemaValidator();
  const schemaErrors: PolicyError[] = [];
  const failedPaths = new Set<string>();
  if (!validate(data)) {
    const dedupe = new Set<string>();
    const typos = likelyTypos(validate.errors ?? []);
    for (const e of validate.errors ?? []) {
      const m = mapAjvError(file, e, typos);
      if (!m) continue;
      const id = `${m.dedupe}`;
      if (dedupe.has(id)) continue;
      dedupe.add(id);
      failedPaths.add(e.instancePath);
      schemaErrors.push(m.error);
    }
  }
  file.data = data as RawFile;
  const valueErrors = checkValues(file, data, failedPaths);
  return { file, errors: [...schemaErrors, ...valueErrors] };
}

function keyAt(text: string, offset: number): string | undefined {
  const m = /^\s*(?:-\s+)?("[^"]*"|'[^']*'|[^:#\s][^:#]*?)\s*:/.exec(text.slice(offset, text.indexOf('\n', offset) >>> 0 || undefined));
  return m?.[1] ? `'${m[1].replace(/^["']|["']$/g, '')}'` : undefined;
}

let cachedValidator: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  if (!cachedValidator) {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as object;
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictTypes: false, strictRequired: false });
    // Editor-only annotations (VS Code / yaml-language-server): nothing to validate.
    ajv.addVocabulary(['patternErrorMessage', 'errorMessage', 'markdownDescription']);
    cachedValidator = ajv.compile(schema);
  }
  return cachedValidator;
}

/**
 * instancePath → known keys that an unknown key there is probably a misspelling of. A key that is
 * reported as "unknown 'evrey' (did you mean 'every'?)" is not reported missing as well.
 */
function likelyTypos(errors: ErrorObject[]): Map<string, Set<string>> {
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

const NOT_YET_KINDS: Record<string, string> = {
  backup: 'block backup policies are not supported yet',
};

/** Turns one ajv error into a human one located in the YAML; undefined to drop it. */
function mapAjvError(f: ParsedFile, e: ErrorObject, typos: Map<string, Set<string>>): { error: PolicyError; dedupe: string } | undefined {
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

/** Value checks JSON Schema cannot express: durations > 0, cron expressions, URLs without credentials. */
function checkValues(f: ParsedFile, data: unknown, failed: Set<string>): PolicyError[] {
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
    for (const section of ['snapshots', 'archive'] as const) {
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

// ---------------------------------------------------------------------------------------------
// Stage 3: the whole config

interface Claim {
  policy: string;
  role: 'source' | 'target';
  cluster: string;
  path: string;
  loc: PolicyError;
}

function buildConfig(files: ParsedFile[]): LoadResult {
  const errors: PolicyError[] = [];
  const config: Config = { clusters: {}, stores: {}, policies: {}, webhooks: {}, files: files.map((f) => f.file) };
  const declared = { clusters: new Map<string, SourceLocation>(), stores: new Map<string, SourceLocation>(), policies: new Map<string, SourceLocation>() };
  const what = { clusters: 'cluster', stores: 'store', policies: 'policy' } as const;
  const err = (f: ParsedFile, segs: Segment[], where: 'key' | 'value', message: string) =>
    errors.push({ ...locate(f, segs, where), key: segmentsToKey(segs), message });

  // names, across files
  const entries: Array<{ f: ParsedFile; section: keyof typeof declared; name: string; at: SourceLocation }> = [];
  for (const f of files) {
    for (const section of ['clusters', 'stores', 'policies'] as const) {
      for (const name of Object.keys(f.data[section] ?? {})) {
        const at = toAt(locate(f, [section, name], 'key'));
        const prev = declared[section].get(name);
        if (prev) {
          err(f, [section, name], 'key', `${what[section]} '${name}' is already defined at ${fmtAt(prev)}`);
          continue;
        }
        declared[section].set(name, at);
        entries.push({ f, section, name, at });
      }
    }
  }

  for (const { f, section, name, at } of entries) {
    if (section === 'clusters') config.clusters[name] = normalizeCluster(name, f.data.clusters![name]!, at);
    else if (section === 'stores') config.stores[name] = normalizeStore(name, f.data.stores![name]!, at);
  }

  // daemon settings: coordination in one file; webhooks by name across files
  for (const f of files) {
    const co = f.data.coordination;
    if (co) {
      const at = toAt(locate(f, ['coordination'], 'key'));
      if (config.coordination) {
        err(f, ['coordination'], 'key', `coordination is already defined at ${fmtAt(config.coordination.at)}; declare it in one policy file only`);
      } else {
        const zk = co.zookeeper;
        config.coordination = {
          zookeeper: { connect: zk.connect, path: zk.path, sessionTimeout: zk.session_timeout !== undefined ? parseDuration(zk.session_timeout) : DEFAULT_SESSION_TIMEOUT },
          at,
        };
      }
    }
    for (const [name, raw] of Object.entries(f.data.notifications?.webhooks ?? {})) {
      const at = toAt(locate(f, ['notifications', 'webhooks', name], 'key'));
      const prev = config.webhooks[name];
      if (prev) {
        err(f, ['notifications', 'webhooks', name], 'key', `webhook '${name}' is already defined at ${fmtAt(prev.at)}`);
        continue;
      }
      config.webhooks[name] = {
        name,
        ...(raw.url !== undefined && { url: raw.url }),
        ...(raw.url_env !== undefined && { urlEnv: raw.url_env }),
        ...(raw.bearer_env !== undefined && { bearerEnv: raw.bearer_env }),
        events: raw.events ?? [...NOTIFY_EVENTS],
        at,
      };
    }
  }

  const claims: Claim[] = [];
  const archiveClaims = new Map<string, { policy: string; at: SourceLocation }>();
  for (const { f, section, name, at } of entries) {
    if (section !== 'policies') continue;
    const raw = f.data.policies![name]!;
    const base: Segment[] = ['policies', name];
    if (raw.archive) {
      const policy = normalizeArchivePolicy(name, raw, at);
      config.policies[name] = policy;
      checkArchivePolicy(f, base, raw, policy, config, archiveClaims, err);
      continue;
    }
    if (raw.source.path === undefined) {
      err(f, [...base, 'source'], 'key', "missing required key 'path': HDFS snapshot policies protect a directory, { cluster, path }");
      continue;
    }
    const policy = normalizePolicy(name, raw, at);
    config.policies[name] = policy;

    // cluster references
    const checkRef = (segs: Segment[], loc: HdfsLocation, role: Claim['role']) => {
      const c = config.clusters[loc.cluster];
      if (!c) {
        const known = Object.keys(config.clusters);
        err(f, [...segs, 'cluster'], 'value', `unknown cluster '${loc.cluster}'${suggest(loc.cluster, known, 'declared clusters')}`);
        return;
      }
      if (c.kind !== 'hdfs') {
        err(f, [...segs, 'cluster'], 'value', `cluster '${loc.cluster}' is a ${c.kind} cluster (${fmtAt(c.at)}); HDFS snapshots need an hdfs cluster`);
        return;
      }
      claims.push({ policy: name, role, cluster: loc.cluster, path: loc.path, loc: { ...locate(f, [...segs, 'path'], 'value'), key: segmentsToKey([...segs, 'path']), message: '' } });
    };
    checkRef([...base, 'source'], policy.source, 'source');
    policy.replicate.forEach((t, i) => checkRef([...base, 'replicate', i, 'to'], t.to, 'target'));

    // rpo against the schedule
    if (policy.rpo !== undefined) {
      const { every, cron } = policy.snapshots.schedule;
      if (every !== undefined && policy.rpo < every) {
        err(f, [...base, 'rpo'], 'value', `rpo ${raw.rpo} is shorter than the snapshot interval ${raw.snapshots!.every}: it would always be breached`);
      } else if (cron !== undefined) {
        const g = cronGapLongerThan(cron, policy.rpo);
        if (g) {
          err(f, [...base, 'rpo'], 'value', `rpo ${raw.rpo} is shorter than the ${formatDuration(g.gap)} gap between snapshots of cron '${cron}' (e.g. after ${new Date(g.after).toISOString().slice(0, 16)}Z): it would be breached`);
        }
      }
    }
  }

  // overlapping paths: every (cluster, path) hbr manages belongs to one role of one policy
  const describeClaim = (c: Claim) =>
    `${c.role === 'source' ? 'the source' : 'a replication target'} of policy '${c.policy}' (${c.loc.file}:${c.loc.line}:${c.loc.col})`;
  for (let i = 0; i < claims.length; i++) {
    const c = claims[i]!;
    for (let j = 0; j < i; j++) {
      const p = claims[j]!;
      if (p.cluster !== c.cluster) continue;
      const where = `${c.cluster}:${c.path}`;
      let message: string | undefined;
      if (p.path === c.path) {
        if (c.policy === p.policy && c.role === 'target' && p.role === 'source') message = `replication target ${where} is the policy's own source`;
        else if (c.policy === p.policy) message = `replication target ${where} is listed twice`;
        else if (c.role === 'source' && p.role === 'source') message = `${where} is already protected by policy '${p.policy}' (${p.loc.file}:${p.loc.line}:${p.loc.col})`;
        else if (c.role === 'target' && p.role === 'target') message = `replication target ${where} is already used by policy '${p.policy}' (${p.loc.file}:${p.loc.line}:${p.loc.col})`;
        else message = `${where} is already ${describeClaim(p)}`;
      } else if (isNested(p.path, c.path) || isNested(c.path, p.path)) {
        const rel = isNested(p.path, c.path) ? 'inside' : 'above';
        message = `${where} is nested ${rel} ${c.cluster}:${p.path}, ${describeClaim(p)}: paths managed by hbr must not overlap`;
      }
      if (message) {
        errors.push({ ...c.loc, message });
        break; // one conflict per path is enough
      }
    }
  }

  if (errors.length > 0) return { errors };
  return { config };
}

/** ZooKeeper session timeout when the policy files give none: a dead leader is replaced within it. */
const DEFAULT_SESSION_TIMEOUT = 15_000;

function isNested(outer: string, inner: string): boolean {
  if (outer === inner) return false;
  return outer === '/' || inner.startsWith(`${outer}/`);
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

function normalizeCluster(name: string, raw: RawCluster, at: SourceLocation): Cluster {
  if (raw.hdfs) {
    return { name, kind: 'hdfs', webhdfs: raw.hdfs.webhdfs, fs: raw.hdfs.fs, ...(raw.hdfs.user !== undefined && { user: raw.hdfs.user }), at };
  }
  const zk = raw.zookeeper ?? {};
  return {
    name,
    kind: 'zookeeper',
    ...(zk.admin !== undefined && { admin: zk.admin }),
    ...(zk.connect !== undefined && { connect: zk.connect }),
    ...(zk.datadir !== undefined && { datadir: zk.datadir }),
    mode: zk.mode ?? (zk.admin !== undefined ? 'admin' : 'datadir'),
    at,
  };
}

function normalizeStore(name: string, raw: RawStore, at: SourceLocation): Store {
  if (raw.s3) {
    const s = raw.s3;
    return {
      name,
      kind: 's3',
      bucket: s.bucket,
      prefix: s.prefix ?? '',
      ...(s.region !== undefined && { region: s.region }),
      ...(s.endpoint !== undefined && { endpoint: s.endpoint }),
      ...(s.force_path_style !== undefined && { forcePathStyle: s.force_path_style }),
      at,
    };
  }
  return { name, kind: 'local', path: raw.local!.path, at };
}

function normalizeKeep(raw: Keep | undefined): Keep {
  const keep: Keep = {};
  for (const k of ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const) {
    const v = raw?.[k];
    if (v !== undefined) keep[k] = v;
  }
  return keep;
}

function normalizeSchedule(s: { every?: string; cron?: string }): Schedule {
  return s.every !== undefined ? { every: parseDuration(s.every) } : { cron: s.cron!.trim().split(/\s+/).join(' ') };
}

function normalizeArchivePolicy(name: string, raw: RawPolicy, at: SourceLocation): ZookeeperArchivePolicy {
  const a = raw.archive!;
  return {
    name,
    kind: 'zookeeper-archive',
    source: { cluster: raw.source.cluster },
    archive: { to: a.to, prefix: a.prefix, schedule: normalizeSchedule(a), keep: normalizeKeep(a.keep) },
    ...(raw.rpo !== undefined && { rpo: parseDuration(raw.rpo) }),
    at,
  };
}

/** References and consistency of a ZooKeeper archive policy. */
function checkArchivePolicy(
  f: ParsedFile,
  base: Segment[],
  raw: RawPolicy,
  policy: ZookeeperArchivePolicy,
  config: Config,
  claims: Map<string, { policy: string; at: SourceLocation }>,
  err: (f: ParsedFile, segs: Segment[], where: 'key' | 'value', message: string) => void,
): void {
  const c = config.clusters[policy.source.cluster];
  if (!c) {
    err(f, [...base, 'source', 'cluster'], 'value', `unknown cluster '${policy.source.cluster}'${suggest(policy.source.cluster, Object.keys(config.clusters), 'declared clusters')}`);
  } else if (c.kind !== 'zookeeper') {
    err(f, [...base, 'source', 'cluster'], 'value', `cluster '${c.name}' is a ${c.kind} cluster (${fmtAt(c.at)}); an archive policy needs a zookeeper cluster`);
  } else if (c.mode === 'admin' && !c.admin) {
    err(f, [...base, 'source', 'cluster'], 'value', `cluster '${c.name}' archives through its AdminServer (mode admin) but declares no 'admin' URL (${fmtAt(c.at)})`);
  } else if (c.mode === 'datadir' && !c.datadir) {
    err(f, [...base, 'source', 'cluster'], 'value', `cluster '${c.name}' archives its data dir (mode datadir) but declares no 'datadir' (${fmtAt(c.at)})`);
  }
  if (raw.source.path !== undefined) err(f, [...base, 'source', 'path'], 'key', 'a ZooKeeper archive policy takes no path: it archives the whole ensemble');
  if (raw.replicate !== undefined) err(f, [...base, 'replicate'], 'key', "'replicate' is for HDFS snapshot policies; archives live in their store");
  if (!config.stores[policy.archive.to]) {
    err(f, [...base, 'archive', 'to'], 'value', `unknown store '${policy.archive.to}'${suggest(policy.archive.to, Object.keys(config.stores), 'declared stores')}`);
  }
  // Two policies writing the same keys would prune each other's archives.
  for (const [k, other] of claims) {
    const [store, prefix] = [k.slice(0, k.indexOf(':')), k.slice(k.indexOf(':') + 1)];
    if (store === policy.archive.to && (prefix.startsWith(policy.archive.prefix) || policy.archive.prefix.startsWith(prefix))) {
      err(f, [...base, 'archive', 'prefix'], 'value', `prefix '${policy.archive.prefix}' in store '${store}' overlaps prefix '${prefix}' of policy '${other.policy}' (${fmtAt(other.at)}): their retention would delete each other's archives`);
      return;
    }
  }
  claims.set(`${policy.archive.to}:${policy.archive.prefix}`, { policy: policy.name, at: policy.at });
  const every = policy.archive.schedule.every;
  if (policy.rpo !== undefined && every !== undefined && policy.rpo < every) {
    err(f, [...base, 'rpo'], 'value', `rpo ${raw.rpo} is shorter than the archive interval ${raw.archive!.every}: it would always be breached`);
  }
}

function normalizePolicy(name: string, raw: RawPolicy, at: SourceLocation): HdfsSnapshotPolicy {
  const schedule: Schedule = normalizeSchedule(raw.snapshots!);
  const replicate: ReplicationTarget[] = (raw.replicate ?? []).map((t) => ({ to: { cluster: t.to.cluster, path: t.to.path }, keep: normalizeKeep(t.keep) }));
  const policy: HdfsSnapshotPolicy = {
    name,
    kind: 'hdfs-snapshots',
    source: { cluster: raw.source.cluster, path: raw.source.path! },
    snapshots: { schedule, keep: normalizeKeep(raw.snapshots!.keep) },
    ...(raw.rpo !== undefined && { rpo: parseDuration(raw.rpo) }),
    replicate,
    at,
  };
  return policy;
}

// ---------------------------------------------------------------------------------------------
// Locating instance paths in the YAML

interface Found {
  node?: Node | null;
  /** the pair whose value is node (absent for list items and the root) */
  pair?: Pair;
  /** how many segments were resolved */
  depth: number;
}

function resolveNode(doc: Document.Parsed, segs: Segment[]): Found {
  let node: unknown = doc.contents;
  let pair: Pair | undefined;
  let depth = 0;
  for (const seg of segs) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const p = node.items.find((it) => isPair(it) && keyString(it.key) === String(seg));
      if (!p) break;
      pair = p as Pair;
      node = p.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined) break;
      pair = undefined;
      node = item;
    } else {
      break;
    }
    depth++;
  }
  return { node: node as Node | null, ...(pair && { pair }), depth };
}

function keyString(k: unknown): string {
  if (isScalar(k)) return String(k.value);
  return String(k);
}

function rangeStart(n: unknown): number | undefined {
  const r = (n as { range?: [number, number, number] } | null)?.range;
  return r ? r[0] : undefined;
}

/**
 * Where to point for segs: 'key' = the key of the last segment (or the item / root when there is
 * no key), 'value' = the value node (or the key when the value is empty).
 */
function locate(f: ParsedFile, segs: Segment[], where: 'key' | 'value'): { file: string; line: number; col: number } {
  const found = resolveNode(f.doc, segs);
  let offset: number | undefined;
  if (found.depth < segs.length) {
    // not all there (e.g. the key of an unknown property resolved partially): best effort
    offset = rangeStart(found.pair?.key) ?? rangeStart(found.node);
  } else {
    const keyOffset = found.pair && found.pair.value === found.node ? rangeStart(found.pair.key) : undefined;
    const valueEmpty = found.node == null || (isScalar(found.node) && found.node.value === null && found.node.source === '');
    if (where === 'key' && segs.length > 0 && typeof segs[segs.length - 1] === 'string') offset = keyOffset ?? rangeStart(found.node);
    else if (valueEmpty) offset = keyOffset ?? rangeStart(found.node);
    else offset = rangeStart(found.node) ?? keyOffset;
  }
  const { line, col } = f.lc.linePos(offset ?? 0);
  return { file: f.file, line: Math.max(line, 1), col: Math.max(col, 1) };
}

// ---------------------------------------------------------------------------------------------
// small helpers

function pointerToSegments(ptr: string): Segment[] {
  if (ptr === '') return [];
  return ptr
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

function segmentsToPointer(segs: Segment[]): string {
  return segs.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function segmentsToKey(segs: Segment[]): string {
  let out = '';
  for (const s of segs) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

function toAt(l: { file: string; line: number; col: number }): SourceLocation {
  return { file: l.file, line: l.line, col: l.col };
}

function fmtAt(a: SourceLocation): string {
  return `${a.file}:${a.line}:${a.col}`;
}

function sortErrors(errors: PolicyError[], sources: PolicySource[]): PolicyError[] {
  const order = new Map(sources.map((s, i) => [s.file, i]));
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (order.get(a.e.file) ?? -1) - (order.get(b.e.file) ?? -1) || a.e.line - b.e.line || a.e.col - b.e.col || a.i - b.i)
    .map((x) => x.e);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function errText(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && err.code === 'ENOENT') return 'no such file or directory';
  return err instanceof Error ? err.message : String(err);
}

function typeWords(t: unknown): string {
  const list = (Array.isArray(t) ? t : String(t).split(',')).map(String).filter((x) => x !== 'null');
  return list.map(typeWord).join(' or ');
}

function typeWord(t: string): string {
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

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (empty value)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `string '${v}'`;
  return `${typeof v} ${String(v)}`;
}

function describeShort(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : v === null || v === undefined ? 'nothing' : String(v);
}

function orList(keys: string[]): string {
  const q = keys.map((k) => `'${k}'`);
  if (q.length <= 1) return q.join('');
  return `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/** " (did you mean 'every'?)", or the list of what is allowed, or "". */
function suggest(word: string, known: string[], label = 'expected'): string {
  if (known.length === 0) return '';
  const fix = closest(word, known);
  return fix !== undefined ? ` (did you mean '${fix}'?)` : ` (${label}: ${known.join(', ')})`;
}

/** The known word within a small edit distance of word, if any. */
function closest(word: string, known: string[]): string | undefined {
  const scored = known.map((k) => ({ k, d: editDistance(word.toLowerCase(), k.toLowerCase()) })).sort((a, b) => a.d - b.d);
  const best = scored[0];
  return best && best.d <= Math.max(1, Math.floor(best.k.length / 3)) ? best.k : undefined;
}

/** Damerau-Levenshtein (optimal string alignment): a swap of two letters counts as 1. */
function editDistance(a: string, b: string): number {
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
