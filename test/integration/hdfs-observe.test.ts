/**
 * Observation with the fewest round trips (issue 16), against the test bed's real NameNodes: many
 * directories on a cluster are first looked up in one GETSNAPSHOTTABLEDIRECTORYLIST, a directory
 * whose count is 0 gets no GETSNAPSHOTLIST, and a content summary is asked only on the sides of a
 * DR pair. What is observed must be exactly what one directory at a time observes (below
 * LIST_FROM_DIRS the list is not used), including for directories the list does not carry
 * (not snapshottable, missing) and for a user the NameNode lists nothing for.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HdfsCluster } from '../../src/hadoop/cluster.js';
import { WebHdfs } from '../../src/hadoop/webhdfs.js';
import { snapshotName } from '../../src/model/names.js';
import type { Observed } from '../../src/model/observed.js';
import type { Config } from '../../src/model/policy.js';
import { LIST_FROM_DIRS, observeHdfs } from '../../src/systems/hdfs/observe.js';
import type { HdfsSnapshotPolicy } from '../../src/systems/hdfs/types.js';
import { testbed, uniq } from '../helpers/testbed.js';

const tb = testbed();
const at = { file: 'observe.yaml', line: 1, col: 1 };
const root = `/it/${uniq('observe')}`;
const primary = new WebHdfs({ baseUrl: tb.HBR_TB_PRIMARY_WEBHDFS, user: tb.HBR_TB_HDFS_USER });
const dr = new WebHdfs({ baseUrl: tb.HBR_TB_DR_WEBHDFS, user: tb.HBR_TB_HDFS_USER });
const T0 = Date.parse('2026-11-20T00:00:00Z');

function config(user: string): Config {
  const cluster = (name: string, webhdfs: string, fs: string): HdfsCluster => ({ name, kind: 'hdfs', webhdfs, fs, user, at });
  const policy = (name: string, path: string, replicate: HdfsSnapshotPolicy['replicate'] = []): HdfsSnapshotPolicy => ({
    name,
    kind: 'hdfs-snapshots',
    source: { cluster: 'primary', path },
    snapshots: { schedule: { every: 3600_000 }, keep: { last: 5 } },
    replicate,
    at,
  });
  const policies = [
    policy('snaps', `${root}/snaps`, [{ to: { cluster: 'dr', path: `${root}/snaps` }, keep: {} }]),
    policy('empty', `${root}/empty`),
    policy('plain', `${root}/plain`),
    policy('missing', `${root}/missing`),
    policy('more', `${root}/more`),
  ];
  return {
    clusters: {
      primary: cluster('primary', tb.HBR_TB_PRIMARY_WEBHDFS, tb.HBR_TB_PRIMARY_FS),
      dr: cluster('dr', tb.HBR_TB_DR_WEBHDFS, tb.HBR_TB_DR_FS),
    },
    stores: {},
    webhooks: {},
    policies: Object.fromEntries(policies.map((p) => [p.name, p])),
    files: ['observe.yaml'],
  };
}

/** The WebHDFS operations `fn` sends, as `OP path` (primary) or `OP dr:path` (dr). */
async function recording<T>(fn: () => Promise<T>): Promise<{ result: T; ops: string[] }> {
  const ops: string[] = [];
  const real = globalThis.fetch;
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const u = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const onDr = tb.HBR_TB_DR_WEBHDFS.startsWith(u.origin);
    ops.push(`${u.searchParams.get('op')} ${onDr ? 'dr:' : ''}${decodeURIComponent(u.pathname.replace('/webhdfs/v1', ''))}`);
    return real(input, init);
  }) as typeof fetch;
  try {
    return { result: await fn(), ops };
  } finally {
    globalThis.fetch = real;
  }
}

/** Each policy observed on its own (one directory at a time: no list). */
async function oneByOne(cfg: Config, now: () => number): Promise<Observed['dirs']> {
  const dirs: Observed['dirs'] = {};
  for (const name of Object.keys(cfg.policies)) Object.assign(dirs, (await observeHdfs(cfg, { targets: [name], now })).dirs);
  return dirs;
}

