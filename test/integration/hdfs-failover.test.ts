/**
 * Failover and incremental failback of a DR pair on the real test bed (issue 11, test 3;
 * docs/failover.md): the primary is STOPPED, the DR copy fails over unplanned and takes writes; the
 * primary returns with writes of its own after the common snapshot; failback copies back only what
 * changed on DR (DistCp's counters), rolls the old primary back only with the operator's word, and
 * ends with the same snapshot on both sides, identical trees, and replication primary → DR again.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { at, clusters, hbr, listFiles, snapshotNames, tempDir, treesIdentical, writePairPolicy } from '../helpers/hbr.js';
import { repoRoot, uniq } from '../helpers/testbed.js';
import { readFileSync } from 'node:fs';
import { failoverMark, failoverValue } from '../../src/systems/hdfs/failover-mark.js';
import type { WebHdfs } from '../../src/hadoop/webhdfs.js';

const { primary, dr } = clusters();
const T0 = '2030-02-01T00:00:00.000Z';
const KiB = 1024;

interface ApplyJson {
  done: Array<{ id: string; outcome: { bytesCopied?: number; filesCopied?: number; note?: string } }>;
  failed: Array<{ id: string; error: string }>;
  plan: { steps: Array<{ id: string; kind: string; action: string }> };
}

function testbedCmd(...args: string[]): void {
  const r = spawnSync('bash', [join(repoRoot, 'testbed', args[0]!), ...args.slice(1)], { encoding: 'utf8', env: process.env });
  if (r.status !== 0) throw new Error(`testbed/${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
}

const hbrSnaps = async (fs: typeof primary, path: string) => (await snapshotNames(fs, path)).filter((n) => n.startsWith('hbr-'));
const snapAt = (h: number) => `hbr-${at(T0, h).replace(/[-:]/g, '').slice(0, 15)}Z`;

/** Attributes a failback must carry over (as test/integration/hdfs-preserve.test.ts checks for replication and restore). */
async function attrs(fs: WebHdfs, path: string): Promise<Record<string, unknown>> {
  const [st, acl, xattrs] = await Promise.all([fs.getFileStatus(path), fs.getAclStatus(path), fs.getXAttrs(path)]);
  return { permission: st.permission, owner: st.owner, group: st.group, replication: st.replication, blockSize: st.blockSize, mtime: st.modificationTime, acl: [...acl.entries].sort(), xattrs };
}

