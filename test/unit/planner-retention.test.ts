import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bucketOf, formatKeep, keepGfs, keepLastN, prune, rulesForKeep, type Candidate } from '../../src/planner/retention.js';
import { isDue, lastCronFire } from '../../src/planner/schedule.js';
import { newestCommon } from '../../src/hadoop/snapshots.js';
import { formatDuration } from '../../src/model/format.js';
import { parseSnapshotName } from '../../src/model/names.js';
import { at, D, dir, DR, H, M, snap, SRC } from './helpers-planner.js';

const cands = (...names: string[]): Candidate[] => names.map((name) => ({ name, time: parseSnapshotName(name), planned: false }));
const kept = (rule: ReturnType<typeof keepLastN>, c: Candidate[]): string[] => [...rule.keep(c)].sort();

test('prune: no rules → nothing destroyed; destroyed = kept by no rule', () => {
  const c = cands('a', 'b', 'c');
  assert.equal(prune(c, []).destroy, []);
  const r = prune(c, [{ name: 'x', keep: () => new Set(['a']) }, { name: 'y', keep: () => new Set(['a', 'c']) }]);
  assert.equal(r.destroy.map((s) => s.name), ['b']);
  assert.equal(r.keptBy.get('a'), ['x', 'y']);
});

test('keep-last-n counts only hbr snapshots, by the time in the name', () => {
  const t = at('2026-01-01T00:00:00Z');
  const c = cands(snap(t + 2 * H), 'zzz', snap(t), snap(t + H));
  assert.equal(kept(keepLastN(2), c), [snap(t + H), snap(t + 2 * H)].sort());
  assert.equal(kept(keepLastN(0), c), []);
});

test('GFS buckets: UTC hours/days, ISO weeks from Monday, months, years', () => {
  const sun = at('2026-11-22T23:59:59Z'); // a Sunday
  const mon = at('2026-11-23T00:00:00Z');
  assert.is(bucketOf('weekly', mon) - bucketOf('weekly', sun), 1);
  assert.is(bucketOf('weekly', at('2026-11-16T00:00:00Z')), bucketOf('weekly', sun));
  assert.is(bucketOf('weekly', at('1970-01-01T00:00:00Z')), bucketOf('weekly', at('1969-12-29T00:00:00Z')));
  assert.is(bucketOf('daily', sun) + 1, bucketOf('daily', mon));
  assert.is(bucketOf('hourly', at('2026-11-22T13:59:59Z')), bucketOf('hourly', at('2026-11-22T13:00:00Z')));
  assert.is(bucketOf('monthly', at('2026-12-31T23:59:59Z')) + 1, bucketOf('monthly', at('2027-01-01T00:00:00Z')));
  assert.is(bucketOf('yearly', at('2026-12-31T23:59:59Z')), 2026);
});

test('keep-GFS keeps the newest of each bucket until n buckets', () => {
  const d0 = at('2026-11-20T00:00:00Z');
  const c = cands(...[0, 6, 12, 30, 40, 50, 60].map((h) => snap(d0 + h * H)));
  // days: 20 (0,6,12h) 21 (30,40h) 22 (50,60h)
  assert.equal(kept(keepGfs('daily', 2), c), [snap(d0 + 40 * H), snap(d0 + 60 * H)].sort());
  assert.equal(kept(keepGfs('daily', 9), c), [snap(d0 + 12 * H), snap(d0 + 40 * H), snap(d0 + 60 * H)].sort());
  assert.equal(kept(keepGfs('weekly', 1), c), [snap(d0 + 60 * H)]); // Fri..Sun: one ISO week
  assert.equal(kept(keepGfs('hourly', 0), c), []);
});

test('rulesForKeep and formatKeep', () => {
  assert.equal(rulesForKeep({}).map((r) => r.name), []);
  assert.equal(rulesForKeep({ yearly: 1, last: 3, hourly: 0, daily: 7 }).map((r) => r.name), ['keep-last-n', 'keep-daily', 'keep-yearly']);
  assert.is(formatKeep({ daily: 7, hourly: 24 }), '{hourly: 24, daily: 7}');
  assert.is(formatKeep({}), '{}');
});

test('lastCronFire: a fire exactly at now counts; UTC', () => {
  const now = at('2026-11-22T13:00:00Z');
  assert.is(lastCronFire('0 * * * *', now), now);
  assert.is(lastCronFire('0 * * * *', now - 1), now - H);
  assert.is(lastCronFire('30 2 * * 1', now), at('2026-11-16T02:30:00Z'));
});

test('isDue with every and cron; invalid schedules are not due and say why', () => {
  const now = at('2026-11-22T13:00:00Z');
  const newest = { name: snap(now - H), time: now - H };
  assert.is(isDue({ every: H }, newest, now).due, true);
  assert.is(isDue({ every: H }, newest, now - 1).due, false);
  assert.is(isDue({ every: H }, undefined, now).due, true);
  assert.is(isDue({ cron: '0 * * * *' }, newest, now).due, true);
  assert.is(isDue({ cron: '0 * * * *' }, newest, now - 1).due, false);
  assert.is(isDue({ cron: '0 * * * *' }, { name: snap(now), time: now }, now + 59 * M).due, false);
  const bad = isDue({ cron: 'not a cron' }, newest, now);
  assert.is(bad.due, false);
  assert.ok('error' in bad && bad.error);
  assert.is(isDue({}, newest, now).due, false);
});

test('newestCommon: newest hbr name on both sides; foreign names do not count', () => {
  const t = at('2026-11-22T00:00:00Z');
  const s = dir(SRC, { snaps: ['shared', snap(t), snap(t + H), snap(t + 2 * H)] });
  const d = dir(DR, { snaps: ['shared', snap(t), snap(t + H)] });
  assert.is(newestCommon(s, d, Infinity)?.name, snap(t + H));
  assert.is(newestCommon(s, dir(DR, { snaps: ["shared"] }), Infinity), undefined);
  assert.is(newestCommon(s, dir(DR, { exists: false }), Infinity), undefined);
});

test('formatDuration', () => {
  assert.is(formatDuration(H), '1h');
  assert.is(formatDuration(D + 2 * H + 30 * 1000), '1d2h30s');
  assert.is(formatDuration(0), '0s');
});

test.run();