test.before(async () => {
  for (const d of ['snaps', 'empty', 'plain', 'more']) await primary.mkdirs(`${root}/${d}`);
  await primary.create(`${root}/snaps/f.txt`, Buffer.from('x'));
  for (const d of ['snaps', 'empty', 'more']) await primary.allowSnapshot(`${root}/${d}`);
  await primary.createSnapshot(`${root}/snaps`, snapshotName(T0));
  await primary.createSnapshot(`${root}/snaps`, snapshotName(T0 + 3600_000));
  await primary.createSnapshot(`${root}/snaps`, 'foreign-one');
  await primary.createSnapshot(`${root}/more`, snapshotName(T0));
  await dr.mkdirs(`${root}/snaps`);
  await dr.allowSnapshot(`${root}/snaps`);
  await dr.createSnapshot(`${root}/snaps`, snapshotName(T0));
});

test.after(async () => {
  for (const [fs, dirs] of [[primary, ['snaps', 'empty', 'more']], [dr, ['snaps']]] as const) {
    for (const d of dirs) {
      for (const s of await fs.getSnapshotList(`${root}/${d}`)) await fs.deleteSnapshot(`${root}/${d}`, s.dirStatus.pathSuffix);
    }
    await fs.delete(root, true);
  }
});

test('many directories: one snapshottable list, no list call for a count of 0, sizes only on DR pairs; same as one at a time', async () => {
  const cfg = config(tb.HBR_TB_HDFS_USER);
  const now = () => T0 + 2 * 3600_000;
  assert.ok(Object.keys(cfg.policies).length >= LIST_FROM_DIRS, 'enough directories on primary for the list');
  const { result, ops } = await recording(() => observeHdfs(cfg, { now }));
  assert.equal(result.errors, []);
  assert.equal(result.dirs, await oneByOne(cfg, now), 'the same observation as one directory at a time');

  const on = (op: string, path: string) => ops.filter((o) => o === `${op} ${path}`).length;
  assert.is(ops.filter((o) => o.startsWith('GETSNAPSHOTTABLEDIRECTORYLIST')).length, 1, 'primary listed once (dr has one directory: not listed)');
  for (const d of ['snaps', 'empty', 'more']) assert.is(on('GETFILESTATUS', `${root}/${d}`), 0, `${d}: known from the list`);
  for (const d of ['plain', 'missing']) assert.is(on('GETFILESTATUS', `${root}/${d}`), 1, `${d}: not in the list, asked on its own`);
  assert.is(on('GETSNAPSHOTLIST', `${root}/empty`), 0, 'a count of 0 needs no snapshot list');
  assert.is(on('GETSNAPSHOTLIST', `${root}/snaps`), 1);
  assert.equal(ops.filter((o) => o.startsWith('GETCONTENTSUMMARY ') && !o.includes('/.snapshot/')).sort(), [`GETCONTENTSUMMARY ${root}/snaps`, `GETCONTENTSUMMARY dr:${root}/snaps`]);
  assert.is(result.dirs[`primary:${root}/snaps`]?.size?.files, 1);
  assert.is(result.dirs[`primary:${root}/more`]?.size, undefined, 'no DR pair: no size');
  assert.equal(result.dirs[`primary:${root}/snaps`]?.snapshots.map((s) => s.name).sort(), [snapshotName(T0), snapshotName(T0 + 3600_000), 'foreign-one'].sort());
  const empty = result.dirs[`primary:${root}/empty`];
  assert.equal([empty?.exists, empty?.snapshottable, empty?.snapshots, empty?.size], [true, true, [], undefined], 'empty: from the list alone');
  assert.is(result.dirs[`primary:${root}/missing`]?.exists, false);
  assert.is(result.dirs[`primary:${root}/plain`]?.snapshottable, false);
});

test('a user the NameNode lists nothing for (not the owner, not a superuser): every directory asked on its own, same observation', async () => {
  const cfg = config('someone-else');
  const now = () => T0 + 2 * 3600_000;
  const { result, ops } = await recording(() => observeHdfs(cfg, { now, sizes: false }));
  assert.equal(result.errors, []);
  for (const d of ['snaps', 'empty', 'plain', 'missing', 'more']) assert.is(ops.filter((o) => o === `GETFILESTATUS ${root}/${d}`).length, 1, d);
  assert.equal(result.dirs, (await observeHdfs(config(tb.HBR_TB_HDFS_USER), { now, sizes: false })).dirs);
});

test.run();