test('unplanned failover with the primary stopped, writes on DR, the primary back with its own writes: failback copies only the DR changes, rolls the primary back only with the word, and replication resumes', async () => {
  const id = uniq('failover');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  const S = `primary:${src}`;
  await primary.mkdirs(src);
  for (let i = 0; i < 10; i++) await primary.create(`${src}/f${i}.bin`, randomBytes(64 * KiB));
  const dir = tempDir('failover');
  const file = writePairPolicy(dir, { name: 'pair', src, dst, keep: '{ last: 1 }', drKeep: '{ last: 1 }' });
  const state = join(dir, 'state');
  const run = (args: string[], h: number) => hbr([...args, '-f', file, '--state-dir', state], { HBR_NOW: at(T0, h) });

  // Two hours of replication: the common snapshot is the one of +1h.
  for (let h = 0; h <= 1; h++) {
    await primary.create(`${src}/hour-${h}.txt`, Buffer.from(`hour ${h}`));
    const r = await run(['apply', '--auto-approve'], h);
    assert.is(r.code, 0, r.stdout + r.stderr);
  }
  const common = snapAt(1);
  const drBefore = await hbrSnaps(dr, dst);
  assert.ok(drBefore.includes(common), `DR holds ${common}: ${drBefore.join(', ')}`);

  // The primary writes after the common snapshot (never replicated), then is lost.
  await primary.create(`${src}/primary-only.bin`, randomBytes(32 * KiB));
  await primary.create(`${src}/f0.bin`, randomBytes(64 * KiB), { overwrite: true });
  const primaryAfter = await listFiles(primary, src);
  const written = [96 * KiB, 128 * KiB, 40 * KiB];
  const drBytes = written.reduce((a, b) => a + b, 0);
  testbedCmd('down', 'primary');
  try {
    // A planned failover needs the primary: refused, nothing done.
    const planned = await run(['failover', '--policy', 'pair', '--auto-approve'], 2);
    assert.is(planned.code, 1, planned.stdout + planned.stderr);
    assert.match(planned.stdout, 'if it is lost, fail over with --unplanned');

    const fo = await run(['failover', '--policy', 'pair', '--unplanned', '--auto-approve'], 2);
    assert.is(fo.code, 0, fo.stdout + fo.stderr);
    assert.match(fo.stdout, /~ replicate\.failover/);
    assert.not.match(fo.stdout, /replicate\.(distcp-diff|bootstrap|repair-target)/);
    // Re-run: nothing left to fail over; the DR copy, now the writable one, gets its scheduled snapshot.
    const again = await run(['failover', '--policy', 'pair', '--unplanned', '--auto-approve'], 2);
    assert.is(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, 'already the writable copy');
    assert.not.match(again.stdout, /replicate\./);

    // Applications write on DR: three new files, a delete and a rename.
    for (const [i, n] of written.entries()) await dr.create(`${dst}/dr-${i}.bin`, randomBytes(n), i === 1 ? { replication: 2 } : {});
    // Issue #11 point 4 on the way back: a file with its own mode, owner, group, ACL entry and
    // xattr, and one with a non-default replication, written on DR, arrive as they are.
    await dr.setPermission(`${dst}/dr-0.bin`, '640');
    await dr.setOwner(`${dst}/dr-0.bin`, 'alice', 'analysts');
    await dr.modifyAclEntries(`${dst}/dr-0.bin`, 'user:bob:r--');
    await dr.setXAttr(`${dst}/dr-0.bin`, 'user.project', 'blue');
    await dr.delete(`${dst}/f9.bin`);
    await dr.rename(`${dst}/f8.bin`, `${dst}/f8-renamed.bin`);

    // hbr runs on while the primary is down: the DR copy is snapshotted, nothing replicates into it,
    // nothing is deleted (the common snapshot stays), and the unreachable primary is an error.
    const during = await run(['apply', '--auto-approve'], 3);
    assert.is(during.code, 1, during.stdout + during.stderr);
    assert.match(during.stdout, /\+ hdfs\.snapshot\.create/);
    assert.not.match(during.stdout, /replicate\./);
    assert.not.match(during.stdout, /hdfs\.snapshot\.delete/);
    assert.equal(await hbrSnaps(dr, dst), [...drBefore, snapAt(2), snapAt(3)]);
  } finally {
    testbedCmd('up');
  }
  assert.equal(await listFiles(primary, src), primaryAfter, 'the primary came back with its own writes');
  const primarySnaps = await hbrSnaps(primary, src);

  // The primary is back, the pair still failed over: an ordinary apply never copies the returned
  // primary over the DR copy's new writes; the copy back waits for the operator (held, exit 1).
  const drFiles = await listFiles(dr, dst);
  const plain = await run(['apply', '--auto-approve'], 3.5);
  assert.is(plain.code, 1, plain.stdout + plain.stderr);
  assert.match(plain.stdout, `DR pair dr:${dst} -> ${S} is diverged`);
  assert.not.match(plain.stdout, /replicate\./);
  assert.equal(await listFiles(dr, dst), drFiles, 'the DR copy keeps its new writes');
  assert.equal(await listFiles(primary, src), primaryAfter);

  // Failback without the word: held, exit 1, the primary untouched.
  const held = await run(['failback', '--policy', 'pair', '--auto-approve'], 4);
  assert.is(held.code, 1, held.stdout + held.stderr);
  assert.match(held.stdout + held.stderr, `the old primary ${S} changed since ${common}`);
  assert.match(held.stdout + held.stderr, `--allow-overwrite ${S}`);
  assert.not.match(held.stdout, /replicate\.(repair-target|distcp-diff|failback)/);
  assert.equal(await listFiles(primary, src), primaryAfter, 'the primary is untouched without the word');
  assert.equal(await hbrSnaps(primary, src), primarySnaps);

  // The plan with the word shows the roll-back as a replace.
  const dry = await run(['failback', '--policy', 'pair', '--dry-run', '--allow-overwrite', S], 5);
  assert.is(dry.code, 0, dry.stdout + dry.stderr);
  assert.match(dry.stdout, /-\/\+ replicate\.repair-target/);
  assert.match(dry.stdout, /~ replicate\.distcp-diff/);
  assert.match(dry.stdout, /~ replicate\.failback/);

  const fb = await run(['failback', '--policy', 'pair', '--auto-approve', '--json', '--allow-overwrite', S], 5);
  assert.is(fb.code, 0, fb.stdout + fb.stderr);
  const res = JSON.parse(fb.stdout) as ApplyJson;
  assert.equal(res.failed, []);
  const diff = res.done.find((d) => d.id.startsWith('replicate.distcp-diff'));
  assert.ok(diff, `no incremental copy back: ${JSON.stringify(res.done.map((d) => d.id))}`);
  assert.is(diff!.outcome.bytesCopied, drBytes, 'the copy back moves exactly the bytes written on DR');
  assert.not.ok(res.done.some((d) => d.id.startsWith('replicate.bootstrap')), 'never a full copy');
  console.log(`      failback: ${diff!.outcome.bytesCopied} bytes copied back (${drBytes} written on DR); roll-back copied ${res.done.find((d) => d.id.startsWith('replicate.repair-target'))?.outcome.bytesCopied} bytes`);

  const fbSnap = snapAt(5);
  assert.ok((await hbrSnaps(primary, src)).includes(fbSnap), 'the primary holds the final snapshot');
  assert.ok((await hbrSnaps(dr, dst)).includes(fbSnap), 'DR holds the final snapshot');
  assert.is(await treesIdentical(primary, src, dr, dst), undefined);
  assert.is(await primary.stat(`${src}/primary-only.bin`), undefined, "the old primary's own write is rolled back");
  for (const f of ['dr-0.bin', 'dr-1.bin']) {
    assert.equal(await attrs(primary, `${src}/${f}`), await attrs(dr, `${dst}/${f}`), `attributes of ${f} after failback`);
  }
  assert.equal((await attrs(primary, `${src}/dr-0.bin`)).acl, ['group::r--', 'user:bob:r--']);
  assert.is((await attrs(primary, `${src}/dr-1.bin`)).replication, 2);

  // The original direction again: a write on the primary replicates to DR incrementally.
  await primary.create(`${src}/after.bin`, randomBytes(8 * KiB));
  const back = await run(['apply', '--auto-approve', '--json'], 6);
  assert.is(back.code, 0, back.stdout + back.stderr);
  const b = JSON.parse(back.stdout) as ApplyJson;
  const d2 = b.done.find((d) => d.id.startsWith(`replicate.distcp-diff:dr:${dst}`));
  assert.ok(d2, `primary -> DR resumed: ${JSON.stringify(b.done.map((d) => d.id))}`);
  assert.is(d2!.outcome.bytesCopied, 8 * KiB);
  assert.is(await treesIdentical(primary, src, dr, dst), undefined);
  // Retention catches up (the snapshots before the new common go); the common one stays on both sides.
  const tidy = await run(['apply', '--auto-approve'], 6.1);
  assert.is(tidy.code, 0, tidy.stdout + tidy.stderr);
  assert.not.match(tidy.stdout, /replicate\./);
  assert.equal(await hbrSnaps(primary, src), [snapAt(6)]);
  assert.equal(await hbrSnaps(dr, dst), [snapAt(6)]);
  const quiet = await hbr(['plan', '-f', file, '--state-dir', state, '--detailed-exitcode'], { HBR_NOW: at(T0, 6.2) });
  assert.is(quiet.code, 0, quiet.stdout + quiet.stderr);
});

