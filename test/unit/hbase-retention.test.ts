/**
 * HBase retention by whole chains over a simulated clock (issue 13 point 4; docs/hbase.md,
 * "Retention"): whole chains only, never the newest chain nor the last recovery point, never a FAILED
 * full, and never a delete whose HBase cascade (BackupAdminImpl.getAffectedBackupSessions) reaches a
 * COMPLETE backup outside it — in the planner and in the safety floors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Action, type Plan } from '../../src/model/plan.js';
import type { Config } from '../../src/model/policy.js';
import { checkSafety, planAll } from '../../src/planner/plan.js';
import { cascadeOf } from '../../src/systems/hbase/retention.js';
import type { HbaseBackupPolicy, ObservedBackup } from '../../src/systems/hbase/types.js';
import { backup, config, D, H, observed, T0 } from '../fixtures/hbase-observed.js';

function withKeep(keep: HbaseBackupPolicy['hbase']['keep']): Config {
  const c = config();
  const p = c.policies.shop as HbaseBackupPolicy;
  const shop: HbaseBackupPolicy = { ...p, hbase: { ...p.hbase, keep } };
  return { ...c, policies: { shop } };
}

const deletes = (p: Plan) => p.steps.filter((s) => s.kind === 'hbase.backup.delete').map((s) => (s.params as { ids: string[] }).ids);
const id = (t: number) => `backup_${t}`;

/** Four weekly chains, each a full and two incrementals; a clock walked forward a week at a time. */
function weeks(n: number): ObservedBackup[] {
  return Array.from({ length: n }, (_, w) => [backup(T0 + w * 7 * D, 'FULL'), backup(T0 + w * 7 * D + H, 'INCREMENTAL'), backup(T0 + w * 7 * D + 2 * H, 'INCREMENTAL')]).flat();
}

test('no keep counts: nothing is ever deleted', () => {
  const p = planAll({ config: config(), observed: observed(weeks(4)), now: T0 + 21 * D + 3 * H });
  assert.equal(deletes(p), []);
});

test('keep last 2 over a walked clock: whole chains go, oldest first, the newest two stay', () => {
  const c = withKeep({ last: 2 });
  for (let n = 1; n <= 4; n++) {
    const p = planAll({ config: c, observed: observed(weeks(n)), now: T0 + (n - 1) * 7 * D + 3 * H });
    const want = Array.from({ length: Math.max(0, n - 2) }, (_, w) => [id(T0 + w * 7 * D), id(T0 + w * 7 * D + H), id(T0 + w * 7 * D + 2 * H)]);
    assert.equal(deletes(p), want, `week ${n}`);
    assert.equal(checkSafety(p, c, observed(weeks(n))), []);
  }
});

test('the newest good chain is never deleted, even when keep lets it go and newer chains are broken', () => {
  const c = withKeep({ last: 1 });
  const b = [...weeks(2), backup(T0 + 14 * D, 'FULL', 'COMPLETE', 'bad')];
  const p = planAll({ config: c, observed: observed(b), now: T0 + 14 * D + H });
  // chain 1 goes; chain 2 holds the last recovery point; the broken newest chain stays (newest-chain floor)
  assert.equal(deletes(p), [[id(T0), id(T0 + H), id(T0 + 2 * H)]]);
  assert.ok(p.steps.some((s) => s.kind === 'hbase.backup.full'), 'the broken newest chain: a new full');
});

test('a FAILED full is never deleted, and the chain its cascade would cut is deleted whole or not at all', () => {
  // chain A: full, incremental, then a FAILED full, then an incremental that still builds on A's full
  const b = [backup(T0, 'FULL'), backup(T0 + H, 'INCREMENTAL'), backup(T0 + 2 * H, 'FULL', 'FAILED'), backup(T0 + 3 * H, 'INCREMENTAL'), ...weeks(3).slice(3)];
  assert.equal(cascadeOf(id(T0 + 2 * H), b).map((x) => x.id), [id(T0 + 3 * H)], "HBase's cascade of the FAILED full reaches A's COMPLETE incremental");
  const c = withKeep({ last: 1 });
  const p = planAll({ config: c, observed: observed(b), now: T0 + 14 * D + 3 * H });
  const all = deletes(p).flat();
  assert.ok(!all.includes(id(T0 + 2 * H)), 'the FAILED full is never a delete');
  assert.equal(deletes(p)[0], [id(T0), id(T0 + H), id(T0 + 3 * H)], 'chain A whole, its last incremental included');
  // A delete naming the FAILED full (an edited plan) is refused by the floors.
  const bad: Plan = { ...p, steps: [{ id: 'x', kind: 'hbase.backup.delete', action: Action.Delete, policy: 'shop', target: { cluster: 'dr', path: '/hbase-backups/shop', snapshot: id(T0 + 2 * H) }, params: { hbase: 'hb', ids: [id(T0 + 2 * H)] }, reason: 'edited', dependsOn: [] }] };
  const rules = checkSafety(bad, c, observed(b)).map((v) => v.rule).sort();
  assert.ok(rules.includes('foreign') , JSON.stringify(rules));
});

test('floors: a delete of part of a chain, of the newest chain, or one whose cascade escapes is refused', () => {
  const c = withKeep({ last: 1 });
  const b = weeks(3);
  const obs = observed(b);
  const step = (ids: string[]) => ({ id: `d:${ids[0]}`, kind: 'hbase.backup.delete', action: Action.Delete, policy: 'shop', target: { cluster: 'dr', path: '/hbase-backups/shop', snapshot: ids[0] }, params: { hbase: 'hb', ids }, reason: 't', dependsOn: [] });
  const rules = (ids: string[]) => checkSafety({ version: 1, createdAt: T0 + 15 * D, policyDigest: '', observedDigest: '', steps: [step(ids)], warnings: [] }, c, obs).map((v) => v.rule).sort();
  assert.equal(rules([id(T0), id(T0 + H)]), ['foreign'], 'part of a chain');
  assert.equal(rules([id(T0 + 14 * D), id(T0 + 14 * D + H), id(T0 + 14 * D + 2 * H)]), ['in-use', 'last-recovery-point']);
  assert.equal(rules([id(T0), id(T0 + H), id(T0 + 2 * H)]), []);
  // an incremental alone: its cascade reaches the next incremental of its chain
  assert.equal(cascadeOf(id(T0 + H), b).map((x) => x.id), [id(T0 + 2 * H)]);
});

test.run();
