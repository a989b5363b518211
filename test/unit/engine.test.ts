/**
 * The apply engine's own logic (ordering, concurrency, serialization, deadlines, failures,
 * interrupts) with small fake executors; the real executors are proved on the test bed
 * (test/integration/hdfs-dr.test.ts). Journal and lock: engine-journal / engine-lock suites.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs, { readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { applyPlan, defaultDeadline, newRunId, stepResources, validatePlanGraph } from '../../src/engine/apply.js';
import { Journal, journalPath, readJournal, readUnfinished } from '../../src/engine/journal.js';
import type { Executor } from '../../src/systems/types.js';
import type { Step } from '../../src/model/plan.js';
import { ctx, plan, run, sleep, step, tempDir } from '../fixtures/engine-helpers.js';

/** An executor that counts how many run at once and records when each starts and ends. */
function tracker(ms: (s: Step) => number = () => 10) {
  const t = { inFlight: 0, max: 0, started: [] as string[], ended: [] as string[], exec: undefined as unknown as Executor };
  t.exec = async (s) => {
    t.inFlight++;
    t.max = Math.max(t.max, t.inFlight);
    t.started.push(s.id);
    await sleep(ms(s));
    t.ended.push(s.id);
    t.inFlight--;
    return { note: `did ${s.id}` };
  };
  return t;
}

test('dependency order is honoured and the concurrency bound never exceeded', async () => {
  const t = tracker((s) => 5 + (s.id.charCodeAt(0) % 3) * 5);
  const steps = [
    step('d', { dependsOn: ['b', 'c'] }),
    step('b', { dependsOn: ['a'] }),
    step('c', { dependsOn: ['a', 'a'] }), // a repeated dependency counts once
    step('a'),
    ...'efghijklmn'.split('').map((x) => step(x)),
  ];
  const r = await run(plan(steps), { 'hdfs.snapshot.create': t.exec }, { concurrency: 3 });
  assert.is(r.done.length, 14);
  assert.equal(r.failed, []);
  assert.ok(t.max <= 3, `max in flight ${t.max}`);
  assert.is(t.max, 3, 'independent steps do run in parallel, up to the bound');
  // A step starts only after all its dependencies ended: compare start/end event order.
  const order = r.events.filter((e) => e.type === 'start' || e.type === 'done').map((e) => `${e.type}:${e.step.id}`);
  const at = (x: string) => order.indexOf(x);
  assert.ok(at('done:a') < at('start:b') && at('done:a') < at('start:c'), order.join(' '));
  assert.ok(at('done:b') < at('start:d') && at('done:c') < at('start:d'), order.join(' '));
});

test('among ready steps, plan order is preferred (concurrency 1 runs them in plan order)', async () => {
  const t = tracker(() => 1);
  const steps = [step('z'), step('y', { dependsOn: ['x'] }), step('x'), step('w')];
  const r = await run(plan(steps), { 'hdfs.snapshot.create': t.exec }, { concurrency: 1 });
  assert.is(r.done.length, 4);
  assert.equal(t.started, ['z', 'x', 'y', 'w'], 'y is ready once x is done, and comes before w in the plan');
  assert.is(t.max, 1);
});

test('concurrency defaults to 4', async () => {
  const t = tracker(() => 15);
  const r = await run(plan('abcdefghij'.split('').map((x) => step(x))), { 'hdfs.snapshot.create': t.exec });
  assert.is(r.done.length, 10);
  assert.is(t.max, 4);
});