test('failback keeps the pair failed over while the DR copy is still written after its final snapshot; once the writers stop, it completes', async () => {
  // A pair failed over (unplanned, the primary up: only the mark matters), with a write on DR.
  const setup = async () => {
    const id = uniq('fb-guard');
    const src = `/it/${id}/data`;
    const dst = `/it-dr/${id}/data`;
    await primary.mkdirs(src);
    for (let i = 0; i < 3; i++) await primary.create(`${src}/f${i}.bin`, randomBytes(4 * KiB));
    const dir = tempDir('fb-guard');
    const file = writePairPolicy(dir, { name: 'pair', src, dst });
    const state = join(dir, 'state');
    const run = (args: string[], h: number, env: Record<string, string> = {}) => hbr([...args, '-f', file, '--state-dir', state, '--concurrency', '1'], { HBR_NOW: at(T0, h), ...env });
    for (const [args, h] of [[['apply', '--auto-approve'], 0], [['failover', '--policy', 'pair', '--unplanned', '--auto-approve'], 0.5]] as const) {
      const r = await run([...args], h);
      assert.is(r.code, 0, r.stdout + r.stderr);
    }
    await dr.create(`${dst}/dr-0.bin`, randomBytes(4 * KiB));
    return { src, dst, dir, run };
  };
  const fb = ['failback', '--policy', 'pair', '--auto-approve'];
  // Where is the failback's last step? A clean run on a first copy says.
  const c0 = await setup();
  const trace = join(c0.dir, 'trace');
  const clean = await c0.run(fb, 1, { HBR_CRASH_TRACE: trace });
  assert.is(clean.code, 0, clean.stdout + clean.stderr);
  const points = readFileSync(trace, 'utf8').trim().split('\n');
  const k = points.findIndex((p) => p.includes('journal:intent replicate.failback')) + 1;
  assert.ok(k > 0, points.join('\n'));

  // A second copy: killed just before the mark goes, then the applications write on DR again.
  const c = await setup();
  const killed = await c.run(fb, 1, { HBR_CRASH_AT: String(k) });
  assert.is(killed.code, null, killed.stdout + killed.stderr);
  await dr.create(`${c.dst}/dr-late.bin`, randomBytes(4 * KiB));
  const refused = await c.run(fb, 1);
  assert.is(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stdout, /its writers still write; stop them and run hbr failback again/);
  const m = failoverMark(c.dst);
  assert.ok((await dr.getXAttrs(m.dir))[m.name], 'the pair stays failed over');

  // The writers stopped: failback again takes a new snapshot, copies the late write, completes.
  const done = await c.run(fb, 1.5);
  assert.is(done.code, 0, done.stdout + done.stderr);
  assert.is((await dr.getXAttrs(m.dir))[m.name], undefined);
  assert.ok(await primary.stat(`${c.src}/dr-late.bin`), 'the late write reached the primary');
  assert.is(await treesIdentical(primary, c.src, dr, c.dst), undefined);
  const p = await hbr(['plan', '-f', join(c.dir, 'pair.yaml'), '--state-dir', join(c.dir, 'state'), '--detailed-exitcode'], { HBR_NOW: at(T0, 1.6) });
  assert.is(p.code, 0, p.stdout + p.stderr);
});


