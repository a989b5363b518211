import { test } from 'uvu';
import type { HdfsCluster } from '../../src/hadoop/cluster.js';
import type { ZookeeperCluster } from '../../src/systems/zookeeper/types.js';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkCron, cronGapLongerThan, formatPolicyError, loadConfig, loadConfigSources } from '../../src/schema/load.js';
import { errorsOf, expectOne, fixture, removeFixtures } from '../fixtures/policy-errors.js';
import { formatDuration, parseDuration } from '../../src/schema/duration.js';
import type { HdfsSnapshotPolicy } from '../../src/systems/hdfs/types.js';
import type { ZookeeperArchivePolicy } from '../../src/systems/zookeeper/types.js';

// Lines 1-6; policies start on line 7.
const HEAD = `version: 1
clusters:
  prod: { hdfs: { webhdfs: http://nn.prod:9870, fs: hdfs://nn.prod:8020 } }
  dr: { hdfs: { webhdfs: http://nn.dr:9870, fs: hdfs://nn.dr:8020 } }
  zk: { zookeeper: { connect: zk1:2181 } }
policies:
`;

/** HEAD then these policy lines (the first on line 7). */
const withPolicies = (...lines: string[]) => ({ 'p.yaml': HEAD + lines.join('\n') + '\n' });

// ---------------------------------------------------------------------------------------------
// valid

const CLUSTERS_YAML = `# yaml-language-server: $schema=../schema/hbr-policy.schema.json
version: 1
clusters:
  prod:
    hdfs: { webhdfs: http://nn.prod:9870, fs: hdfs://nn.prod:8020, user: hdfs }
  dr: { hdfs: { webhdfs: http://nn.dr:9870, fs: hdfs://nn.dr:8020 } }
  zkprod: { zookeeper: { admin: http://zk1.prod:8080, connect: zk1.prod:2181 } }
stores:
  backups: { s3: { bucket: hbr-backups, prefix: prod/, region: eu-west-1 } }
  minio:
    s3:
      bucket: b
      endpoint: http://minio:9000
      force_path_style: true
  vault: { local: { path: /srv/hbr-store } }
`;

const WAREHOUSE_YAML = `version: 1
policies:
  warehouse:
    source: { cluster: prod, path: /warehouse }
    snapshots: { every: 1h, keep: { hourly: 24, daily: 7, weekly: 4, monthly: 12 } }
    rpo: 2h
    replicate:
      - to: { cluster: dr, path: /warehouse }
        keep: { daily: 30 }
`;

const EXTRA_YAML = `version: 1
policies:
  logs:
    source: { cluster: prod, path: /logs }
    snapshots:
      cron: "30 2 * * *"
  archive-dr:
    source: { cluster: dr, path: /archive }
    snapshots: { every: 1d30m, keep: {} }
    rpo: 1d30m
`;

test('a valid multi-file config (directory + file) loads to the exact normalized Config', async () => {
  const dir = fixture({
    '00-clusters.yaml': CLUSTERS_YAML,
    '10-warehouse.yml': WAREHOUSE_YAML,
    'notes.txt': 'not: [a policy',
    'sub/ignored.yaml': 'this is: [not loaded: non-recursive',
  });
  const extraDir = fixture({ 'extra.yaml': EXTRA_YAML });
  const extra = join(extraDir, 'extra.yaml');
  const r = await loadConfig([dir, extra]);
  if ('errors' in r) return assert.unreachable(r.errors.map(formatPolicyError).join('\n'));
  const c1 = join(dir, '00-clusters.yaml');
  const w = join(dir, '10-warehouse.yml');
  const expected = {
    files: [c1, w, extra],
    webhooks: {},
    clusters: {
      prod: { name: 'prod', kind: 'hdfs', webhdfs: 'http://nn.prod:9870', fs: 'hdfs://nn.prod:8020', user: 'hdfs', at: { file: c1, line: 4, col: 3 } } as HdfsCluster,
      dr: { name: 'dr', kind: 'hdfs', webhdfs: 'http://nn.dr:9870', fs: 'hdfs://nn.dr:8020', at: { file: c1, line: 6, col: 3 } } as HdfsCluster,
      zkprod: { name: 'zkprod', kind: 'zookeeper', admin: 'http://zk1.prod:8080', connect: 'zk1.prod:2181', mode: 'admin', at: { file: c1, line: 7, col: 3 } } as ZookeeperCluster,
    },
    stores: {
      backups: { name: 'backups', kind: 's3', bucket: 'hbr-backups', prefix: 'prod/', region: 'eu-west-1', at: { file: c1, line: 9, col: 3 } },
      minio: { name: 'minio', kind: 's3', bucket: 'b', prefix: '', endpoint: 'http://minio:9000', forcePathStyle: true, at: { file: c1, line: 10, col: 3 } },
      vault: { name: 'vault', kind: 'local', path: '/srv/hbr-store', at: { file: c1, line: 15, col: 3 } },
    },
    policies: {
      warehouse: {
        name: 'warehouse',
        kind: 'hdfs-snapshots',
        source: { cluster: 'prod', path: '/warehouse' },
        snapshots: { schedule: { every: 3_600_000 }, keep: { hourly: 24, daily: 7, weekly: 4, monthly: 12 } },
        rpo: 7_200_000,
        replicate: [{ to: { cluster: 'dr', path: '/warehouse' }, keep: { daily: 30 } }],
        at: { file: w, line: 3, col: 3 },
      },
      logs: {
        name: 'logs',
        kind: 'hdfs-snapshots',
        source: { cluster: 'prod', path: '/logs' },
        snapshots: { schedule: { cron: '30 2 * * *' }, keep: {} },
        replicate: [],
        at: { file: extra, line: 3, col: 3 },
      },
      'archive-dr': {
        name: 'archive-dr',
        kind: 'hdfs-snapshots',
        source: { cluster: 'dr', path: '/archive' },
        snapshots: { schedule: { every: 86_400_000 + 1_800_000 }, keep: {} },
        rpo: 86_400_000 + 1_800_000,
        replicate: [],
        at: { file: extra, line: 7, col: 3 },
      },
    },
  };
  assert.equal(r.config, expected);
  assert.equal(Object.keys(r.config.policies), ['warehouse', 'logs', 'archive-dr']);
});

