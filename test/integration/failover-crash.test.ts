/**
 * Every crash point of `hbr failover --planned` and of `hbr failback` (docs/failover.md), walked as
 * test/integration/crash-points.test.ts walks `hbr apply`'s (that suite's scenarios run `apply`
 * only; these commands are listed here): a clean run lists the points it passes (HBR_CRASH_TRACE,
 * src/model/faults.ts); then for each point k a fresh copy of the scenario is set up, the command is
 * killed with SIGKILL at point k, the operator runs the same command again, and clean `hbr apply`s
 * follow. After each: the plan converges (exit 0), the trees are identical at a common snapshot, no
 * scratch snapshot is left, the failover mark says what the command promised, no DistCp runs.
 * (The figures line says how the lanes' time splits between setting up copies and the rest.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSnapshotName } from '../../src/model/names.js';
import { failoverMark } from '../../src/systems/hdfs/failover-mark.js';
import { clusters, hbr, snapshotNames, tempDir, treesIdentical, writePairPolicy } from '../helpers/hbr.js';
import { crashWalkPoints, setupsAhead, uniq, walkPoints } from '../helpers/testbed.js';

const { primary, dr } = clusters();
const T0 = Date.parse('2030-06-01T00:00:00Z');
const HOUR = 3_600_000;
const iso = (t: number): string => new Date(t).toISOString();

interface Case {
  file: string;
  state: string;
  dir: string;
  /** the command killed, then run again by the operator */
  cmd: string[];
  check: () => Promise<void>;
}

const run = (c: Case, args: string[], extra: Record<string, string> = {}) =>
  hbr([...args, '-f', c.file, '--state-dir', c.state, '--auto-approve', '--concurrency', '1'], { HBR_NOW: iso(T0 + 2 * HOUR), ...extra });

async function converge(c: Case, what: string): Promise<void> {
  const again = await run(c, c.cmd);
  assert.is(again.code, 0, `${what}: the command run again failed:\n${again.stdout}\n${again.stderr}`);
  for (let i = 0; i < 3; i++) {
    const r = await run(c, ['apply']);
    assert.is(r.code, 0, `${what}: clean apply ${i + 1} failed:\n${r.stdout}\n${r.stderr}`);
    const p = await hbr(['plan', '-f', c.file, '--state-dir', c.state, '--detailed-exitcode'], { HBR_NOW: iso(T0 + 2 * HOUR) });
    if (p.code === 0) return;
    assert.is(p.code, 2, `${what}: plan failed:\n${p.stdout}\n${p.stderr}`);
  }
  assert.unreachable(`${what}: no convergence after 3 clean applies`);
}

function noDistcpFor(path: string): string | undefined {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmd.includes('distcp') && cmd.includes(path)) return `DistCp pid ${pid} still runs for ${path}`;
  }
  return undefined;
}

async function pair(prefix: string): Promise<{ src: string; dst: string; dir: string; file: string; state: string }> {
  const id = uniq(prefix);
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await primary.mkdirs(src);
  for (let i = 0; i < 6; i++) await primary.create(`${src}/d${i % 2}/f${i}.bin`, randomBytes(2048 + i));
  const dir = tempDir(prefix);
  const file = writePairPolicy(dir, { name: 'pair', src, dst, keep: '{ last: 1 }', drKeep: '{ last: 1 }' });
  const state = join(dir, 'state');
  for (const h of [0, 1]) {
    if (h) await primary.create(`${src}/d0/hour-${h}.bin`, randomBytes(4096));
    const r = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: iso(T0 + h * HOUR) });
    assert.is(r.code, 0, r.stdout + r.stderr);
  }
  return { src, dst, dir, file, state };
}

async function checks(src: string, dst: string, failedOver: boolean): Promise<void> {
  const [s, d] = await Promise.all([snapshotNames(primary, src), snapshotNames(dr, dst)]);
  const common = s.filter((n) => parseSnapshotName(n) !== undefined && d.includes(n)).sort().pop();
  assert.is(common, `hbr-${iso(T0 + 2 * HOUR).replace(/[-:]/g, '').slice(0, 15)}Z`, `the command's snapshot is common: ${s.join(',')} / ${d.join(',')}`);
  assert.is(await treesIdentical(primary, `${src}/.snapshot/${common}`, dr, `${dst}/.snapshot/${common}`), undefined);
  assert.is(await treesIdentical(primary, src, dr, dst), undefined);
  assert.equal([...s, ...d].filter((n) => n.startsWith('hbr-repair-')), [], 'scratch snapshots left');
  const m = failoverMark(dst);
  assert.is((await dr.getXAttrs(m.dir))[m.name] !== undefined, failedOver, `failover mark ${failedOver ? 'missing' : 'left'}`);
  assert.is(noDistcpFor(dst) ?? noDistcpFor(src), undefined);
}

const planned = async (): Promise<Case> => {
  const p = await pair('fo-plan');
  await primary.create(`${p.src}/d1/last.bin`, randomBytes(8192)); // the last change, copied before the failover
  return { ...p, cmd: ['failover', '--policy', 'pair', '--planned'], check: () => checks(p.src, p.dst, true) };
};

