/** Small fixture builders for the planner suites: configs, observed dirs, a plan simulator. */
import { snapshotName } from '../../src/model/names.js';
import { dirKey, type Observed, type ObservedDir, type UnfinishedStep } from '../../src/model/observed.js';
import type { Plan, Step, StepKind } from '../../src/model/plan.js';
import type { Config, Keep, Schedule } from '../../src/model/policy.js';
import type { HdfsCluster } from '../../src/hadoop/cluster.js';
import type { HdfsParams, HdfsSnapshotPolicy } from '../../src/systems/hdfs/types.js';

export const S_ = 1000;
export const M = 60_000;
export const H = 3_600_000;
export const D = 86_400_000;

export const at = (isoTime: string): number => Date.parse(isoTime);
export const snap = (t: number): string => snapshotName(t);
const loc0 = { file: 'test.yaml', line: 1, col: 1 };

export const SRC = { cluster: 'prod', path: '/warehouse' };
export const DR = { cluster: 'dr', path: '/warehouse' };
export const SRC_KEY = dirKey(SRC.cluster, SRC.path);
export const DR_KEY = dirKey(DR.cluster, DR.path);

export interface PolicyOpts {
  source?: { cluster: string; path: string };
  every?: number;
  cron?: string;
  keep?: Keep;
  replicate?: Array<{ to: { cluster: string; path: string }; keep?: Keep }>;
}

export function policy(name: string, o: PolicyOpts = {}): HdfsSnapshotPolicy {
  const schedule: Schedule = o.cron !== undefined ? { cron: o.cron } : { every: o.every ?? H };
  return {
    name,
    kind: 'hdfs-snapshots',
    source: o.source ?? SRC,
    snapshots: { schedule, keep: o.keep ?? {} },
    replicate: (o.replicate ?? []).map((r) => ({ to: r.to, keep: r.keep ?? {} })),
    at: loc0,
  };
}

export function config(...policies: HdfsSnapshotPolicy[]): Config {
  const clusters: Config['clusters'] = {};
  for (const p of policies) {
    for (const l of [p.source, ...p.replicate.map((r) => r.to)]) {
      clusters[l.cluster] = { name: l.cluster, kind: 'hdfs', webhdfs: `http://${l.cluster}:9870`, fs: `hdfs://${l.cluster}:8020`, at: loc0 } satisfies HdfsCluster as HdfsCluster;
    }
  }
  return { clusters, stores: {}, policies: Object.fromEntries(policies.map((p) => [p.name, p])), webhooks: {}, files: ['test.yaml'] };
}

export interface DirOpts {
  exists?: boolean;
  snapshottable?: boolean;
  /** snapshot names (hbr or foreign); createdAt from the name, or 0 for foreign ones */
  snaps?: string[];
  changedSince?: ObservedDir['changedSince'];
  size?: ObservedDir['size'];
}

export function dir(l: { cluster: string; path: string }, o: DirOpts = {}): ObservedDir {
  const snaps = o.snaps ?? [];
  const exists = o.exists ?? true;
  return {
    cluster: l.cluster,
    path: l.path,
    exists,
    snapshottable: o.snapshottable ?? (exists && snaps.length > 0),
    snapshots: snaps.map((name, i) => ({ name, createdAt: hbrTime(name) ?? i })).sort((a, b) => a.createdAt - b.createdAt),
    ...(o.changedSince ? { changedSince: o.changedSince } : {}),
    ...(o.size ? { size: o.size } : {}),
  };
}

function hbrTime(name: string): number | undefined {
  const m = /^hbr-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(name);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
}

export function observed(dirs: ObservedDir[], extra: { unfinished?: UnfinishedStep[]; errors?: Observed['errors']; at?: number } = {}): Observed {
  return {
    at: extra.at ?? 0,
    dirs: Object.fromEntries(dirs.map((d) => [dirKey(d.cluster, d.path), d])),
    unfinished: extra.unfinished ?? [],
    errors: extra.errors ?? [],
  };
}

/** "kind cluster:path@snap" one per step: compact expectations. */
export function summary(plan: Plan): string[] {
  return plan.steps.map((s) => `${s.action} ${s.kind} ${s.target.cluster}:${s.target.path}${s.target.snapshot ? `@${s.target.snapshot}` : ''}`);
}

export function stepsOf(plan: Plan, kind: StepKind, key?: string): Step[] {
  return plan.steps.filter((s) => s.kind === kind && (key === undefined || dirKey(s.target.cluster, s.target.path) === key));
}

export function deletedNames(plan: Plan, key: string): string[] {
  return stepsOf(plan, 'hdfs.snapshot.delete', key).map((s) => s.target.snapshot as string);
}

/**
 * What a successful apply would leave: allow → snapshottable; create → snapshot added; bootstrap /
 * distcp / repair → the target exists and equals the copied snapshot; delete → snapshot gone.
 * changedSince is then re-observed as "unchanged since the newest common snapshot".
 */
export function applyPlan(obs: Observed, plan: Plan, now: number): Observed {
  const dirs: Record<string, ObservedDir> = structuredClone(obs.dirs);
  for (const s of plan.steps) {
    const key = dirKey(s.target.cluster, s.target.path);
    const d = (dirs[key] ??= { cluster: s.target.cluster, path: s.target.path, exists: false, snapshottable: false, snapshots: [] });
    switch (s.kind) {
      case 'hdfs.snapshot.allow':
        d.exists = true;
        d.snapshottable = true;
        break;
      case 'hdfs.snapshot.create':
        d.snapshots.push({ name: s.target.snapshot as string, createdAt: now });
        break;
      case 'hdfs.snapshot.delete':
        d.snapshots = d.snapshots.filter((x) => x.name !== s.target.snapshot);
        break;
      case 'replicate.bootstrap':
      case 'replicate.distcp-diff':
      case 'replicate.repair-target':
        d.exists = true;
        delete d.changedSince;
        break;
    }
  }
  // re-observe changedSince on every target of the plan's replication, as the observer would
  for (const step of plan.steps) {
    const s = step as Step<HdfsParams>;
    if (!s.params.source) continue;
    const t = dirs[dirKey(s.target.cluster, s.target.path)];
    const src = dirs[dirKey(s.params.source.cluster, s.params.source.path)];
    if (!t || !src) continue;
    const names = new Set(src.snapshots.map((x) => x.name));
    const common = t.snapshots
      .map((x) => ({ name: x.name, t: hbrTime(x.name) }))
      .filter((x): x is { name: string; t: number } => x.t !== undefined && names.has(x.name))
      .sort((a, b) => b.t - a.t)[0];
    if (common) t.changedSince = { snapshot: common.name, changed: false, entries: 0 };
  }
  return { ...obs, dirs, unfinished: [] };
}

export { dirKey, snapshotName };