test('steps on the same directory never run at once; other directories go on in parallel', async () => {
  const busy = new Map<string, number>();
  let clash = '';
  let max = 0;
  let inFlight = 0;
  const exec: Executor = async (s) => {
    const keys = [`${s.target.cluster}:${s.target.path}`, ...(s.params.source ? [`${s.params.source.cluster}:${s.params.source.path}`] : [])];
    for (const k of keys) {
      if (busy.get(k)) clash = `${s.id} on ${k}`;
      busy.set(k, (busy.get(k) ?? 0) + 1);
    }
    max = Math.max(max, ++inFlight);
    await sleep(10);
    inFlight--;
    for (const k of keys) busy.set(k, busy.get(k)! - 1);
    return {};
  };
  const same = { cluster: 'c', path: '/same' };
  const steps = [
    ...[1, 2, 3].map((i) => step(`snap${i}`, { target: { ...same, snapshot: `s${i}` } })),
    // replicates from /same (its source) to another cluster: serialized with the snapshots of /same
    step('repl', { kind: 'replicate.distcp-diff', target: { cluster: 'dr', path: '/same' }, params: { source: same } }),
    // and with another replication into the same target
    step('repl2', { kind: 'replicate.bootstrap', target: { cluster: 'dr', path: '/same' }, params: { source: { cluster: 'c', path: '/other' } } }),
    step('free1', { target: { cluster: 'c', path: '/free1' } }),
    step('free2', { target: { cluster: 'c', path: '/free2' } }),
  ];
  const r = await run(plan(steps), { 'hdfs.snapshot.create': exec, 'replicate.distcp-diff': exec, 'replicate.bootstrap': exec }, { concurrency: 8 });
  assert.is(r.done.length, 7);
  assert.is(clash, '', clash);
  assert.ok(max >= 3, `independent directories overlap (max ${max})`);
});

test('stepResources: target, plus source for replication; a cluster name cannot alias a path', () => {
  assert.is(stepResources(step('a', { target: { cluster: 'c', path: '/x', snapshot: 's' } })).length, 1);
  const r = stepResources(step('r', { target: { cluster: 'dr', path: '/x' }, params: { source: { cluster: 'c', path: '/x' } } }));
  assert.is(r.length, 2);
  assert.is.not(stepResources(step('a', { target: { cluster: 'c:/a', path: '/b' } }))[0], stepResources(step('b', { target: { cluster: 'c', path: '/a:/b' } }))[0]);
});

test('a failure skips its dependents (naming the failed step); independent steps still run; journal says so', async () => {
  const ran: string[] = [];
  const exec: Executor = async (s) => {
    ran.push(s.id);
    if (s.id === 'bad') throw new Error('boom');
    return { note: 'ok' };
  };
  const steps = [
    step('bad'),
    step('child', { dependsOn: ['bad'] }),
    step('grandchild', { dependsOn: ['child', 'other'] }),
    step('other'),
    step('sibling', { dependsOn: ['other'] }),
  ];
  const r = await run(plan(steps), { 'hdfs.snapshot.create': exec }, { concurrency: 1 });
  assert.equal(r.failed.map((f) => [f.step.id, f.error]), [['bad', 'boom']]);
  assert.equal(
    r.skipped.map((s) => [s.step.id, s.because]),
    [
      ['child', 'depends on bad, which failed'],
      ['grandchild', 'depends on child, skipped because bad failed'],
    ],
  );
  assert.equal(r.done.map((d) => d.step.id).sort(), ['other', 'sibling']);
  assert.equal(ran.sort(), ['bad', 'other', 'sibling']);
  assert.not.ok(r.interrupted);
  const recs = readJournal(r.state);
  assert.equal(recs.filter((x) => x.event === 'intent').map((x) => x.stepId).sort(), ['bad', 'other', 'sibling'], 'skipped steps journal no intent');
  const bad = recs.find((x) => x.stepId === 'bad' && x.event === 'failed');
  assert.ok(bad);
  assert.is(bad!.error, 'boom');
  assert.is(bad!.run, 'r1');
  assert.equal(recs.find((x) => x.stepId === 'other' && x.event === 'done')!.outcome, { note: 'ok' });
  assert.equal(readUnfinished(r.state), []);
  assert.equal(
    r.events.filter((e) => e.type === 'skipped').map((e) => e.step.id),
    ['child', 'grandchild'],
  );
});

