/**
 * src/daemon/coordination.ts against the test bed's real ZooKeeper (tickTime 2 s, so 4 s is the
 * shortest session): one leader among three and no herd of watches; a clean handover on close();
 * a leader killed with SIGKILL is replaced only once its session expires; the CLI's apply lock and
 * the daemons' leadership exclude each other; a dropped connection suspends the leader and the same
 * session resumes; a silent network makes the leader step down before anyone else can lead; digest
 * ACLs with HBR_ZK_COORD_AUTH. Every test works under its own znode path.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import zookeeper from 'node-zookeeper-client';
import { acquireZkLock, zookeeperElection, ZkLockHeldError, type Identity, type LeaderElection, type LeaderState } from '../../src/daemon/coordination.js';
import { sleep, waitFor } from '../helpers/daemon.js';
import { repoRoot, testbed, uniq } from '../helpers/testbed.js';
import { zkChildren, zkConnect, zkGet, zkProxy } from '../helpers/zk.js';

const tb = testbed();
const SESSION_MS = 4_000;
const root = `/hbr-test/${uniq('zkcoord')}`;
const cfgFor = (name: string, connect = tb.HBR_TB_ZK_CONNECT) => ({ connect, path: `${root}/${name}`, sessionTimeout: SESSION_MS });
const id = (pid: number, host = 'test'): Identity => ({ host, pid, startedAt: Date.now() });
const AUTH = `hbrtest:${uniq('pw')}`;

// ------------------------------------------------------------------------------------ helpers

interface Member {
  e: LeaderElection;
  pid: number;
  /** every state change, with when it happened */
  changes: Array<{ state: LeaderState; why: string; at: number }>;
  logs: string[];
}

const members: Member[] = [];
const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

function elect(cfg: ReturnType<typeof cfgFor>, me: Identity): Member {
  const m: Member = { e: undefined as unknown as LeaderElection, pid: me.pid, changes: [], logs: [] };
  m.e = zookeeperElection(cfg, me, (level, msg) => m.logs.push(`${level}: ${msg}`));
  m.e.onChange((state, why) => m.changes.push({ state, why, at: Date.now() }));
  m.e.start();
  members.push(m);
  return m;
}

const leaders = (ms: Member[]) => ms.filter((m) => m.e.state === 'leader');
const firstAt = (m: Member, state: LeaderState, after = 0) => m.changes.find((c) => c.state === state && c.at >= after)?.at;

async function withClient<T>(fn: (c: zookeeper.Client) => Promise<T>, auth?: string): Promise<T> {
  const c = await zkConnect(tb.HBR_TB_ZK_CONNECT);
  if (auth) c.addAuthInfo('digest', Buffer.from(auth));
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

const electionOf = (cfg: ReturnType<typeof cfgFor>) => withClient(async (c) => (await zkChildren(c, `${cfg.path}/election`)).sort());

/** Watches per znode path, from the AdminServer (wchp): who is woken by what. */
async function watchesByPath(): Promise<Record<string, number[]>> {
  const res = await fetch(`${tb.HBR_TB_ZK_ADMIN}/commands/watches_by_path`, { signal: AbortSignal.timeout(3_000) });
  return ((await res.json()) as { path_to_session_ids: Record<string, number[]> }).path_to_session_ids;
}

test.before(async () => {
  // Open parent znodes, so the digest-ACL test below creates only its own subtree.
  await withClient((c) => new Promise<void>((resolve, reject) => c.mkdirp(root, (e) => (e ? reject(e) : resolve()))));
});

test.after(async () => {
  await Promise.all(members.map((m) => m.e.close()));
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const f of cleanups) await f();
  // The digest user may delete everything here: the open znodes and its own. (The library's
  // removeRecursive lists only one level: it fails with NOT_EMPTY on deeper trees.)
  await withClient(async (c) => {
    const rm = async (p: string): Promise<void> => {
      for (const k of await zkChildren(c, p).catch(() => [] as string[])) await rm(`${p}/${k}`);
      await new Promise<void>((r) => c.remove(p, () => r()));
    };
    await rm(root);
  }, AUTH);
});

// --------------------------------------------------------------------------------------- tests

