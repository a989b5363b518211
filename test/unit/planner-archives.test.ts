/** ZooKeeper archives: schedule, GFS retention over a simulated clock, and the store floors. */
import type { ZookeeperCluster } from '../../src/systems/zookeeper/types.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { archiveKey, parseArchiveKey } from '../../src/model/names.js';
import { storeKey, type Observed } from '../../src/model/observed.js';
import { Action, type Plan } from '../../src/model/plan.js';
import type { Config, Keep } from '../../src/model/policy.js';
import type { ZookeeperArchivePolicy } from '../../src/systems/zookeeper/types.js';
import { checkSafety, planAll } from '../../src/planner/plan.js';

const at = { file: 't.yaml', line: 1, col: 1 };
const PREFIX = 'zookeeper-backup-eu-west1-';
const H = 3_600_000;
const D = 24 * H;
const T0 = Date.UTC(2026, 10, 1, 3, 0, 0);

function config(keep: Keep, every = D): Config {
  const policy: ZookeeperArchivePolicy = {
    name: 'zk',
    kind: 'zookeeper-archive',
    source: { cluster: 'zkprod' },
    archive: { to: 'backups', prefix: PREFIX, schedule: { every }, keep },
    at,
  };
  return {
    clusters: { zkprod: { name: 'zkprod', kind: 'zookeeper', admin: 'http://zk:8080', mode: 'admin', at } as ZookeeperCluster },
    stores: { backups: { name: 'backups', kind: 's3', bucket: 'b', prefix: 'prod/', at } },
    webhooks: {},
    policies: { zk: policy },
    files: ['t.yaml'],
  };
}

type Obj = { key: string; sha256?: string };
function observed(objects: Obj[], now: number): Observed {
  return {
    at: now,
    dirs: {},
    unfinished: [],
    errors: [],
    stores: { [storeKey('backups', PREFIX)]: { store: 'backups', prefix: PREFIX, objects: objects.map((o) => ({ size: 100, lastModified: now, ...o })) } },
  };
}
const good = (t: number): Obj => ({ key: archiveKey(PREFIX, t), sha256: 'ab'.repeat(32) });
const lines = (p: Plan) => p.steps.map((s) => `${s.action} ${s.kind} ${s.target.path}`);

test('archive keys carry the prefix and UTC time, and round-trip', () => {
  assert.is(archiveKey(PREFIX, Date.UTC(2026, 10, 22, 13, 0, 0)), `${PREFIX}2026-11-22T13-00-00Z.tar.gz`);
  assert.is(parseArchiveKey(PREFIX, `${PREFIX}2026-11-22T13-00-00Z.tar.gz`), Date.UTC(2026, 10, 22, 13, 0, 0));
  for (const k of [`${PREFIX}2026-11-22T13-00-00Z.tar`, `other-2026-11-22T13-00-00Z.tar.gz`, `${PREFIX}2026-02-30T00-00-00Z.tar.gz`, `${PREFIX}latest.tar.gz`]) {
    assert.is(parseArchiveKey(PREFIX, k), undefined, k);
  }
});

test('first run archives; within the interval nothing; after it, a new archive', () => {
  const cfg = config({ daily: 7 });
  assert.equal(lines(planAll({ config: cfg, observed: observed([], T0), now: T0 })), [`+ zk.archive ${archiveKey(PREFIX, T0)}`]);
  const one = [good(T0)];
  assert.equal(planAll({ config: cfg, observed: observed(one, T0 + H), now: T0 + H }).steps, []);
  const p = planAll({ config: cfg, observed: observed(one, T0 + D), now: T0 + D });
  assert.equal(lines(p), [`+ zk.archive ${archiveKey(PREFIX, T0 + D)}`]);
  assert.is(p.steps[0]!.params.zookeeper, 'zkprod');
});

test('retention over a simulated clock keeps exactly the GFS set; foreign objects are never touched', () => {
  const cfg = config({ daily: 3, weekly: 2 });
  let objects: Obj[] = [{ key: `${PREFIX}notes.txt` }, { key: archiveKey(PREFIX, T0 - 30 * D) }, { key: 'unrelated/thing.tar.gz', sha256: 'x' }];
  for (let day = 0; day < 30; day++) {
    const now = T0 + day * D;
    const plan = planAll({ config: cfg, observed: observed(objects, now), now });
    // apply the plan to the simulated store
    for (const s of plan.steps) {
      if (s.kind === 'zk.archive') objects.push(good(now));
      if (s.kind === 'store.delete') objects = objects.filter((o) => o.key !== s.target.path);
      if (s.kind === 'store.delete') assert.ok(s.dependsOn.length === 1 && s.dependsOn[0]!.startsWith('zk.archive'), 'deletes wait for the new archive');
    }
  }
  const last = T0 + 29 * D;
  const kept = objects.map((o) => o.key).sort();
  // daily 3: the last three days; weekly 2: the newest of this ISO week and of the previous one.
  const days = (n: number) => archiveKey(PREFIX, last - n * D);
  const expected = new Set([days(0), days(1), days(2)]);
  const weekOf = (t: number) => Math.floor((Math.floor(t / D) + 3) / 7);
  const thisWeek = weekOf(last);
  // newest of the previous week: the last day before this week began
  let t = last;
  while (weekOf(t) === thisWeek) t -= D;
  expected.add(archiveKey(PREFIX, t));
  const foreign = [`${PREFIX}notes.txt`, archiveKey(PREFIX, T0 - 30 * D), 'unrelated/thing.tar.gz'];
  assert.equal(kept, [...expected, ...foreign].sort());
});