test('an executor that throws synchronously, or rejects with a non-Error, fails its step', async () => {
  const r = await run(plan([step('sync'), step('str')]), {
    'hdfs.snapshot.create': ((s: Step) => {
      if (s.id === 'sync') throw new Error('thrown at once');
      return Promise.reject('just a string');
    }) as Executor,
  });
  assert.equal(r.failed.map((f) => [f.step.id, f.error]).sort(), [['str', 'just a string'], ['sync', 'thrown at once']]);
});

test('a step past its deadline fails and the run moves on, even if its executor ignores the abort', async () => {
  let sawAbort: unknown;
  const hang: Executor = (s, c) => {
    if (s.id !== 'slow') return Promise.resolve({});
    c.signal.addEventListener('abort', () => (sawAbort = c.signal.reason));
    return new Promise(() => {}); // never settles
  };
  const t0 = Date.now();
  const r = await run(
    plan([step('slow'), step('after', { dependsOn: ['slow'] }), step('elsewhere'), step('later', { dependsOn: ['elsewhere'] })]),
    { 'hdfs.snapshot.create': hang },
    { deadlines: { 'hdfs.snapshot.create': 50 } },
  );
  assert.ok(Date.now() - t0 < 1000, 'did not wait for the hung executor');
  assert.equal(r.failed.map((f) => [f.step.id, f.error]), [['slow', 'deadline of 50ms exceeded']]);
  assert.ok(r.failed[0]!.ms >= 45, `failed after ${r.failed[0]!.ms} ms`);
  assert.instance(sawAbort, Error, 'the executor received the abort');
  assert.equal(r.skipped.map((s) => s.step.id), ['after']);
  assert.equal(r.done.map((d) => d.step.id).sort(), ['elsewhere', 'later']);
  const recs = readJournal(r.state).filter((x) => x.stepId === 'slow');
  assert.equal(recs.map((x) => x.event), ['intent', 'failed']);
  assert.match(recs[1]!.error!, /deadline of 50ms exceeded/);
});

test('a directory held by an aborted executor stays held until it settles; after the grace, steps on it are skipped', async () => {
  const calls: string[] = [];
  // 'stubborn' ignores its abort for 150 ms and then settles; 'hung' never settles.
  const exec: Executor = (s, c) => {
    calls.push(s.id);
    if (s.id === 'stubborn') return new Promise((res) => c.signal.addEventListener('abort', () => setTimeout(() => res({}), 150)));
    if (s.id === 'hung') return new Promise(() => {});
    return Promise.resolve({});
  };
  const dirA = { cluster: 'c', path: '/a' };
  const dirB = { cluster: 'c', path: '/b' };
  const events: string[] = [];
  const r = await run(
    plan([
      step('stubborn', { target: { ...dirA, snapshot: '1' } }),
      step('hung', { target: { ...dirB, snapshot: '1' } }),
      step('nextA', { target: { ...dirA, snapshot: '2' } }),
      step('nextB', { target: { ...dirB, snapshot: '2' } }),
      step('afterB', { target: { cluster: 'c', path: '/c' }, dependsOn: ['nextB'] }),
    ]),
    { 'hdfs.snapshot.create': exec },
    {
      deadlines: { 'hdfs.snapshot.create': 40 },
      abortGraceMs: 400,
      onEvent: (e) => events.push(`${e.type}:${e.step.id}`),
    },
  );
  // nextA ran only once stubborn had settled (after its abort + 150 ms), not alongside it
  assert.ok(events.indexOf('start:nextA') > events.indexOf('failed:stubborn'));
  assert.equal(r.done.map((d) => d.step.id), ['nextA']);
  assert.equal(r.failed.map((f) => f.step.id).sort(), ['hung', 'stubborn']);
  assert.equal(
    r.skipped.map((s) => [s.step.id, s.because]),
    [
      ['nextB', 'its directory is still in use by hung, whose executor did not stop when aborted'],
      ['afterB', 'depends on nextB, which was skipped'],
    ],
  );
  assert.not.ok(calls.includes('nextB'));
});

