/**
 * The protection audit's pure parts (docs/audit.md): loading, findings from observed inputs, the
 * plan's warnings, what the hdfs system says it protects, the gauge and the status rows.
 * The same checks against a real NameNode: test/integration/audit.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import { createMetrics } from '../../src/metrics/registry.js';
import type { Protection } from '../../src/model/audit.js';
import type { Observed } from '../../src/model/observed.js';
import type { Config } from '../../src/model/policy.js';
import { planAll } from '../../src/planner/plan.js';
import { formatPolicyError, loadConfigSources } from '../../src/schema/load.js';
import { protections } from '../../src/systems/index.js';
import { auditFindings } from '../../src/systems/audit/findings.js';
import { selfAndAncestors } from '../../src/systems/audit/observe.js';
import type { AuditObservation, AuditPolicy } from '../../src/systems/audit/types.js';
import { recordAudit, type PolicyRuntime } from '../../src/daemon/runtime.js';
import { needsAttention, renderStatusText } from '../../src/render/status.js';
import type { DaemonStatus } from '../../src/daemon/status.js';

const CLUSTERS = `version: 1
clusters:
  prod: { hdfs: { webhdfs: http://nn.prod:9870, fs: hdfs://nn.prod:8020 } }
  prod2: { hdfs: { webhdfs: http://nn.prod:9870, fs: hdfs://NN.prod } }
  dr: { hdfs: { webhdfs: http://nn.dr:9870, fs: hdfs://nn.dr:8020 } }
  zk: { zookeeper: { connect: zk:2181, admin: http://zk:8080 } }
`;

function load(policies: string): Config {
  const r = loadConfigSources([{ file: 'p.yaml', text: CLUSTERS + 'policies:\n' + policies }]);
  if ('errors' in r) throw new Error(r.errors.map(formatPolicyError).join('\n'));
  return r.config;
}
function loadErrors(policies: string): string[] {
  const r = loadConfigSources([{ file: 'p.yaml', text: CLUSTERS + 'policies:\n' + policies }]);
  return 'errors' in r ? r.errors.map(formatPolicyError) : [];
}

const AUDIT = `  lake:
    source: { cluster: prod, path: /data/lake }
    audit: { min_replication: 2, min_trash: 1d, quota_full: 80% }
`;

test('an audit policy loads with its defaults; it claims nothing, so it sits beside a snapshot policy of the same path', () => {
  const c = load(AUDIT + `  snaps:
    source: { cluster: prod, path: /data/lake }
    snapshots: { every: 1h, keep: { last: 3 } }
  whole:
    source: { cluster: prod }
    audit: {}
`);
  const p = c.policies.lake as AuditPolicy;
  assert.is(p.kind, 'hdfs-audit');
  assert.equal(p.audit, { schedule: { every: 15 * 60_000 }, minReplication: 2, minTrash: 86_400_000, quotaFull: 0.8, concurrency: 8 });
  const w = c.policies.whole as AuditPolicy;
  assert.is(w.source.path, '/', 'no path: the whole cluster');
  assert.is(w.audit.quotaFull, 0.9);
  assert.is(w.audit.minReplication, undefined);
});

test('bad audit policies: file:line:col and a clear reason', () => {
  const bad = (policies: string) => loadErrors(policies).join('\n');
  assert.match(bad(`  a:\n    source: { cluster: zk }\n    audit: {}\n`), /p\.yaml:\d+:\d+: .*zookeeper cluster.*the audit reads an hdfs cluster/);
  assert.match(bad(`  b:\n    source: { cluster: prod, path: /x }\n    audit: { quota_full: 0.9 }\n`), /p\.yaml:\d+:\d+: .*quota_full.*percentage/);
  assert.match(bad(`  c:\n    source: { cluster: prod, path: /x }\n    audit: { min_replication: 0 }\n`), /p\.yaml:\d+:\d+: .*min_replication/);
  assert.match(bad(`  d:\n    source: { cluster: prod, path: /x }\n    rpo: 1h\n    audit: {}\n`), /p\.yaml:\d+:\d+: .*an audit makes no recovery points/);
  assert.match(bad(`  f:\n    source: { cluster: prod, path: /x }\n    audit: { min_trash: 0s }\n`), /p\.yaml:\d+:\d+: .*min_trash.*greater than zero/);
  assert.match(bad(`  e:\n    source: { cluster: prod, path: /x }\n    audit: { every: 1h, cron: '0 * * * *' }\n`), /p\.yaml:\d+:\d+: /);
});

const policy = (o: Partial<AuditPolicy['audit']> = {}, path = '/data/lake'): AuditPolicy => ({
  name: 'lake',
  kind: 'hdfs-audit',
  source: { cluster: 'prod', path },
  audit: { schedule: { every: 60_000 }, quotaFull: 0.9, concurrency: 8, minReplication: 2, ...o },
  at: { file: 'p.yaml', line: 1, col: 1 },
});
const clean: AuditObservation = {
  policy: 'lake',
  cluster: 'prod',
  path: '/data/lake',
  blocks: { missing: 0, corrupt: 0, lowRedundancy: 0 },
  trash: { intervalMinutes: 1440 * 7, checkpointMinutes: 60 },
  walk: { files: 2, dirs: 1, ec: 0, requests: 2, lowCount: 0, low: [] },
  quotas: [],
};
const covered = (c: Config): Protection[] => [
  { policy: 's', endpoint: 'hdfs://nn.prod:8020', cluster: 'prod', path: '/data', by: 'snapshots' },
  { policy: 's', endpoint: 'hdfs://nn.prod:8020', cluster: 'prod', path: '/data', by: 'replication', copyAt: 'hdfs://nn.dr:8020' },
  ...protections(c),
];
const checks = (r: { findings: Array<{ check: string }> }) => r.findings.map((f) => f.check).sort();

test('a clean observation, under a snapshot policy and a DR pair of an ancestor: every check made, nothing found', () => {
  const c = load(AUDIT);
  const r = auditFindings(policy(), clean, c, covered(c));
  assert.equal(r.findings, []);
  assert.equal(r.checked.map((x) => x.check).sort(), ['corrupt-blocks', 'low-redundancy-blocks', 'low-replication', 'missing-blocks', 'no-dr-copy', 'no-snapshots', 'quota', 'trash']);
});

test('each check: missing/corrupt/low-redundancy blocks, trash off, files below min_replication, quota of an ancestor near full', () => {
  const c = load(AUDIT);
  const o: AuditObservation = {
    ...clean,
    blocks: { missing: 1, corrupt: 2, lowRedundancy: 3, damaged: ['/data/lake/c'] },
    trash: { intervalMinutes: 0 },
    walk: { files: 3, dirs: 1, ec: 1, requests: 2, lowCount: 1, low: [{ path: '/data/lake/b', replication: 1 }] },
    quotas: [
      { path: '/data', kind: 'names', quota: 10, used: 9 },
      { path: '/data/lake', kind: 'space', quota: 1000, used: 100 },
    ],
  };
  const r = auditFindings(policy(), o, c, covered(c));
  assert.equal(checks(r), ['corrupt-blocks', 'low-redundancy-blocks', 'low-replication', 'missing-blocks', 'quota', 'trash']);
  const by = (k: string) => r.findings.find((f) => f.check === k)!;
  assert.is(by('missing-blocks').count, 1);
  assert.match(by('missing-blocks').message, 'files under /data/lake among them: /data/lake/c');
  assert.is(by('corrupt-blocks').count, 2);
  assert.is(by('low-redundancy-blocks').count, 3);
  assert.match(by('low-replication').message, '/data/lake/b (1)');
  assert.not.match(by('low-replication').message, '/data/lake/a');
  assert.match(by('trash').message, 'WebHDFS DELETE never goes through trash');
  assert.is(by('quota').path, '/data', 'the ancestor, not the 10%-used space quota of the path');
  assert.match(by('quota').message, '9/10');
});

test('trash shorter than min_trash is a finding; as long or longer is not; a checkpoint above the interval is the interval', () => {
  const c = load(AUDIT);
  const short = auditFindings(policy({ minTrash: 86_400_000 }), { ...clean, trash: { intervalMinutes: 360, checkpointMinutes: 60 } }, c, covered(c));
  assert.equal(checks(short), ['trash']);
  assert.match(short.findings[0]!.message, /6h.*shorter than the policy's min_trash 1d/);
  assert.equal(auditFindings(policy({ minTrash: 86_400_000 }), { ...clean, trash: { intervalMinutes: 1440, checkpointMinutes: 0 } }, c, covered(c)).findings, []);
  assert.equal(auditFindings(policy({}), { ...clean, trash: { intervalMinutes: 1 } }, c, covered(c)).findings, [], 'no min_trash: only off counts');
});

test('protected by nothing: no snapshot policy, no DR copy; a snapshot policy of a subdirectory covers only part; another name for the NameNode counts', () => {
  const c = load(AUDIT + `  part:
    source: { cluster: prod, path: /data/lake/hot }
    snapshots: { every: 1h }
`);
  const r = auditFindings(policy(), clean, c, protections(c));
  assert.equal(checks(r), ['no-dr-copy', 'no-snapshots']);
  assert.match(r.findings.find((f) => f.check === 'no-snapshots')!.message, 'only parts of it do: /data/lake/hot (part)');

  const alias = load(AUDIT + `  other-name:
    source: { cluster: prod2, path: /data }
    snapshots: { every: 1h }
    replicate: [{ to: { cluster: dr, path: /data } }]
`);
  assert.equal(auditFindings(policy(), clean, alias, protections(alias)).findings, [], 'prod2 is the same NameNode as prod');
  // the DR target side is protected too (it carries hbr snapshots and is one side of a pair)
  const onDr = { ...policy(), source: { cluster: 'dr', path: '/data/x' } };
  assert.equal(auditFindings(onDr, { ...clean, cluster: 'dr' }, alias, protections(alias)).findings, []);
  // a replication to another directory of the same NameNode is no DR copy
  const same = load(AUDIT + `  local:
    source: { cluster: prod, path: /data }
    snapshots: { every: 1h }
    replicate: [{ to: { cluster: prod2, path: /copy } }]
`);
  const local = auditFindings(policy(), clean, same, protections(same));
  assert.equal(checks(local), ['no-dr-copy']);
  // a block backup in a store counts as an off-cluster copy
  const backup: Protection = { policy: 'b', endpoint: 'hdfs://nn.prod:8020', cluster: 'prod', path: '/data/lake', by: 'backup' };
  assert.equal(checks(auditFindings(policy(), clean, c, [...protections(c), backup])), ['no-snapshots']);
  // ... and the blocks system says so of its policies (System.protects), so a path under a block
  // backup of a parent has no no-dr-copy finding
  const withBlocks = loadConfigSources([{ file: 'p.yaml', text: CLUSTERS + `stores:
  vault: { s3: { bucket: b, prefix: p/, endpoint: http://s3:7070 } }
policies:
` + AUDIT + `  lake-blocks:
    source: { cluster: prod2, path: /data }
    backup: { to: vault, every: 1h, keep: { last: 3 } }
` }]);
  if ('errors' in withBlocks) throw new Error(withBlocks.errors.map(formatPolicyError).join('\n'));
  const bc = withBlocks.config;
  assert.ok(protections(bc).some((x) => x.policy === 'lake-blocks' && x.by === 'backup' && x.endpoint === 'hdfs://nn.prod:8020' && x.path === '/data'));
  assert.equal(checks(auditFindings(policy(), clean, bc, protections(bc))), ['no-snapshots']);
});

test('what was not observed is not checked: absent from `checked`, so its gauge is dropped, not zero', () => {
  const c = load(AUDIT);
  const r = auditFindings(policy(), { policy: 'lake', cluster: 'prod', path: '/data/lake' }, c, covered(c));
  assert.equal(r.checked.map((x) => x.check).sort(), ['no-dr-copy', 'no-snapshots']);
});

test('the plan: no steps, one warning per finding, and what could not be observed', () => {
  const c = load(AUDIT);
  const observed: Observed = {
    at: 0,
    dirs: {},
    unfinished: [],
    errors: [],
    parts: { audit: { lake: { ...clean, walk: { ...clean.walk!, lowCount: 1, low: [{ path: '/data/lake/b', replication: 1 }] } } } },
  };
  const plan = planAll({ config: c, observed, now: 0 });
  assert.equal(plan.steps, []);
  const w = plan.warnings.map((x) => `${x.policy}: ${x.message}`);
  assert.ok(w.some((x) => x.startsWith('lake: audit [low-replication] 1 file under prod:/data/lake')), w.join('\n'));
  assert.ok(w.some((x) => x.startsWith('lake: audit [no-snapshots]')));
  const none = planAll({ config: c, observed: { ...observed, parts: {} }, now: 0 });
  assert.ok(none.warnings.some((x) => /not observed: blocks, trash, quotas, walk/.test(x.message)));
});

test('the gauge: per checked (cluster, check) the sum of counts, 0 when clear, dropped when no longer checked', async () => {
  const m = createMetrics({ defaultMetrics: false });
  const c = { metrics: m, log: pino({ level: 'silent' }), now: () => 0, notify: () => {} };
  const rt = {} as PolicyRuntime;
  const series = async () => (await m.auditFindings.get()).values.map((v) => `${v.labels.check}=${v.value}`).sort();
  recordAudit(c, 'lake', rt, { checked: [{ cluster: 'prod', check: 'missing-blocks' }, { cluster: 'prod', check: 'trash' }], findings: [{ check: 'missing-blocks', cluster: 'prod', count: 4, message: 'm' }] }, 1);
  assert.equal(await series(), ['missing-blocks=4', 'trash=0']);
  recordAudit(c, 'lake', rt, { checked: [{ cluster: 'prod', check: 'trash' }], findings: [] }, 2);
  assert.equal(await series(), ['trash=0']);
  recordAudit(c, 'lake', rt, undefined, 3);
  assert.equal(await series(), []);
  assert.is(rt.audit, undefined);
});

test('hbr status shows the findings and needs attention', () => {
  const s: DaemonStatus = {
    version: 1, host: 'h', pid: 1, startedAt: '2026-12-02T00:00:00.000Z', now: '2026-12-02T00:10:00.000Z', leadership: 'leader', stopping: false,
    policyFiles: ['p.yaml'], lastLoad: { at: '2026-12-02T00:00:00.000Z', errors: [] },
    policies: [{
      name: 'lake', kind: 'hdfs-audit', schedule: 'every 15m', running: false, consecutiveFailures: 0, recoveryPoints: [], rpoBreached: false, held: [], pendingSteps: [],
      audit: { at: '2026-12-02T00:09:00.000Z', checked: ['trash'], findings: [{ check: 'trash', cluster: 'prod', count: 1, message: 'trash is off on prod' }] },
    }],
  };
  const text = renderStatusText(s);
  assert.match(text, 'AUDIT: 1 finding(s)');
  assert.match(text, 'lake: audit 60s ago found:\n  [trash] trash is off on prod');
  assert.ok(needsAttention(s));
  assert.not.ok(needsAttention({ ...s, policies: [{ ...s.policies[0]!, audit: { ...s.policies[0]!.audit!, findings: [] } }] }));
});

test('selfAndAncestors: root first', () => {
  assert.equal(selfAndAncestors('/'), ['/']);
  assert.equal(selfAndAncestors('/a/b'), ['/', '/a', '/a/b']);
});

test.run();
