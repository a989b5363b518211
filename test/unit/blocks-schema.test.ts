/**
 * Loading block backup policies (docs/blocks.md, "Policy"): the normal form, a snapshot policy on
 * the same directory is allowed (the block backup claims only its store prefixes), two block
 * backups in one store and prefix are refused with file:line:col, bad references are named.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/schema/load.js';
import type { BlocksPolicy } from '../../src/systems/blocks/types.js';
import { errorsOf, fixture, removeFixtures } from '../fixtures/policy-errors.js';

// Lines 1-8; policies start on line 9.
const HEAD = `version: 1
clusters:
  prod: { hdfs: { webhdfs: http://nn.prod:9870, fs: hdfs://nn.prod:8020 } }
  zk: { zookeeper: { connect: zk1:2181 } }
stores:
  vault: { s3: { bucket: b, prefix: prod/, endpoint: http://s3:7070 } }
  same: { s3: { bucket: b, prefix: prod/, endpoint: http://S3:7070 } }
policies:
`;
const files = (...lines: string[]) => ({ 'p.yaml': HEAD + lines.join('\n') + '\n' });

test.after(() => removeFixtures());

test('a block backup loads with its defaults, beside a snapshot policy on the same directory', async () => {
  const dir = fixture(files(
    '  wh-blocks:',
    '    source: { cluster: prod, path: /warehouse }',
    '    backup: { to: vault, every: 6h, keep: { daily: 7 } }',
    '    rpo: 12h',
    '  wh-snap:',
    '    source: { cluster: prod, path: /warehouse }',
    '    snapshots: { every: 1h }',
  ));
  const r = await loadConfig([dir]);
  if ('errors' in r) return assert.unreachable(JSON.stringify(r.errors));
  const p = r.config.policies['wh-blocks'] as BlocksPolicy;
  assert.equal(p.backup, { to: 'vault', schedule: { every: 6 * 3_600_000 }, gcGrace: 86_400_000, keep: { daily: 7 }, concurrency: 4 });
  assert.is(p.kind, 'hdfs-blocks');
  assert.equal(p.source, { cluster: 'prod', path: '/warehouse' });
});

test('two block backups in one store and prefix (two store names for one bucket) are refused at the second', async () => {
  const { errors } = await errorsOf(files(
    '  a:',
    '    source: { cluster: prod, path: /a }',
    '    backup: { to: vault, every: 1d }',
    '  b:',
    '    source: { cluster: prod, path: /b }',
    '    backup: { to: same, every: 1d, gc_grace: 2d, concurrency: 8, verify_every: 5 }',
  ));
  assert.is(errors.length, 1, JSON.stringify(errors));
  assert.is(`${errors[0]!.line}:${errors[0]!.col}`, '14:19');
  assert.match(errors[0]!.message, /prefix 'blocks\/' in store 'same' overlaps prefix 'blocks\/' of policy 'a'/);
});

test('bad input: no path, a zookeeper cluster, an unknown store, rpo shorter than every; a concurrency of 0 and a bare number as gc_grace', async () => {
  const { errors } = await errorsOf(files(
    '  a:',
    '    source: { cluster: prod }',
    '    backup: { to: vault, every: 1d }',
    '  b:',
    '    source: { cluster: zk, path: /b }',
    '    backup: { to: vualt, every: 1d }',
    '    rpo: 1h',
  ));
  const msgs = errors.map((e) => `${e.line}: ${e.message}`).join('\n');
  assert.match(msgs, /10: .*missing required key 'path'/);
  assert.match(msgs, /13: .*zookeeper cluster.*needs an hdfs cluster/);
  assert.match(msgs, /14: .*unknown store 'vualt' \(did you mean 'vault'\?\)/);
  assert.match(msgs, /15: .*rpo 1h is shorter than the backup interval 1d/);
  const shape = await errorsOf(files('  c:', '    source: { cluster: prod, path: /c }', '    backup: { to: vault, every: 1d, concurrency: 0, gc_grace: 1 }'));
  assert.equal(shape.errors.map((e) => `${e.line}:${e.col} ${e.key}`), ['11:50 policies.c.backup.concurrency', '11:63 policies.c.backup.gc_grace']);
});

test.run();