test('the full example of docs/policies.md is valid', () => {
  const md = readFileSync(new URL('../../docs/policies.md', import.meta.url), 'utf8');
  const yaml = /```yaml\n([\s\S]*?)```/.exec(md)?.[1];
  assert.ok(yaml, 'docs/policies.md has a yaml example');
  const r = loadConfigSources([{ file: 'docs/policies.md', text: yaml }]);
  if ('errors' in r) return assert.unreachable(r.errors.map(formatPolicyError).join('\n'));
  assert.ok(Object.keys(r.config.policies).length >= 2);
});

test('the schema file is draft 2020-12 with the expected $id and closes every object', () => {
  const schema = JSON.parse(readFileSync(new URL('../../schema/hbr-policy.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  assert.is(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.is(schema.$id, 'https://hbr.dev/schema/hbr-policy.schema.json');
  const open: string[] = [];
  const walk = (n: unknown, at: string) => {
    if (Array.isArray(n)) return n.forEach((x, i) => walk(x, `${at}/${i}`));
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if ((o.type === 'object' || o.properties) && o.additionalProperties === undefined) open.push(at);
    for (const [k, v] of Object.entries(o)) walk(v, `${at}/${k}`);
  };
  walk(schema, '#');
  assert.equal(open, []);
});

test('keep with every count 0 or absent is allowed; rpo equal to the interval is allowed', async () => {
  const dir = fixture(withPolicies(
    '  a:',
    '    source: { cluster: prod, path: /a }',
    '    snapshots: { every: 1h, keep: { last: 0, daily: 0 } }',
    '    rpo: 60m',
    '    replicate: [ { to: { cluster: dr, path: /a } } ]',
  ));
  const r = await loadConfig([dir]);
  if ('errors' in r) return assert.unreachable(r.errors.map(formatPolicyError).join('\n'));
  const a = r.config.policies.a as HdfsSnapshotPolicy | undefined;
  assert.ok(a?.kind === 'hdfs-snapshots');
  assert.equal(a.snapshots.keep, { last: 0, daily: 0 });
  assert.equal(a.replicate, [{ to: { cluster: 'dr', path: '/a' }, keep: {} }]);
});

test('a replication target\'s distcp: { queue, maps, bandwidth } is loaded; a wrong one is an error at its key', async () => {
  const load = (distcp: string) => loadConfig([fixture(withPolicies(
    '  a: { source: { cluster: prod, path: /a }, snapshots: { every: 1h },',
    `       replicate: [ { to: { cluster: dr, path: /a }, distcp: ${distcp} } ] }`,
  ))]);
  const r = await load('{ queue: root.dr, maps: 8, bandwidth: 12.5 }');
  if ('errors' in r) return assert.unreachable(r.errors.map(formatPolicyError).join('\n'));
  assert.equal((r.config.policies.a as HdfsSnapshotPolicy).replicate[0]!.distcp, { queue: 'root.dr', maps: 8, bandwidth: 12.5 });
  const e = await load('{ maps: 0, queue: "a b" }');
  assert.ok('errors' in e && e.errors.length >= 1, 'maps 0 and a queue with a space are refused');
  assert.match(e.errors.map(formatPolicyError).join('\n'), /p\.yaml:\d+:\d+.*distcp/);
});

test('the root path / and sibling paths are fine', async () => {
  const dir = fixture(withPolicies(
    '  a: { source: { cluster: prod, path: /data/a }, snapshots: { every: 1h } }',
    '  ab: { source: { cluster: prod, path: /data/ab }, snapshots: { every: 1h } }',
    '  root: { source: { cluster: dr, path: / }, snapshots: { every: 1d } }',
  ));
  const r = await loadConfig([dir]);
  if ('errors' in r) return assert.unreachable(r.errors.map(formatPolicyError).join('\n'));
  const root = r.config.policies.root as HdfsSnapshotPolicy | undefined;
  assert.is(root?.kind === 'hdfs-snapshots' ? root.source.path : undefined, '/');
});

// ---------------------------------------------------------------------------------------------
// bad policies: one error each, exact position

test('unknown top-level key, with a suggestion', async () => {
  await expectOne({ 'p.yaml': 'version: 1\npolices: {}\n' }, 'p.yaml', 2, 1, ["unknown key 'polices'", "did you mean 'policies'?"], 'polices');
});

test('typo in a deeply nested key points at the key itself, not at the missing one', async () => {
  await expectOne(
    withPolicies(
      '  w:',
      '    source: { cluster: prod, path: /w }',
      '    snapshots: { every: 1h }',
      '    replicate:',
      '      - to: { clustr: dr, path: /w }',
    ),
    'p.yaml', 11, 15, ["unknown key 'clustr'", "did you mean 'cluster'?"], 'policies.w.replicate[0].to.clustr',
  );
});

test('unknown key in keep, with the list of what is allowed', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: /w }', '    snapshots:', '      every: 1h', '      keep: { minutely: 5 }'),
    'p.yaml', 11, 15, ["unknown key 'minutely'", 'last, hourly, daily, weekly, monthly, yearly'],
  );
});