const failback = async (): Promise<Case> => {
  const p = await pair('fo-back');
  const fo = await hbr(['failover', '--policy', 'pair', '--unplanned', '-f', p.file, '--state-dir', p.state, '--auto-approve'], { HBR_NOW: iso(T0 + 1.5 * HOUR) });
  assert.is(fo.code, 0, fo.stdout + fo.stderr);
  await primary.create(`${p.src}/d1/primary-only.bin`, randomBytes(4096)); // rolled back by the failback
  await dr.create(`${p.dst}/d0/written-on-dr.bin`, randomBytes(8192));
  await dr.delete(`${p.dst}/d1/f1.bin`);
  return { ...p, cmd: ['failback', '--policy', 'pair', '--allow-overwrite', `primary:${p.src}`], check: () => checks(p.src, p.dst, false) };
};

/**
 * `hbr failover --unplanned` of a torn DR copy (docs/failover.md, "A copy cut short"), with the
 * operator's word: keep the torn tree as hbr-torn-*, roll back (-rdiff from the DR copy's own
 * snapshot, re-anchor), then the mark. The tear is made by hand here (what a -diff cut short leaves:
 * a rename and a delete applied, a new file arrived); test/integration/failover-cut-short.test.ts
 * makes it with a killed DistCp.
 */
const unplannedTorn = async (): Promise<Case> => {
  const p = await pair('fo-torn');
  const f0 = await dr.open(`${p.dst}/d0/f0.bin`);
  await dr.rename(`${p.dst}/d0/f0.bin`, `${p.dst}/d0/f0-renamed.bin`);
  await dr.delete(`${p.dst}/d1/f1.bin`);
  await dr.create(`${p.dst}/d1/arrived.bin`, randomBytes(8192));
  const check = async () => {
    await checks(p.src, p.dst, true);
    const kept = (await snapshotNames(dr, p.dst)).filter((n) => n.startsWith('hbr-torn-'));
    assert.is(kept.length, 1, `the torn tree kept once: ${kept.join(',')}`);
    assert.equal(await dr.open(`${p.dst}/.snapshot/${kept[0]}/d0/f0-renamed.bin`), f0);
    assert.ok(await dr.stat(`${p.dst}/.snapshot/${kept[0]}/d1/arrived.bin`));
  };
  return { ...p, cmd: ['failover', '--policy', 'pair', '--unplanned', '--allow-overwrite', `dr:${p.dst}`], check };
};

const walked: Record<string, number> = {};

async function walk(name: string, setup: () => Promise<Case>): Promise<void> {
  // The first point's copy is set up while the clean run goes, and the clean run's convergence
  // and checks share the lanes with the points (walkPoints' `first`): the second core is not idle
  // while one copy of the scenario runs alone. Every point still gets a copy of its own.
  const copies = setupsAhead(setup);
  copies.ahead();
  const c0 = await setup();
  const trace = join(c0.dir, 'trace');
  const r0 = await run(c0, c0.cmd, { HBR_CRASH_TRACE: trace });
  assert.is(r0.code, 0, `${name}: the clean run failed:\n${r0.stdout}\n${r0.stderr}`);
  const points = readFileSync(trace, 'utf8').trim().split('\n');
  const clean = async () => {
    await converge(c0, `${name} (no crash)`);
    await c0.check();
  };
  const bare = (p: string | undefined) => p?.replace(/fo-[a-z]+-[a-z0-9]+-[a-z0-9]+/g, 'ID');
  const visit = crashWalkPoints(points.length);
  const spent = { setup: 0, rest: 0 };
  await walkPoints(visit, async (k) => {
    const what = `${name}, killed at point ${points[k - 1]}`;
    const t0 = Date.now();
    const c = await copies.take();
    const t1 = Date.now();
    spent.setup += t1 - t0;
    const t = join(c.dir, 'trace');
    const killed = await run(c, c.cmd, { HBR_CRASH_AT: String(k), HBR_CRASH_TRACE: t });
    assert.is(killed.code, null, `${what}: not killed (exit ${killed.code}):\n${killed.stdout}\n${killed.stderr}`);
    const passed = readFileSync(t, 'utf8').trim().split('\n');
    assert.is(bare(passed[passed.length - 1]), bare(points[k - 1]), `${what}: the run took another path`);
    await converge(c, what);
    await c.check();
    spent.rest += Date.now() - t1;
  }, undefined, clean);
  walked[name] = visit.length;
  console.log(`      ${name}: ${visit.length} of ${points.length} crash points walked${visit.length < points.length ? ' (CI: every second one, by day; HBR_CRASH_WALK=all walks each)' : ''}`);
  // a figure, never asserted: what the walk spends setting up its copies vs. killing and converging
  console.log(`      [figures] ${name}: lane-seconds setting up ${(spent.setup / 1000).toFixed(0)}, killing + converging + checks ${(spent.rest / 1000).toFixed(0)}`);
}

test('every crash point of hbr failover --planned', () => walk('failover --planned', planned));
test('every crash point of hbr failback (with the roll-back of the old primary)', () => walk('failback', failback));
test('every crash point of hbr failover --unplanned of a torn DR copy (keep, roll back, mark)', () => walk('failover --unplanned (torn)', unplannedTorn));

test.run();