test('an executor that honours the abort frees its directory at once', async () => {
  const exec: Executor = (s, c) =>
    s.id === 'slow' ? new Promise((_res, rej) => c.signal.addEventListener('abort', () => rej(new Error('killed')))) : Promise.resolve({});
  const r = await run(plan([step('slow', { target: { cluster: 'c', path: '/a' } }), step('next', { target: { cluster: 'c', path: '/a', snapshot: 'x' } })]), { 'hdfs.snapshot.create': exec }, {
    deadlines: { 'hdfs.snapshot.create': 30 },
  });
  assert.equal(r.failed.map((f) => [f.step.id, f.error]), [['slow', 'deadline of 30ms exceeded']], 'the engine reason wins over the executor one');
  assert.equal(r.done.map((d) => d.step.id), ['next']);
});

test('default deadlines: snapshots 2 min, replication 6 h; invalid deadlines are refused up front', async () => {
  assert.is(defaultDeadline('hdfs.snapshot.create'), 120_000);
  assert.is(defaultDeadline('hdfs.snapshot.delete'), 120_000);
  assert.is(defaultDeadline('replicate.distcp-diff'), 6 * 3_600_000);
  assert.is(defaultDeadline('replicate.repair-target'), 6 * 3_600_000);
  assert.ok(defaultDeadline('some.future-kind') > 0);
  const state = tempDir();
  const j = Journal.open(state);
  await applyPlan(plan([step('a')]), { executors: {}, ctx: ctx(state), journal: j, run: 'r', deadlines: { 'hdfs.snapshot.create': 0 } }).then(
    () => assert.unreachable('must throw'),
    (err: Error) => assert.match(err.message, /deadline for hdfs\.snapshot\.create must be a positive/),
  );
  j.close();
  assert.equal(readJournal(state), []);
});

test('the intent is written and fsynced before the executor runs; the outcome after', async () => {
  const trace: string[] = [];
  let state = '';
  const realFsync = fs.fsyncSync;
  fs.fsyncSync = (fd: number) => {
    realFsync(fd);
    if (!state) return;
    const text = readFileSync(journalPath(state), 'utf8');
    trace.push(`fsync(intent=${/"event":"intent"/.test(text)},done=${/"event":"done"/.test(text)})`);
  };
  syncBuiltinESMExports(); // the journal's `import { fsyncSync }` now sees the wrapper
  try {
    const journalState = tempDir();
    const j = Journal.open(journalState);
    state = journalState;
    let seen = '';
    const exec: Executor = async (_s, c) => {
      trace.push('exec');
      seen = readFileSync(journalPath(c.stateDir), 'utf8');
      return {};
    };
    await applyPlan(plan([step('one')]), { executors: { 'hdfs.snapshot.create': exec }, ctx: ctx(journalState), journal: j, run: 'r1' });
    j.close();
    assert.match(seen, /"event":"intent","stepId":"one"/);
    assert.not.match(seen, /"event":"done"/);
    assert.equal(trace, ['fsync(intent=true,done=false)', 'exec', 'fsync(intent=true,done=true)']);
  } finally {
    fs.fsyncSync = realFsync;
    syncBuiltinESMExports();
  }
});

test('missing executor fails the step (journaled); its dependents are skipped', async () => {
  const r = await run(plan([step('x', { kind: 'replicate.bootstrap' }), step('y', { dependsOn: ['x'] })]), {});
  assert.equal(r.failed.map((f) => [f.step.id, f.error]), [['x', 'no executor for kind replicate.bootstrap']]);
  assert.equal(r.skipped.map((s) => s.step.id), ['y']);
  assert.equal(readJournal(r.state).map((x) => `${x.event}:${x.stepId}`), ['intent:x', 'failed:x']);
});