test('bad duration string', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: /w }', '    snapshots: { every: 15min }'),
    'p.yaml', 9, 25, ["invalid value '15min'", 'duration', '1h30m'], 'policies.w.snapshots.every',
  );
});

test('durations must put the largest unit first', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: /w }', '    snapshots: { every: 30m1h }'),
    'p.yaml', 9, 25, ["invalid value '30m1h'"],
  );
});

test('zero duration', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: /w }', '    snapshots: { every: 0h }'),
    'p.yaml', 9, 25, ["invalid duration '0h'", 'greater than zero'], 'policies.w.snapshots.every',
  );
});

test('a duration given as a number is a type error', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: /w }', '    snapshots: { every: 3600 }'),
    'p.yaml', 9, 25, ['expected a string, got number 3600', 'duration'],
  );
});

test('bad cron: value out of range', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: /w }', "    snapshots: { cron: '61 * * * *' }"),
    'p.yaml', 9, 24, ["invalid cron '61 * * * *'", '61'], 'policies.w.snapshots.cron',
  );
});

test('bad cron: 6 fields (only 5-field cron is accepted)', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: /w }', '    snapshots:', "      cron: '0 0 2 * * *'"),
    'p.yaml', 10, 13, ['expected 5 fields', 'found 6'],
  );
});

test('unquoted cron starting with * is a YAML alias: syntax error with a hint', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: /w }', '    snapshots:', '      cron: */5 * * * *'),
    'p.yaml', 10, 13, ['YAML', 'quote it'],
  );
});

test('both every and cron: points at the second one', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: /w }', '    snapshots:', '      every: 1h', "      cron: '0 * * * *'"),
    'p.yaml', 11, 7, ["'every' and 'cron' are mutually exclusive"], 'policies.w.snapshots.cron',
  );
});

test('neither every nor cron', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: /w }', '    snapshots:', '      keep: { last: 3 }'),
    'p.yaml', 9, 5, ["one of 'every' or 'cron' is required"], 'policies.w.snapshots',
  );
});

test('missing required key points at the parent key', async () => {
  await expectOne(
    withPolicies('  w:', '    snapshots: { every: 1h }'),
    'p.yaml', 7, 3, ["missing required key 'source'"], 'policies.w',
  );
});

test('dangling cluster reference', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prdo, path: /w }', '    snapshots: { every: 1h }'),
    'p.yaml', 8, 24, ["unknown cluster 'prdo'", "did you mean 'prod'?"], 'policies.w.source.cluster',
  );
});

test('dangling cluster reference in a replication target', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: /w }', '    snapshots: { every: 1h }', '    replicate:', '      - to: { cluster: elsewhere, path: /w }'),
    'p.yaml', 11, 24, ["unknown cluster 'elsewhere'", 'prod, dr, zk'], 'policies.w.replicate[0].to.cluster',
  );
});

