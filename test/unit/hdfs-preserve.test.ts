/** The preserve flags every DistCp copy carries (src/systems/hdfs/preserve.ts) and the plan's warning when a side lacks ACLs/xattrs. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planAll } from '../../src/planner/plan.js';
import { formatPolicyError, loadConfigSources } from '../../src/schema/load.js';
import type { HdfsSnapshotPolicy } from '../../src/systems/hdfs/types.js';
import { ALL_PRESERVE, preserveArgs, unsupported } from '../../src/systems/hdfs/preserve.js';
import { at, config, dir, DR, H, observed, policy, SRC } from './helpers-planner.js';

test('preserveArgs: every attribute by default, in DistCp order; a subset; none', () => {
  assert.equal(preserveArgs(ALL_PRESERVE), ['-prbugpcaxt']);
  assert.equal(preserveArgs(['times', 'permission', 'replication']), ['-prpt']);
  assert.equal(preserveArgs(ALL_PRESERVE, ['acl', 'xattr']), ['-prbugpct']);
  assert.equal(preserveArgs([]), []);
});

test('unsupported: acl/xattr off on either side is named; unknown is not', () => {
  assert.equal(unsupported(ALL_PRESERVE, [{ name: 'prod', features: { acls: true, xattrs: true } }, { name: 'dr', features: { acls: false } }]), [
    { attr: 'acl', why: 'dfs.namenode.acls.enabled=false on dr' },
  ]);
  assert.equal(unsupported(['times'], [{ name: 'dr', features: { acls: false, xattrs: false } }]), []);
  assert.equal(unsupported(ALL_PRESERVE, [{ name: 'dr', features: undefined }]), []);
});

test('the plan warns when a DR pair cannot preserve ACLs', () => {
  const NOW = at('2026-11-22T13:00:00Z');
  const cfg = config(policy('warehouse', { every: H, replicate: [{ to: DR }] }));
  const src = { ...dir(SRC, { snapshottable: false }), features: { acls: true, xattrs: true } };
  const dst = { ...dir(DR, { exists: false }), features: { acls: false, xattrs: true } };
  const plan = planAll({ config: cfg, observed: observed([src, dst]), now: NOW });
  assert.ok(
    plan.warnings.some((w) => /do not preserve ACLs: dfs\.namenode\.acls\.enabled=false on dr/.test(w.message)),
    JSON.stringify(plan.warnings),
  );
  assert.not.ok(plan.warnings.some((w) => /xattrs/.test(w.message)));
});

const policyYaml = (preserve: string) => `version: 1
clusters:
  prod: { hdfs: { webhdfs: http://nn:9870, fs: hdfs://nn:8020 } }
policies:
  w:
    source: { cluster: prod, path: /w }
    snapshots: { every: 1h }
${preserve}`;

test('the preserve key: absent means all; a list is kept; an unknown item is an error at its position', () => {
  const load = (extra: string) => loadConfigSources([{ file: 'p.yaml', text: policyYaml(extra) }]);
  const none = load('');
  if ('errors' in none) return assert.unreachable(none.errors.map(formatPolicyError).join('\n'));
  assert.is((none.config.policies.w as HdfsSnapshotPolicy).preserve, undefined);
  const some = load('    preserve: [times, permission]\n');
  if ('errors' in some) return assert.unreachable(some.errors.map(formatPolicyError).join('\n'));
  assert.equal((some.config.policies.w as HdfsSnapshotPolicy).preserve, ['times', 'permission']);
  const bad = load('    preserve: [times, owner]\n');
  assert.ok('errors' in bad);
  if ('errors' in bad) assert.match(bad.errors.map(formatPolicyError).join('\n'), /p\.yaml:8:23: .*preserve\[1\].*'owner'/);
});

test.run();
