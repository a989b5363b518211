/** The preserve flags every DistCp copy carries (src/systems/hdfs/preserve.ts) and the plan's warning when a side lacks ACLs/xattrs. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planAll } from '../../src/planner/plan.js';
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

test.run();
