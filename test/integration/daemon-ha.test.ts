/**
 * Two daemons, one leader, through the test bed's ZooKeeper (issue 5, must-show 4): exactly one
 * applies; `kill -9` of the leader — in the middle of a DistCp — and the other takes over once the
 * dead one's session expires; the journals of both show no step running twice at once, and the
 * dead leader's DistCp did not outlive it. A one-shot `hbr apply` is refused while a daemon leads
 * (the same ZooKeeper apply lock).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusters, hbr, snapshotNames, tempDir, throttledHadoop } from '../helpers/hbr.js';
import { recordedChildPids, sleep, startDaemon, stopAllDaemons, waitFor, type DaemonProc } from '../helpers/daemon.js';
import { readJournal as journal, type JournalRecord } from '../../src/engine/journal.js';
import { testbed, uniq } from '../helpers/testbed.js';

const { primary, dr } = clusters();
const tb = testbed();


/** [start, end] of every step in a journal; a step without outcome ends at `deadAt` (its process died). */
function intervals(recs: JournalRecord[], deadAt: number): Array<{ stepId: string; kind: string; from: number; to: number }> {
  const out: Array<{ stepId: string; kind: string; from: number; to: number }> = [];
  recs.forEach((r, i) => {
    if (r.event !== 'intent') return;
    const end = recs.slice(i + 1).find((o) => o.stepId === r.stepId && o.run === r.run && o.event !== 'intent');
    out.push({ stepId: r.stepId, kind: r.kind, from: r.ts, to: end?.ts ?? deadAt });
  });
  return out;
}

let a: DaemonProc | undefined;
let b: DaemonProc | undefined;

test.after(stopAllDaemons);

test('4. two daemons: one leader applies; kill -9 of the leader mid-DistCp, the other takes over; no step runs twice at once', async () => {
  const id = uniq('ha');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  await primary.mkdirs(src);
  await primary.create(`${src}/seed.bin`, randomBytes(256 * 1024));
  const dir = tempDir('ha');
  const zkPath = `/hbr-it/${id}`;
  const file = join(dir, 'policies.yaml');
  writeFileSync(
    file,
    `version: 1
coordination:
  zookeeper: { connect: "${tb.HBR_TB_ZK_CONNECT}", path: ${zkPath}, session_timeout: 4s }
clusters:
  primary: { hdfs: { webhdfs: ${tb.HBR_TB_PRIMARY_WEBHDFS}, fs: ${tb.HBR_TB_PRIMARY_FS} } }
  dr: { hdfs: { webhdfs: ${tb.HBR_TB_DR_WEBHDFS}, fs: ${tb.HBR_TB_DR_FS} } }
policies:
  ha:
    source: { cluster: primary, path: ${src} }
    snapshots: { every: 10s, keep: { last: 4 } }
    replicate:
      - to: { cluster: dr, path: ${dst} }
        keep: { last: 4 }
`,
  );
  // DistCp throttled, so the kill can land while one runs.
  const slow = throttledHadoop(dir, 1);
  const stateA = join(dir, 'a');
  const stateB = join(dir, 'b');

  a = await startDaemon(['-f', file], stateA, { HBR_HADOOP: slow });
  await waitFor('A to lead', async () => (await a!.metric('hbr_leader')) === 1, 30_000);
  b = await startDaemon(['-f', file], stateB, { HBR_HADOOP: slow });
  await sleep(2_000);
  assert.is(await b.metric('hbr_leader'), 0, 'B follows');
  assert.is((await b.status()).leadership, 'follower');

  // A acts: a couple of replications; B does nothing at all.
  await waitFor('two replications by A', () => journal(stateA).filter((r) => r.event === 'done' && r.kind.startsWith('replicate.')).length >= 2, 90_000);
  assert.equal(journal(stateB), [], 'the follower never started a step');

  // The CLI's apply takes the same ZooKeeper lock: refused while A leads, naming it.
  const cli = await hbr(['apply', '-f', file, '--state-dir', join(dir, 'cli'), '--auto-approve']);
  assert.is(cli.code, 1, cli.stdout + cli.stderr);
  assert.match(cli.stderr, new RegExp(`pid ${a.child.pid}`));

  // Grow the source so the next replication copies for a while, and kill A in the middle of it.
  await primary.create(`${src}/grow.bin`, randomBytes(3 * 1024 * 1024));
  const running = await waitFor(
    'A to be in a DistCp',
    () => {
      const recs = journal(stateA);
      return recs.find((r) => r.event === 'intent' && r.kind.startsWith('replicate.') && !recs.some((o) => o.stepId === r.stepId && o.run === r.run && o.event !== 'intent'));
    },
    60_000,
    50,
  );
  const childPids = await recordedChildPids(stateA);
  const killedAt = Date.now();
  a.child.kill('SIGKILL');
  await a.exited;

  // A's DistCp dies with it (parent-death signal), long before B can lead.
  await waitFor('A\'s DistCp to be gone', () => childPids.every((pid) => { try { process.kill(pid, 0); return false; } catch { return true; } }), 5_000, 100);
  const childGoneIn = (Date.now() - killedAt) / 1000;
  assert.is(await b.metric('hbr_leader'), 0, 'B does not lead while the dead leader\'s session lives');

  await waitFor('B to lead', async () => (await b!.metric('hbr_leader')) === 1, 4_000 + 15_000, 250);
  const takeover = (Date.now() - killedAt) / 1000;
  await waitFor('B to replicate', () => journal(stateB).some((r) => r.event === 'done' && r.kind.startsWith('replicate.')), 90_000);
  await waitFor('B to complete a clean run', async () => (await b!.status()).policies[0]?.lastRun?.ok, 90_000);

  // No step ran twice at once: every interval of A (ended at the kill at the latest) is over
  // before any of B's begins; within each journal no step id overlaps itself.
  const ia = intervals(journal(stateA), killedAt);
  const ib = intervals(journal(stateB), Date.now());
  assert.ok(ia.some((x) => x.stepId === running.stepId && x.to === killedAt), 'the step A was killed in has no outcome');
  const lastA = Math.max(...ia.map((x) => x.to));
  const firstB = Math.min(...ib.map((x) => x.from));
  assert.ok(firstB > lastA, `B's first step (${new Date(firstB).toISOString()}) after A's last (${new Date(lastA).toISOString()})`);
  for (const list of [ia, ib]) {
    for (const x of list) for (const y of list) if (x !== y && x.stepId === y.stepId) assert.ok(x.to <= y.from || y.to <= x.from, `${x.stepId} overlaps itself`);
  }
  // B repaired whatever A left half-done: the trees match at the newest common snapshot.
  const p = (await snapshotNames(primary, src)).filter((n) => n.startsWith('hbr-'));
  const d = (await snapshotNames(dr, dst)).filter((n) => n.startsWith('hbr-'));
  assert.ok(d.some((n) => p.includes(n)), `a common snapshot: ${p.join(' ')} | ${d.join(' ')}`);
  console.log(`      DistCp of the killed leader gone in ${childGoneIn.toFixed(1)} s; B led ${takeover.toFixed(1)} s after the kill (session timeout 4 s)`);
});

test.run();
