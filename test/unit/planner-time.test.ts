/**
 * Names dated in the future (issue 9, item 2): a skewed clock, a hand-made name or an HBR_NOW run
 * against real clusters. Such a name is not the newest recovery point, does not hold back the
 * schedule, is not the base of a copy, is never deleted, and is reported (warning, metric).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { archiveKey } from '../../src/model/names.js';
import { storeKey, type Observed } from '../../src/model/observed.js';
import type { Config } from '../../src/model/policy.js';
import { recoveryPoints } from '../../src/metrics/recovery.js';
import { planAll } from '../../src/planner/plan.js';
import type { ZookeeperArchivePolicy, ZookeeperCluster } from '../../src/systems/zookeeper/types.js';
import { at, config, D, dir, DR, H, M, observed, policy, snap, SRC, summary } from './helpers-planner.js';

const NOW = at('2026-11-22T12:00:00Z');
const FUTURE = snap(NOW + 30 * D); // a month ahead: a clock set wrong, or HBR_NOW=2026-12-22 against real clusters

test('a snapshot named in the future does not hold back the schedule, and is reported', () => {
  const cfg = config(policy('w', { every: H, keep: { last: 1 } }));
  const plan = planAll({ config: cfg, observed: observed([dir(SRC, { snaps: [snap(NOW - 2 * H), FUTURE] })]), now: NOW });
  assert.ok(summary(plan).includes(`+ hdfs.snapshot.create prod:/warehouse@${snap(NOW)}`), summary(plan).join('\n'));
  assert.ok(plan.warnings.some((w) => w.message.includes('dated in the future') && w.message.includes(FUTURE)), JSON.stringify(plan.warnings));
});

test('it is never deleted, whatever keep says, and never taken as the newest recovery point', () => {
  const cfg = config(policy('w', { every: H, keep: { last: 1 } }));
  const obs = observed([dir(SRC, { snaps: [snap(NOW - 3 * H), snap(NOW - 2 * H), FUTURE] })]);
  const plan = planAll({ config: cfg, observed: obs, now: NOW });
  const deleted = plan.steps.filter((s) => s.kind === 'hdfs.snapshot.delete').map((s) => s.target.snapshot);
  assert.not.ok(deleted.includes(FUTURE));
  // the newest *trusted* observed snapshot is the last recovery point (kept); the older one goes
  assert.equal(deleted, [snap(NOW - 3 * H)]);
  const [source] = recoveryPoints(cfg, obs, NOW);
  assert.is(source!.newestAt, NOW - 2 * H);
  assert.is(source!.future, 1);
  assert.ok(source!.ageSeconds! > 0);
});

test('a future name common to both sides is not the base of a copy', () => {
  const cfg = config(policy('w', { every: H, replicate: [{ to: DR }] }));
  const a = snap(NOW - 2 * H);
  const obs = observed([
    dir(SRC, { snaps: [a, FUTURE, snap(NOW - H)] }),
    dir(DR, { snaps: [a, FUTURE], changedSince: { snapshot: a, changed: false, entries: 0 } }),
  ]);
  const plan = planAll({ config: cfg, observed: obs, now: NOW - 30 * M });
  const diff = plan.steps.find((s) => s.kind === 'replicate.distcp-diff');
  assert.ok(diff, summary(plan).join('\n'));
  assert.is(diff!.params.fromSnapshot, a);
  assert.is(diff!.params.toSnapshot, snap(NOW - H));
});

test('archives: one named in the future is not the newest, does not hold back the schedule, is never deleted', () => {
  const PREFIX = 'zk-';
  const loc = { file: 't.yaml', line: 1, col: 1 };
  const zk: ZookeeperArchivePolicy = { name: 'zk', kind: 'zookeeper-archive', source: { cluster: 'z' }, archive: { to: 's', prefix: PREFIX, schedule: { every: D }, keep: { last: 1 } }, at: loc };
  const cfg: Config = {
    clusters: { z: { name: 'z', kind: 'zookeeper', admin: 'http://zk:8080', mode: 'admin', at: loc } as ZookeeperCluster },
    stores: { s: { name: 's', kind: 's3', bucket: 'b', prefix: '', at: loc } },
    policies: { zk },
    webhooks: {},
    files: ['t.yaml'],
  };
  const old = archiveKey(PREFIX, NOW - 3 * D);
  const recent = archiveKey(PREFIX, NOW - 2 * D);
  const future = archiveKey(PREFIX, NOW + 30 * D);
  const obs: Observed = {
    at: NOW,
    dirs: {},
    stores: { [storeKey('s', PREFIX)]: { store: 's', prefix: PREFIX, objects: [old, recent, future].map((key) => ({ key, size: 10, lastModified: NOW, sha256: 'ab'.repeat(32) })) } },
    unfinished: [],
    errors: [],
  };
  const plan = planAll({ config: cfg, observed: obs, now: NOW });
  const lines = plan.steps.map((s) => `${s.action} ${s.kind} ${s.target.path}`);
  assert.ok(lines.includes(`+ zk.archive ${archiveKey(PREFIX, NOW)}`), lines.join('\n'));
  assert.not.ok(lines.some((l) => l.includes(future)), lines.join('\n'));
  assert.ok(plan.warnings.some((w) => w.message.includes('dated in the future')));
  const [p] = recoveryPoints(cfg, obs, NOW);
  assert.is(p!.newestAt, NOW - 2 * D);
  assert.is(p!.future, 1);
});

test.run();
