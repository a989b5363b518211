/**
 * The engine's own logic (ordering, concurrency, deadlines, journal, lock) with small fake
 * executors; the real executors are proved on the test bed (test/integration/hdfs-dr.test.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan, validatePlanGraph, type ApplyEvent } from '../../src/engine/apply.js';
import { Journal, readJournal, readUnfinished, journalPath, compactJournal } from '../../src/engine/journal.js';
import { acquireLock, LockHeldError } from '../../src/engine/lock.js';
import type { Executor, ExecutorRegistry } from '../../src/executors/types.js';
import { Action, PLAN_VERSION, type Plan, type Step, type StepKind } from '../../src/model/plan.js';

const dir = () => mkdtempSync(join(tmpdir(), 'hbr-engine-'));

function step(id: string, o: Partial<Step> = {}): Step {
  return {
    id,
    kind: 'hdfs.snapshot.create',
    action: Action.Create,
    policy: 'p',
    target: { cluster: 'c', path: `/${id}` },
    params: {},
    reason: 'test',
    dependsOn: [],
    ...o,
  };
}

function plan(steps: Step[]): Plan {
  return { version: PLAN_VERSION, createdAt: 0, policyDigest: '', observedDigest: '', steps, warnings: [] };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(p: Plan, executors: ExecutorRegistry, extra: { concurrency?: number; deadlines?: Partial<Record<StepKind, number>>; signal?: AbortSignal; events?: ApplyEvent[] } = {}) {
  const state = dir();
  const journal = Journal.open(state);
  return applyPlan(p, {
    executors,
    ctx: { config: { clusters: {}, stores: {}, policies: {}, files: [] }, hadoop: 'hadoop', stateDir: state },
    journal,
    run: 'r1',
    ...(extra.concurrency ? { concurrency: extra.concurrency } : {}),
    ...(extra.deadlines ? { deadlines: extra.deadlines } : {}),
    ...(extra.signal ? { signal: extra.signal } : {}),
    onEvent: (e) => extra.events?.push(e),
  }).then((r) => ({ ...r, state }));
}

test('dependency order is honoured and the concurrency bound never exceeded', async () => {
  const order: string[] = [];
  let inFlight = 0;
  let max = 0;
  const exec: Executor = async (s) => {
    inFlight++;
    max = Math.max(max, inFlight);
    await sleep(5 + (s.id.charCodeAt(0) % 3) * 5);
    order.push(s.id);
    inFlight--;
    return {};
  };
  const steps = [step('d', { dependsOn: ['b', 'c'] }), step('b', { dependsOn: ['a'] }), step('c', { dependsOn: ['a'] }), step('a'), ...'efghij'.split('').map((x) => step(x))];
  const r = await run(plan(steps), { 'hdfs.snapshot.create': exec }, { concurrency: 3 });
  assert.is(r.done.length, 10);
  assert.ok(max <= 3, `max in flight ${max}`);
  assert.ok(max >= 2, 'independent steps do run in parallel');
  const at = (x: string) => order.indexOf(x);
  assert.ok(at('a') < at('b') && at('a') < at('c') && at('b') < at('d') && at('c') < at('d'), order.join(','));
});

test('steps on the same directory never run at once', async () => {
  const busy = new Set<string>();
  let clash = false;
  const exec: Executor = async (s) => {
    const k = `${s.target.cluster}:${s.target.path}`;
    if (busy.has(k)) clash = true;
    busy.add(k);
    await sleep(10);
    busy.delete(k);
    return {};
  };
  const same = { cluster: 'c', path: '/same' };
  const steps = [1, 2, 3, 4].map((i) => step(`s${i}`, { target: { ...same, snapshot: `x${i}` } }));
  const r = await run(plan(steps), { 'hdfs.snapshot.create': exec }, { concurrency: 4 });
  assert.is(r.done.length, 4);
  assert.not.ok(clash);
});

test('a failure skips its dependents; independent steps still run; journal says so', async () => {
  const exec: Executor = async (s) => {
    if (s.id === 'bad') throw new Error('boom');
    return { note: 'ok' };
  };
  const r = await run(plan([step('bad'), step('child', { dependsOn: ['bad'] }), step('grandchild', { dependsOn: ['child'] }), step('other')]), {
    'hdfs.snapshot.create': exec,
  });
  assert.equal(r.failed.map((f) => [f.step.id, f.error]), [['bad', 'boom']]);
  assert.equal(r.skipped.map((s) => s.step.id).sort(), ['child', 'grandchild']);
  assert.equal(r.done.map((d) => d.step.id), ['other']);
  const recs = readJournal(r.state);
  assert.equal(recs.filter((x) => x.event === 'intent').map((x) => x.stepId).sort(), ['bad', 'other'], 'skipped steps journal no intent');
  assert.ok(recs.some((x) => x.stepId === 'bad' && x.event === 'failed' && x.error === 'boom'));
  assert.equal(readUnfinished(r.state), []);
});

test('a step past its deadline fails, even if its executor ignores the abort', async () => {
  const hang: Executor = () => new Promise(() => {});
  const r = await run(plan([step('slow'), step('after', { dependsOn: ['slow'] })]), { 'hdfs.snapshot.create': hang }, { deadlines: { 'hdfs.snapshot.create': 50 } });
  assert.is(r.failed.length, 1);
  assert.match(r.failed[0]!.error, /deadline of 50ms exceeded/);
  assert.equal(r.skipped.map((s) => s.step.id), ['after']);
});

test('the intent is durable in the journal before the executor runs', async () => {
  let seen = '';
  let state = '';
  const exec: Executor = async (_s, ctx) => {
    state = ctx.stateDir;
    seen = readFileSync(journalPath(ctx.stateDir), 'utf8');
    return {};
  };
  await run(plan([step('one')]), { 'hdfs.snapshot.create': exec });
  assert.match(seen, /"event":"intent","stepId":"one"/);
  assert.not.match(seen, /"event":"done"/);
  assert.ok(state);
});

test('missing executor fails the step; a cycle or unknown dependency throws before anything is journaled', async () => {
  const r = await run(plan([step('x', { kind: 'replicate.bootstrap' })]), {});
  assert.match(r.failed[0]!.error, /no executor for kind replicate\.bootstrap/);
  assert.throws(() => validatePlanGraph(plan([step('a', { dependsOn: ['b'] }), step('b', { dependsOn: ['a'] })])), /cycle/);
  assert.throws(() => validatePlanGraph(plan([step('a', { dependsOn: ['nope'] })])), /unknown step nope/);
  const state = dir();
  const j = Journal.open(state);
  const threw = await applyPlan(plan([step('a', { dependsOn: ['a'] })]), {
    executors: {},
    ctx: { config: { clusters: {}, stores: {}, policies: {}, files: [] }, hadoop: 'h', stateDir: state },
    journal: j,
    run: 'r',
  }).then(() => false, () => true);
  assert.ok(threw, 'a self-dependency is a cycle');
  assert.equal(readJournal(state), []);
});

test('an interrupt starts no new steps and aborts the running one', async () => {
  const stop = new AbortController();
  const exec: Executor = (s, ctx) =>
    new Promise((resolve, reject) => {
      if (s.id === 'first') setTimeout(() => stop.abort(new Error('interrupted')), 10);
      ctx.signal.addEventListener('abort', () => reject(new Error('aborted')));
      setTimeout(() => resolve({}), 1000);
    });
  const r = await run(plan([step('first'), step('second', { dependsOn: ['first'] }), step('third', { dependsOn: ['second'] })]), { 'hdfs.snapshot.create': exec }, { concurrency: 1, signal: stop.signal });
  assert.ok(r.interrupted);
  assert.equal(r.failed.map((f) => f.step.id), ['first']);
  assert.equal(r.done, []);
  assert.equal(r.skipped.map((s) => s.step.id).sort(), ['second', 'third']);
});

test('readUnfinished: an intent without outcome is unfinished; a torn last line is ignored; a later done resolves it', () => {
  const state = dir();
  const j = Journal.open(state);
  j.intent('r1', step('a'));
  j.intent('r1', step('b'));
  j.done('r1', step('b'), {});
  j.close();
  appendFileSync(journalPath(state), '{"ts":1,"run":"r1","event":"do'); // crash mid-write
  assert.equal(readUnfinished(state).map((u) => u.stepId), ['a']);
  const j2 = Journal.open(state);
  j2.failed('r2', step('a'), 'later run failed it');
  j2.close();
  assert.equal(readUnfinished(state), []);
  compactJournal(state, 2);
  assert.is(readJournal(state).length, 2);
});

test('lock: a second holder is refused with the first pid; release removes only our own lock', () => {
  const state = dir();
  const lock = acquireLock(state, 'hbr apply');
  try {
    acquireLock(state, 'hbr apply again');
    assert.unreachable('second acquire must throw');
  } catch (err) {
    assert.instance(err, LockHeldError);
    assert.match((err as Error).message, `pid ${process.pid}`);
  }
  writeFileSync(lock.path, JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: 0, command: 'other' }));
  lock.release();
  assert.ok(existsSync(lock.path), 'not ours any more: left alone');
});

test('lock: a lock left by a dead process is taken over', () => {
  const state = dir();
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  writeFileSync(join(state, 'lock'), JSON.stringify({ pid: dead, host: require_hostname(), startedAt: 0, command: 'crashed' }));
  const lock = acquireLock(state, 'hbr apply');
  assert.match(readFileSync(lock.path, 'utf8'), `"pid":${process.pid}`);
  lock.release();
  assert.not.ok(existsSync(lock.path));
});

test('kill -9 of a process holding the lock mid-step: its intent is unfinished and the lock is taken over', () => {
  const state = dir();
  const script = join(state, 'crash.mjs');
  const root = new URL('../../', import.meta.url).pathname;
  writeFileSync(
    script,
    `import { Journal } from '${root}src/engine/journal.ts';
import { acquireLock } from '${root}src/engine/lock.ts';
acquireLock(${JSON.stringify(state)}, 'crash test');
const j = Journal.open(${JSON.stringify(state)});
j.intent('crashrun', { id: 'replicate.distcp-diff:dr:/x', kind: 'replicate.distcp-diff', policy: 'p' });
process.kill(process.pid, 'SIGKILL');
`,
  );
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: root, encoding: 'utf8' });
  assert.is(r.signal, 'SIGKILL', r.stderr);
  assert.equal(readUnfinished(state).map((u) => [u.stepId, u.kind]), [['replicate.distcp-diff:dr:/x', 'replicate.distcp-diff']]);
  const lock = acquireLock(state, 'next run');
  lock.release();
});

function require_hostname(): string {
  return (spawnSync('hostname', { encoding: 'utf8' }).stdout || '').trim() || (process.env.HOSTNAME ?? '');
}

test.run();