test('a zookeeper cluster where an hdfs cluster is needed', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: zk, path: /w }', '    snapshots: { every: 1h }'),
    'p.yaml', 8, 24, ["cluster 'zk' is a zookeeper cluster", 'HDFS snapshots need an hdfs cluster'],
  );
});

test('two policies on the same cluster and path, across files', async () => {
  const e = await expectOne(
    {
      'a.yaml': HEAD + '  w:\n    source: { cluster: prod, path: /w }\n    snapshots: { every: 1h }\n',
      'b.yaml': 'version: 1\npolicies:\n  w2:\n    snapshots: { every: 1d }\n    source: { path: /w, cluster: prod }\n',
    },
    'b.yaml', 5, 21, ["prod:/w is already protected by policy 'w'", 'a.yaml:8:36'],
  );
  assert.is(e.key, 'policies.w2.source.path');
});

test('the same name defined in two files points at the second definition', async () => {
  await expectOne(
    {
      'a.yaml': HEAD + '  w:\n    source: { cluster: prod, path: /w }\n    snapshots: { every: 1h }\n',
      'b.yaml': 'version: 1\nclusters:\n  dr: { hdfs: { webhdfs: http://x:9870, fs: hdfs://x:8020 } }\n',
    },
    'b.yaml', 3, 3, ["cluster 'dr' is already defined at", 'a.yaml:4:3'], 'clusters.dr',
  );
});

test('nested paths on the same cluster', async () => {
  await expectOne(
    withPolicies(
      '  w:',
      '    source: { cluster: prod, path: /w }',
      '    snapshots: { every: 1h }',
      '  sub:',
      '    source: { cluster: prod, path: /w/sub }',
      '    snapshots: { every: 1h }',
    ),
    'p.yaml', 11, 36, ['prod:/w/sub is nested inside prod:/w', "policy 'w'", 'must not overlap'],
  );
});

test('a path above another policy’s path is nested too', async () => {
  await expectOne(
    withPolicies(
      '  deep: { source: { cluster: prod, path: /data/deep }, snapshots: { every: 1h } }',
      '  all: { source: { cluster: prod, path: / }, snapshots: { every: 1h } }',
    ),
    'p.yaml', 8, 41, ['prod:/ is nested above prod:/data/deep'],
  );
});

test('replication target equal to the source', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: /w }', '    snapshots: { every: 1h }', '    replicate:', '      - to: { cluster: prod, path: /w }'),
    'p.yaml', 11, 36, ["replication target prod:/w is the policy's own source"], 'policies.w.replicate[0].to.path',
  );
});

test('a replication target used by two policies', async () => {
  await expectOne(
    withPolicies(
      '  a:',
      '    source: { cluster: prod, path: /a }',
      '    snapshots: { every: 1h }',
      '    replicate: [ { to: { cluster: dr, path: /backup } } ]',
      '  b:',
      '    source: { cluster: prod, path: /b }',
      '    snapshots: { every: 1h }',
      '    replicate: [ { to: { cluster: dr, path: /backup } } ]',
    ),
    'p.yaml', 14, 45, ["replication target dr:/backup is already used by policy 'a'"],
  );
});

test('rpo shorter than the snapshot interval', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: /w }', '    snapshots: { every: 1h }', '    rpo: 30m'),
    'p.yaml', 10, 10, ['rpo 30m is shorter than the snapshot interval 1h: it would always be breached'], 'policies.w.rpo',
  );
});

test('rpo shorter than the longest gap of a cron schedule', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: /w }', "    snapshots: { cron: '0 9 * * 1-5' }", '    rpo: 1d'),
    'p.yaml', 10, 10, ["rpo 1d is shorter than the 3d gap between snapshots of cron '0 9 * * 1-5' (e.g. after 2026-01-02T09:00Z)", 'breached'],
  );
});

test('version missing', async () => {
  await expectOne({ 'p.yaml': '# policies\nclusters: {}\n' }, 'p.yaml', 2, 1, ["missing required key 'version'"]);
});

test('version 2', async () => {
  await expectOne({ 'p.yaml': 'version: 2\n' }, 'p.yaml', 1, 10, ['unsupported version 2'], 'version');
});

test('negative keep count', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: /w }', '    snapshots: { every: 1h, keep: { daily: -1 } }'),
    'p.yaml', 9, 44, ['expected a non-negative integer, got -1'], 'policies.w.snapshots.keep.daily',
  );
});

test('non-integer keep count', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: /w }', '    snapshots: { every: 1h, keep: { daily: 1.5 } }'),
    'p.yaml', 9, 44, ['expected an integer, got number 1.5'],
  );
});

test('wrong type: a string where a number is needed', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: /w }', '    snapshots:', '      every: 1h', '      keep:', '        weekly: "4"'),
    'p.yaml', 12, 17, ["expected an integer, got string '4'"], 'policies.w.snapshots.keep.weekly',
  );
});

