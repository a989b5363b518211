/**
 * The HDFS slice end to end on the real test bed: `hbr plan` / `hbr apply` against two real HDFS
 * clusters with real DistCp. Each test works under its own unique path. The DR cases (1–5) are
 * test/helpers/dr-cases.ts's, which test/secure/hdfs-dr-secure.test.ts runs on the Kerberized HA bed
 * with DistCp on YARN.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { clusters, hbr, snapshotNames, tempDir, throttledHadoop, writePairPolicy, HBR, hbrEnv } from '../helpers/hbr.js';
import { drCases, T0 } from '../helpers/dr-cases.js';
import { uniq } from '../helpers/testbed.js';

const { primary, dr } = clusters();

drCases(test, {
  primary,
  dr,
  writePolicy: (dir, o) => ({ file: writePairPolicy(dir, o), env: o.slow ? { HBR_HADOOP: throttledHadoop(dir, 4) } : ({} as Record<string, string>) }),
  hbr,
  spawnHbr: (args, env) => spawn(process.execPath, [HBR, ...args], { env: hbrEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }),
});

async function makeTree(dir: string, files: number, size: number, subdirs = 4): Promise<void> {
  await primary.mkdirs(dir);
  await Promise.all(
    Array.from({ length: files }, (_, i) => primary.create(`${dir}/sub${i % subdirs}/part-${String(i).padStart(4, '0')}.bin`, randomBytes(size))),
  );
}

test('apply refuses without a terminal unless --auto-approve, and refuses a stale saved plan', async () => {
  const id = uniq('stale');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await makeTree(src, 2, 1000);
  const dir = tempDir('stale');
  const file = writePairPolicy(dir, { name: 'stale', src, dst });
  const state = join(dir, 'state');

  const noTty = await hbr(['apply', '-f', file, '--state-dir', state], { HBR_NOW: T0 });
  assert.is(noTty.code, 1);
  assert.match(noTty.stderr, /--auto-approve/);
  assert.equal(await primary.getSnapshotList(src).catch(() => []), [], 'nothing was applied');

  const planFile = join(dir, 'saved.plan');
  const p = await hbr(['plan', '-f', file, '--state-dir', state, '--out', planFile], { HBR_NOW: T0 });
  assert.is(p.code, 0, p.stderr);
  // Someone else changes what hbr observed: the saved plan no longer describes the world.
  await primary.allowSnapshot(src);
  await primary.createSnapshot(src, 'someone-else');
  const stale = await hbr(['apply', planFile, '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: T0 });
  assert.is(stale.code, 1);
  assert.match(stale.stderr, /stale plan/);
  assert.equal(await snapshotNames(primary, src), ['someone-else'], 'nothing was applied');

  const p2 = await hbr(['plan', '-f', file, '--state-dir', state, '--out', planFile], { HBR_NOW: T0 });
  assert.is(p2.code, 0);
  const fresh = await hbr(['apply', planFile, '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: T0 });
  assert.is(fresh.code, 0, fresh.stdout + fresh.stderr);
  assert.match(fresh.stdout, /Apply complete/);
});

test.run();
