/**
 * src/daemon/coordination.ts against the test bed's ZooKeeper: one leader among several, the next
 * one takes over when it leaves, the CLI's apply lock and the daemons' leadership exclude each
 * other. (A leader dying without closing — kill -9 — is in daemon-ha.test.ts.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { zookeeperElection, acquireZkLock, ZkLockHeldError, type LeaderElection } from '../../src/daemon/coordination.js';
import { waitFor, sleep } from '../helpers/daemon.js';
import { testbed, uniq } from '../helpers/testbed.js';
import { zkConnect, zkProxy } from '../helpers/zk.js';

const connect = testbed().HBR_TB_ZK_CONNECT;
const cfg = () => ({ connect, path: `/hbr-it/${uniq('coord')}`, sessionTimeout: 4_000 });
const me = (pid: number) => ({ host: 'test', pid, startedAt: Date.now() });
const leaders = (es: LeaderElection[]) => es.filter((e) => e.state === 'leader');

test('one leader among three; it names itself; when it leaves, exactly one other leads', async () => {
  const c = cfg();
  const changes: string[] = [];
  const es = [1, 2, 3].map((i) => {
    const e = zookeeperElection(c, me(i));
    e.onChange((s) => changes.push(`${i}:${s}`));
    return e;
  });
  try {
    es.forEach((e) => e.start());
    await waitFor('a leader', () => leaders(es).length === 1, 15_000, 100);
    await sleep(500);
    assert.is(leaders(es).length, 1, 'still exactly one');
    const first = leaders(es)[0]!;
    const id = await es[2]!.leaderIdentity();
    assert.is(id?.pid, es.indexOf(first) + 1, 'every member sees who leads');
    await first.close();
    assert.is(first.state, 'follower');
    const rest = es.filter((e) => e !== first);
    await waitFor('a new leader', () => leaders(rest).length === 1, 10_000, 100);
    await sleep(500);
    assert.is(leaders(rest).length, 1);
  } finally {
    await Promise.all(es.map((e) => e.close()));
  }
  assert.ok(changes.filter((x) => x.endsWith(':leader')).length === 2, changes.join(' '));
});

test('the apply lock: refused while a daemon leads (naming it); a daemon waits while an apply holds it', async () => {
  const c = cfg();
  const d = zookeeperElection(c, { ...me(101), listen: 'http://127.0.0.1:9464' });
  try {
    d.start();
    await waitFor('the daemon to lead', () => d.state === 'leader', 15_000, 100);
    try {
      await acquireZkLock(c, me(202));
      assert.unreachable('the lock was taken while a daemon leads');
    } catch (err) {
      assert.instance(err, ZkLockHeldError);
      assert.is((err as ZkLockHeldError).holder?.pid, 101);
      assert.match((err as Error).message, /held by hbr pid 101 on test/);
    }
  } finally {
    await d.close();
  }

  // No daemon: the apply takes the lock; a daemon starting now waits, then leads once it is released.
  const lock = await acquireZkLock(c, me(303), { timeoutMs: 5_000 }); // the closed session's lock may take a moment to go
  const d2 = zookeeperElection(c, me(404));
  try {
    d2.start();
    await sleep(2_000);
    assert.is(d2.state, 'follower', 'the daemon does not lead while an apply holds the lock');
    await lock.release();
    await waitFor('the daemon to lead after the apply', () => d2.state === 'leader', 10_000, 100);
  } finally {
    await d2.close();
  }
});

test('the apply lock is watched: onLost when its znode is deleted, when the network is silent or cut (within half the session timeout); never after release()', async () => {
  const c = cfg();
  // 1. The znode deleted under the holder (by hand, or by a server that expired the session).
  const lock = await acquireZkLock(c, me(501));
  const lost: Array<{ why: string; at: number }> = [];
  lock.onLost((why) => lost.push({ why, at: Date.now() }));
  const admin = await zkConnect(connect);
  let t0 = Date.now();
  try {
    await new Promise<void>((resolve, reject) => admin.remove(`${c.path}/lock`, (e) => (e ? reject(e) : resolve())));
  } finally {
    admin.close();
  }
  await waitFor('onLost after the deletion', () => lost.length > 0, 3_000, 20);
  const deleted = lost[0]!.at - t0;
  assert.match(lost[0]!.why, /lock znode .* (is gone|was deleted)/);
  await lock.release();
  assert.is(lost.length, 1, 'reported once');

  // 2. A silent network (the client still believes it is connected) and 3. a cut one: both lost
  // once nothing was heard for half the session timeout, while the session still lives on the
  // server (it expires it no sooner than the whole timeout).
  const took: number[] = [];
  for (const how of ['silent', 'cut'] as const) {
    const proxy = await zkProxy(connect);
    // (a path of its own: the lock of the session cut off before lives on until the server expires it)
    const l = await acquireZkLock({ ...c, path: `${c.path}-${how}`, connect: proxy.connect }, me(502));
    const got: Array<{ why: string; at: number }> = [];
    l.onLost((why) => got.push({ why, at: Date.now() }));
    await sleep(1_500);
    assert.is(got.length, 0, `${how}: not lost while ZooKeeper answers`);
    t0 = Date.now();
    if (how === 'silent') proxy.silent(true);
    else await proxy.close();
    await waitFor(`onLost (${how})`, () => got.length > 0, c.sessionTimeout + 2_000, 20);
    const ms = got[0]!.at - t0;
    took.push(ms);
    assert.ok(ms < c.sessionTimeout, `${how}: lost after ${ms} ms, before the session can expire`);
    assert.match(got[0]!.why, /no answer from ZooKeeper for \d+ ms/);
    const r0 = Date.now();
    await l.release();
    assert.ok(Date.now() - r0 < 4_000, 'release() does not hang on a dead network');
    await proxy.close();
    assert.is(got.length, 1, `${how}: reported once`);
  }

  // 4. Released: never reported lost afterwards.
  const l4 = await acquireZkLock(c, me(504), { timeoutMs: 30_000 });
  const after: string[] = [];
  l4.onLost((why) => after.push(why));
  await l4.release();
  await sleep(c.sessionTimeout);
  assert.equal(after, []);
  console.log(`      onLost: ${deleted} ms after the deletion, ${took[0]} ms into a silence, ${took[1]} ms after a cut (session timeout ${c.sessionTimeout} ms)`);
});

test('no ZooKeeper: acquireZkLock fails clearly within its connect timeout; an election stays follower and can close', async () => {
  const bad = { connect: '127.0.0.1:1', path: '/hbr-it/none', sessionTimeout: 4_000 };
  const t0 = Date.now();
  try {
    await acquireZkLock(bad, me(1), { connectTimeoutMs: 1_500 });
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /no ZooKeeper at 127\.0\.0\.1:1 within 2s/);
  }
  assert.ok(Date.now() - t0 < 5_000);
  const e = zookeeperElection(bad, me(2));
  e.start();
  await sleep(1_000);
  assert.is(e.state, 'follower');
  await e.close();
});

test.run();