test('wrong type: a string where a boolean is needed', async () => {
  await expectOne(
    { 'p.yaml': 'version: 1\nstores:\n  m: { s3: { bucket: b, force_path_style: "yes" } }\n' },
    'p.yaml', 3, 43, ["expected true or false, got string 'yes'"],
  );
});

test('relative path', async () => {
  await expectOne(
    withPolicies('  w:', '    source: { cluster: prod, path: warehouse }', '    snapshots: { every: 1h }'),
    'p.yaml', 8, 36, ["invalid value 'warehouse'", 'absolute path'], 'policies.w.source.path',
  );
});

test('trailing slash in a path', async () => {
  await expectOne(
    { 'p.yaml': 'version: 1\nstores:\n  v:\n    local:\n      path: /srv/store/\n' },
    'p.yaml', 5, 13, ["invalid value '/srv/store/'", "no trailing '/'"],
  );
});

test('YAML syntax error', async () => {
  await expectOne(
    { 'p.yaml': 'version: 1\nclusters:\n  prod:\n    hdfs: { webhdfs: http://nn:9870\n' },
    'p.yaml', 5, 1, ['YAML syntax error'],
  );
});

test('duplicate key in one mapping', async () => {
  await expectOne({ 'p.yaml': 'version: 1\nclusters: {}\nversion: 1\n' }, 'p.yaml', 3, 1, ["duplicate key: 'version'"]);
});

test('empty file', async () => {
  await expectOne({ 'a.yaml': 'version: 1\n', 'b.yaml': '# nothing here yet\n' }, 'b.yaml', 1, 1, ['empty policy file']);
});

test('credential key', async () => {
  await expectOne(
    { 'p.yaml': 'version: 1\nstores:\n  b:\n    s3:\n      bucket: b\n      secret_key: abc\n' },
    'p.yaml', 6, 7, ['credentials do not belong in policy files; use the environment'], 'stores.b.s3.secret_key',
  );
});

test('credential key anywhere (a password next to a cluster)', async () => {
  await expectOne(
    { 'p.yaml': 'version: 1\nclusters:\n  prod:\n    hdfs: { webhdfs: http://nn:9870, fs: hdfs://nn:8020, password: hunter2 }\n' },
    'p.yaml', 4, 58, ["'password': credentials do not belong in policy files"],
  );
});

test('a cluster with both hdfs and zookeeper', async () => {
  await expectOne(
    { 'p.yaml': 'version: 1\nclusters:\n  x:\n    hdfs: { webhdfs: http://nn:9870, fs: hdfs://nn:8020 }\n    zookeeper: { connect: zk:2181 }\n' },
    'p.yaml', 3, 3, ["expected exactly one of 'hdfs', 'zookeeper', 'hbase' or 'ozone', found 'hdfs' and 'zookeeper'"],
  );
});

test('a store with neither s3 nor local', async () => {
  await expectOne({ 'p.yaml': 'version: 1\nstores:\n  x: {}\n' }, 'p.yaml', 3, 3, ["expected exactly one of 's3' or 'local', found none"]);
});

test('invalid name', async () => {
  await expectOne(
    withPolicies('  Ware_house:', '    source: { cluster: prod, path: /w }', '    snapshots: { every: 1h }'),
    'p.yaml', 7, 3, ["invalid name 'Ware_house'", 'lowercase'],
  );
});

test('webhdfs must be an http(s) URL; fs an hdfs:// URI', async () => {
  const { errors } = await errorsOf({ 'p.yaml': 'version: 1\nclusters:\n  x: { hdfs: { webhdfs: nn:9870, fs: nn:8020 } }\n' });
  assert.equal(errors.map((e) => `${e.line}:${e.col} ${e.key}`), ['3:25 clusters.x.hdfs.webhdfs', '3:38 clusters.x.hdfs.fs']);
  assert.ok(errors[0]!.message.includes('http://'));
  assert.ok(errors[1]!.message.includes('hdfs://'));
});

test('snapshots and a block backup in one policy are exclusive; snapshots and archive are exclusive', async () => {
  const { errors } = await errorsOf(withPolicies('  z:', '    source: { cluster: prod, path: /z }', '    snapshots: { every: 1h }', '    backup: { to: backups, every: 24h }'));
  assert.is(errors.length, 1);
  assert.is(`${errors[0]!.line}:${errors[0]!.col}`, '10:5');
  assert.match(errors[0]!.message, /'snapshots' and 'backup' are mutually exclusive/);
  const both = await errorsOf(withPolicies('  z:', '    source: { cluster: zk }', '    snapshots: { every: 1h }', '    archive: { to: backups, prefix: zk-, every: 24h }'));
  assert.match(both.errors[0]!.message, /'snapshots' and 'archive' are mutually exclusive/);
});

// ---------------------------------------------------------------------------------------------
// ZooKeeper archive policies

