/**
 * The mass-change hold of an Ozone DR pair (docs/ozone.md, "Mass deletion or rewrite on the
 * source"), end to end against two real single-node Ozone 2.2.0 clusters (the shared pair, sharedOzones): most
 * keys of a source bucket deleted after the pair is in sync → `hbr plan` holds the pair, `hbr
 * apply` (over several simulated hours, so retention would age the good snapshots out) deletes
 * nothing on DR, and `--allow-overwrite` carries the change as a `-/+` replace.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { at, hbr, tempDir } from '../helpers/hbr.js';
import { ozSnap as snap, snapshots, sharedOzones, tree, writeOzonePolicy, type Ozone } from '../helpers/ozone.js';
import { uniq } from '../helpers/testbed.js';

let primary: Ozone;
let dr: Ozone;
const T0 = '2030-01-01T00:00:00.000Z';

test.before(async () => {
  [primary, dr] = await sharedOzones();
});

async function run(cmd: 'plan' | 'apply', file: string, state: string, now: string, extra: string[] = []): Promise<{ code: number | null; out: string }> {
  const args = cmd === 'plan' ? ['--detailed-exitcode'] : ['--auto-approve'];
  const r = await hbr([cmd, '-f', file, '--state-dir', state, ...args, ...extra], { HBR_NOW: now });
  return { code: r.code, out: r.stdout + r.stderr };
}

test('most keys of a source bucket deleted or rewritten after the pair is in sync: held, nothing deleted on DR over three hours, then -/+ with --allow-overwrite', async () => {
  const volume = 'vol-mass';
  const bucket = uniq('mass').toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const path = `/${volume}/${bucket}`;
  const p = primary.client;
  assert.ok(await p.mkdirs(path));
  for (let i = 0; i < 8; i++) await p.create(`${path}/k${i}.bin`, randomBytes(2_000 + i));
  for (let i = 0; i < 4; i++) await p.create(`${path}/dir/d${i}.txt`, Buffer.from(`key ${i}`));
  const dir = tempDir('ozone-mass');
  const file = writeOzonePolicy(dir, primary, dr, { name: 'mass', volume, bucket, keep: '{ last: 2 }', drKeep: '{ last: 2 }' });
  const state = join(dir, 'state');

  const boot = await run('apply', file, state, T0);
  assert.is(boot.code, 0, boot.out);
  const good = await tree(dr.client, path);
  assert.equal(good, await tree(p, path));
  assert.is(Object.keys(good).length, 12);
  assert.equal(await snapshots(dr.client, path), [snap(T0)]);

  // The loss: 6 of the 8 top-level keys and the whole directory (4 keys) deleted, one key rewritten
  for (let i = 0; i < 6; i++) assert.ok(await p.delete(`${path}/k${i}.bin`));
  assert.ok(await p.delete(`${path}/dir`, true));
  await p.create(`${path}/k7.bin`, Buffer.from('encrypted by ransomware'), { overwrite: true });

  const t1 = at(T0, 1);
  const held = await run('plan', file, state, t1);
  assert.is(held.code, 1, held.out);
  assert.match(held.out, /11 of 12 files \(91\.7%: 10 deleted, 1 rewritten\) changed on oz-src:\S+ since hbr-20300101t000000z, more than max_change 50%/);
  assert.match(held.out, new RegExp(`--allow-overwrite oz-tgt:${path}`));
  assert.not.match(held.out, /ozone\.replicate\.diff/);

  // Three hours of applies: retention (keep last 2) would age the good snapshot out on both sides
  for (const h of [1, 2, 3]) await run('apply', file, state, at(T0, h));
  assert.equal(await tree(dr.client, path), good, 'every DR key is still there, unchanged');
  assert.equal(await snapshots(dr.client, path), [snap(T0)], 'no DR snapshot was removed');
  assert.ok((await snapshots(p, path)).includes(snap(T0)), 'the common snapshot is kept on the source');

  const t4 = at(T0, 4);
  const allowed = await run('plan', file, state, t4, ['--allow-overwrite', `oz-tgt:${path}`]);
  assert.match(allowed.out, /-\/\+ ozone\.replicate\.diff/, allowed.out);
  assert.match(allowed.out, /REPLACES most of the target/);
  const res = await run('apply', file, state, t4, ['--allow-overwrite', `oz-tgt:${path}`]);
  assert.is(res.code, 0, res.out);
  assert.equal(await tree(dr.client, path), await tree(p, path));
  assert.is(Object.keys(await tree(dr.client, path)).length, 2);
  // the decision made, the source's retention held back meanwhile catches up (keep last 2); DR keeps its last 2
  const after = await run('plan', file, state, at(T0, 4.5));
  assert.is(after.code, 2, after.out);
  const steps = after.out.match(/^\s*(-\/\+|[-~+]) ozone\.\S+\s+\S+/gm)?.map((l) => l.trim().replace(/\s+/g, ' ').replace(/@.*/, ''));
  assert.equal(steps, Array(3).fill(`- ozone.snapshot.delete oz-src:${path}`), after.out);
  assert.is((await run('apply', file, state, at(T0, 4.5))).code, 0);
  assert.equal(await snapshots(p, path), [snap(at(T0, 3)), snap(t4)]);
  assert.equal(await snapshots(dr.client, path), [snap(T0), snap(t4)]);
  assert.is((await run('plan', file, state, at(T0, 4.6))).code, 0);
});

test('a directory holding most keys deleted while as many new keys are written elsewhere: still held (the key count does not drop)', async () => {
  const volume = 'vol-mass';
  const bucket = uniq('massdir').toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const path = `/${volume}/${bucket}`;
  const p = primary.client;
  assert.ok(await p.mkdirs(path));
  for (let i = 0; i < 2; i++) await p.create(`${path}/k${i}.bin`, randomBytes(1_000 + i));
  for (let i = 0; i < 10; i++) await p.create(`${path}/a/d${i}.txt`, Buffer.from(`key ${i}`));
  const dir = tempDir('ozone-mass-dir');
  const file = writeOzonePolicy(dir, primary, dr, { name: 'massdir', volume, bucket, keep: '{ last: 2 }', drKeep: '{ last: 2 }' });
  const state = join(dir, 'state');
  assert.is((await run('apply', file, state, T0)).code, 0);
  const good = await tree(dr.client, path);
  assert.is(Object.keys(good).length, 12);

  // ./a (10 of the 12 keys) deleted as one directory, 10 new keys written under ./junk
  assert.ok(await p.delete(`${path}/a`, true));
  for (let i = 0; i < 10; i++) await p.create(`${path}/junk/j${i}.bin`, randomBytes(3_000 + i));

  const held = await run('plan', file, state, at(T0, 1));
  assert.is(held.code, 1, held.out);
  assert.match(held.out, /10 of 12 files \(83\.3%: 10 deleted, 0 rewritten\) changed on oz-src:\S+ since hbr-20300101t000000z, more than max_change 50%/);
  assert.not.match(held.out, /ozone\.replicate\.diff/);
  assert.is((await run('apply', file, state, at(T0, 1))).code, 1);
  assert.equal(await tree(dr.client, path), good, 'the DR copy of ./a is untouched');
});

test.run();
