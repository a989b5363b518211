/**
 * Policy loader: YAML files → validated, normalized Config (src/model/policy.ts), or a list of
 * errors that each point at file:line:col of the offending node.
 *
 * Three stages; a later one runs only when the earlier ones found nothing, so that every error
 * reported is a real one and not the echo of another:
 *   1. YAML syntax (per file, here)
 *   2. JSON Schema (composed from the core and the systems: ./compose.ts, per file) and value checks
 *      that need code (durations, cron expressions: ./values.ts); errors worded by ./wording.ts
 *   3. whole-config checks across files (./build.ts): duplicate names, references, each policy's
 *      own checks by its system, overlapping claims
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LineCounter, isScalar, parseDocument } from 'yaml';
import { buildConfig, type LoadResult } from './build.js';
import type { PolicyError } from './errors.js';
import { checkStrings, checkValues } from './values.js';
import { stripUserinfo } from '../model/errors.js';
import { SYSTEMS } from '../systems/index.js';
import { schemaValidator } from './validator.js';
import { errText, likelyTypos, mapAjvError, visible } from './wording.js';
import { collectionKeys, pointerToSegments, segmentsToPointer, type ParsedFile, type RawFile } from './yaml.js';

export { formatPolicyError, type PolicyError } from './errors.js';
export type { LoadResult } from './build.js';
export { checkCron, cronGapLongerThan } from './values.js';

/** The JSON Schema policy files are validated against, as written for editors (`npm run schema`). */
export const SCHEMA_URL = new URL('../../schema/hbr-policy.schema.json', import.meta.url);

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
      let names: string[];
      try {
        names = (await readdir(p, { withFileTypes: true }))
          .filter((d) => /\.ya?ml$/i.test(d.name))
          .map((d) => d.name)
          .sort();
      } catch (err) {
        // EACCES, or the directory went away since stat: an error like any other, never a rejection
        // (the daemon's reload would die of it instead of keeping its last good policies).
        errors.push({ file: p, line: 1, col: 1, message: `cannot read: ${errText(err)}` });
        continue;
      }
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
  if (errors.length > 0) return { errors: errors.map(printable) };
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

/**
 * An error as printed: no control or bidirectional character (shown as <U+XXXX>), no URL's
 * user:password@, whatever stage wrote it and whatever value it quotes.
 */
function printable(e: PolicyError): PolicyError {
  return { ...e, ...(e.key !== undefined && { key: visible(stripUserinfo(e.key)) }), message: visible(stripUserinfo(e.message)) };
}

// ---------------------------------------------------------------------------------------------
// Stage 1 + 2: one file

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
  const keyErrors = collectionKeys(doc, lc, src.file);
  if (keyErrors.length > 0) return { errors: keyErrors };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    return { errors: [{ file: src.file, line: 1, col: 1, message: `YAML error: ${errText(err)}` }] };
  }
  // Refused strings and keys (control characters, credentials in URLs) are reported once, here:
  // not again by the schema, whose errors would print the value.
  const strings = checkStrings(file, data);
  const validate = schemaValidator();
  const schemaErrors: PolicyError[] = [];
  const failedPaths = new Set<string>(strings.paths);
  if (!validate(data)) {
    const dedupe = new Set<string>();
    const typos = likelyTypos(validate.errors ?? []);
    for (const e of validate.errors ?? []) {
      const params = e.params as { additionalProperty?: unknown };
      const child = e.propertyName ?? (e.keyword === 'additionalProperties' ? params.additionalProperty : undefined);
      const about = child === undefined ? e.instancePath : segmentsToPointer([...pointerToSegments(e.instancePath), String(child)]);
      if (strings.paths.has(about) || strings.paths.has(e.instancePath)) continue;
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
  const valueErrors = checkValues(file, data, failedPaths, SYSTEMS.map((s) => s.key));
  return { file, errors: [...strings.errors, ...schemaErrors, ...valueErrors] };
}

function keyAt(text: string, offset: number): string | undefined {
  const m = /^\s*(?:-\s+)?("[^"]*"|'[^']*'|[^:#\s][^:#]*?)\s*:/.exec(text.slice(offset, text.indexOf('\n', offset) >>> 0 || undefined));
  return m?.[1] ? `'${m[1].replace(/^["']|["']$/g, '')}'` : undefined;
}

function sortErrors(errors: PolicyError[], sources: PolicySource[]): PolicyError[] {
  const order = new Map(sources.map((s, i) => [s.file, i]));
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (order.get(a.e.file) ?? -1) - (order.get(b.e.file) ?? -1) || a.e.line - b.e.line || a.e.col - b.e.col || a.i - b.i)
    .map((x) => printable(x.e));
}