test('a failover mark naming another source (the cluster renamed while failed over) is never ignored: nothing is copied into DR, nothing deleted', async () => {
  const id = uniq('fomark');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await primary.mkdirs(src);
  await primary.create(`${src}/a.bin`, randomBytes(4 * KiB));
  const dir = tempDir('fomark');
  const file = writePairPolicy(dir, { name: 'pair', src, dst, keep: '{ last: 1 }', drKeep: '{ last: 1 }' });
  const state = join(dir, 'state');
  const first = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: at(T0, 0) });
  assert.is(first.code, 0, first.stdout + first.stderr);
  // Failed over under the source's old name, then applications write on DR.
  const m = failoverMark(dst);
  await dr.setXAttr(m.dir, m.name, failoverValue(dst, { cluster: 'prod-old-name', path: src }));
  await dr.create(`${dst}/written-on-dr.bin`, randomBytes(4 * KiB));
  const drFiles = await listFiles(dr, dst);
  const drSnaps = await hbrSnaps(dr, dst);
  const r = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: at(T0, 2) });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, `is failed over from prod-old-name:${src}, not from this policy's source primary:${src}`);
  assert.not.match(r.stdout, /replicate\.|hdfs\.snapshot\.delete/);
  assert.equal(await listFiles(dr, dst), drFiles, "DR's new write is kept");
  assert.equal(await hbrSnaps(dr, dst), drSnaps);
});

test('while failed over, a mass deletion on the writable DR copy is held before the copy back reaches the old primary (max_change)', async () => {
  const id = uniq('fomass');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await primary.mkdirs(src);
  for (let i = 0; i < 10; i++) await primary.create(`${src}/f${i}.bin`, randomBytes(4 * KiB));
  const dir = tempDir('fomass');
  const file = writePairPolicy(dir, { name: 'pair', src, dst });
  const state = join(dir, 'state');
  const run = (args: string[], h: number) => hbr([...args, '-f', file, '--state-dir', state], { HBR_NOW: at(T0, h) });
  const first = await run(['apply', '--auto-approve'], 0);
  assert.is(first.code, 0, first.stdout + first.stderr);
  const fo = await run(['failover', '--policy', 'pair', '--unplanned', '--auto-approve'], 0.5);
  assert.is(fo.code, 0, fo.stdout + fo.stderr);
  // Ransomware or a mistaken cleanup on the copy that is now the writable one.
  for (let i = 0; i < 8; i++) await dr.delete(`${dst}/f${i}.bin`);
  const before = await listFiles(primary, src);
  const r = await run(['apply', '--auto-approve'], 1);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /is held: 8 of 10 files/);
  assert.not.match(r.stdout, /replicate\.distcp-diff/);
  assert.equal(await listFiles(primary, src), before, 'the old primary keeps its files');
});

test.run();
