/**
 * The HBase system's pure parts (docs/hbase.md): loader errors with file:line:col, chains and
 * recovery points from observed sessions, and what the planner plans (full, incremental, broken
 * chain, a RUNNING session) over a simulated clock. The observed data are shaped like the real
 * server's (sessions decoded from backup:system); the real server is in test/integration/hbase-*.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { iso } from '../../src/model/format.js';
import { Action } from '../../src/model/plan.js';
import { checkSafety, planAll } from '../../src/planner/plan.js';
import { chainsOf, recoveryPointsOf } from '../../src/systems/hbase/chains.js';
import { hbasePolicyPoints } from '../../src/systems/hbase/recovery.js';
import type { HbaseBackupPolicy, ObservedBackup } from '../../src/systems/hbase/types.js';

import { backup, config, D, GOOD, H, load, observed, plan, ROOT, T0, yaml } from '../fixtures/hbase-observed.js';


test('a valid hbase policy loads to its normal form', () => {
  const c = load(yaml(GOOD));
  assert.ok(!Array.isArray(c), String(c));
  const p = c.policies.shop as HbaseBackupPolicy;
  assert.is(p.kind, 'hbase-backup');
  assert.equal(p.hbase.tables, ['default:orders', 'sales:users']);
  assert.equal(p.hbase.root, { cluster: 'dr', path: '/hbase-backups/shop' });
  assert.equal(p.hbase.full, { every: 7 * D });
  assert.is(p.rpo, 2 * H);
});

test('loader errors point at file:line:col', () => {
  const cases: Array<[string, RegExp]> = [
    [GOOD.replace('tables: [orders, "sales:users"]', 'tables: [orders]\n      namespace: sales'), /^p\.yaml:10:7: 'tables' and 'namespace' are mutually exclusive/],
    [GOOD.replace('      tables: [orders, "sales:users"]\n', ''), /^p\.yaml:8:5: one of 'tables' or 'namespace' is required/],
    [GOOD.replace('cluster: dr,', 'cluster: hb,'), /^p\.yaml:10:\d+: cluster 'hb' is a hbase cluster .*a backup root is on an hdfs cluster/],
    [GOOD.replace('cluster: dr,', 'cluster: drr,'), /^p\.yaml:10:\d+: unknown cluster 'drr'/],
    [GOOD.replace('incremental: { every: 1h }', 'incremental: { every: 8d }'), /^p\.yaml:12:\d+: incremental every 8d is longer than full every 7d/],
    [GOOD.replace('rpo: 2h', 'rpo: 30m'), /^p\.yaml:13:\d+: rpo 30m is shorter than the backup interval 1h/],
    [GOOD.replace('tables: [orders, "sales:users"]', 'tables: ["bad table"]'), /^p\.yaml:9:\d+: .*table name/],
  ];
  for (const [policy, want] of cases) {
    const r = load(yaml(policy));
    assert.ok(Array.isArray(r), `expected an error for:\n${policy}`);
    assert.ok(r.some((e) => want.test(e)), `${want} not in:\n${r.join('\n')}`);
  }
});


test('chains: a FAILED full starts no chain; a bad image breaks its chain from there on', () => {
  const chains = chainsOf([backup(T0, 'FULL'), backup(T0 + H, 'INCREMENTAL'), backup(T0 + 2 * H, 'FULL', 'FAILED'), backup(T0 + 3 * H, 'INCREMENTAL', 'COMPLETE', 'bad'), backup(T0 + 4 * H, 'INCREMENTAL')]);
  assert.is(chains.length, 1);
  assert.equal(chains[0]!.incrementals.map((b) => b.startTs), [T0 + H, T0 + 3 * H, T0 + 4 * H]);
  assert.equal(chains[0]!.good.map((b) => b.startTs), [T0, T0 + H]);
  assert.is(chains[0]!.broken?.startTs, T0 + 3 * H);
  const rp = recoveryPointsOf(chains, ['default:orders']);
  assert.is(rp.newest?.startTs, T0 + H);
  assert.is(rp.count, 2);
});

test('plan: first full; then nothing until the incremental is due; the notes say when', () => {
  let p = plan([], T0);
  assert.equal(p.steps.map((s) => s.kind), ['hbase.backup.full']);
  assert.equal(p.steps[0]!.params.tables, ['default:orders', 'sales:users']);
  assert.is(p.steps[0]!.params.root, ROOT);
  p = plan([backup(T0, 'FULL')], T0 + 30 * 60_000);
  assert.equal(p.steps, []);
  assert.equal(p.notes?.map((n) => n.message), [`next full due ${iso(T0 + 7 * D)} (after backup_${T0}); next incremental due ${iso(T0 + H)} (after backup_${T0})`]);
  p = plan([backup(T0, 'FULL')], T0 + H);
  assert.equal(p.steps.map((s) => s.kind), ['hbase.backup.incremental']);
  p = plan([backup(T0, 'FULL'), backup(T0 + H, 'INCREMENTAL')], T0 + 7 * D);
  assert.equal(p.steps.map((s) => s.kind), ['hbase.backup.full']);
});

test('plan: a bad image or an unrecorded one is no recovery point and forces a full', () => {
  for (const image of ['bad', 'unrecorded'] as const) {
    const backups = [backup(T0, 'FULL'), backup(T0 + H, 'INCREMENTAL', 'COMPLETE', image)];
    const p = plan(backups, T0 + H + 60_000);
    assert.equal(p.steps.map((s) => s.kind), ['hbase.backup.full'], image);
    assert.match(p.steps[0]!.reason, new RegExp(`chain of backup_${T0} is broken: backup_${T0 + H}`));
    const [rp] = hbasePolicyPoints(config().policies.shop as HbaseBackupPolicy, observed(backups), T0 + H + 60_000);
    assert.is(rp!.newestAt, T0, image);
    assert.is(rp!.count, 1);
  }
});

test('plan: a RUNNING session of another root or the held lock blocks every backup, with a warning; none is repaired', () => {
  const running = [{ id: `backup_${T0 + H}`, root: 'hdfs://dr-nn:8020/other-root', tables: ['default:orders'], phase: 'REQUEST', startTs: T0 + H }];
  let p = plan([backup(T0, 'FULL')], T0 + 2 * H, { running, locked: true });
  assert.equal(p.steps, []);
  assert.ok(p.warnings.some((w) => /backup_\d+ .* is RUNNING since .*no backup is planned/.test(w.message)), JSON.stringify(p.warnings));
  p = plan([], T0, { locked: true });
  assert.equal(p.steps, []);
});

test('plan: a RUNNING session of the policy root is repaired, then what it left is deleted after the repair', () => {
  const crashed: ObservedBackup = { ...backup(T0 + H, 'FULL', 'RUNNING'), phase: 'SNAPSHOTCOPY', snapshots: { 'default:orders': `snapshot_${T0 + H + 5}_default_orders` } };
  const debris = [
    { id: crashed.id, what: 'snapshot' as const, cluster: 'prod', path: `/hbase/.hbase-snapshot/snapshot_${T0 + H + 5}_default_orders` },
    { id: crashed.id, what: 'image' as const, cluster: 'dr', path: `/hbase-backups/shop/${crashed.id}` },
  ];
  const running = [{ id: crashed.id, root: ROOT, tables: crashed.tables, phase: 'SNAPSHOTCOPY', startTs: crashed.startTs }];
  const p = planAll({ config: config(true), observed: observed([backup(T0, 'FULL'), crashed], { running, locked: true, debris }), now: T0 + 2 * H });
  assert.equal(p.steps.map((x) => `${x.action} ${x.kind} ${x.target.cluster}:${x.target.path}`), [
    '~ hbase.backup.repair dr:/hbase-backups/shop',
    `- hbase.debris.delete prod:/hbase/.hbase-snapshot/snapshot_${T0 + H + 5}_default_orders`,
    `- hbase.debris.delete dr:/hbase-backups/shop/${crashed.id}`,
  ]);
  assert.equal(p.steps[1]!.dependsOn, [p.steps[0]!.id]);
  // Once repaired (FAILED), a later plan deletes what is still there, and backs up again.
  const failed = { ...crashed, state: 'FAILED' as const, image: 'unchecked' as const };
  const q = planAll({ config: config(true), observed: observed([backup(T0, 'FULL'), failed], { debris: debris.slice(1) }), now: T0 + 2 * H });
  assert.equal(q.steps.map((x) => x.kind), ['hbase.debris.delete', 'hbase.backup.incremental']);
});

test('safety: a debris delete of a COMPLETE backup, of a path its session did not leave, or before the repair is refused', () => {
  const full = backup(T0, 'FULL');
  const crashed: ObservedBackup = { ...backup(T0 + H, 'FULL', 'RUNNING'), snapshots: { 'default:orders': `snapshot_${T0 + H + 5}_default_orders` } };
  const obs = observed([full, crashed], { running: [{ id: crashed.id, root: ROOT, tables: crashed.tables, phase: 'SNAPSHOTCOPY', startTs: crashed.startTs }] });
  const step = (id: string, cluster: string, path: string, what: 'image' | 'snapshot', dependsOn: string[] = []) => ({
    id: `hbase.debris.delete:${cluster}:${path}`, kind: 'hbase.debris.delete', action: Action.Delete, policy: 'shop', target: { cluster, path }, params: { hbase: 'hb', id, what }, reason: 'test', dependsOn,
  });
  const rules = (steps: ReturnType<typeof step>[]) => checkSafety({ version: 1, createdAt: T0, policyDigest: '', observedDigest: '', steps, warnings: [] }, config(true), obs).map((v) => v.rule).sort();
  assert.equal(rules([step(full.id, 'dr', `/hbase-backups/shop/${full.id}`, 'image')]), ['last-recovery-point']);
  assert.equal(rules([step(crashed.id, 'dr', `/hbase-backups/shop/${full.id}`, 'image')]), ['delete-order', 'foreign']);
  assert.equal(rules([step(crashed.id, 'prod', '/hbase/.hbase-snapshot/snapshot_1_default_other', 'snapshot')]), ['delete-order', 'foreign']);
  assert.equal(rules([step(crashed.id, 'dr', `/hbase-backups/shop/${crashed.id}`, 'image')]), ['delete-order']);
});

test('a backup dated in the future is not trusted: not a recovery point, reported', () => {
  const p = plan([backup(T0 + D, 'FULL')], T0);
  assert.equal(p.steps.map((s) => s.kind), ['hbase.backup.full']);
  assert.ok(p.warnings.some((w) => /dated in the future/.test(w.message)));
  const [rp] = hbasePolicyPoints(config().policies.shop as HbaseBackupPolicy, observed([backup(T0 + D, 'FULL')]), T0);
  assert.is(rp!.newestAt, undefined);
  assert.is(rp!.future, 1);
  assert.is(rp!.breached, true);
});

test.run();
