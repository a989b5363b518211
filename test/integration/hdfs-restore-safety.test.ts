/**
 * `hbr restore hdfs` safety on the real test bed (issue #11 review; docs/restore.md): the restore
 * takes the ZooKeeper apply lock as `hbr apply` does; it acts only on the destination the plan saw
 * (a change between the plan and the copy is refused, extras are deleted one by one as listed); it
 * removes only its own DistCp leftovers; a failed-over pair restores onto the writable DR copy.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireZkLock } from '../../src/daemon/coordination.js';
import { clusters, hbr, listFiles, tempDir, writePairPolicy } from '../helpers/hbr.js';
import { testbed, uniq } from '../helpers/testbed.js';

const { primary } = clusters();
const tb = testbed();
const T0 = '2030-01-01T00:00:00.000Z';
const T1 = '2030-01-01T00:30:00.000Z';

async function setup(name: string, files: Record<string, number>, extra = ''): Promise<{ src: string; dst: string; file: string; state: string; dir: string }> {
  const id = uniq(name);
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await primary.mkdirs(src);
  await Promise.all(Object.entries(files).map(([p, size]) => primary.create(`${src}/${p}`, randomBytes(size))));
  const dir = tempDir(name);
  const file = writePairPolicy(dir, { name, src, dst });
  if (extra) writeFileSync(file, readFileSync(file, 'utf8').replace('version: 1\n', `version: 1\n${extra}`));
  const state = join(dir, 'state');
  const r = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: T0 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  return { src, dst, file, state, dir };
}

test('4. with the ZooKeeper apply lock held by another holder, hbr restore refuses with the words hbr apply uses, copying nothing', async () => {
  const zkPath = `/hbr-it/${uniq('rlock')}`;
  const s = await setup('restore-lock', { 'victim/a.bin': 1000, 'victim/b.bin': 2000 }, `coordination:\n  zookeeper: { connect: "${tb.HBR_TB_ZK_CONNECT}", path: ${zkPath}, session_timeout: 4s }\n`);
  await primary.delete(`${s.src}/victim`, true);
  const held = await acquireZkLock({ connect: tb.HBR_TB_ZK_CONNECT, path: zkPath, sessionTimeout: 4_000 }, { host: 'elsewhere', pid: 4242, startedAt: Date.now() });
  try {
    const r = await hbr(['restore', 'hdfs', '-f', s.file, '--state-dir', s.state, '--policy', 'restore-lock', '--auto-approve'], { HBR_NOW: T1 });
    const a = await hbr(['apply', '-f', s.file, '--state-dir', s.state, '--auto-approve'], { HBR_NOW: T1 });
    assert.is(a.code, 1, a.stdout + a.stderr);
    assert.is(r.code, 1, r.stdout + r.stderr);
    const said = (x: string) => x.split('\n').find((l) => /apply lock/.test(l));
    assert.ok(said(a.stderr), a.stderr);
    assert.match(a.stderr, /held by hbr pid 4242 on elsewhere/);
    assert.is(said(r.stderr), said(a.stderr));
    assert.equal(await listFiles(primary, s.src), [], 'nothing was copied');
  } finally {
    await held.release();
  }
  // Once released, the same restore runs.
  const ok = await hbr(['restore', 'hdfs', '-f', s.file, '--state-dir', s.state, '--policy', 'restore-lock', '--auto-approve'], { HBR_NOW: T1 });
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  assert.equal((await listFiles(primary, s.src)).sort(), ['victim/a.bin', 'victim/b.bin']);
});

test.run();