const ZK_HEAD = `version: 1
clusters:
  zka: { zookeeper: { admin: http://zk1:8080, connect: zk1:2181 } }
  zkd: { zookeeper: { datadir: /var/lib/zookeeper, connect: zk1:2181 } }
  zkbare: { zookeeper: { connect: zk1:2181 } }
  prod: { hdfs: { webhdfs: http://nn:9870, fs: hdfs://nn:8020 } }
stores:
  s3: { s3: { bucket: b, prefix: prod/ } }
  vault: { local: { path: /srv/hbr } }
policies:
`; // policies from line 11
const withArchive = (...lines: string[]) => ({ 'p.yaml': ZK_HEAD + lines.join('\n') + '\n' });

test('a ZooKeeper archive policy loads, with the mode from the cluster', async () => {
  const dir = fixture(withArchive(
    '  zk:',
    '    source: { cluster: zka }',
    '    archive: { to: s3, prefix: zookeeper-backup-eu-west1-, every: 24h, keep: { daily: 14, monthly: 6 } }',
    '    rpo: 26h',
    '  zk2:',
    '    source: { cluster: zkd }',
    "    archive: { to: vault, prefix: zk/, cron: '0 3 * * *' }",
  ));
  const r = await loadConfig([dir]);
  if ('errors' in r) return assert.unreachable(r.errors.map(formatPolicyError).join('\n'));
  const { zk, zk2 } = r.config.policies as Record<string, ZookeeperArchivePolicy | undefined>;
  const { zka, zkd } = r.config.clusters as Record<string, ZookeeperCluster | undefined>;
  assert.ok(zk?.kind === 'zookeeper-archive');
  assert.equal(zk.archive, { to: 's3', prefix: 'zookeeper-backup-eu-west1-', schedule: { every: 86_400_000 }, keep: { daily: 14, monthly: 6 } });
  assert.is(zk.rpo, 26 * 3_600_000);
  assert.equal(zk2?.kind === 'zookeeper-archive' && zk2.archive.schedule, { cron: '0 3 * * *' });
  assert.is(zka?.kind === 'zookeeper' && zka.mode, 'admin');
  assert.is(zkd?.kind === 'zookeeper' && zkd.mode, 'datadir');
});

test('archive policy errors: wrong cluster kind, unknown store, path given, no admin URL, overlapping prefixes, rpo', async () => {
  await expectOne(withArchive('  a: { source: { cluster: prod }, archive: { to: s3, prefix: a-, every: 1d } }'), 'p.yaml', 11, 27, ['hdfs cluster', 'zookeeper cluster']);
  await expectOne(withArchive('  a: { source: { cluster: zka }, archive: { to: s4, prefix: a-, every: 1d } }'), 'p.yaml', 11, 49, ["unknown store 's4'", "did you mean 's3'"]);
  await expectOne(withArchive('  a: { source: { cluster: zka, path: /x }, archive: { to: s3, prefix: a-, every: 1d } }'), 'p.yaml', 11, 32, ['takes no path']);
  await expectOne(withArchive('  a: { source: { cluster: zkbare }, archive: { to: s3, prefix: a-, every: 1d } }'), 'p.yaml', 11, 27, ["no 'datadir'"]);
  await expectOne(
    withArchive('  a: { source: { cluster: zka }, archive: { to: s3, prefix: zk-, every: 1d } }', '  b: { source: { cluster: zkd }, archive: { to: s3, prefix: zk-eu-, every: 1d } }'),
    'p.yaml', 12, 61, ["overlaps prefix 'zk-' of policy 'a'", 'delete each other'],
  );
  await expectOne(withArchive('  a: { source: { cluster: zka }, archive: { to: s3, prefix: a-, every: 1d }, rpo: 12h }'), 'p.yaml', 11, 83, ['shorter than the archive interval']);
  await expectOne(withArchive('  a: { source: { cluster: zka }, archive: { to: s3, prefix: a-, every: 1d, cron: "0 * * * *" } }'), 'p.yaml', 11, 76, ['mutually exclusive']);
  await expectOne(withArchive('  a: { source: { cluster: zka }, archive: { to: s3, prefix: "a b", every: 1d } }'), 'p.yaml', 11, 61, ["letters, digits"]);
  await expectOne(withPolicies('  a: { source: { cluster: prod }, snapshots: { every: 1h } }'), 'p.yaml', 7, 8, ["missing required key 'path'"]);
});

test('several errors in several files are all reported, in file then line order', async () => {
  const { dir, errors } = await errorsOf({
    'a.yaml': 'version: 1\nclusters:\n  x: { hdfs: { webhdfs: http://a, fs: hdfs://a, usr: me } }\n  y: {}\n',
    'b.yaml': 'version: 3\n',
  });
  assert.equal(
    errors.map((e) => formatPolicyError(e).slice(dir.length + 1).split(': ').slice(0, 2).join(': ')),
    ['a.yaml:3:49: clusters.x.hdfs.usr', 'a.yaml:4:3: clusters.y', 'b.yaml:1:10: version'],
  );
});

