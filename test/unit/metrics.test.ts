/** Metrics: the registry's contents, recovery-point ages, and what apply results and plans record. */
import type { HdfsCluster } from '../../src/hadoop/cluster.js';
import type { ZookeeperCluster } from '../../src/systems/zookeeper/types.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { archiveKey, snapshotName } from '../../src/model/names.js';
import { dirKey, storeKey, type Observed, type ObservedDir } from '../../src/model/observed.js';
import { Action, PLAN_VERSION, type Plan, type Step, type StepKind } from '../../src/model/plan.js';
import type { Config } from '../../src/model/policy.js';
import type { HdfsSnapshotPolicy } from '../../src/systems/hdfs/types.js';
import type { ZookeeperArchivePolicy } from '../../src/systems/zookeeper/types.js';
import type { ApplyResult } from '../../src/engine/apply.js';
import { createMetrics, METRIC_NAMES, type HbrMetrics } from '../../src/metrics/registry.js';
import { applyRecoveryPoints, recordApply, recordPlan, recoveryPoints, type RecoveryPoint } from '../../src/metrics/recovery.js';

const at = { file: 't.yaml', line: 1, col: 1 };
const S = 1000;
const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const PREFIX = 'zookeeper-backup-eu-west1-';

function snapPolicy(name: string, targets: Array<{ cluster: string; path: string }>, rpo?: number): HdfsSnapshotPolicy {
  return {
    name,
    kind: 'hdfs-snapshots',
    source: { cluster: 'prod', path: `/${name}` },
    snapshots: { schedule: { every: H }, keep: { hourly: 24 } },
    ...(rpo !== undefined ? { rpo } : {}),
    replicate: targets.map((to) => ({ to, keep: {} })),
    at,
  };
}

function zkPolicy(name: string, rpo?: number): ZookeeperArchivePolicy {
  return {
    name,
    kind: 'zookeeper-archive',
    source: { cluster: 'zkprod' },
    archive: { to: 'backups', prefix: PREFIX, schedule: { every: 24 * H }, keep: { daily: 7 } },
    ...(rpo !== undefined ? { rpo } : {}),
    at,
  };
}

function config(...policies: Array<HdfsSnapshotPolicy | ZookeeperArchivePolicy>): Config {
  return {
    clusters: {
      prod: { name: 'prod', kind: 'hdfs', webhdfs: 'http://nn.prod:9870', fs: 'hdfs://nn.prod:8020', at } as HdfsCluster,
      dr: { name: 'dr', kind: 'hdfs', webhdfs: 'http://nn.dr:9870', fs: 'hdfs://nn.dr:8020', at } as HdfsCluster,
      dr2: { name: 'dr2', kind: 'hdfs', webhdfs: 'http://nn.dr2:9870', fs: 'hdfs://nn.dr2:8020', at } as HdfsCluster,
      zkprod: { name: 'zkprod', kind: 'zookeeper', admin: 'http://zk:8080', mode: 'admin', at } as ZookeeperCluster,
    },
    stores: { backups: { name: 'backups', kind: 's3', bucket: 'b', prefix: 'prod/', at } },
    webhooks: {},
    policies: Object.fromEntries(policies.map((p) => [p.name, p])),
    files: ['t.yaml'],
  };
}

function dir(cluster: string, path: string, names: string[], exists = true): ObservedDir {
  return { cluster, path, exists, snapshottable: exists, snapshots: names.map((name, i) => ({ name, createdAt: T0 + i })) };
}

function observed(dirs: ObservedDir[], stores?: Observed['stores']): Observed {
  return {
    at: T0,
    dirs: Object.fromEntries(dirs.map((d) => [dirKey(d.cluster, d.path), d])),
    ...(stores ? { stores } : {}),
    unfinished: [],
    errors: [],
  };
}

const snap = (t: number) => snapshotName(t);
const find = (ps: RecoveryPoint[], policy: string, site: string) => ps.find((p) => p.policy === policy && p.site === site);

