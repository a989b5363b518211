/**
 * Issue #12 points 3 and 4 on the real test bed, with hbr's own block backups (docs/blocks.md
 * "Restore"): on an extra cluster (so the shared primary never reports a missing block to other
 * suites) a small tree is backed up into the test bed's S3 with `hbr apply`; then
 *   3. a block's replica files are deleted from the DataNode's disk and the file read once (the
 *      DataNode drops the replica and tells the NameNode: docs/design/blocks-proposal.md §3.3);
 *      MissingBlocks becomes 1, `hbr plan` shows `-/+ blocks.restore` for that file, `hbr apply`
 *      rewrites it byte-identical with its owner, permission and mtime, and MissingBlocks is 0 again
 *      (after applies killed at each crash point up to the restore's rename, each converging);
 *   4. a file deleted by mistake comes back with `hbr restore blocks`; with --at an older version;
 *      --to writes elsewhere; a different existing file is refused without --overwrite and
 *      replaced with it; a restore killed (HBR_CRASH_AT) between its CREATE and RENAME converges
 *      when re-run and leaves no scratch file; a file whose blocks the store lacks is refused by the
 *      plan, before anything is written.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCorruptFiles } from '../../src/hadoop/corrupt-files.js';
import { openStore } from '../../src/stores/index.js';
import type { Manifest } from '../../src/systems/blocks/types.js';
import type { HdfsCluster } from '../../src/hadoop/cluster.js';
import { startExtraHdfs, type ExtraHdfs } from '../helpers/extra-hdfs.js';
import { hbr, tempDir } from '../helpers/hbr.js';
import { testbed, uniq } from '../helpers/testbed.js';

const MIB = 1024 * 1024;
const tb = testbed();
const T0 = Date.parse('2030-06-01T00:00:00Z');
const iso = (t: number) => new Date(t).toISOString();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const s3env = {
  AWS_ACCESS_KEY_ID: tb.HBR_TB_S3_ACCESS_KEY,
  AWS_SECRET_ACCESS_KEY: tb.HBR_TB_S3_SECRET_KEY,
  AWS_REGION: tb.HBR_TB_S3_REGION,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

let x: ExtraHdfs;
const storePrefix = `${uniq('blocks-restore')}/`;
let cluster: HdfsCluster;
const work = tempDir('blocks-restore');
const state = join(work, 'state');
const policyFile = join(work, 'blocks.yaml');
const content = (n: number, seed: number) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * seed + (i >> 11)) & 0xff;
  return b;
};
const A = content(2 * MIB + 500_000, 7); // three blocks of 1 MiB
const B = Buffer.from('b: deleted by mistake, then restored\n');
const C1 = content(300_000, 11);
const C2 = content(200_000, 13);

const run = (args: string[], now: number, env: Record<string, string> = {}) => hbr([...args, '-f', policyFile, '--state-dir', state], { HBR_NOW: iso(now), ...s3env, ...env });
const restore = (args: string[], now: number, env: Record<string, string> = {}) => run(['restore', 'blocks', '--policy', 'blk', '--auto-approve', ...args], now, env);
const fsx = () => x.client;
const bytesOf = async (p: string) => sha(await fsx().open(p));

async function jmxMissing(): Promise<number> {
  const c = await readCorruptFiles(cluster);
  return c.badBlocks;
}

async function until(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.unreachable(`${what}: not within ${ms} ms`);
}

test.before(async () => {
  x = await startExtraHdfs('extra-blocks', {});
  cluster = { name: 'x', kind: 'hdfs', webhdfs: x.webhdfs, fs: x.fs, user: tb.HBR_TB_HDFS_USER, at: { file: 't', line: 1, col: 1 } };
  const prefix = storePrefix;
  writeFileSync(
    policyFile,
    `version: 1
clusters:
  x: { hdfs: { webhdfs: ${x.webhdfs}, fs: ${x.fs}, user: ${tb.HBR_TB_HDFS_USER} } }
stores:
  s3: { s3: { bucket: ${tb.HBR_TB_S3_BUCKET}, prefix: ${prefix}, endpoint: ${tb.HBR_TB_S3_ENDPOINT}, force_path_style: true } }
policies:
  blk:
    source: { cluster: x, path: /src }
    backup: { to: s3, every: 1h, keep: { last: 10 } }
`,
  );
  const fs = fsx();
  await fs.mkdirs('/src/d');
  await fs.create('/src/a.bin', A, { blockSize: MIB });
  await fs.create('/src/d/b.txt', B);
  await fs.create('/src/d/c.bin', C1);
  await fs.setOwner('/src/a.bin', 'alice', 'staff');
  await fs.setPermission('/src/a.bin', '640');
  const r = await run(['apply', '--auto-approve'], T0);
  assert.is(r.code, 0, `first backup: ${r.stdout}${r.stderr}`);
});

test.after(() => {
  x?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('3: a block deleted from the DataNode disk: plan shows -/+ blocks.restore (with an xattr: why not, and the command), apply restores the file byte-identical with its attributes', async () => {
  const fs = fsx();
  const before = await fs.getFileStatus('/src/a.bin');
  const loc = (await (await fetch(fs.url('/src/a.bin', 'GET_BLOCK_LOCATIONS'))).json()) as { LocatedBlocks: { locatedBlocks: Array<{ block: { blockId: number } }> } };
  const id = loc.LocatedBlocks.locatedBlocks[1]!.block.blockId;
  const files = execFileSync('find', [join(tb.HBR_TB_STATE, x.name, 'data'), '-name', `blk_${id}*`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  assert.is(files.length, 2, `the replica and its .meta: ${files.join(' ')}`);
  for (const f of files) rmSync(f);
  // The DataNode notices a deleted replica when it is read (FsDatasetImpl.validateBlockFile → invalidateMissingBlock).
  await fs.open('/src/a.bin').then(
    () => assert.unreachable('read a file with a deleted block'),
    () => {},
  );
  await until('MissingBlocks 1', async () => (await jmxMissing()) === 1);

  // An xattr a new inode would not keep: the plan itself says apply will not restore it, and what
  // to run (before, the plan showed the step and apply failed on it)
  await fs.setXAttr('/src/a.bin', 'user.app.tag', 'v');
  const refused = await run(['plan'], T0 + 60_000);
  assert.not.match(refused.stdout, /blocks\.restore/, refused.stdout);
  assert.match(refused.stdout + refused.stderr, /x:\/src\/a\.bin has 1 missing block, but it has extended attributes \(user\.app\.tag\).*not restored by apply; `hbr restore blocks --policy blk --path a\.bin --overwrite`/, refused.stdout + refused.stderr);
  await fs.removeXAttr('/src/a.bin', 'user.app.tag');

  const plan = await run(['plan'], T0 + 60_000);
  assert.match(plan.stdout, /-\/\+ blocks\.restore\s+x:\/src\/a\.bin/, plan.stdout + plan.stderr);
  assert.match(plan.stdout, /1 missing block/);

  // kill -9 at each crash point of the apply up to the restore's rename: each leaves the file
  // damaged (and at most a scratch file); the next apply plans the restore again.
  const trace = join(work, 'apply-trace');
  for (let k = 1; ; k++) {
    assert.ok(k < 20, 'the restore crash point was reached');
    rmSync(trace, { force: true });
    const killed = await run(['apply', '--auto-approve'], T0 + 60_000, { HBR_CRASH_AT: String(k), HBR_CRASH_TRACE: trace });
    assert.is(killed.code, null, `apply killed at crash point ${k}: ${killed.stdout}${killed.stderr}`);
    const last = readFileSync(trace, 'utf8').trim().split('\n').pop()!.split(' ')[1];
    if (last === 'blocks.restore.before-rename') {
      assert.is((await fs.listStatus('/src')).filter((s) => s.pathSuffix.startsWith('.a.bin.hbr-restore-')).length, 1, 'the killed restore left its scratch');
      assert.is(await jmxMissing(), 1, 'not replaced yet');
      break;
    }
  }
  const apply = await run(['apply', '--auto-approve'], T0 + 60_000);
  assert.is(apply.code, 0, apply.stdout + apply.stderr);
  assert.match(apply.stdout + apply.stderr, /removed \/src\/\.a\.bin\.hbr-restore-/, 'the scratch of the killed apply swept');
  assert.is(await bytesOf('/src/a.bin'), sha(A));
  const after = await fs.getFileStatus('/src/a.bin');
  assert.equal([after.owner, after.group, after.permission, after.modificationTime, after.length, after.blockSize], ['alice', 'staff', '640', before.modificationTime, A.length, MIB]);
  await until('MissingBlocks 0', async () => (await jmxMissing()) === 0);
  assert.equal((await fs.listStatus('/src')).map((s) => s.pathSuffix).sort(), ['a.bin', 'd'], 'no scratch left');

  const again = await run(['plan'], T0 + 120_000);
  assert.not.match(again.stdout, /blocks\.restore/, 'restored: nothing more to restore');
});

test('4: a deleted file comes back from the newest manifest; a second restore has nothing to do', async () => {
  const fs = fsx();
  const mtime = (await fs.getFileStatus('/src/d/b.txt')).modificationTime;
  await fs.delete('/src/d/b.txt');
  const plan = await run(['restore', 'blocks', '--policy', 'blk', '--path', 'd/b*'], T0 + 180_000);
  assert.match(plan.stdout, /\+ blocks\.restore\s+x:\/src <- manifests\/blk\//, plan.stdout + plan.stderr);
  assert.match(plan.stdout, /\+ d\/b\.txt/);
  // Saved for review, then carried out as saved (the CLI's --out / --plan, docs/restore.md).
  const saved = join(work, 'restore-plan.json');
  const out = await run(['restore', 'blocks', '--policy', 'blk', '--path', 'd/b*', '--out', saved], T0 + 180_000);
  assert.is(out.code, 0, out.stdout + out.stderr);
  assert.equal((JSON.parse(readFileSync(saved, 'utf8')) as { restore: { files: unknown } }).restore.files, [{ path: 'd/b.txt', bytes: B.length, action: 'create' }]);
  assert.is(await fs.stat('/src/d/b.txt'), undefined, '--out writes nothing');
  const r = await restore(['--path', 'd/b*', '--plan', saved], T0 + 180_000);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Restored 1 file/);
  assert.is((await fs.open('/src/d/b.txt')).toString(), B.toString());
  assert.is((await fs.getFileStatus('/src/d/b.txt')).modificationTime, mtime);
  const again = await restore(['--path', 'd/b*'], T0 + 180_000);
  assert.is(again.code, 0);
  assert.match(again.stdout, /No changes/);
});

test('4: --at an older version after a rewrite; refused without --overwrite (naming the file); --to elsewhere; replaced with --overwrite', async () => {
  const fs = fsx();
  await fs.create('/src/d/c.bin', C2, { overwrite: true });
  const second = await run(['apply', '--auto-approve'], T0 + 2 * 3_600_000);
  assert.is(second.code, 0, second.stdout + second.stderr);
  const older = iso(T0 + 30 * 60_000);

  const refused = await restore(['--path', 'd/c.bin', '--at', older], T0 + 2 * 3_600_000 + 60_000);
  assert.is.not(refused.code, 0);
  assert.match(refused.stderr, /\/src\/d\/c\.bin: differs/);
  assert.match(refused.stderr, /--overwrite replaces it/);
  assert.is(await bytesOf('/src/d/c.bin'), sha(C2), 'untouched');

  const inside = await restore(['--path', 'd/c.bin', '--at', older, '--to', '/src/restored'], T0 + 2 * 3_600_000 + 60_000);
  assert.is.not(inside.code, 0, 'a --to inside the source would be backed up again');
  assert.match(inside.stderr, /--to \/src\/restored is inside the policy's source .*:\/src/);
  assert.is(await fsx().stat('/src/restored'), undefined, 'nothing written');

  const elsewhere = await restore(['--path', 'd/c.bin', '--at', older, '--to', '/restored'], T0 + 2 * 3_600_000 + 60_000);
  assert.is(elsewhere.code, 0, elsewhere.stdout + elsewhere.stderr);
  assert.is(await bytesOf('/restored/d/c.bin'), sha(C1), 'the version before the rewrite');

  const over = await restore(['--path', 'd/c.bin', '--at', older, '--overwrite'], T0 + 2 * 3_600_000 + 60_000);
  assert.is(over.code, 0, over.stdout + over.stderr);
  assert.is(await bytesOf('/src/d/c.bin'), sha(C1));
  const newest = await restore(['--path', 'd/c.bin', '--overwrite'], T0 + 2 * 3_600_000 + 60_000);
  assert.is(newest.code, 0, newest.stdout + newest.stderr);
  assert.is(await bytesOf('/src/d/c.bin'), sha(C2), 'the newest manifest has the rewrite');
});

test('kill -9 between the scratch CREATE and the RENAME (and after it): the re-run converges, no scratch left', async () => {
  const fs = fsx();
  const trace = join(work, 'trace');
  // the backup run below (T0+3h) sees b.txt deleted: restores pick the newest manifest before it
  const before3h = ['--at', iso(T0 + 3 * 3_600_000 - 60_000)];
  await fs.delete('/src/d/b.txt');
  const traced = await restore(['--path', 'd/b.txt', ...before3h], T0 + 3 * 3_600_000, { HBR_CRASH_TRACE: trace });
  assert.is(traced.code, 0, traced.stdout + traced.stderr);
  const points = readFileSync(trace, 'utf8').trim().split('\n').map((l) => l.split(' ') as [string, string]);
  const ours = points.filter(([, name]) => name.startsWith('blocks.restore.'));
  assert.equal(ours.map(([, n]) => n), ['blocks.restore.after-create', 'blocks.restore.before-rename', 'blocks.restore.after-rename']);
  for (const [k, name] of ours) {
    await fs.delete('/src/d/b.txt');
    const killed = await restore(['--path', 'd/b.txt', ...before3h], T0 + 3 * 3_600_000, { HBR_CRASH_AT: k });
    assert.is(killed.code, null, `killed at ${name}`);
    const left = (await fs.listStatus('/src/d')).map((s) => s.pathSuffix).filter((n) => n.startsWith('.b.txt.hbr-restore-'));
    assert.is(left.length, name === 'blocks.restore.after-rename' ? 0 : 1, `scratch after a kill at ${name}`);
    if (name === 'blocks.restore.before-rename') {
      // A backup run while the scratch is there records it as skipped, never as a file to restore later.
      const backup = await run(['apply', '--auto-approve'], T0 + 3 * 3_600_000);
      assert.is(backup.code, 0, backup.stdout + backup.stderr);
      Object.assign(process.env, s3env);
      const store = await openStore({ name: 's3', kind: 's3', bucket: tb.HBR_TB_S3_BUCKET, prefix: storePrefix, endpoint: tb.HBR_TB_S3_ENDPOINT, forcePathStyle: true, at: { file: 't', line: 1, col: 1 } });
      const newest = (await store.list('manifests/blk/')).map((o) => o.key).sort().pop()!;
      assert.ok(newest.includes('2030-06-01T03-00-00Z'), `a manifest of the run at T0+3h: ${newest}`);
      const file = join(work, 'manifest-scratch.json');
      await store.getFile(newest, file);
      const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
      rmSync(file);
      assert.equal(m.files.filter((f) => f.path.includes('.hbr-restore-')), [], 'the scratch is not backed up');
      assert.ok(m.skipped.some((f) => f.path.startsWith('d/.b.txt.hbr-restore-')), JSON.stringify(m.skipped));
    }
    const rerun = await restore(['--path', 'd/b.txt', ...before3h], T0 + 3 * 3_600_000);
    assert.is(rerun.code, 0, rerun.stdout + rerun.stderr);
    assert.is((await fs.open('/src/d/b.txt')).toString(), B.toString(), `converged after ${name}`);
    assert.equal((await fs.listStatus('/src/d')).map((s) => s.pathSuffix).filter((n) => n.startsWith('.')), [], `no scratch after ${name}`);
  }
});

test('a file whose blocks the store lacks is refused by the plan, naming it and the missing keys; nothing written', async () => {
  Object.assign(process.env, s3env);
  const store = await openStore({ name: 's3', kind: 's3', bucket: tb.HBR_TB_S3_BUCKET, prefix: storePrefix, endpoint: tb.HBR_TB_S3_ENDPOINT, forcePathStyle: true, at: { file: 't', line: 1, col: 1 } });
  try {
    const first = (await store.list('manifests/blk/')).map((o) => o.key).sort()[0]!;
    const file = join(work, 'manifest-1.json');
    await store.getFile(first, file);
    const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    const c = m.files.find((f) => f.path === 'd/c.bin')!;
    const key = `blocks/${m.blockPoolId}/${c.blocks[0]!.id}_${c.blocks[0]!.gs}`;
    await store.delete(key); // the version before the rewrite: only the first manifest has it
    const r = await restore(['--path', 'd/c.bin', '--at', iso(T0 + 30 * 60_000), '--to', '/lacking'], T0 + 5 * 3_600_000);
    assert.is.not(r.code, 0, r.stdout);
    assert.match(r.stderr, /the store lacks blocks of 1 file of manifests\/blk\/2030-06-01T00-00-00Z\.json; nothing restored/);
    assert.ok(r.stderr.includes(`d/c.bin: ${key}`), r.stderr);
    assert.is(await fsx().stat('/lacking'), undefined);
  } finally {
    (store as { destroy?: () => void }).destroy?.();
  }
});

test.run();
