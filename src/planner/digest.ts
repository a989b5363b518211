/**
 * Digests a plan records so a saved plan can be refused at apply time if the policies or the
 * observed state it was made from changed (Terraform's stale plan rule). Canonical JSON: object keys
 * sorted, undefined members dropped, array order kept.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../model/policy.js';
import type { Observed } from '../model/observed.js';
import { SYSTEMS } from '../systems/index.js';

export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalize(value));
}

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : normalize(v)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = normalize(v);
    }
    return out;
  }
  return value;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function withoutAt<T extends { at?: unknown }>(entries: Record<string, T>): Record<string, Omit<T, 'at'>> {
  const out: Record<string, Omit<T, 'at'>> = {};
  for (const [name, entry] of Object.entries(entries)) {
    const { at: _at, ...rest } = entry;
    out[name] = rest;
  }
  return out;
}

/**
 * sha256 of the normalized clusters, stores and policies. Source locations (`at`) and the file list
 * are left out: moving a policy to another file or line does not change what it asks for.
 */
const policyDigests = new WeakMap<Config, string>();

/**
 * Memoized per Config object (configs are never mutated once loaded): a daemon plans one policy at
 * a time against the same Config, and hashing 1,000 policies for each of them made a round O(N²).
 */
export function digestPolicies(config: Config): string {
  let d = policyDigests.get(config);
  if (d === undefined) {
    d = sha256(
      canonicalJson({
        clusters: withoutAt(config.clusters),
        stores: withoutAt(config.stores),
        policies: withoutAt(config.policies),
      }),
    );
    policyDigests.set(config, d);
  }
  return d;
}

/**
 * sha256 of the observed directories (existence, snapshottable, snapshots, changedSince), without
 * `size`, which only feeds estimates. The apply-time stale check compares this with Plan.observedDigest.
 */
export function digestObserved(observed: Pick<Observed, 'dirs' | 'stores' | 'parts'>): string {
  const dirs: Record<string, unknown> = {};
  for (const [key, dir] of Object.entries(observed.dirs)) {
    const { size: _size, ...rest } = dir;
    dirs[key] = rest;
  }
  // Store listings count by key only: sizes and times of the same objects are not a change.
  const stores: Record<string, string[]> = {};
  for (const [key, s] of Object.entries(observed.stores ?? {})) stores[key] = s.objects.map((o) => o.key).sort();
  // A system's own observations (Observed.parts) count as the system says (System.digestPart), else whole.
  const parts: Record<string, unknown> = {};
  for (const [name, part] of Object.entries(observed.parts ?? {})) {
    const system = SYSTEMS.find((s) => s.name === name);
    const counted = system?.digestPart ? system.digestPart(part) : part;
    if (counted !== undefined) parts[name] = counted;
  }
  if (Object.keys(parts).length) return sha256(canonicalJson({ dirs, stores, parts }));
  return sha256(canonicalJson(Object.keys(stores).length ? { dirs, stores } : dirs));
}
