/**
 * THE list of systems hbr protects. The core (loader, planner, safety, engine, daemon, metrics,
 * CLI) knows a system only through this list and the interface in ./types.ts; adding a system is a
 * new folder src/systems/<name>/ and one line here (docs/architecture.md, "Adding a system").
 */
import type { Protection } from '../model/audit.js';
import type { Config, Policy } from '../model/policy.js';
import type { Step } from '../model/plan.js';
import { audit } from './audit/index.js';
import { blocks } from './blocks/index.js';
import { hbase } from './hbase/index.js';
import { hdfs } from './hdfs/index.js';
import { ozone } from './ozone/index.js';
import type { ExecutorRegistry, System } from './types.js';
import { zookeeper } from './zookeeper/index.js';

export const SYSTEMS: readonly System[] = [
  hdfs,
  zookeeper,
  audit,
  blocks,
  hbase,
  ozone,
];

function index<T>(what: string, pairs: Array<[string, T]>): Map<string, T> {
  const m = new Map<string, T>();
  for (const [k, v] of pairs) {
    if (m.has(k)) throw new Error(`two systems declare ${what} '${k}'`);
    m.set(k, v);
  }
  return m;
}

const byPolicyKind = index('policy kind', SYSTEMS.map((s) => [s.policyKind, s]));
const byKey = index('policy key', SYSTEMS.map((s) => [s.key, s]));
const byStepKind = index('step kind', SYSTEMS.flatMap((s) => Object.keys(s.kinds).map((k): [string, System] => [k, s])));
const byClusterKind = index('cluster kind', SYSTEMS.flatMap((s) => Object.keys(s.schema.clusters ?? {}).map((k): [string, System] => [k, s])));

/** The system of a loaded policy (its `kind`). */
export function systemOf(p: Policy): System {
  const s = byPolicyKind.get(p.kind);
  if (!s) throw new Error(`no system for policy kind '${p.kind}'`);
  return s;
}

/** The system of a policy kind (`hdfs-snapshots`, ...); undefined for a kind no system knows. */
export function systemForPolicyKind(kind: string): System | undefined {
  return byPolicyKind.get(kind);
}

/** The system whose key (`snapshots`, `archive`, ...) a raw policy holds; undefined if none. */
export function systemForPolicy(raw: Record<string, unknown>): System | undefined {
  for (const k of Object.keys(raw)) {
    const s = byKey.get(k);
    if (s) return s;
  }
  return undefined;
}

/** The system that owns a step kind; undefined for a kind no system knows (a newer hbr's plan). */
export function systemForKind(kind: string): System | undefined {
  return byStepKind.get(kind);
}

/** The system that defines a cluster kind (`hdfs`, `zookeeper`). */
export function systemForCluster(kind: string): System | undefined {
  return byClusterKind.get(kind);
}

/** The policies of `system` in `config` (only `targets`, if given), by name. */
export function policiesOf(config: { policies: Record<string, Policy> }, system: System, targets?: readonly string[]): Policy[] {
  return Object.values(config.policies)
    .filter((p) => p.kind === system.policyKind && (!targets || targets.includes(p.name)))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Step kind → executor, for the engine. */
/** The step kinds whose finished step ends earlier unfinished intents on the same target (StepKindDef.supersedes). */
export const supersedingKinds: ReadonlySet<string> = new Set(SYSTEMS.flatMap((s) => Object.entries(s.kinds).filter(([, d]) => d.supersedes).map(([k]) => k)));

export const executors: ExecutorRegistry = Object.fromEntries(SYSTEMS.flatMap((s) => Object.entries(s.kinds).map(([k, d]) => [k, d.executor])));

/** The deadline of a step kind, ms; undefined for a kind no system knows. */
export function kindDeadline(kind: string): number | undefined {
  return byStepKind.get(kind)?.kinds[kind]?.deadline;
}

/** What a step acts on, canonical by endpoint when the config is given: the engine's serialization keys. */
export function stepClaims(step: Step, config?: Parameters<System['stepClaims']>[1]): string[] {
  const s = byStepKind.get(step.kind);
  if (s) return s.stepClaims(step, config);
  return [`${step.target.cluster}\u0000${step.target.path}`];
}

/** What a policy acts on, canonical by endpoint: the daemon's mutex keys. */
export function policyClaims(config: Parameters<System['claims']>[1], name: string): string[] {
  const p = config.policies[name];
  if (!p) return [];
  return systemOf(p).claims(p, config).map((c) => `${c.endpoint}\u0000${c.path}`);
}

/** What every policy of the config protects, and how (System.protects), sorted: for audits (docs/audit.md). */
export function protections(config: Config): Protection[] {
  const out: Protection[] = [];
  for (const s of SYSTEMS) {
    if (!s.protects) continue;
    for (const p of policiesOf(config, s)) out.push(...s.protects(p, config));
  }
  return out.sort((a, b) => (a.endpoint + a.path + a.by + a.policy < b.endpoint + b.path + b.by + b.policy ? -1 : 1));
}
