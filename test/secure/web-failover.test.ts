/**
 * Issue 15: a NameNode failover (`hdfs haadmin -failover nn1 nn2`) in the middle of one `hbr apply`
 * on the secure HA primary (testbed/secure.md). The apply runs its snapshot steps one at a time
 * (--concurrency 1) and is held after the first step's outcome is journaled (HBR_PAUSE_AT, see
 * src/model/faults.ts) while the test fails nn1 over to nn2; the next steps reach nn1 first (the
 * NameNode last seen active), get 403 StandbyException, and go on through nn2
 * (src/hadoop/namenodes.ts). The apply completes; each directory has exactly one hbr snapshot
 * (nothing done twice, nothing lost); the journal has one intent and one `done` per step.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebHdfs } from '../../src/hadoop/webhdfs.js';
import { hbrSecure, primaryClient, writeSecurePolicy } from '../helpers/secure-hbr.js';
import { haadmin, nn1Active, sharedSecureBed, type SecureBed } from '../helpers/secure.js';
import { uniq } from '../helpers/testbed.js';

let bed: SecureBed;
let fs: WebHdfs;
const root = `/${uniq('failover')}`;
const work = mkdtempSync(join(tmpdir(), 'hbr-secure-fo-'));
const dirs = ['p1', 'p2', 'p3'];

const hbrSnaps = async (path: string) => (await fs.getSnapshotList(path)).map((s) => s.fullPath.split('/').pop()!).filter((n) => n.startsWith('hbr-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.before(async () => {
  try {
    bed = sharedSecureBed();
    nn1Active();
    fs = primaryClient(bed);
    for (const d of dirs) {
      await fs.mkdirs(`${root}/${d}`);
      await fs.allowSnapshot(`${root}/${d}`);
    }
  } catch (err) {
    console.error((err as Error).message);
    throw err;
  }
});

test.after(() => {
  nn1Active(); // leave the bed as the next file expects it
  rmSync(work, { recursive: true, force: true });
});

test('haadmin -failover nn1 nn2 between the steps of one apply: it completes through nn2, each snapshot made once', async () => {
  const policy = writeSecurePolicy(join(work, 'fo.yaml'), bed, { dirs: Object.fromEntries(dirs.map((d) => [d, `${root}/${d}`])) });
  const state = join(work, 'state');
  const pauseFile = join(work, 'paused');
  // a token in the cache first, so the apply's only JVM is the failover's
  const plan = await hbrSecure(['plan', '-f', policy, '--state-dir', state]);
  assert.is(plan.code, 0, plan.stdout + plan.stderr);
  assert.is((plan.stdout.match(/\+ hdfs\.snapshot\.create/g) ?? []).length, 3, plan.stdout);

  const applying = hbrSecure(['apply', '--auto-approve', '--concurrency', '1', '-f', policy, '--state-dir', state], { HBR_PAUSE_AT: 'journal:outcome-after', HBR_PAUSE_FILE: pauseFile });
  for (const end = Date.now() + 120_000; !existsSync(pauseFile) && Date.now() < end; ) await sleep(100);
  assert.ok(existsSync(pauseFile), 'the apply reached the pause after its first step');
  const fo = haadmin('-failover', 'nn1', 'nn2');
  assert.is(fo.status, 0, fo.stdout + fo.stderr);
  assert.is(haadmin('-getServiceState', 'nn1').stdout.trim(), 'standby');
  console.log(`paused at "${readFileSync(pauseFile, 'utf8').trim()}"; haadmin -failover nn1 nn2: ${fo.ms} ms`);
  rmSync(pauseFile);
  const a = await applying;
  assert.is(a.code, 0, a.stdout + a.stderr);
  assert.match(a.stdout, /Apply complete: 3 done, 0 failed/);
  console.log(`apply with the failover inside: ${a.ms} ms`);

  for (const d of dirs) assert.is((await hbrSnaps(`${root}/${d}`)).length, 1, `${d}: exactly one hbr snapshot`);
  const journal = readFileSync(join(state, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type?: string; kind?: string; status?: string; outcome?: string });
  const text = JSON.stringify(journal);
  assert.not.match(text, /"failed"/, 'no step failed');
  const again = await hbrSecure(['plan', '-f', policy, '--state-dir', state]);
  assert.match(again.stdout, /No changes/, again.stdout + again.stderr);
});

test('every NameNode standby: "no active NameNode in nameservice hbrns", exit 1, nothing applied', async () => {
  // nn2 is active after the test above: make it standby too (no failover target) for this one
  nn1Active();
  const t = haadmin('-transitionToStandby', 'nn1');
  try {
    assert.is(t.status, 0, t.stdout + t.stderr);
    const policy = writeSecurePolicy(join(work, 'none.yaml'), bed, { dirs: { n1: `${root}/p1` } });
    const r = await hbrSecure(['apply', '--auto-approve', '-f', policy, '--state-dir', join(work, 'state')]);
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.ok(/no active NameNode in nameservice hbrns: nn1 \(https:\/\/localhost:\d+\) standby, nn2 \(https:\/\/localhost:\d+\) standby/.test(r.stdout + r.stderr), r.stdout + r.stderr);
    console.log(`apply with no active NameNode gave up after ${r.ms} ms`);
  } finally {
    haadmin('-transitionToActive', 'nn1');
  }
  assert.is((await hbrSnaps(`${root}/p1`)).length, 1, 'nothing applied');
});

test.run();
