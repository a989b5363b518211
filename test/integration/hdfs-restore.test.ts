/**
 * `hbr restore hdfs` on the real test bed (issue #11 points 1 and 2; docs/restore.md): a directory
 * deleted by mistake comes back byte-identical from the source's own snapshot, or from the DR side
 * when the source's snapshot is gone; what was written after the snapshot is kept; a second run
 * plans nothing; a restore killed mid-copy converges when run again.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { clusters, hbr, hbrEnv, HBR, listFiles, tempDir, throttledHadoop, treesIdentical, writePairPolicy } from '../helpers/hbr.js';
import { uniq } from '../helpers/testbed.js';

const { primary, dr } = clusters();
const T0 = '2030-01-01T00:00:00.000Z';
const SNAP = 'hbr-20300101T000000Z';
const T1 = '2030-01-01T00:30:00.000Z';

interface PathJson {
  path: string;
  copy: Array<{ path: string; bytes: number }>;
  differ: Array<{ path: string; newer: boolean; action: string }>;
  extra: Array<{ path: string; action: string }>;
  same: number;
}
interface RestoreJson {
  restore: { snapshot: string; from: { side: string; cluster: string }; paths: PathJson[]; files: number; bytes: number };
  noChanges: boolean;
}

async function setup(name: string, files: Record<string, number>): Promise<{ src: string; dst: string; file: string; state: string; dir: string }> {
  const id = uniq(name);
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await primary.mkdirs(src);
  await Promise.all(Object.entries(files).map(([p, size]) => primary.create(`${src}/${p}`, randomBytes(size))));
  const dir = tempDir(name);
  const file = writePairPolicy(dir, { name, src, dst });
  const state = join(dir, 'state');
  const r = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: T0 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  return { src, dst, file, state, dir };
}

/** The plan as JSON (no --auto-approve and no terminal: printed, then refused, nothing done). */
async function restorePlan(s: { file: string; state: string }, policy: string, args: string[]): Promise<RestoreJson> {
  const r = await hbr(['restore', 'hdfs', '-f', s.file, '--state-dir', s.state, '--policy', policy, '--json', ...args], { HBR_NOW: T1 });
  const json = JSON.parse(r.stdout) as RestoreJson;
  if (!json.noChanges) assert.match(r.stderr, /--auto-approve/);
  return json;
}

async function restoreApply(s: { file: string; state: string }, policy: string, args: string[], env: Record<string, string> = {}): Promise<{ plan: RestoreJson; result: { files: number; verified: number; bytesCopied: number } }> {
  const r = await hbr(['restore', 'hdfs', '-f', s.file, '--state-dir', s.state, '--policy', policy, '--json', '--auto-approve', ...args], { HBR_NOW: T1, ...env });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.trim().split('\n');
  const last = lines[lines.length - 1]!;
  return { plan: JSON.parse(lines.slice(0, -1).join('\n')) as RestoreJson, result: JSON.parse(last) as { files: number; verified: number; bytesCopied: number } };
}