test('1. three elections on one path: exactly one leader; leaderIdentity() names it; only predecessors are watched', async () => {
  const cfg = cfgFor('three');
  const ms = [1, 2, 3].map((i) => elect(cfg, id(1000 + i)));
  const t0 = Date.now();
  await waitFor('a leader', () => leaders(ms).length === 1, 10_000, 20);
  const took = Date.now() - t0;
  await sleep(1_000); // let the others settle, and a second leader show if there were one
  assert.equal(ms.map((m) => m.e.state).sort(), ['follower', 'follower', 'leader']);
  const leader = leaders(ms)[0]!;
  for (const m of ms) assert.is((await m.e.leaderIdentity())?.pid, leader.pid, `member ${m.pid} sees the leader`);
  for (const m of ms) assert.not.ok(m.changes.some((c) => c.state === 'leader') && m !== leader, `${m.pid} never led`);

  // The znodes: three election members, the lock with the leader's identity.
  const nodes = await electionOf(cfg);
  assert.is(nodes.length, 3);
  assert.ok(nodes.every((n) => /^n_\d{10}$/.test(n)), nodes.join(' '));
  const lock = await withClient((c) => zkGet(c, `${cfg.path}/lock`));
  assert.is((JSON.parse(lock.data.toString()) as Identity).pid, leader.pid);

  // No herd: nobody watches the election's children; each member is watched by the one behind it
  // only (the first also by itself, to notice losing its place); the lock by its holder.
  const w = await watchesByPath();
  assert.is(w[`${cfg.path}/election`]?.length ?? 0, 0, 'no child watch on the election');
  assert.equal(nodes.map((n) => w[`${cfg.path}/election/${n}`]?.length ?? 0), [2, 1, 0], 'watchers per member, lowest first');
  assert.is(w[`${cfg.path}/lock`]?.length ?? 0, 1, 'the lock is watched by its holder');
  console.log(`      leader after ${took} ms`);
});

test('2. close() of the leader: its znodes go at once, another leads within seconds, still exactly one', async () => {
  const cfg = cfgFor('handover');
  const ms = [1, 2, 3].map((i) => elect(cfg, id(2000 + i)));
  await waitFor('a leader', () => leaders(ms).length === 1, 10_000, 20);
  await sleep(500);
  const first = leaders(ms)[0]!;
  const t0 = Date.now();
  await first.e.close();
  const closedIn = Date.now() - t0;
  assert.is(first.e.state, 'follower');
  await first.e.close(); // idempotent
  assert.is((await electionOf(cfg)).length, 2, 'its election znode is deleted by close()');
  assert.is(await first.e.leaderIdentity(), undefined, 'a closed election knows no leader');

  const rest = ms.filter((m) => m !== first);
  await waitFor('a new leader', () => leaders(rest).length === 1, 5_000, 20);
  const took = Date.now() - t0;
  await sleep(1_000);
  assert.is(leaders(rest).length, 1, 'exactly one');
  assert.is(leaders(ms).length, 1);
  const next = leaders(rest)[0]!;
  for (const m of rest) assert.is((await m.e.leaderIdentity())?.pid, next.pid);
  assert.ok(took < 3_000, `handover took ${took} ms`);
  console.log(`      close() in ${closedIn} ms; next leader ${took} ms after close() began`);
});

