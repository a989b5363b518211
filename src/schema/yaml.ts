/**
 * Policy files as the loader reads them: the parsed YAML document with its line counter, the raw
 * data, and where a path of keys stands in the file (file:line:col for every error).
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type LineCounter } from 'yaml';
import type { Document, Node, Pair } from 'yaml';
import type { Keep, NotifyEvent, SourceLocation } from '../model/policy.js';
import type { PolicyError } from './errors.js';

export interface ParsedFile {
  file: string;
  doc: Document.Parsed;
  lc: LineCounter;
  data: RawFile;
}

export type Segment = string | number;

export interface RawFile {
  version?: number;
  clusters?: Record<string, RawCluster>;
  stores?: Record<string, RawStore>;
  policies?: Record<string, RawPolicy>;
  coordination?: { zookeeper: { connect: string; path: string; session_timeout?: string } };
  notifications?: { webhooks?: Record<string, RawWebhook> | null };
}
export interface RawWebhook {
  url?: string;
  url_env?: string;
  bearer_env?: string;
  events?: NotifyEvent[];
}
export interface RawCluster {
  hdfs?: { webhdfs: string; fs: string; user?: string };
  zookeeper?: { admin?: string; connect?: string; datadir?: string; mode?: 'admin' | 'datadir' };
}
export interface RawStore {
  s3?: { bucket: string; prefix?: string; region?: string; endpoint?: string; force_path_style?: boolean };
  local?: { path: string };
}
export interface RawPolicy {
  source: { cluster: string; path?: string };
  snapshots?: { every?: string; cron?: string; keep?: Keep };
  archive?: { to: string; prefix: string; every?: string; cron?: string; keep?: Keep };
  rpo?: string;
  verify?: { every: string };
  rto?: string;
  replicate?: Array<{ to: { cluster: string; path: string }; keep?: Keep }>;
}

export interface Found {
  node?: Node | null;
  /** the pair whose value is node (absent for list items and the root) */
  pair?: Pair;
  /** how many segments were resolved */
  depth: number;
}

export function resolveNode(doc: Document.Parsed, segs: Segment[]): Found {
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

/**
 * Keys that are mappings or lists (`? { a: 1 }`, `{ [a, b]: 1 }`, an alias of either): YAML allows
 * them, hbr's keys are names. Found before the document is turned into data, where the yaml
 * library would stringify them and print a warning on stderr instead of an error.
 */
export function collectionKeys(doc: Document.Parsed, lc: LineCounter, file: string): PolicyError[] {
  const errors: PolicyError[] = [];
  const walk = (node: unknown, segs: Segment[]): void => {
    if (isMap(node)) {
      for (const it of node.items) {
        const k: unknown = isAlias(it.key) ? it.key.resolve(doc) : it.key;
        if (isMap(k) || isSeq(k)) {
          const { line, col } = lc.linePos(rangeStart(it.key) ?? rangeStart(node) ?? 0);
          const what = isMap(k) ? 'a mapping' : 'a list';
          errors.push({ file, line, col, ...(segs.length > 0 && { key: segmentsToKey(segs) }), message: `${what} cannot be used as a key: keys are names or plain words` });
        } else {
          walk(it.value, [...segs, keyString(k)]);
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((it, i) => walk(it, [...segs, i]));
    }
  };
  walk(doc.contents, []);
  return errors;
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
export function locate(f: ParsedFile, segs: Segment[], where: 'key' | 'value'): { file: string; line: number; col: number } {
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

export function pointerToSegments(ptr: string): Segment[] {
  if (ptr === '') return [];
  return ptr
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

export function segmentsToPointer(segs: Segment[]): string {
  return segs.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

export function segmentsToKey(segs: Segment[]): string {
  let out = '';
  for (const s of segs) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

export function toAt(l: { file: string; line: number; col: number }): SourceLocation {
  return { file: l.file, line: l.line, col: l.col };
}

export function fmtAt(a: SourceLocation): string {
  return `${a.file}:${a.line}:${a.col}`;
}

