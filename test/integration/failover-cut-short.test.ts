/**
 * Copies cut short around a failover, on the real test bed (issue 11 review; docs/failover.md,
 * "A copy cut short"):
 *   1. hbr killed mid `distcp -diff` primary → DR, then the primary is lost: `hbr failover
 *      --unplanned` finds the DR tree torn (it differs from its newest snapshot), holds without the
 *      operator's word (nothing changes), and with it keeps the torn tree as an `hbr-torn-*`
 *      snapshot, rolls the live tree back to the newest snapshot, then fails over.
 *   2. hbr killed mid reverse bootstrap (DR → an old primary that lost its copy): the next apply
 *      reads the bootstrap mark on the old primary's side and resumes, instead of holding a
 *      half-copied old primary as diverged.
 * The kill lands mid-copy as in test/integration/hdfs-dr.test.ts (a throttled DistCp, SIGKILL of
 * hbr; the JVM dies with it by its parent-death signal).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { at, clusters, HBR, hbr, hbrEnv, listFiles, snapshotNames, tempDir, throttledHadoop, treesIdentical, writePairPolicy } from '../helpers/hbr.js';
import { repoRoot, uniq } from '../helpers/testbed.js';
import { failoverMark } from '../../src/systems/hdfs/failover-mark.js';
import type { WebHdfs } from '../../src/hadoop/webhdfs.js';

const { primary, dr } = clusters();
const T0 = '2030-03-01T00:00:00.000Z';
const KiB = 1024;
const MiB = 1024 * KiB;
const snapAt = (h: number) => `hbr-${at(T0, h).replace(/[-:]/g, '').slice(0, 15)}Z`;
const hbrSnaps = async (fs: WebHdfs, path: string) => (await snapshotNames(fs, path)).filter((n) => /^hbr-\d{8}T\d{6}Z$/.test(n));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function testbedCmd(...args: string[]): void {
  const r = spawnSync('bash', [join(repoRoot, 'testbed', args[0]!), ...args.slice(1)], { encoding: 'utf8', env: process.env });
  if (r.status !== 0) throw new Error(`testbed/${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
}

interface Pair {
  src: string;
  dst: string;
  dir: string;
  run: (args: string[], h: number) => ReturnType<typeof hbr>;
  /** runs `args` with a slow DistCp and SIGKILLs hbr once `copying()` says the copy has begun to change its target */
  cutShort: (args: string[], h: number, kind: string, copying: () => Promise<boolean>) => Promise<void>;
}