test('a cycle, an unknown dependency or a repeated id throws before anything is journaled or run', async () => {
  assert.throws(() => validatePlanGraph(plan([step('a', { dependsOn: ['b'] }), step('b', { dependsOn: ['a'] })])), /cycle \(each step depends on the next\): (a -> b -> a|b -> a -> b)$/);
  assert.throws(() => validatePlanGraph(plan([step('a', { dependsOn: ['nope'] })])), /step a depends on unknown step nope/);
  assert.throws(() => validatePlanGraph(plan([step('a'), step('a')])), /duplicate step id a/);
  const longer = plan([step('ok'), step('p', { dependsOn: ['ok', 's'] }), step('q', { dependsOn: ['p'] }), step('s', { dependsOn: ['q'] }), step('t', { dependsOn: ['s'] })]);
  try {
    validatePlanGraph(longer);
    assert.unreachable('must throw');
  } catch (err) {
    const m = /cycle \(each step depends on the next\): (.*)$/.exec((err as Error).message);
    assert.ok(m, (err as Error).message);
    const ids = m![1]!.split(' -> ');
    assert.is(ids.length, 4, 'p, q, s and back');
    assert.is(ids[0], ids[3]);
    assert.equal([...new Set(ids)].sort(), ['p', 'q', 's']);
    for (let k = 0; k + 1 < ids.length; k++) assert.ok(longer.steps.find((x) => x.id === ids[k])!.dependsOn.includes(ids[k + 1]!), `${ids[k]} depends on ${ids[k + 1]}`);
  }
  for (const bad of [
    plan([step('a', { dependsOn: ['a'] })]),
    plan([step('a', { dependsOn: ['b'] }), step('b', { dependsOn: ['c'] }), step('c', { dependsOn: ['a'] })]),
    plan([step('a', { dependsOn: ['ghost'] })]),
  ]) {
    const state = tempDir();
    const j = Journal.open(state);
    let called = false;
    const threw = await applyPlan(bad, {
      executors: { 'hdfs.snapshot.create': async () => ((called = true), {}) },
      ctx: ctx(state),
      journal: j,
      run: 'r',
    }).then(
      () => false,
      () => true,
    );
    j.close();
    assert.ok(threw, 'applyPlan rejects');
    assert.not.ok(called);
    assert.equal(readJournal(state), []);
  }
});

test('validation is iterative: a 100k-step chain is fine', () => {
  const steps = Array.from({ length: 100_000 }, (_, i) => step(`s${i}`, { dependsOn: i ? [`s${i - 1}`] : [] }));
  validatePlanGraph(plan(steps));
  steps[0]!.dependsOn = ['s99999'];
  assert.throws(() => validatePlanGraph(plan(steps)), /cycle/);
});

test('an interrupt starts no new steps and aborts the running ones', async () => {
  const stop = new AbortController();
  const started: string[] = [];
  const exec: Executor = (s, c) =>
    new Promise((resolve, reject) => {
      started.push(s.id);
      if (s.id === 'first') setTimeout(() => stop.abort(new Error('interrupted')), 10);
      c.signal.addEventListener('abort', () => reject(new Error('aborted')));
      setTimeout(() => resolve({}), 1000);
    });
  const t0 = Date.now();
  const r = await run(
    plan([step('first'), step('second', { dependsOn: ['first'] }), step('third', { dependsOn: ['second'] }), step('fourth')]),
    { 'hdfs.snapshot.create': exec },
    { concurrency: 1, signal: stop.signal },
  );
  assert.ok(Date.now() - t0 < 900, 'did not wait for the running step to finish on its own');
  assert.ok(r.interrupted);
  assert.equal(started, ['first']);
  assert.equal(r.failed.map((f) => [f.step.id, f.error]), [['first', 'run interrupted: interrupted']]);
  assert.equal(r.done, []);
  assert.equal(r.skipped.map((s) => [s.step.id, s.because]).sort(), [
    ['fourth', 'run interrupted'],
    ['second', 'depends on first, which failed'],
    ['third', 'depends on second, skipped because first failed'],
  ]);
  assert.equal(readJournal(r.state).map((x) => `${x.event}:${x.stepId}`), ['intent:first', 'failed:first']);
  assert.equal(readUnfinished(r.state), []);
});