test('with keep {} the newest good archive still survives; an archive without checksum is foreign', () => {
  const cfg = config({});
  const objs = [good(T0), good(T0 + D), { key: archiveKey(PREFIX, T0 + 2 * D) }];
  const plan = planAll({ config: cfg, observed: observed(objs, T0 + D + H), now: T0 + D + H });
  assert.equal(lines(plan), [`- store.delete ${archiveKey(PREFIX, T0)}`]);
});

test('checkSafety refuses a store delete of the newest good archive, a foreign object, or one before the new archive', () => {
  const cfg = config({});
  const obs = observed([good(T0), good(T0 + D), { key: `${PREFIX}manual.tar.gz`, sha256: 'x' }], T0 + D + H);
  const del = (key: string, dependsOn: string[] = []) => ({
    id: `store.delete:backups:${key}`, kind: 'store.delete' as const, action: Action.Delete, policy: 'zk',
    target: { cluster: 'backups', path: key }, params: {}, reason: 't', dependsOn,
  });
  const plan = (steps: Plan['steps']): Plan => ({ version: 1, createdAt: 0, policyDigest: '', observedDigest: '', steps, warnings: [] });
  assert.equal(checkSafety(plan([del(archiveKey(PREFIX, T0 + D))]), cfg, obs).map((v) => v.rule), ['last-recovery-point']);
  assert.equal(checkSafety(plan([del(`${PREFIX}manual.tar.gz`)]), cfg, obs).map((v) => v.rule), ['foreign']);
  assert.equal(checkSafety(plan([del(archiveKey(PREFIX, T0))]), cfg, obs), []);
  const create = { ...del('x'), id: 'zk.archive:backups:new', kind: 'zk.archive' as const, action: Action.Create, target: { cluster: 'backups', path: 'new' } };
  assert.equal(checkSafety(plan([create, del(archiveKey(PREFIX, T0))]), cfg, obs).map((v) => v.rule), ['delete-order']);
  const noStore: Observed = { ...obs, stores: {} };
  assert.equal(checkSafety(plan([del(archiveKey(PREFIX, T0))]), cfg, noStore).map((v) => v.rule), ['unverifiable']);
});

test('property: never deletes a foreign object or the newest good archive; planAll never throws', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ day: fc.integer({ min: 0, max: 400 }), hour: fc.integer({ min: 0, max: 23 }), sha: fc.boolean(), foreignName: fc.boolean() }), { maxLength: 40 }),
      fc.record({ last: fc.nat(5), daily: fc.nat(10), weekly: fc.nat(5), monthly: fc.nat(12) }),
      fc.integer({ min: 0, max: 500 * 24 }),
      (raw, keep, nowH) => {
        const objs: Obj[] = raw.map((r) => {
          const t = T0 + r.day * D + r.hour * H;
          return r.foreignName ? { key: `${PREFIX}custom-${r.day}-${r.hour}.tar.gz`, sha256: 'x' } : r.sha ? good(t) : { key: archiveKey(PREFIX, t) };
        });
        const uniq = [...new Map(objs.map((o) => [o.key, o])).values()];
        const now = T0 + nowH * H;
        const plan = planAll({ config: config(keep), observed: observed(uniq, now), now });
        const deleted = new Set(plan.steps.filter((s) => s.kind === 'store.delete').map((s) => s.target.path));
        for (const o of uniq) {
          if (parseArchiveKey(PREFIX, o.key) === undefined || !o.sha256) assert.not.ok(deleted.has(o.key), `foreign ${o.key} deleted`);
        }
        const goods = uniq.filter((o) => o.sha256 && parseArchiveKey(PREFIX, o.key) !== undefined).sort((a, b) => parseArchiveKey(PREFIX, a.key)! - parseArchiveKey(PREFIX, b.key)!);
        const newest = goods[goods.length - 1];
        if (newest) assert.not.ok(deleted.has(newest.key), 'newest good archive deleted');
      },
    ),
    { numRuns: 300 },
  );
});

test.run();