/** One sample line's value from the exposition text, or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) got[lm[1]!] = lm[2]!;
    const want = Object.entries(labels);
    if (want.length === Object.keys(got).length && want.every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}
const seriesOf = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

// ---------------------------------------------------------------- registry

test('the registry declares every name in METRIC_NAMES, each with help, and no other hbr_ metric', async () => {
  const m = createMetrics({ defaultMetrics: false });
  const text = await m.registry.metrics();
  const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((x) => [x[1]!, x[2]!]));
  for (const name of METRIC_NAMES) {
    assert.ok(types.has(name), `# TYPE ${name} missing`);
    assert.match(text, new RegExp(`^# HELP ${name} \\S`, 'm'));
  }
  assert.equal([...types.keys()].filter((n) => n.startsWith('hbr_')).sort(), [...METRIC_NAMES].sort());
  assert.is(new Set(METRIC_NAMES).size, METRIC_NAMES.length);
  assert.is(types.get('hbr_steps_total'), 'counter');
  assert.is(types.get('hbr_bytes_copied_total'), 'counter');
  assert.is(types.get('hbr_step_duration_seconds'), 'histogram');
  for (const g of ['hbr_recovery_point_age_seconds', 'hbr_rpo_breached', 'hbr_leader', 'hbr_build_info', 'hbr_hdfs_trash_enabled']) assert.is(types.get(g), 'gauge', g);
});

test('the histogram spans 0.05 s to 6 h; build info is 1 with the version', async () => {
  const m = createMetrics({ defaultMetrics: false, version: '9.8.7' });
  m.stepDuration.observe({ kind: 'hdfs.snapshot.create' }, 0.01);
  const text = await m.registry.metrics();
  assert.is(sample(text, 'hbr_step_duration_seconds_bucket', { kind: 'hdfs.snapshot.create', le: '0.05' }), 1);
  assert.is(sample(text, 'hbr_step_duration_seconds_bucket', { kind: 'hdfs.snapshot.create', le: '21600' }), 1);
  assert.is(sample(text, 'hbr_build_info', { version: '9.8.7' }), 1);
  const defaulted = await createMetrics({ defaultMetrics: false }).registry.metrics();
  assert.is(seriesOf(defaulted, 'hbr_build_info').length, 1);
  assert.not.match(defaulted, /hbr_build_info\{version="unknown"\}/);
});

test('default process metrics keep their standard names when enabled and are absent when disabled', async () => {
  const on = await createMetrics().registry.metrics();
  assert.match(on, /^# TYPE process_cpu_user_seconds_total counter$/m);
  assert.match(on, /^# TYPE nodejs_heap_size_total_bytes gauge$/m);
  assert.not.match(on, /^# TYPE hbr_process_/m);
  const off = await createMetrics({ defaultMetrics: false }).registry.metrics();
  assert.not.match(off, /process_cpu|nodejs_/);
});

test('each createMetrics is a registry of its own (not the global one)', async () => {
  const a = createMetrics({ defaultMetrics: false });
  const b = createMetrics({ defaultMetrics: false });
  a.leader.set(1);
  assert.is(sample(await a.registry.metrics(), 'hbr_leader'), 1);
  assert.is(sample(await b.registry.metrics(), 'hbr_leader'), 0);
  const { register } = await import('prom-client');
  assert.not.match(await register.metrics(), /hbr_/);
});

// ---------------------------------------------------------------- recoveryPoints

test('source: age from the newest hbr snapshot name; foreign snapshots neither count nor date it', () => {
  const cfg = config(snapPolicy('wh', [], 2 * H));
  const names = [snap(T0 - 3 * H), snap(T0 - 2 * H), snap(T0 - H), 'manual-before-upgrade'];
  const now = T0 + 30 * 60_000;
  const ps = recoveryPoints(cfg, observed([dir('prod', '/wh', names)]), now);
  assert.equal(ps, [{ policy: 'wh', site: 'source', newestAt: T0 - H, ageSeconds: 5400, count: 3, rpoSeconds: 7200, breached: false }]);
  // age past the rpo: breached
  assert.is(recoveryPoints(cfg, observed([dir('prod', '/wh', names)]), T0 + 2 * H)[0]!.breached, true);
});

test('dr lagging: age from the newest snapshot common with the source, not the newest on the target', () => {
  const cfg = config(snapPolicy('wh', [{ cluster: 'dr', path: '/wh' }], 2 * H));
  const src = dir('prod', '/wh', [snap(T0 - 3 * H), snap(T0 - 2 * H), snap(T0 - H), snap(T0)]);
  // the target has T0-3h and T0-2h in common, plus a newer hbr name the source does not have
  const tgt = dir('dr', '/wh', [snap(T0 - 3 * H), snap(T0 - 2 * H), snap(T0 - 30 * 60_000), 'foreign']);
  const ps = recoveryPoints(cfg, observed([src, tgt]), T0 + H);
  assert.equal(find(ps, 'wh', 'source'), { policy: 'wh', site: 'source', newestAt: T0, ageSeconds: 3600, count: 4, rpoSeconds: 7200, breached: false });
  assert.equal(find(ps, 'wh', 'dr'), { policy: 'wh', site: 'dr', newestAt: T0 - 2 * H, ageSeconds: 3 * 3600, count: 3, rpoSeconds: 7200, breached: true });
});

test('two dr targets: the older of their recovery points; counts add up', () => {
  const cfg = config(snapPolicy('wh', [{ cluster: 'dr', path: '/wh' }, { cluster: 'dr2', path: '/wh-copy' }]));
  const src = dir('prod', '/wh', [snap(T0 - 2 * H), snap(T0 - H), snap(T0)]);
  const ps = recoveryPoints(cfg, observed([src, dir('dr', '/wh', [snap(T0 - 2 * H), snap(T0)]), dir('dr2', '/wh-copy', [snap(T0 - 2 * H), snap(T0 - H)])]), T0);
  assert.equal(find(ps, 'wh', 'dr'), { policy: 'wh', site: 'dr', newestAt: T0 - H, ageSeconds: 3600, count: 4, breached: false });
  // one target with nothing in common: the DR side has no recovery point
  const ps2 = recoveryPoints(cfg, observed([src, dir('dr', '/wh', [snap(T0)]), dir('dr2', '/wh-copy', [], false)]), T0);
  assert.equal(find(ps2, 'wh', 'dr'), { policy: 'wh', site: 'dr', count: 1, breached: false });
});

test('no snapshots: no age; breached only when the policy has an rpo', () => {
  const obs = observed([dir('prod', '/wh', ['foreign-only'])]);
  assert.equal(recoveryPoints(config(snapPolicy('wh', [], H)), obs, T0), [{ policy: 'wh', site: 'source', count: 0, rpoSeconds: 3600, breached: true }]);
  assert.equal(recoveryPoints(config(snapPolicy('wh', [])), obs, T0), [{ policy: 'wh', site: 'source', count: 0, breached: false }]);
  // a directory observed as missing is observed: no recovery point there
  assert.equal(recoveryPoints(config(snapPolicy('wh', [], H)), observed([dir('prod', '/wh', [], false)]), T0), [{ policy: 'wh', site: 'source', count: 0, rpoSeconds: 3600, breached: true }]);
});

test('unobserved sites get no recovery point; a source that is down leaves DR dated by its own hbr snapshots', () => {
  const cfg = config(snapPolicy('wh', [{ cluster: 'dr', path: '/wh' }, { cluster: 'dr2', path: '/wh' }], H), zkPolicy('zk', H));
  // nothing observed at all
  assert.equal(recoveryPoints(cfg, observed([]), T0), []);
  // one DR target unobserved: a partial DR answer would look better than the truth, so none
  const src = dir('prod', '/wh', [snap(T0 - H), snap(T0)]);
  const ps = recoveryPoints(cfg, observed([src, dir('dr', '/wh', [snap(T0)])]), T0);
  assert.equal(ps.map((p) => `${p.policy}/${p.site}`), ['wh/source']);
  // source down (the disaster DR exists for): DR targets still report, from their newest hbr name
  const down = recoveryPoints(cfg, observed([dir('dr', '/wh', [snap(T0 - 2 * H), snap(T0 - H)]), dir('dr2', '/wh', [snap(T0 - 3 * H)])]), T0);
  assert.equal(down, [{ policy: 'wh', site: 'dr', newestAt: T0 - 3 * H, ageSeconds: 3 * 3600, count: 3, rpoSeconds: 3600, breached: true }]);
});

test('archive policy: age from the newest archive with a checksum; foreign and unchecksummed objects ignored', () => {
  const cfg = config(zkPolicy('zk', 26 * H));
  const sha = 'ab'.repeat(32);
  const objects = [
    { key: archiveKey(PREFIX, T0 - 48 * H), sha256: sha },
    { key: archiveKey(PREFIX, T0 - 24 * H), sha256: sha },
    { key: archiveKey(PREFIX, T0 - H) }, // partial upload: no checksum
    { key: `${PREFIX}notes.txt` },
    { key: 'other-2026-11-22T12-00-00Z.tar.gz', sha256: sha },
  ].map((o) => ({ size: 1, lastModified: T0, ...o }));
  const stores = { [storeKey('backups', PREFIX)]: { store: 'backups', prefix: PREFIX, objects } };
  const ps = recoveryPoints(cfg, observed([], stores), T0);
  assert.equal(ps, [{ policy: 'zk', site: 'store', newestAt: T0 - 24 * H, ageSeconds: 24 * 3600, count: 2, rpoSeconds: 26 * 3600, breached: false }]);
  // store not listed: no point
  assert.equal(recoveryPoints(cfg, observed([]), T0), []);
  assert.equal(recoveryPoints(cfg, observed([], {}), T0), []);
});

test('property: age is never negative, and breached === (rpo set && (no age || age > rpo))', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 400 * 24 }), { maxLength: 8 }), // source snapshots, hours after T0
      fc.array(fc.integer({ min: 0, max: 400 * 24 }), { maxLength: 8 }), // extra target-only snapshots
      fc.array(fc.nat({ max: 7 }), { maxLength: 8 }), // which source snapshots reached DR
      fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }), // rpo, hours
      fc.integer({ min: 0, max: 1000 * 3600 }), // now, seconds after the newest name
      (srcH, extraH, replicated, rpoH, afterS) => {
        const srcNames = srcH.map((h) => snap(T0 + h * H));
        const tgtNames = [...replicated.filter((i) => i < srcNames.length).map((i) => srcNames[i]!), ...extraH.map((h) => snap(T0 + h * H))];
        const newest = Math.max(T0, ...srcH.map((h) => T0 + h * H), ...extraH.map((h) => T0 + h * H));
        const now = newest + afterS * S;
        const cfg = config(snapPolicy('p', [{ cluster: 'dr', path: '/p' }], rpoH === undefined ? undefined : rpoH * H));
        const ps = recoveryPoints(cfg, observed([dir('prod', '/p', srcNames), dir('dr', '/p', tgtNames)]), now);
        assert.is(ps.length, 2);
        for (const p of ps) {
          if (p.ageSeconds !== undefined) assert.ok(p.ageSeconds >= 0);
          assert.is(p.ageSeconds === undefined, p.newestAt === undefined);
          if (p.newestAt !== undefined) assert.is(p.ageSeconds, (now - p.newestAt) / 1000);
          const rpo = rpoH === undefined ? undefined : rpoH * 3600;
          assert.is(p.rpoSeconds, rpo);
          assert.is(p.breached, rpo !== undefined && (p.ageSeconds === undefined || p.ageSeconds > rpo));
        }
        // DR is never ahead of the source
        const [s, d] = ps;
        if (d!.newestAt !== undefined) assert.ok(s!.newestAt !== undefined && d!.newestAt <= s!.newestAt);
      },
    ),
    { numRuns: 300 },
  );
});

// ---------------------------------------------------------------- into the metrics

test('applyRecoveryPoints: ages, rpo, breached (worst site), counts; stale policies removed', async () => {
  const m = createMetrics({ defaultMetrics: false });
  applyRecoveryPoints(m, [
    { policy: 'wh', site: 'source', newestAt: T0, ageSeconds: 600, count: 3, rpoSeconds: 7200, breached: false },
    { policy: 'wh', site: 'dr', count: 0, rpoSeconds: 7200, breached: true },
    { policy: 'zk', site: 'store', newestAt: T0, ageSeconds: 42, count: 5, breached: false },
    { policy: 'old', site: 'source', newestAt: T0, ageSeconds: 1, count: 1, rpoSeconds: 60, breached: false },
  ]);
  let text = await m.registry.metrics();
  assert.is(sample(text, 'hbr_recovery_point_age_seconds', { policy: 'wh', site: 'source' }), 600);
  assert.is(sample(text, 'hbr_recovery_point_age_seconds', { policy: 'wh', site: 'dr' }), undefined, 'no fake age');
  assert.is(sample(text, 'hbr_recovery_point_age_seconds', { policy: 'zk', site: 'store' }), 42);
  assert.is(sample(text, 'hbr_rpo_seconds', { policy: 'wh' }), 7200);
  assert.is(sample(text, 'hbr_rpo_seconds', { policy: 'zk' }), undefined);
  assert.is(sample(text, 'hbr_rpo_breached', { policy: 'wh' }), 1);
  assert.is(sample(text, 'hbr_rpo_breached', { policy: 'zk' }), 0);
  assert.is(sample(text, 'hbr_snapshots', { policy: 'wh', site: 'source' }), 3);
  assert.is(sample(text, 'hbr_snapshots', { policy: 'wh', site: 'dr' }), 0);
  assert.is(sample(text, 'hbr_snapshots', { policy: 'zk', site: 'store' }), 5);
  assert.is(sample(text, 'hbr_rpo_breached', { policy: 'old' }), 0);

  applyRecoveryPoints(m, [{ policy: 'wh', site: 'source', newestAt: T0, ageSeconds: 700, count: 4, rpoSeconds: 7200, breached: false }]);
  text = await m.registry.metrics();
  assert.is(sample(text, 'hbr_recovery_point_age_seconds', { policy: 'wh', site: 'source' }), 700);
  assert.is(sample(text, 'hbr_rpo_breached', { policy: 'wh' }), 0);
  for (const name of ['hbr_recovery_point_age_seconds', 'hbr_rpo_seconds', 'hbr_rpo_breached', 'hbr_snapshots']) {
    assert.ok(seriesOf(text, name).every((l) => l.includes('policy="wh"')), `${name} keeps no stale series`);
  }
});

test('end to end: recoveryPoints into the exposition text', async () => {
  const m = createMetrics({ defaultMetrics: false });
  const cfg = config(snapPolicy('wh', [{ cluster: 'dr', path: '/wh' }], 2 * H));
  const ps = recoveryPoints(cfg, observed([dir('prod', '/wh', [snap(T0 - H), snap(T0)]), dir('dr', '/wh', [snap(T0 - H)])]), T0 + 90 * S);
  applyRecoveryPoints(m, ps);
  const text = await m.registry.metrics();
  assert.is(sample(text, 'hbr_recovery_point_age_seconds', { policy: 'wh', site: 'source' }), 90);
  assert.is(sample(text, 'hbr_recovery_point_age_seconds', { policy: 'wh', site: 'dr' }), 3690);
  assert.is(sample(text, 'hbr_rpo_breached', { policy: 'wh' }), 0);
});

function step(kind: StepKind, policy: string, path: string): Step {
  return { id: `${kind}:c:${path}`, kind, action: Action.Create, policy, target: { cluster: 'c', path }, params: {}, reason: 'test', dependsOn: [] };
}

test('recordApply: steps by result, durations of completed steps, bytes copied by policy and kind', async () => {
  const m = createMetrics({ defaultMetrics: false });
  const result: ApplyResult = {
    run: 'r1',
    done: [
      { step: step('replicate.distcp-diff', 'wh', '/a'), outcome: { bytesCopied: 1000, filesCopied: 3 }, ms: 90_000 },
      { step: step('replicate.distcp-diff', 'wh', '/b'), outcome: { bytesCopied: 24 }, ms: 30_000 },
      { step: step('hdfs.snapshot.create', 'wh', '/a'), outcome: {}, ms: 40 },
      { step: step('zk.archive', 'zk', 'k'), outcome: { bytesCopied: 5 }, ms: 2_000 },
    ],
    failed: [{ step: step('replicate.bootstrap', 'wh', '/c'), error: 'boom', ms: 7 * H }],
    skipped: [{ step: step('hdfs.snapshot.delete', 'wh', '/c'), because: 'dependency failed' }],
    interrupted: false,
  };
  recordApply(m, result);
  recordApply(m, { run: 'r2', done: [{ step: step('hdfs.snapshot.create', 'wh', '/a'), outcome: {}, ms: 100 }], failed: [], skipped: [], interrupted: false });
  const text = await m.registry.metrics();
  assert.is(sample(text, 'hbr_steps_total', { kind: 'replicate.distcp-diff', result: 'done' }), 2);
  assert.is(sample(text, 'hbr_steps_total', { kind: 'replicate.distcp-diff', result: 'failed' }), 0, 'series exists at 0');
  assert.is(sample(text, 'hbr_steps_total', { kind: 'hdfs.snapshot.create', result: 'done' }), 2);
  assert.is(sample(text, 'hbr_steps_total', { kind: 'replicate.bootstrap', result: 'failed' }), 1);
  assert.is(sample(text, 'hbr_steps_total', { kind: 'hdfs.snapshot.delete', result: 'skipped' }), 1);
  assert.is(sample(text, 'hbr_step_duration_seconds_count', { kind: 'replicate.distcp-diff' }), 2);
  assert.is(sample(text, 'hbr_step_duration_seconds_sum', { kind: 'replicate.distcp-diff' }), 120);
  assert.is(sample(text, 'hbr_step_duration_seconds_bucket', { kind: 'replicate.distcp-diff', le: '60' }), 1);
  assert.is(sample(text, 'hbr_step_duration_seconds_bucket', { kind: 'hdfs.snapshot.create', le: '0.05' }), 1);
  assert.is(sample(text, 'hbr_step_duration_seconds_count', { kind: 'hdfs.snapshot.create' }), 2);
  assert.is(sample(text, 'hbr_step_duration_seconds_count', { kind: 'replicate.bootstrap' }), undefined, 'failed steps are not timed');
  assert.is(sample(text, 'hbr_bytes_copied_total', { policy: 'wh', kind: 'replicate.distcp-diff' }), 1024);
  assert.is(sample(text, 'hbr_bytes_copied_total', { policy: 'zk', kind: 'zk.archive' }), 5);
  assert.is(sample(text, 'hbr_bytes_copied_total', { policy: 'wh', kind: 'hdfs.snapshot.create' }), undefined);
});

function plan(steps: Step[]): Plan {
  return { version: PLAN_VERSION, createdAt: T0, policyDigest: 'p', observedDigest: 'o', steps, warnings: [] };
}

test('recordPlan: pending steps per policy and kind, replaced by each new plan', async () => {
  const m: HbrMetrics = createMetrics({ defaultMetrics: false });
  recordPlan(m, plan([step('hdfs.snapshot.create', 'wh', '/a'), step('hdfs.snapshot.delete', 'wh', '/a1'), step('hdfs.snapshot.delete', 'wh', '/a2'), step('zk.archive', 'zk', 'k')]));
  let text = await m.registry.metrics();
  assert.is(sample(text, 'hbr_plan_pending_steps', { policy: 'wh', kind: 'hdfs.snapshot.create' }), 1);
  assert.is(sample(text, 'hbr_plan_pending_steps', { policy: 'wh', kind: 'hdfs.snapshot.delete' }), 2);
  assert.is(sample(text, 'hbr_plan_pending_steps', { policy: 'zk', kind: 'zk.archive' }), 1);
  recordPlan(m, plan([step('zk.archive', 'zk', 'k2')]));
  text = await m.registry.metrics();
  assert.equal(seriesOf(text, 'hbr_plan_pending_steps'), ['hbr_plan_pending_steps{policy="zk",kind="zk.archive"} 1']);
  recordPlan(m, plan([]));
  assert.equal(seriesOf(await m.registry.metrics(), 'hbr_plan_pending_steps'), []);
});

test.run();