async function pair(prefix: string): Promise<Pair> {
  const id = uniq(prefix);
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await primary.mkdirs(src);
  for (let i = 0; i < 6; i++) await primary.create(`${src}/f${i}.bin`, randomBytes(16 * KiB + i));
  const dir = tempDir(prefix);
  const file = writePairPolicy(dir, { name: 'pair', src, dst, keep: '{ last: 1 }', drKeep: '{ last: 1 }' });
  const state = join(dir, 'state');
  const run = (args: string[], h: number) => hbr([...args, '-f', file, '--state-dir', state], { HBR_NOW: at(T0, h) });
  const cutShort = async (args: string[], h: number, kind: string, copying: () => Promise<boolean>) => {
    const child = spawn(process.execPath, [HBR, ...args, '-f', file, '--state-dir', state, '--auto-approve'], {
      env: hbrEnv({ HBR_NOW: at(T0, h), HBR_HADOOP: throttledHadoop(dir, 1) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const closed = new Promise((r) => child.on('close', r));
    const deadline = Date.now() + 90_000;
    while (!(await copying())) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `the copy never began:\n${out}`);
      await sleep(200);
    }
    await sleep(1000);
    child.kill('SIGKILL');
    await closed;
    assert.match(out, new RegExp(`${kind.replace('.', '\\.')} .*started`));
    assert.not.match(out, new RegExp(`${kind.replace('.', '\\.')} .*done`), `the kill must land before the copy finished:\n${out}`);
    await sleep(2000); // the JVM's parent-death signal
  };
  for (const h of [0, 1]) {
    await primary.create(`${src}/hour-${h}.txt`, Buffer.from(`hour ${h}`));
    const r = await run(['apply', '--auto-approve'], h);
    assert.is(r.code, 0, r.stdout + r.stderr);
  }
  return { src, dst, dir, run, cutShort };
}

test('unplanned failover after a copy cut short: the torn DR tree is held without the word; with it, kept as hbr-torn-*, rolled back to the newest snapshot, then failed over', async () => {
  const p = await pair('torn');
  const { src, dst } = p;
  const DR = `dr:${dst}`;
  const common = snapAt(1);
  assert.ok((await hbrSnaps(dr, dst)).includes(common));
  const f1 = await primary.open(`${src}/f1.bin`);

  // The next hour on the primary: a rename, a delete, a rewrite, and new files big enough to copy slowly.
  await primary.rename(`${src}/f1.bin`, `${src}/f1-renamed.bin`);
  await primary.delete(`${src}/f2.bin`);
  await primary.create(`${src}/f3.bin`, randomBytes(20 * KiB), { overwrite: true });
  for (let i = 0; i < 2; i++) await primary.create(`${src}/big-${i}.bin`, randomBytes(6 * MiB));
  // hbr dies mid `distcp -diff` (DistCpSync has already renamed and deleted on DR, some bytes are copied).
  await p.cutShort(['apply'], 2, 'replicate.distcp-diff', async () => (await dr.stat(`${dst}/f1-renamed.bin`)) !== undefined);
  const torn = await listFiles(dr, dst);
  const drSnaps = await snapshotNames(dr, dst);
  assert.not.ok(drSnaps.includes(snapAt(2)), 'the copy never completed');
  assert.not.equal(torn, await listFiles(dr, `${dst}/.snapshot/${common}`), 'the DR tree is torn');
  const m = failoverMark(dst);

  testbedCmd('down', 'primary');
  try {
    // Without the word: held, exit 1, the torn state named, the command to go on given; nothing changes.
    const held = await p.run(['failover', '--policy', 'pair', '--unplanned', '--auto-approve'], 2.5);
    const out = held.stdout + held.stderr;
    assert.is(held.code, 1, out);
    assert.match(out, `${DR} is torn, it changed since its newest snapshot ${common}`);
    assert.match(out, 'f1-renamed.bin');
    assert.match(out, /hbr-torn-\d{8}T\d{6}Z/);
    assert.match(out, `hbr failover --policy pair --unplanned --allow-overwrite ${DR}`);
    assert.not.match(held.stdout, /replicate\.(failover|rollback-torn)/);
    assert.equal(await listFiles(dr, dst), torn, 'the DR tree is untouched without the word');
    assert.equal(await snapshotNames(dr, dst), drSnaps);
    assert.is((await dr.getXAttrs(m.dir))[m.name], undefined, 'not failed over');

    // The plan with the word: the roll-back is a replace, then the promotion.
    const dry = await p.run(['failover', '--policy', 'pair', '--unplanned', '--dry-run', '--allow-overwrite', DR], 2.5);
    assert.is(dry.code, 0, dry.stdout + dry.stderr);
    assert.match(dry.stdout, /-\/\+ replicate\.rollback-torn/);
    assert.match(dry.stdout, /~ replicate\.failover/);
    assert.match(dry.stdout, `roll back to ${common}`);

    const fo = await p.run(['failover', '--policy', 'pair', '--unplanned', '--auto-approve', '--allow-overwrite', DR], 2.5);
    assert.is(fo.code, 0, fo.stdout + fo.stderr);
    assert.is(await treesIdentical(dr, dst, dr, `${dst}/.snapshot/${common}`), undefined, 'the DR copy is its newest snapshot');
    const after = await snapshotNames(dr, dst);
    const kept = after.filter((n) => n.startsWith('hbr-torn-'));
    assert.is(kept.length, 1, after.join(','));
    assert.equal(await listFiles(dr, `${dst}/.snapshot/${kept[0]}`), torn, 'the torn tree is kept whole');
    assert.equal(await dr.open(`${dst}/.snapshot/${kept[0]}/f1-renamed.bin`), f1, 'the torn files are readable in the kept snapshot');
    assert.equal(after.filter((n) => n.startsWith('hbr-repair-')), [], 'no scratch left');
    assert.ok((await dr.getXAttrs(m.dir))[m.name] !== undefined, 'failed over');

    // hbr runs on while failed over: the kept snapshot is no recovery point and never deleted.
    const again = await p.run(['failover', '--policy', 'pair', '--unplanned', '--auto-approve'], 2.5);
    assert.is(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, 'already the writable copy');
    const during = await p.run(['apply', '--auto-approve'], 3);
    assert.not.match(during.stdout, /^\s*(\+|-|~|-\/\+) +(hdfs\.snapshot\.delete|replicate\.)/m, during.stdout);
    assert.ok((await snapshotNames(dr, dst)).includes(kept[0]!), 'the kept snapshot stays');
    assert.ok((await hbrSnaps(dr, dst)).includes(snapAt(2.5)), 'the DR copy is snapshotted on schedule (the scheduled one of the re-run)');
  } finally {
    testbedCmd('up');
  }
  // The old primary is back, with the hour the copy never finished (its own writes since the common
  // snapshot): while failed over, `hbr plan` schedules nothing onto it and deletes nothing anywhere;
  // the pair is held for the operator's word (as test/integration/hdfs-failover.test.ts shows for apply).
  const plan = await p.run(['plan', '--json'], 3.5);
  const json = JSON.parse(plan.stdout) as { steps: Array<{ id: string; kind: string; target: { cluster: string } }>; holds?: Array<{ target: string; reason: string }> };
  assert.equal(json.steps.filter((s) => s.target.cluster === 'primary').map((s) => s.id), [], 'nothing onto the old primary');
  assert.not.ok(json.steps.some((s) => s.kind === 'hdfs.snapshot.delete'), 'nothing deleted');
  assert.equal(json.holds?.map((h) => [h.target, h.reason]), [[`primary:${src}`, 'diverged']]);
});

test('a reverse bootstrap (DR → an old primary that lost its copy) killed mid-copy: the next apply resumes it instead of holding it as diverged', async () => {
  const p = await pair('rboot');
  const { src, dst } = p;
  const fo = await p.run(['failover', '--policy', 'pair', '--unplanned', '--auto-approve'], 1.5);
  assert.is(fo.code, 0, fo.stdout + fo.stderr);

  // The old primary comes back without its copy (a rebuilt cluster): no directory, no snapshot.
  for (const n of await snapshotNames(primary, src)) await primary.deleteSnapshot(src, n);
  await primary.delete(src, true);
  // The writable DR copy takes writes, big enough for the copy back to be slow.
  for (let i = 0; i < 2; i++) await dr.create(`${dst}/dr-big-${i}.bin`, randomBytes(6 * MiB));
  await dr.create(`${dst}/dr-small.txt`, Buffer.from('written on DR'));

  // The copy back is a full bootstrap of the old primary; hbr dies in the middle of it.
  await p.cutShort(['apply'], 2, 'replicate.bootstrap', async () => (await primary.stat(src)) !== undefined && (await listFiles(primary, src)).length > 0);
  assert.ok((await listFiles(primary, src)).length > 0, 'the old primary holds part of the copy');
  assert.not.ok((await primary.stat(src))?.snapshotEnabled, 'and no snapshot');

  // Run again: resumed (its mark on the old primary's side is read), not held as diverged.
  const again = await p.run(['apply', '--auto-approve'], 2);
  const out = again.stdout + again.stderr;
  assert.is(again.code, 0, out);
  assert.not.match(out, 'diverged');
  assert.match(out, /resumes hbr's interrupted copy/);
  const drNewest = (await hbrSnaps(dr, dst)).pop()!;
  assert.is(drNewest, snapAt(2));
  assert.ok((await hbrSnaps(primary, src)).includes(drNewest), 'the old primary holds the DR copy\'s newest snapshot');
  assert.is(await treesIdentical(primary, src, dr, dst), undefined);
  assert.is(await treesIdentical(primary, `${src}/.snapshot/${drNewest}`, dr, `${dst}/.snapshot/${drNewest}`), undefined);
  const plan = await hbr(['plan', '-f', join(p.dir, 'pair.yaml'), '--state-dir', join(p.dir, 'state'), '--detailed-exitcode'], { HBR_NOW: at(T0, 2) });
  assert.is(plan.code, 0, `converged, nothing held:\n${plan.stdout}\n${plan.stderr}`);
});

test.run();
