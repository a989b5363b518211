/**
 * Attributes survive every copy (issue #11 point 4; src/systems/hdfs/preserve.ts): a file with
 * mode 0640, its own owner and group, an ACL entry and a user xattr, a file with a non-default
 * block size, and a directory whose files have a non-default replication are identical on the DR
 * side after replication (bootstrap and -diff), and on the primary after a restore from DR.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WebHdfs } from '../../src/hadoop/webhdfs.js';
import { at, clusters, hbr, hbrEnv, tempDir, treesIdentical, writePairPolicy } from '../helpers/hbr.js';
import { testbed, uniq } from '../helpers/testbed.js';
import { startExtraHdfs } from '../helpers/extra-hdfs.js';

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

test('a DR cluster with ACLs and xattrs off (a real NameNode so configured): the plan says what is not carried, the copy carries the rest; a plain distcp -pa there fails', async () => {
  const off = await startExtraHdfs('extra-noacl', { 'dfs.namenode.acls.enabled': 'false', 'dfs.namenode.xattrs.enabled': 'false' });
  try {
    const id = uniq('noacl');
    const src = `/it/${id}/data`;
    const dst = `/it-noacl/${id}/data`;
    await makeTree(src);
    const dir = tempDir('noacl');
    const tb = testbed();
    const file = join(dir, 'noacl.yaml');
    writeFileSync(
      file,
      `version: 1
clusters:
  primary: { hdfs: { webhdfs: ${tb.HBR_TB_PRIMARY_WEBHDFS}, fs: ${tb.HBR_TB_PRIMARY_FS} } }
  noacl: { hdfs: { webhdfs: ${off.webhdfs}, fs: ${off.fs} } }
policies:
  noacl:
    source: { cluster: primary, path: ${src} }
    snapshots: { every: 1h, keep: { last: 3 } }
    replicate:
      - to: { cluster: noacl, path: ${dst} }
        keep: { last: 3 }
`,
    );
    const state = join(dir, 'state');
    const plan = await hbr(['plan', '-f', file, '--state-dir', state], { HBR_NOW: T0 });
    assert.match(plan.stdout + plan.stderr, `copies to noacl:${dst} do not preserve ACLs: dfs.namenode.acls.enabled=false on noacl`);
    assert.match(plan.stdout + plan.stderr, `copies to noacl:${dst} do not preserve xattrs: dfs.namenode.xattrs.enabled=false on noacl`);
    assert.match(plan.stdout + plan.stderr, 'noacl has dfs.namenode.xattrs.enabled=false: hbr cannot mark its copies');
    // hbr's marks are xattrs on the target's parent: the bootstrap runs unmarked instead of failing
    const r = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: T0 });
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, 'xattrs are off on noacl; the bootstrap runs without its in-progress mark');
    const again = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: at(T0, 0.5) });
    assert.is(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, 'No changes', 'observed without marks: in sync, not "not observed"');
    // a failover is recorded in an xattr: refused with the reason, nothing done
    const fo = await hbr(['failover', '--policy', 'noacl', '--unplanned', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: at(T0, 0.6) });
    assert.is(fo.code, 1, fo.stdout + fo.stderr);
    assert.match(fo.stdout + fo.stderr, 'noacl has dfs.namenode.xattrs.enabled=false: hbr records a failover in an xattr');
    // everything else is carried over
    const basic = async (fs: WebHdfs, path: string) => {
      const st = await fs.getFileStatus(path);
      return [st.permission, st.owner, st.group, st.type === 'FILE' ? [st.replication, st.blockSize, st.modificationTime] : []];
    };
    for (const p of PATHS) assert.equal(await basic(off.client, `${dst}/${p}`), await basic(primary, `${src}/${p}`), `attributes of ${p}`);
    assert.is(await treesIdentical(primary, src, off.client, dst), undefined);
    // what hbr avoids: DistCp asked for ACLs refuses to start against this cluster
    const plain = spawnSync(tb.HBR_TB_HADOOP, ['distcp', '-pa', `${tb.HBR_TB_PRIMARY_FS}${src}/.snapshot/hbr-20300101T000000Z`, `${off.fs}/it-noacl/${id}/plain`], { encoding: 'utf8', env: hbrEnv() });
    assert.is.not(plain.status, 0, 'a plain distcp -pa to a cluster with ACLs off fails');
    assert.ok(/ACLs not supported|AclException|acls\.enabled/i.test(plain.stderr), plain.stderr.slice(-3000));
  } finally {
    off.stop();
  }
});

test.run();