test('3. the leader dies (SIGKILL, no close): the other leads only after the dead session expires', async () => {
  const cfg = cfgFor('crash');
  // A separate process joins and leads; SIGKILL leaves its znodes to the session timeout.
  const dir = mkdtempSync(join(tmpdir(), 'hbr-zkcoord-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'member.mjs');
  writeFileSync(
    script,
    `const { zookeeperElection } = await import(process.env.COORD_MODULE);
const e = zookeeperElection(JSON.parse(process.env.COORD_CFG), { host: 'child', pid: process.pid, startedAt: Date.now() }, (l, m) => console.error(l + ': ' + m));
e.onChange((s) => console.log('state ' + s));
e.start();
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: repoRoot,
    env: { ...process.env, COORD_MODULE: pathToFileURL(join(repoRoot, 'src', 'daemon', 'coordination.ts')).href, COORD_CFG: JSON.stringify(cfg) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await waitFor('the child to lead', () => out.includes('state leader'), 20_000, 50).catch((err: Error) => {
    throw new Error(`${err.message}\n${out}`);
  });

  const b = elect(cfg, id(3002));
  await waitFor('B to join', async () => (await b.e.leaderIdentity())?.pid === child.pid, 10_000, 50);
  await sleep(1_000);
  assert.is(b.e.state, 'follower', 'B follows while the child leads');

  const killedAt = Date.now();
  child.kill('SIGKILL');
  await exited;
  await sleep(500);
  assert.is(b.e.state, 'follower', 'not leader right after the kill: the dead session still holds the lock');
  assert.is((await b.e.leaderIdentity())?.pid, child.pid, 'the lock still names the dead leader');
  await sleep(2_000 - (Date.now() - killedAt));
  // The server expires a session no sooner than the timeout after it last heard from it (the
  // client pings every third of it): not before ~2.7 s.
  assert.is(b.e.state, 'follower', 'not leader 2 s after the kill');

  await waitFor('B to lead', () => b.e.state === 'leader', SESSION_MS + 10_000, 20);
  const took = Date.now() - killedAt;
  assert.is((await b.e.leaderIdentity())?.pid, 3002);
  assert.is((await electionOf(cfg)).length, 1, 'the dead member is gone from the election');
  assert.is(b.changes.filter((c) => c.state === 'leader').length, 1);
  console.log(`      B led ${(took / 1000).toFixed(1)} s after the kill (session timeout ${SESSION_MS / 1000} s)`);
});

test('4. acquireZkLock: refused naming the leader; taken when no daemon leads; a daemon then waits until it is released', async () => {
  const cfg = cfgFor('cli');
  const d = elect(cfg, { ...id(4001, 'daemon-host'), listen: 'http://127.0.0.1:9464' });
  await waitFor('the daemon to lead', () => d.e.state === 'leader', 10_000, 20);

  // At once (timeoutMs 0 by default): refused, naming the holder.
  let t0 = Date.now();
  let err = await acquireZkLock(cfg, id(4002, 'cli-host')).then(() => undefined, (e: unknown) => e);
  assert.instance(err, ZkLockHeldError);
  assert.is((err as ZkLockHeldError).holder?.pid, 4001);
  assert.is((err as ZkLockHeldError).holder?.listen, 'http://127.0.0.1:9464');
  assert.match((err as Error).message, `the ZooKeeper apply lock ${cfg.path}/lock is held by hbr pid 4001 on daemon-host`);
  assert.ok(Date.now() - t0 < 2_000, 'fails fast');
  // With a timeout: it waits that long for the lock, then gives up the same way.
  t0 = Date.now();
  err = await acquireZkLock(cfg, id(4003, 'cli-host'), { timeoutMs: 1_000 }).then(() => undefined, (e: unknown) => e);
  const waited = Date.now() - t0;
  assert.instance(err, ZkLockHeldError);
  assert.ok(waited >= 1_000 && waited < 3_000, `waited ${waited} ms`);
  assert.is(d.e.state, 'leader', 'the daemon was never disturbed');
  await d.e.close();

  // No daemon: the lock is free at once (close() deleted it) and the CLI takes it.
  const lock = await acquireZkLock(cfg, id(4004, 'cli-host'));
  assert.is(lock.holder.pid, 4004);
  const d2 = elect(cfg, id(4005));
  await waitFor('the daemon to see the CLI as holder', async () => (await d2.e.leaderIdentity())?.pid === 4004, 5_000, 20);
  await sleep(1_500);
  assert.is(d2.e.state, 'follower', 'the daemon does not lead while an apply holds the lock');
  assert.ok(d2.changes.every((c) => c.state !== 'leader'));
  err = await acquireZkLock(cfg, id(4006, 'cli-host')).then(() => undefined, (e: unknown) => e);
  assert.is((err as ZkLockHeldError).holder?.pid, 4004, 'a second apply is refused, naming the first');

  t0 = Date.now();
  await lock.release();
  await lock.release(); // idempotent
  await waitFor('the daemon to lead after the apply', () => d2.e.state === 'leader', 5_000, 20);
  const took = Date.now() - t0;

  // A CLI that may wait gets the lock as soon as the daemon leaves.
  const pending = acquireZkLock(cfg, id(4007, 'cli-host'), { timeoutMs: 10_000 });
  await sleep(500);
  t0 = Date.now();
  await d2.e.close();
  const lock2 = await pending;
  const took2 = Date.now() - t0;
  assert.is(lock2.holder.pid, 4007);
  assert.is(await withClient(async (c) => (JSON.parse((await zkGet(c, `${cfg.path}/lock`)).data.toString()) as Identity).pid), 4007);
  await lock2.release();
  console.log(`      daemon led ${took} ms after release(); a waiting CLI took the lock ${took2} ms after the daemon's close()`);
});

test('5. a dropped connection: the leader is suspended, then leads again in the same session; nobody else leads meanwhile', async () => {
  const proxy = await zkProxy(tb.HBR_TB_ZK_CONNECT);
  cleanups.push(() => proxy.close());
  const cfg = cfgFor('reconnect');
  const a = elect({ ...cfg, connect: proxy.connect }, id(5001));
  await waitFor('A to lead', () => a.e.state === 'leader', 10_000, 20);
  const b = elect(cfg, id(5002));
  await waitFor('B to join', async () => (await electionOf(cfg)).length === 2, 5_000, 20);
  const before = await electionOf(cfg);

  const t0 = Date.now();
  proxy.drop();
  await waitFor('A to be suspended', () => firstAt(a, 'suspended', t0), 2_000, 5);
  await waitFor('A to lead again', () => firstAt(a, 'leader', t0), SESSION_MS, 20);
  assert.is(a.e.state, 'leader');
  assert.equal(a.changes.filter((c) => c.at >= t0).map((c) => c.state), ['suspended', 'leader'], 'never a follower: its steps would have been aborted');
  assert.equal(await electionOf(cfg), before, 'the same election znodes: the session survived');
  assert.is(b.e.state, 'follower');
  assert.ok(b.changes.every((c) => c.state !== 'leader'), 'B never led');
  assert.is((await b.e.leaderIdentity())?.pid, 5001);
  console.log(`      suspended for ${firstAt(a, 'leader', t0)! - firstAt(a, 'suspended', t0)!} ms`);
});

test('6. a silent network: the leader suspends, then steps down before the server can let another lead; it rejoins as follower', async () => {
  const proxy = await zkProxy(tb.HBR_TB_ZK_CONNECT);
  cleanups.push(() => proxy.close());
  const cfg = cfgFor('silent');
  const a = elect({ ...cfg, connect: proxy.connect }, id(6001));
  await waitFor('A to lead', () => a.e.state === 'leader', 10_000, 20);
  const b = elect(cfg, id(6002));
  await waitFor('B to join', async () => (await electionOf(cfg)).length === 2, 5_000, 20);

  const t0 = Date.now();
  proxy.silent(true); // A's socket stays open; nothing gets through
  await waitFor('B to lead', () => b.e.state === 'leader', SESSION_MS + 10_000, 20);
  const suspendedAt = firstAt(a, 'suspended', t0);
  const stoppedAt = firstAt(a, 'follower', t0);
  const bLeadAt = firstAt(b, 'leader', t0)!;
  assert.ok(suspendedAt, 'A was suspended');
  assert.ok(stoppedAt, 'A stepped down');
  assert.ok(suspendedAt! - t0 <= SESSION_MS / 2 + 500, `suspended after ${suspendedAt! - t0} ms`);
  assert.ok(stoppedAt! < bLeadAt, `A stepped down (${stoppedAt! - t0} ms) before B led (${bLeadAt - t0} ms)`);
  assert.ok(a.logs.some((l) => /presumed expired/.test(l)), a.logs.join('\n'));

  // The network heals: A comes back with a new session, behind B.
  proxy.silent(false);
  proxy.drop();
  await waitFor('A to rejoin', async () => (await a.e.leaderIdentity())?.pid === 6002 && (await electionOf(cfg)).length === 2, 15_000, 100);
  assert.is(a.e.state, 'follower');
  assert.is(leaders([a, b]).length, 1);
  console.log(`      A suspended at ${suspendedAt! - t0} ms, stepped down at ${stoppedAt! - t0} ms; B led at ${bLeadAt - t0} ms; A rejoined ${Date.now() - t0} ms after the silence began`);
});

test('7. HBR_ZK_COORD_AUTH: znodes carry a digest ACL for that user only; the password is never logged', async () => {
  const cfg = cfgFor('auth');
  const saved = process.env.HBR_ZK_COORD_AUTH;
  process.env.HBR_ZK_COORD_AUTH = AUTH;
  let m: Member;
  try {
    m = elect(cfg, id(7001));
    await waitFor('the daemon to lead', () => m.e.state === 'leader', 10_000, 20);
    // The CLI with the same credentials reads the holder; without them it cannot.
    const err = await acquireZkLock(cfg, id(7002)).then(() => undefined, (e: unknown) => e);
    assert.is((err as ZkLockHeldError).holder?.pid, 7001);
  } finally {
    if (saved === undefined) delete process.env.HBR_ZK_COORD_AUTH;
    else process.env.HBR_ZK_COORD_AUTH = saved;
  }
  assert.is((await m.e.leaderIdentity())?.pid, 7001);
  // (reading an ACL takes READ permission itself: ask as the digest user; the library's ACL has
  // `permission`, though its type definitions say `perms`)
  const acls = await withClient(
    (c) => new Promise<Array<{ permission: number; id: { scheme: string; id: string } }>>((resolve, reject) => c.getACL(`${cfg.path}/lock`, (e, a) => (e ? reject(e) : resolve(a as never)))),
    AUTH,
  );
  assert.equal(acls.map((a) => [a.id.scheme, a.id.id.split(':')[0], a.permission]), [['digest', 'hbrtest', zookeeper.Permission.ALL]]);
  const noAuth = await withClient((c) => zkGet(c, `${cfg.path}/lock`).then(() => 'read', (e: { code?: number }) => e.code));
  assert.is(noAuth, zookeeper.Exception.NO_AUTH, 'a client without the credentials cannot read the lock');
  const password = AUTH.slice(AUTH.indexOf(':') + 1);
  assert.ok(m.logs.some((l) => l.includes('hbrtest')), m.logs.join('\n'));
  assert.not.ok(m.logs.some((l) => l.includes(password)), 'the password is not in the log');
});

test.run();