test('a drain starts no new steps but lets the running one finish; a later interrupt still aborts', async () => {
  const drain = new AbortController();
  const started: string[] = [];
  const exec: Executor = (s) =>
    new Promise((resolve) => {
      started.push(s.id);
      if (s.id === 'first') setTimeout(() => drain.abort(), 10);
      setTimeout(() => resolve({ note: `${s.id} finished` }), 60);
    });
  const r = await run(
    plan([step('first'), step('second', { dependsOn: ['first'] }), step('third')]),
    { 'hdfs.snapshot.create': exec },
    { concurrency: 1, drain: drain.signal },
  );
  assert.ok(r.interrupted);
  assert.equal(started, ['first']);
  assert.equal(r.done.map((d) => d.step.id), ['first'], 'the running step finished and was journaled done');
  assert.equal(r.skipped.map((s) => [s.step.id, s.because]).sort(), [
    ['second', 'not started: hbr is stopping'],
    ['third', 'not started: hbr is stopping'],
  ]);
  assert.equal(readJournal(r.state).map((x) => `${x.event}:${x.stepId}`), ['intent:first', 'done:first']);

  // drained, then past the grace: the interrupt aborts the running step (the checkpoint)
  const drain2 = new AbortController();
  const stop = new AbortController();
  const exec2: Executor = (_s, c) =>
    new Promise((resolve, reject) => {
      setTimeout(() => drain2.abort(), 5);
      setTimeout(() => stop.abort(new Error('shutting down: step checkpointed')), 30);
      c.signal.addEventListener('abort', () => reject(new Error('killed')));
      setTimeout(() => resolve({}), 2000);
    });
  const r2 = await run(plan([step('long')]), { 'hdfs.snapshot.create': exec2 }, { drain: drain2.signal, signal: stop.signal });
  assert.equal(r2.failed.map((f) => [f.step.id, f.error]), [['long', 'run interrupted: shutting down: step checkpointed']]);
});

test('an interrupt before the run starts nothing and journals nothing', async () => {
  const stop = new AbortController();
  stop.abort();
  let called = false;
  const r = await run(plan([step('a'), step('b')]), { 'hdfs.snapshot.create': async () => ((called = true), {}) }, { signal: stop.signal });
  assert.ok(r.interrupted);
  assert.not.ok(called);
  assert.equal(r.skipped.map((s) => s.because), ['run interrupted', 'run interrupted']);
  assert.equal(readJournal(r.state), []);
});

test('an interrupt fired by an event observer at a step start is honoured (no re-entrancy trouble)', async () => {
  const stop = new AbortController();
  let called = 0;
  const r = await run(plan([step('a'), step('b'), step('c')]), { 'hdfs.snapshot.create': async () => (called++, {}) }, {
    signal: stop.signal,
    onEvent: (e) => {
      if (e.type === 'start') stop.abort();
    },
  });
  assert.ok(r.interrupted);
  assert.is(called, 0, 'the executor of the step whose start fired the interrupt is not called');
  assert.equal(r.failed.map((f) => [f.step.id, f.error]), [['a', 'run interrupted']]);
  assert.equal(r.skipped.map((s) => s.step.id), ['b', 'c']);
});