test('a missing path and a directory without policy files are errors', async () => {
  const dir = fixture({ 'readme.txt': 'hi' });
  const r = await loadConfig([dir, join(dir, 'nope.yaml')]);
  if (!('errors' in r)) return assert.unreachable();
  assert.equal(r.errors.map((e) => [e.file, e.message]), [
    [dir, 'no policy files (*.yaml, *.yml) in this directory'],
    [join(dir, 'nope.yaml'), 'cannot read: no such file or directory'],
  ]);
});

test('formatPolicyError', () => {
  assert.is(
    formatPolicyError({ file: 'p.yaml', line: 3, col: 7, key: 'policies.w.rpo', message: 'rpo 30m is shorter' }),
    'p.yaml:3:7: policies.w.rpo: rpo 30m is shorter',
  );
  assert.is(formatPolicyError({ file: 'p.yaml', line: 1, col: 1, message: 'empty policy file' }), 'p.yaml:1:1: empty policy file');
});

test('empty sections (all entries commented out) are allowed', () => {
  const r = loadConfigSources([{ file: 'p.yaml', text: 'version: 1\nclusters:\nstores:\npolicies:\n  # w: ...\n' }]);
  if ('errors' in r) return assert.unreachable(r.errors.map(formatPolicyError).join('\n'));
  assert.equal(r.config, { clusters: {}, stores: {}, policies: {}, webhooks: {}, files: ['p.yaml'] });
});

test('version given as a string is a type error, not an unsupported version', () => {
  const r = loadConfigSources([{ file: 'p.yaml', text: 'version: "1"\n' }]);
  if (!('errors' in r)) return assert.unreachable();
  assert.equal(r.errors, [{ file: 'p.yaml', line: 1, col: 10, key: 'version', message: "expected version: 1, got string '1'" }]);
});

test('checkCron', () => {
  assert.is(checkCron('0 */6 * * *'), undefined);
  assert.is(checkCron('30 2 * * MON-FRI'), undefined);
  assert.match(checkCron('@daily') ?? '', /5 fields.*macros/);
  assert.match(checkCron('H * * * *') ?? '', /'H'/);
  assert.match(checkCron('0 0 31 2 *') ?? '', /invalid cron/);
  assert.match(checkCron('* * * *') ?? '', /found 4/);
});

test('cronGapLongerThan finds weekend, month-length and leap-day gaps', () => {
  const m = 60_000, h = 60 * m, d = 24 * h;
  assert.equal(cronGapLongerThan('* * * * 1-5', h), { after: Date.UTC(2026, 0, 2, 23, 59), gap: 2 * d + m });
  assert.is(cronGapLongerThan('*/5 * * * *', h), undefined);
  assert.is(cronGapLongerThan('0 * * * *', h), undefined);
  assert.equal(cronGapLongerThan('0 0 1 * *', 30 * d), { after: Date.UTC(2026, 2, 1), gap: 31 * d });
  assert.is(cronGapLongerThan('0 0 1 * *', 31 * d), undefined);
  assert.equal(cronGapLongerThan('0 0 29 2 *', 365 * d)?.after, Date.UTC(2028, 1, 29));
});

// ---------------------------------------------------------------------------------------------
// durations

test('parseDuration: units and compounds', () => {
  assert.is(parseDuration('90s'), 90_000);
  assert.is(parseDuration('15m'), 900_000);
  assert.is(parseDuration('2h'), 7_200_000);
  assert.is(parseDuration('7d'), 604_800_000);
  assert.is(parseDuration('1w'), 604_800_000);
  assert.is(parseDuration('1h30m'), 5_400_000);
  assert.is(parseDuration('1w2d3h4m5s'), 604_800_000 + 2 * 86_400_000 + 3 * 3_600_000 + 4 * 60_000 + 5_000);
  assert.is(parseDuration('120m'), 7_200_000);
});

test('parseDuration: rejects bad input and zero', () => {
  for (const bad of ['', '1', 'h', '1.5h', '-1h', '1 h', ' 1h', '1H', '15min', '30m1h', '1h1h', '1ms', 'P1D', '0s', '0h0m']) {
    assert.throws(() => parseDuration(bad), /invalid duration/, bad);
  }
  assert.throws(() => parseDuration('0m'), /greater than zero/);
  assert.throws(() => parseDuration('99999999999999999w'), /too large/);
});

