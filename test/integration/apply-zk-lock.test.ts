/**
 * `hbr apply` with `coordination:` holds the ZooKeeper apply lock for as long as it applies, and
 * stops when it loses it (issue 9 item 7): a network cut mid-DistCp must not leave an apply running
 * beside a daemon that may lead by then. The apply drains (nothing new starts), aborts the running
 * step after its grace (half the session timeout), kills DistCp, journals why, exits 1; the next
 * apply rolls the half-copied DR target back and converges.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusters, hbr, snapshotNames, tempDir, throttledHadoop, treesIdentical, writePairPolicy } from '../helpers/hbr.js';
import { recordedChildPids, waitFor } from '../helpers/daemon.js';
import { readJournal as journal } from '../../src/engine/journal.js';
import { testbed, uniq } from '../helpers/testbed.js';
import { zkConnect, zkProxy } from '../helpers/zk.js';

const { primary, dr } = clusters();
const tb = testbed();
const SESSION_MS = 4_000;
const HOUR = 3_600_000;
// In the past: the names hbr writes are history, never the future.
const T0 = Math.floor((Date.now() - 24 * HOUR) / HOUR) * HOUR;
const at = (h: number): string => new Date(T0 + h * HOUR).toISOString();

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Whether the znode exists, through a client of our own. */
async function exists(path: string): Promise<boolean> {
  const c = await zkConnect(tb.HBR_TB_ZK_CONNECT);
  try {
    return await new Promise<boolean>((resolve, reject) => c.exists(path, (e, st) => (e ? reject(e) : resolve(!!st))));
  } finally {
    c.close();
  }
}

test('7. hbr apply loses its ZooKeeper session mid-DistCp (network cut): it drains, aborts the copy, journals why, exits 1; the next apply converges', async () => {
  const id = uniq('lost');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await primary.mkdirs(src);
  await primary.create(`${src}/seed.bin`, randomBytes(256 * 1024));
  const dir = tempDir('lost');
  const state = join(dir, 'state');
  const zkPath = `/hbr-it/${id}`;
  const pair = readFileSync(writePairPolicy(dir, { name: 'lost', src, dst, every: '1h' }), 'utf8');
  const file = join(dir, 'lost.yaml');
  const withConnect = (connect: string) =>
    writeFileSync(file, pair.replace('version: 1\n', `version: 1\ncoordination:\n  zookeeper: { connect: "${connect}", path: ${zkPath}, session_timeout: 4s }\n`));

  // Hour 0: the pair is bootstrapped (quickly). Hour 1: 24 MB more to copy, DistCp at 1 MB/s per
  // map — far longer than the test needs to cut the network under it.
  withConnect(tb.HBR_TB_ZK_CONNECT);
  const first = await hbr(['apply', '--auto-approve', '-f', file, '--state-dir', state], { HBR_NOW: at(0) });
  assert.is(first.code, 0, `${first.stdout}\n${first.stderr}`);
  await Promise.all([0, 1, 2].map((i) => primary.create(`${src}/big-${i}.bin`, randomBytes(8 * 1024 * 1024))));
  const proxy = await zkProxy(tb.HBR_TB_ZK_CONNECT);
  withConnect(proxy.connect);
  const applying = hbr(['apply', '--auto-approve', '-f', file, '--state-dir', state], { HBR_NOW: at(1), HBR_HADOOP: throttledHadoop(dir, 1) });
  const t1 = Date.now();
  const copying = await waitFor('DistCp to be running', () => journal(state).find((r) => r.event === 'intent' && r.kind.startsWith('replicate.') && r.ts >= t1 - 1_000), 90_000, 100);
  const pids = await recordedChildPids(state);
  assert.ok(await exists(`${zkPath}/lock`), 'the apply holds the lock');

  const t0 = Date.now();
  await proxy.close(); // the apply's ZooKeeper connection is cut, for good
  const r = await applying;
  const stoppedMs = Date.now() - t0;
  assert.is(r.code, 1, `exit 1:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /lost the ZooKeeper apply lock/);
  assert.ok(stoppedMs < SESSION_MS + 3_000, `stopped ${stoppedMs} ms after the cut`);

  // The journal says why the step stopped, and nothing started after the lock was lost.
  const recs = journal(state);
  const outcome = recs.find((x) => x.stepId === copying.stepId && x.event !== 'intent' && x.ts >= copying.ts);
  assert.is(outcome?.event, 'failed', JSON.stringify(outcome));
  assert.match(outcome!.error!, /lost the ZooKeeper apply lock/);
  assert.equal(recs.filter((x) => x.event === 'intent' && x.ts > t0).map((x) => x.stepId), [], 'no step started after the cut');
  for (const pid of pids) assert.not.ok(alive(pid), `DistCp (pid ${pid}) was stopped`);
  assert.is((await snapshotNames(dr, dst)).filter((n) => n.startsWith('hbr-')).length, 1, 'the half-copied target got no new hbr snapshot');

  // The cut session's lock goes when the server expires it; then the next apply (reaching
  // ZooKeeper directly) rolls the half-copied target back, copies again and converges.
  await waitFor('the cut session to expire', async () => !(await exists(`${zkPath}/lock`)), SESSION_MS * 3, 200);
  withConnect(tb.HBR_TB_ZK_CONNECT);
  const again = await hbr(['apply', '--auto-approve', '-f', file, '--state-dir', state], { HBR_NOW: at(1.1) });
  assert.is(again.code, 0, `${again.stdout}\n${again.stderr}`);
  const diff = await treesIdentical(primary, src, dr, dst);
  assert.is(diff, undefined, diff);
  assert.equal((await snapshotNames(dr, dst)).filter((n) => n.startsWith('hbr-')), (await snapshotNames(primary, src)).filter((n) => n.startsWith('hbr-')));
  const plan = await hbr(['plan', '-f', file, '--state-dir', state, '--detailed-exitcode'], { HBR_NOW: at(1.2) });
  assert.is(plan.code, 0, `nothing left to do:\n${plan.stdout}${plan.stderr}`);
  console.log(`      the apply exited ${stoppedMs} ms after its ZooKeeper connection was cut (session timeout ${SESSION_MS} ms)`);
});

test.run();