test('events: start, log, done per step; an observer that throws does not break the run', async () => {
  const exec: Executor = async (s, c) => {
    c.log(`working on ${s.id}`);
    return { bytesCopied: 7 };
  };
  const r = await run(plan([step('a')]), { 'hdfs.snapshot.create': exec }, {
    onEvent: () => {
      throw new Error('observer bug');
    },
  });
  assert.equal(r.events.map((e) => e.type), ['start', 'log', 'done']);
  const log = r.events[1]!;
  assert.ok(log.type === 'log' && log.message === 'working on a');
  const done = r.events[2]!;
  assert.ok(done.type === 'done' && done.outcome.bytesCopied === 7 && done.ms >= 0);
  assert.equal(r.done.map((d) => d.outcome), [{ bytesCopied: 7 }]);
});

test('a journal that cannot be written stops the run: no step runs without a durable intent', async () => {
  const state = tempDir();
  const j = Journal.open(state);
  j.close(); // every append now throws
  let called = false;
  const r = await applyPlan(plan([step('a'), step('b')]), {
    executors: { 'hdfs.snapshot.create': async () => ((called = true), {}) },
    ctx: ctx(state),
    journal: j,
    run: 'r',
  });
  assert.not.ok(called);
  assert.match(r.error ?? '', /cannot write the journal: journal .* is closed/);
  assert.equal(r.skipped.map((s) => s.step.id), ['a', 'b']);
  assert.match(r.skipped[0]!.because, /cannot write the journal/);
  assert.not.ok(r.interrupted);
});

test('a journal that fails when the outcome is written: the step is reported failed and the run stops', async () => {
  const state = tempDir();
  const j = Journal.open(state);
  const exec: Executor = async () => {
    j.close(); // the disk goes away mid-step
    return {};
  };
  const r = await applyPlan(plan([step('a'), step('b', { dependsOn: ['a'] }), step('c')]), {
    executors: { 'hdfs.snapshot.create': exec },
    ctx: ctx(state),
    journal: j,
    run: 'r',
    concurrency: 1,
  });
  assert.equal(r.failed.map((f) => f.step.id), ['a']);
  assert.match(r.failed[0]!.error, /the step finished, but cannot write the journal/);
  assert.equal(r.skipped.map((s) => s.step.id).sort(), ['b', 'c']);
  assert.equal(readUnfinished(state).map((u) => u.stepId), ['a'], 'the next run sees it unfinished');
});

test('a large plan (5000 steps, chains and one busy directory) is scheduled quickly', async () => {
  const steps: Step[] = [];
  for (let i = 0; i < 2500; i++) steps.push(step(`chain${i}`, { target: { cluster: 'c', path: `/chain${i % 50}` }, dependsOn: i >= 50 ? [`chain${i - 50}`] : [] }));
  for (let i = 0; i < 2500; i++) steps.push(step(`del${i}`, { kind: 'hdfs.snapshot.delete', target: { cluster: 'c', path: '/big', snapshot: `s${i}` } }));
  const noJournal = { intent() {}, done() {}, failed() {}, close() {} } as unknown as Journal;
  const exec: Executor = async () => ({});
  const t0 = Date.now();
  const r = await applyPlan(plan(steps), {
    executors: { 'hdfs.snapshot.create': exec, 'hdfs.snapshot.delete': exec },
    ctx: ctx(tempDir()),
    journal: noJournal,
    run: 'r',
    concurrency: 8,
  });
  assert.is(r.done.length, 5000);
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
});

test('an empty plan is done at once', async () => {
  const r = await run(plan([]), {});
  assert.equal([r.done, r.failed, r.skipped, r.interrupted], [[], [], [], false]);
  assert.equal(readJournal(r.state), []);
});

test('newRunId: UTC time to the second, then 6 hex digits', () => {
  const id = newRunId(Date.UTC(2026, 10, 22, 13, 0, 0));
  assert.match(id, /^20261122T130000Z-[0-9a-f]{6}$/);
  assert.is.not(newRunId(0), newRunId(0));
});

test.run();