test('formatDuration', () => {
  assert.is(formatDuration(0), '0s');
  assert.is(formatDuration(90_000), '1m30s');
  assert.is(formatDuration(5_400_000), '1h30m');
  assert.is(formatDuration(604_800_000), '7d');
  assert.is(formatDuration(1_500), '1s500ms');
  assert.is(formatDuration(-60_000), '-1m');
  for (const s of ['90s', '15m', '2h', '7d', '1h30m', '1d2h3m4s']) assert.is(parseDuration(formatDuration(parseDuration(s))), parseDuration(s));
});

test.after(() => {
  removeFixtures();
});


// ---------------------------------------------------------------------------------------------
// daemon settings: coordination and webhooks

test('coordination and webhooks load, with defaults (15s session, every event)', () => {
  const r = loadConfigSources([
    {
      file: 'a.yaml',
      text: [
        'version: 1',
        'coordination:',
        '  zookeeper: { connect: "zk1:2181,zk2:2181", path: /hbr/prod }',
        'notifications:',
        '  webhooks:',
        '    ops: { url: "https://hooks.example/hbr", events: [run.failed, rpo.breached] }',
        '',
      ].join('\n'),
    },
    { file: 'b.yaml', text: 'version: 1\nnotifications:\n  webhooks:\n    pager: { url_env: HBR_WEBHOOK_PAGER, bearer_env: HBR_PAGER_TOKEN }\n' },
  ]);
  if ('errors' in r) return assert.unreachable(r.errors.map(formatPolicyError).join('\n'));
  assert.equal(r.config.coordination, { zookeeper: { connect: 'zk1:2181,zk2:2181', path: '/hbr/prod', sessionTimeout: 15_000 }, at: { file: 'a.yaml', line: 2, col: 1 } });
  assert.equal(r.config.webhooks.ops, { name: 'ops', url: 'https://hooks.example/hbr', events: ['run.failed', 'rpo.breached'], at: { file: 'a.yaml', line: 6, col: 5 } });
  assert.equal(r.config.webhooks.pager, {
    name: 'pager', urlEnv: 'HBR_WEBHOOK_PAGER', bearerEnv: 'HBR_PAGER_TOKEN',
    events: ['run.failed', 'run.recovered', 'rpo.breached', 'rpo.recovered', 'pair.held', 'pair.released', 'drill.failed', 'drill.recovered'], at: { file: 'b.yaml', line: 4, col: 5 },
  });
});

test('coordination: session_timeout is a duration; declared twice points at the second', async () => {
  const r = loadConfigSources([{ file: 'a.yaml', text: 'version: 1\ncoordination:\n  zookeeper: { connect: zk:2181, path: /hbr, session_timeout: 6s }\n' }]);
  if ('errors' in r) return assert.unreachable(r.errors.map(formatPolicyError).join('\n'));
  assert.is(r.config.coordination?.zookeeper.sessionTimeout, 6_000);
  await expectOne(
    { 'a.yaml': 'version: 1\ncoordination:\n  zookeeper: { connect: zk:2181, path: /hbr }\n', 'b.yaml': 'version: 1\ncoordination:\n  zookeeper: { connect: zk:2181, path: /hbr }\n' },
    'b.yaml', 2, 1, ['coordination is already defined at', 'a.yaml:2:1', 'one policy file only'], 'coordination',
  );
  await expectOne({ 'p.yaml': 'version: 1\ncoordination:\n  zookeeper: { connect: zk:2181, path: hbr }\n' }, 'p.yaml', 3, 40, ['expected an absolute path'], 'coordination.zookeeper.path');
  await expectOne({ 'p.yaml': 'version: 1\ncoordination:\n  zookeeper: { connect: zk:2181, path: /h, session_timeout: 0s }\n' }, 'p.yaml', 3, 61, ['0s'], 'coordination.zookeeper.session_timeout');
});

test('webhooks: url xor url_env, known events only, no credentials in the URL (not echoed)', async () => {
  const hook = (body: string) => ({ 'p.yaml': `version: 1\nnotifications:\n  webhooks:\n    ops: ${body}\n` });
  await expectOne(hook('{ events: [run.failed] }'), 'p.yaml', 4, 5, ["one of 'url' or 'url_env' is required"], 'notifications.webhooks.ops');
  await expectOne(hook('{ url: "http://h/x", url_env: HBR_X }'), 'p.yaml', 4, 31, ["'url' and 'url_env' are mutually exclusive"]);
  await expectOne(hook('{ url: "http://h/x", events: [run.exploded] }'), 'p.yaml', 4, 40, ["expected one of 'run.failed'", 'run.exploded'], 'notifications.webhooks.ops.events[0]');
  const e = await expectOne(hook('{ url: "https://bob:hunter2@h/x" }'), 'p.yaml', 4, 17, ['user:password@', 'credentials do not belong'], 'notifications.webhooks.ops.url');
  assert.not.ok(e.message.includes('hunter2'));
});

test.run();