const fifty = (dir: string, size = 2000): Record<string, number> =>
  Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${dir}/d${i % 3}/part-${String(i).padStart(3, '0')}`, size + i]));

test('1. a directory of 50 files deleted by mistake: the plan lists exactly them, apply brings them back identical, later writes are kept, a second run plans nothing', async () => {
  const s = await setup('restore-del', { ...fifty('victim'), 'keep/a.txt': 100, 'keep/b.txt': 200 });
  const expected = (await listFiles(primary, `${s.src}/victim`)).sort();
  assert.is(expected.length, 50);
  // After the snapshot: a new file, a rewrite (newer), and the mistake.
  await primary.create(`${s.src}/keep/after.txt`, Buffer.from('written after the snapshot'));
  await primary.create(`${s.src}/keep/a.txt`, Buffer.from('rewritten after the snapshot'), { overwrite: true });
  assert.ok(await primary.delete(`${s.src}/victim`, true));

  const plan = await restorePlan(s, 'restore-del', ['--path', 'victim']);
  assert.is(plan.noChanges, false);
  assert.is(plan.restore.snapshot, SNAP);
  assert.is(plan.restore.from.side, 'source');
  assert.equal(plan.restore.paths[0]!.copy.map((c) => c.path).sort(), expected);
  assert.equal(plan.restore.paths[0]!.differ, []);
  assert.is(plan.restore.bytes, Array.from({ length: 50 }, (_, i) => 2000 + i).reduce((a, b) => a + b, 0));
  assert.ok(!(await primary.stat(`${s.src}/victim`)), 'a plan does nothing');

  const { result } = await restoreApply(s, 'restore-del', ['--path', 'victim']);
  assert.is(result.files, 50);
  assert.is(result.verified, 50);
  assert.is(await treesIdentical(primary, `${s.src}/.snapshot/${SNAP}/victim`, primary, `${s.src}/victim`), undefined);
  assert.is((await primary.open(`${s.src}/keep/after.txt`)).toString(), 'written after the snapshot');
  assert.is((await primary.open(`${s.src}/keep/a.txt`)).toString(), 'rewritten after the snapshot');

  const again = await restorePlan(s, 'restore-del', ['--path', 'victim']);
  assert.is(again.noChanges, true);
  // The whole tree: the rewrite is listed as newer and kept, the new file kept, nothing to copy.
  const whole = await restorePlan(s, 'restore-del', []);
  assert.is(whole.noChanges, true);
  assert.equal(whole.restore.paths[0]!.differ.map((d) => [d.path, d.newer, d.action]), [['keep/a.txt', true, 'keep']]);
  assert.equal(whole.restore.paths[0]!.extra.map((d) => [d.path, d.action]), [['keep/after.txt', 'keep']]);
  const text = await hbr(['restore', 'hdfs', '-f', s.file, '--state-dir', s.state, '--policy', 'restore-del'], { HBR_NOW: T1 });
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /No changes/);
  assert.match(text.stdout, /! keep\/a\.txt .*written after the snapshot/);

  // --overwrite replaces the rewrite (shown as a replace) and deletes what the snapshot lacks.
  const over = await restoreApply(s, 'restore-del', ['--path', 'keep', '--overwrite']);
  assert.equal(over.plan.restore.paths[0]!.differ.map((d) => d.action), ['replace']);
  assert.equal(over.plan.restore.paths[0]!.extra.map((d) => [d.path, d.action]), [['after.txt', 'delete']]);
  assert.is(await treesIdentical(primary, `${s.src}/.snapshot/${SNAP}/keep`, primary, `${s.src}/keep`), undefined);
});

test('--to restores beside the original; a saved plan (--out) is carried out with --plan, refused when stale', async () => {
  const s = await setup('restore-to', fifty('victim', 300));
  const beside = `${s.src.replace(/\/data$/, '')}/restored`;
  const saved = join(s.dir, 'restore.plan');
  const args = ['--path', 'victim', '--to', beside];
  const base = ['restore', 'hdfs', '-f', s.file, '--state-dir', s.state, '--policy', 'restore-to', ...args];
  const out = await hbr([...base, '--out', saved], { HBR_NOW: T1 });
  assert.is(out.code, 0, out.stderr);
  assert.match(out.stdout, /Saved the restore plan/);
  assert.ok(!(await primary.stat(beside)), 'saving a plan does nothing');
  // Someone writes where the restore goes: the saved plan no longer describes it.
  await primary.create(`${beside}/victim/d0/part-000`, Buffer.from('not from the snapshot'));
  const stale = await hbr([...base, '--plan', saved, '--auto-approve'], { HBR_NOW: T1 });
  assert.is(stale.code, 1);
  assert.match(stale.stderr, /stale restore plan/);
  assert.equal(await listFiles(primary, beside), ['victim/d0/part-000'], 'nothing was copied');
  await primary.delete(beside, true);
  const { result } = await restoreApply(s, 'restore-to', [...args, '--plan', saved]);
  assert.is(result.files, 50);
  assert.is(await treesIdentical(primary, `${s.src}/victim`, primary, `${beside}/victim`), undefined);
  assert.is((await restorePlan(s, 'restore-to', ['--path', 'victim', '--to', beside])).noChanges, true);
});

test("2. the source's snapshot pruned: restored from the DR side, identical", async () => {
  const s = await setup('restore-dr', { ...fifty('victim', 1000), 'one.txt': 10 });
  await primary.delete(`${s.src}/victim`, true);
  await primary.deleteSnapshot(s.src, SNAP);
  const plan = await restorePlan(s, 'restore-dr', ['--path', 'victim']);
  assert.is(plan.restore.from.side, 'dr');
  assert.is(plan.restore.paths[0]!.copy.length, 50);
  const { result } = await restoreApply(s, 'restore-dr', ['--path', 'victim']);
  assert.is(result.verified, 50);
  assert.is(await treesIdentical(dr, `${s.dst}/.snapshot/${SNAP}/victim`, primary, `${s.src}/victim`), undefined);
  assert.is((await restorePlan(s, 'restore-dr', ['--path', 'victim'])).noChanges, true);
  // A single file, asked by its absolute path.
  await primary.delete(`${s.src}/one.txt`);
  const one = await restoreApply(s, 'restore-dr', ['--path', `${s.src}/one.txt`, '--from', 'dr']);
  assert.is(one.result.files, 1);
  assert.is(await treesIdentical(dr, `${s.dst}/.snapshot/${SNAP}`, primary, s.src), undefined);
});

test('a restore killed mid-copy converges when run again', async () => {
  const s = await setup('restore-kill', { 'big/a.bin': 8 << 20, 'big/b.bin': 8 << 20, 'big/c.bin': 8 << 20 });
  await primary.delete(`${s.src}/big`, true);
  const slow = throttledHadoop(s.dir, 2);
  const child = spawn(process.execPath, [HBR, 'restore', 'hdfs', '-f', s.file, '--state-dir', s.state, '--policy', 'restore-kill', '--auto-approve'], {
    env: hbrEnv({ HBR_NOW: T1, HBR_HADOOP: slow }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const children = join(s.state, 'children');
  const deadline = Date.now() + 60_000;
  while (!(existsSync(children) && readdirSync(children).length > 0)) {
    assert.ok(Date.now() < deadline, `distcp never started:\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 6000));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  const partial = await treesIdentical(primary, `${s.src}/.snapshot/${SNAP}/big`, primary, `${s.src}/big`).catch(() => 'missing');
  assert.type(partial, 'string', 'the kill landed before the copy finished');

  const { result } = await restoreApply(s, 'restore-kill', ['--path', 'big']);
  assert.ok(result.files >= 1);
  assert.is(await treesIdentical(primary, `${s.src}/.snapshot/${SNAP}/big`, primary, `${s.src}/big`), undefined);
  assert.is((await restorePlan(s, 'restore-kill', ['--path', 'big'])).noChanges, true);
});

test.run();
