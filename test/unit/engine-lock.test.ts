/**
 * The local lock: exclusive, refuses a live holder, takes over a dead one's (also when several
 * processes race for it), and survives kill -9 of its holder together with the journal.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJournal, readUnfinished } from '../../src/engine/journal.js';
import { acquireLock, lockPath, LockHeldError } from '../../src/engine/lock.js';
import { deadPid, tempDir } from '../fixtures/engine-helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => join(root, 'test', 'fixtures', name);

test('acquire: makes the state dir (mode 0700) and a lock holding pid, host, start and command', () => {
  const state = join(tempDir(), 'a', 'b');
  const before = Date.now();
  const lock = acquireLock(state, 'hbr apply --auto-approve');
  assert.is(statSync(state).mode & 0o777, 0o700);
  assert.is(lock.path, lockPath(state));
  const info = JSON.parse(readFileSync(lock.path, 'utf8'));
  assert.equal(Object.keys(info).sort(), ['command', 'host', 'pid', 'startedAt']);
  assert.is(info.pid, process.pid);
  assert.is(info.host, hostname());
  assert.is(info.command, 'hbr apply --auto-approve');
  assert.ok(info.startedAt >= before && info.startedAt <= Date.now());
  assert.equal(readdirSync(state), ['lock'], 'no temp file left beside it');
  lock.release();
  assert.not.ok(existsSync(lock.path));
  lock.release(); // idempotent
});

test('a second holder is refused with a clear LockHeldError naming the first', () => {
  const state = tempDir();
  const lock = acquireLock(state, 'hbr apply');
  try {
    acquireLock(state, 'hbr apply again');
    assert.unreachable('second acquire must throw');
  } catch (err) {
    assert.instance(err, LockHeldError);
    const e = err as LockHeldError;
    assert.match(e.message, `another hbr (pid ${process.pid} on ${hostname()}, started at ${new Date(lock.info.startedAt).toISOString()}, command "hbr apply") holds ${lock.path}`);
    assert.is(e.holder.pid, process.pid);
    assert.is(e.path, lock.path);
  }
  assert.is(JSON.parse(readFileSync(lock.path, 'utf8')).command, 'hbr apply', 'the lock is untouched');
  lock.release();
  acquireLock(state, 'now free').release();
});

test('a lock held by another live process is refused', () => {
  const state = tempDir();
  writeFileSync(lockPath(state), JSON.stringify({ pid: process.ppid, host: hostname(), startedAt: 0, command: 'parent' }));
  assert.throws(() => acquireLock(state, 'x'), (e: Error) => e instanceof LockHeldError && e.message.includes(`pid ${process.ppid}`));
});

test('release removes only our own lock', () => {
  const state = tempDir();
  const lock = acquireLock(state, 'hbr apply');
  const other = JSON.stringify({ pid: process.pid, host: hostname(), startedAt: lock.info.startedAt + 1, command: 'someone else' });
  writeFileSync(lock.path, other);
  lock.release();
  assert.is(readFileSync(lock.path, 'utf8'), other, 'not ours any more: left alone');
});

test('a lock left by a dead process of this host is taken over', () => {
  const state = tempDir();
  const dead = deadPid();
  writeFileSync(lockPath(state), JSON.stringify({ pid: dead, host: hostname(), startedAt: 0, command: 'crashed' }));
  const lock = acquireLock(state, 'hbr apply');
  assert.is(JSON.parse(readFileSync(lock.path, 'utf8')).pid, process.pid);
  assert.equal(readdirSync(state), ['lock'], 'takeover claims are cleaned up');
  lock.release();
  assert.not.ok(existsSync(lock.path));
});

test('a lock naming our own pid that we did not take is a reused pid (container restart): taken over', () => {
  const state = tempDir();
  writeFileSync(lockPath(state), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: 1, command: 'before the restart' }));
  const lock = acquireLock(state, 'hbr apply');
  assert.is(JSON.parse(readFileSync(lock.path, 'utf8')).command, 'hbr apply');
  // ...but a lock this process does hold is refused, however its state dir is spelled
  assert.throws(() => acquireLock(join(state, '.', '..', state.split('/').pop()!), 'again'), (e: Error) => e instanceof LockHeldError);
  lock.release();
});

test('a lock of another host is never judged stale, even with a pid dead here', () => {
  const state = tempDir();
  writeFileSync(lockPath(state), JSON.stringify({ pid: deadPid(), host: `not-${hostname()}`, startedAt: 0, command: 'remote' }));
  assert.throws(() => acquireLock(state, 'x'), (e: Error) => e instanceof LockHeldError && e.message.includes(`on not-${hostname()}`));
});

test('an unreadable lock (garbage, empty, pid 0 or negative) is left-over junk and taken over', () => {
  for (const junk of ['', '{"pid":', 'null', JSON.stringify({ pid: 0, host: hostname() }), JSON.stringify({ pid: -1, host: hostname() })]) {
    const state = tempDir();
    writeFileSync(lockPath(state), junk);
    const lock = acquireLock(state, 'hbr apply');
    assert.is(JSON.parse(readFileSync(lock.path, 'utf8')).pid, process.pid, `took over ${JSON.stringify(junk)}`);
    lock.release();
  }
});

test('a takeover claim left by a process that died mid-takeover does not wedge the lock', () => {
  const state = tempDir();
  const stale = JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: 0, command: 'crashed' });
  writeFileSync(lockPath(state), stale);
  // The first claimant died holding the claim to this stale lock (claims are named by its hash).
  const claim = `${lockPath(state)}.takeover-${createHash('sha256').update(Buffer.from(stale)).digest('hex').slice(0, 16)}`;
  writeFileSync(claim, JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: 0, command: 'died taking over' }));
  // ... and left a temp file behind
  writeFileSync(`${lockPath(state)}.${deadPid()}.abc123.tmp`, '');
  const lock = acquireLock(state, 'hbr apply');
  assert.is(JSON.parse(readFileSync(lock.path, 'utf8')).pid, process.pid);
  assert.equal(readdirSync(state), ['lock'], 'the dead claim and temp file are swept');
  lock.release();
});

test('several processes racing for the same stale lock: exactly one wins', async () => {
  const N = 6;
  for (let round = 0; round < 2; round++) {
    const state = tempDir();
    writeFileSync(lockPath(state), JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: 0, command: 'crashed' }));
    const startAt = Date.now() + 2500; // after every contender has loaded
    const outs = await Promise.all(
      Array.from(
        { length: N },
        () =>
          new Promise<string>((resolve) => {
            const c = spawn(process.execPath, ['--import', 'tsx', fixture('engine-lock-race.ts'), state, String(startAt), '300'], { cwd: root });
            let out = '';
            c.stdout.on('data', (d) => (out += d));
            c.stderr.on('data', (d) => (out += d));
            c.on('close', () => resolve(out.trim()));
          }),
      ),
    );
    const results = outs.map((o) => {
      try {
        return JSON.parse(o) as { won: boolean; intact?: boolean; from?: number; to?: number; error?: string };
      } catch {
        throw new Error(`a contender did not report: ${o}`);
      }
    });
    const winners = results.filter((r) => r.won).sort((a, b) => a.from! - b.from!);
    assert.ok(winners.length >= 1, JSON.stringify(results));
    for (const w of winners) assert.ok(w.intact, `a winner lost its lock while holding it: ${JSON.stringify(results)}`);
    // A contender that only got going after the winner had released may win too: never two at once.
    for (let i = 1; i < winners.length; i++) assert.ok(winners[i]!.from! >= winners[i - 1]!.to!, `two held it at once: ${JSON.stringify(results)}`);
    for (const l of results.filter((r) => !r.won)) assert.match(l.error!, /^LockHeldError: another hbr \(pid \d+/);
    assert.not.ok(existsSync(lockPath(state)), 'released at the end');
    assert.equal(readdirSync(state), [], 'nothing left beside it');
  }
});

test('kill -9 mid-step: the intent is unfinished and the next run takes the lock over', () => {
  const state = tempDir();
  const r = spawnSync(process.execPath, ['--import', 'tsx', fixture('engine-crash.ts'), state], { cwd: root, encoding: 'utf8' });
  assert.is(r.signal, 'SIGKILL', r.stderr);
  assert.is(r.stdout, 'intent written\n');
  const left = JSON.parse(readFileSync(lockPath(state), 'utf8'));
  assert.is(left.pid, r.pid, 'the dead process still "holds" the lock');
  assert.is(left.command, 'hbr apply (crash fixture)');
  assert.equal(readJournal(state).map((x) => [x.run, x.event]), [['crashrun', 'intent']]);
  assert.equal(
    readUnfinished(state).map((u) => [u.stepId, u.kind, u.policy]),
    [['replicate.distcp-diff:dr:/data', 'replicate.distcp-diff', 'dr']],
  );
  const lock = acquireLock(state, 'next run');
  assert.is(JSON.parse(readFileSync(lock.path, 'utf8')).pid, process.pid);
  lock.release();
});

test.run();
