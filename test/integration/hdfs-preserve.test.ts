/**
 * Attributes survive every copy (issue #11 point 4; src/systems/hdfs/preserve.ts): a file with
 * mode 0640, its own owner and group, an ACL entry and a user xattr, a file with a non-default
 * block size, and a directory whose files have a non-default replication are identical on the DR
 * side after replication (bootstrap and -diff), and on the primary after a restore from DR.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { WebHdfs } from '../../src/hadoop/webhdfs.js';
import { at, clusters, hbr, tempDir, treesIdentical, writePairPolicy } from '../helpers/hbr.js';
import { uniq } from '../helpers/testbed.js';

const { primary, dr } = clusters();
const T0 = '2030-01-01T00:00:00.000Z';

/** What must be carried over, for one path. */
async function attrs(fs: WebHdfs, path: string): Promise<Record<string, unknown>> {
  const [st, acl, xattrs] = await Promise.all([fs.getFileStatus(path), fs.getAclStatus(path), fs.getXAttrs(path)]);
  return {
    permission: st.permission,
    owner: st.owner,
    group: st.group,
    ...(st.type === 'FILE' && { replication: st.replication, blockSize: st.blockSize, mtime: st.modificationTime }),
    acl: [...acl.entries].sort(),
    xattrs,
  };
}

async function makeTree(src: string): Promise<void> {
  await primary.mkdirs(`${src}/rep2`);
  await primary.create(`${src}/secret.csv`, randomBytes(5000));
  await primary.setPermission(`${src}/secret.csv`, '640');
  await primary.setOwner(`${src}/secret.csv`, 'alice', 'analysts');
  await primary.modifyAclEntries(`${src}/secret.csv`, 'user:bob:r--');
  await primary.setXAttr(`${src}/secret.csv`, 'user.project', 'blue');
  await primary.create(`${src}/big-blocks.bin`, randomBytes(3 << 20), { blockSize: 1 << 20 });
  for (const f of ['x', 'y']) {
    await primary.create(`${src}/rep2/${f}`, randomBytes(1000), { replication: 2 });
  }
  await primary.setPermission(`${src}/rep2`, '750');
  await primary.setOwner(`${src}/rep2`, 'carol', 'etl');
}

const PATHS = ['secret.csv', 'big-blocks.bin', 'rep2', 'rep2/x', 'rep2/y'];

async function sameAttrs(a: WebHdfs, aRoot: string, b: WebHdfs, bRoot: string): Promise<void> {
  for (const p of PATHS) {
    assert.equal(await attrs(b, `${bRoot}/${p}`), await attrs(a, `${aRoot}/${p}`), `attributes of ${p}`);
  }
}

test('4. owner, group, mode, ACL, xattr, block size, replication and times: identical on DR after replication and on the primary after a restore', async () => {
  const id = uniq('preserve');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await makeTree(src);
  const a = await attrs(primary, `${src}/secret.csv`);
  assert.equal([a.permission, a.owner, a.group, a.acl, a.xattrs], ['640', 'alice', 'analysts', ['group::r--', 'user:bob:r--'], { 'user.project': 'blue' }], 'the test bed took the attributes');
  assert.is((await attrs(primary, `${src}/rep2/x`)).replication, 2);

  const dir = tempDir('preserve');
  const file = writePairPolicy(dir, { name: 'preserve', src, dst });
  const state = join(dir, 'state');
  const plan = await hbr(['plan', '-f', file, '--state-dir', state], { HBR_NOW: T0 });
  assert.not.match(plan.stdout + plan.stderr, /do not preserve/, 'ACLs and xattrs are on by default in Hadoop 3.4 (hdfs-default.xml)');
  const r = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: T0 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  await sameAttrs(primary, src, dr, dst);
  assert.is(await treesIdentical(primary, src, dr, dst), undefined, 'same block size: same HDFS checksums');

  // An incremental copy carries a change of attributes only.
  await primary.setPermission(`${src}/rep2/x`, '600');
  await primary.setXAttr(`${src}/rep2/x`, 'user.stage', 'gold');
  const r2 = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: at(T0, 1) });
  assert.is(r2.code, 0, r2.stdout + r2.stderr);
  await sameAttrs(primary, src, dr, dst);

  // Lost on the primary, restored from DR: the same attributes come back.
  const snap = 'hbr-20300101T010000Z';
  await primary.delete(`${src}/secret.csv`);
  await primary.delete(`${src}/big-blocks.bin`);
  await primary.delete(`${src}/rep2`, true);
  await primary.deleteSnapshot(src, snap);
  await primary.deleteSnapshot(src, 'hbr-20300101T000000Z');
  const res = await hbr(['restore', 'hdfs', '-f', file, '--state-dir', state, '--policy', 'preserve', '--auto-approve'], { HBR_NOW: at(T0, 1.5) });
  assert.is(res.code, 0, res.stdout + res.stderr);
  assert.match(res.stdout, /from the DR side/);
  await sameAttrs(dr, `${dst}/.snapshot/${snap}`, primary, src);
});

test('preserve: a policy that leaves user and group out copies them as hbr\'s own', async () => {
  const id = uniq('nopreserve');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await makeTree(src);
  const dir = tempDir('nopreserve');
  const file = writePairPolicy(dir, { name: 'nopreserve', src, dst });
  const { readFileSync, writeFileSync } = await import('node:fs');
  writeFileSync(file, readFileSync(file, 'utf8').replace('    replicate:\n', '    preserve: [permission, acl, xattr, times, replication, block-size, checksum-type]\n    replicate:\n'));
  const r = await hbr(['apply', '-f', file, '--state-dir', join(dir, 'state'), '--auto-approve'], { HBR_NOW: T0 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const p = await attrs(primary, `${src}/secret.csv`);
  const d = await attrs(dr, `${dst}/secret.csv`);
  assert.is(d.owner === 'alice', false, 'the owner is not carried over');
  assert.equal([d.permission, d.acl, d.xattrs, d.replication], [p.permission, p.acl, p.xattrs, p.replication]);
});

test.run();
