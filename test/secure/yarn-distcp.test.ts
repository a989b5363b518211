/**
 * DistCp on a Kerberized YARN (issue 15; testbed/secure.md, docs/design/secure-proposal.md §5), on the
 * real secure bed: `testbed/up --secure --yarn` (KDC, HA primary hbrns, DR, MiniMRYarnCluster with
 * SPNEGO on the ResourceManager). Through src/hadoop/distcp.ts and hbr's keytab launcher (no kinit):
 * the job runs on YARN tagged with hbr's tags (read back through the RM's REST with SPNEGO) and
 * copies the bytes; an abort kills the application through the RM before the client; a `kill -9` of the node process running a DistCp mid-job leaves the job running,
 * and the reaping a fresh process does (reapOrphans + reapOrphanApps) kills it through the RM
 * (KILLED) and the DR target then converges with a re-run; and a whole `hbr apply` of a DR pair
 * whose primary's conf_dir is the YARN's: killed with kill -9 mid-DistCp, the next apply kills the
 * tagged job through the RM before observing and converges. No duration is asserted.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { hbrSecure, writeSecurePolicy } from '../helpers/secure-hbr.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, uniq } from '../helpers/testbed.js';
import { runOk, secureState, startSecureBed, stopSecureBed, type SecureBed } from '../helpers/secure.js';
import { runDistcpJob, type DistcpRun } from '../../src/hadoop/distcp.js';
import { reapOrphans } from '../../src/hadoop/children.js';
import { reapOrphanApps } from '../../src/hadoop/yarn-reap.js';
import { appState, findApps, ownerTag, rmRequest, rmWebappFromConfDir, type RmAccess } from '../../src/hadoop/yarn.js';
import { ownerIdentity } from '../../src/hadoop/distcp-access.js';
import { startDaemon, stopAllDaemons, waitFor } from '../helpers/daemon.js';
import { testbed } from '../helpers/testbed.js';
import type { KerberosLogin } from '../../src/hadoop/jvm-login.js';

let bed: SecureBed;
let login: KerberosLogin;
let rm: RmAccess;
const hadoop = join(repoRoot, 'testbed', 'bin', 'hadoop');
const dir = `/tmp/${uniq('yarn-distcp')}`;
const stateDir = mkdtempSync(join(tmpdir(), 'hbr-yarn-state-'));
const owner = ownerTag(stateDir);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.before(() => {
  try {
    const b = startSecureBed({ yarn: true });
    bed = b;
    console.log(`secure bed with YARN up in ${b.upMs} ms (testbed/up --secure --yarn)`);
    // testbed/bin/hadoop: the secure YARN's client conf and jars (real installs: HADOOP_CONF_DIR)
    Object.assign(process.env, { HBR_TB_STATE: secureState(), HBR_TB_SECURE: '1', HBR_TB_YARN: '1' });
    login = { principal: bed.hbrPrincipal, keytab: bed.hbrKeytab, krb5Conf: bed.krb5Conf };
    const webapp = rmWebappFromConfDir(join(secureState(), 'secure', 'yarn-conf'));
    assert.ok(webapp, 'the yarn conf dir names the RM');
    rm = { webapp, login, caPem: bed.caPem, hadoop };
    const data = join(stateDir, 'data');
    writeFileSync(data, Buffer.alloc(24 * 1024 * 1024, 7));
    runOk([hadoop, 'dfs', '-mkdir', '-p', `${dir}/small`, `${dir}/big`]);
    runOk([hadoop, 'dfs', '-put', '-f', data, `${dir}/big/data`]);
    writeFileSync(data, 'hello yarn\n'.repeat(1000));
    runOk([hadoop, 'dfs', '-put', '-f', data, `${dir}/small/data`]);
  } catch (err) {
    console.error((err as Error).message);
    throw err;
  }
});

test.after(async () => {
  await stopAllDaemons();
  stopSecureBed();
});

const run = (extra: Partial<DistcpRun> = {}): DistcpRun => ({
  hadoop,
  stateDir,
  log: (m) => console.log(`  ${m}`),
  login,
  yarn: { rm, ownerTag: owner, policy: 'secure-dr' },
  ...extra,
});

test('DistCp through distcp.ts runs on the secure YARN, tagged hbr/owner/step/policy (RM REST, SPNEGO), and copies the bytes', async () => {
  const t0 = Date.now();
  const counts = await runDistcpJob('test:small', run({ maps: 1 }), ['-update', `${bed.fs}${dir}/small`, `${bed.drFs}${dir}/small`]);
  console.log(`DistCp on YARN (one 11 KB file): ${Date.now() - t0} ms, ${counts.appId}`);
  assert.is(counts.bytesCopied, 11000);
  assert.is(counts.filesCopied, 1);
  assert.match(counts.appId ?? '', /^application_\d+_\d+$/);
  const done = await findApps(rm, owner, ['FINISHED']);
  const app = done.find((a) => a.id === counts.appId);
  assert.ok(app, `the RM lists ${counts.appId} under ${owner}: ${JSON.stringify(done)}`);
  assert.is(app!.user, 'hbr');
  assert.ok(app!.tags.includes('hbr') && app!.tags.includes(owner) && app!.tags.includes('hbr-policy-secure-dr'), app!.tags.join(','));
  assert.ok(app!.tags.some((t) => /^hbr-step-[0-9a-f]{12}$/.test(t)), app!.tags.join(','));
  assert.equal(readdirSync(join(stateDir, 'children')).filter((f) => f.endsWith('.json')), [], 'the ledger is empty after the run');
});

test('abort of a DistCp on YARN (deadline, engine abort, lost leadership) kills the application through the RM first, then the client', async () => {
  const stop = new AbortController();
  let appId: string | undefined;
  const job = runDistcpJob('test:abort', run({
    maps: 1,
    bandwidth: 1,
    signal: stop.signal,
    log: (m) => {
      console.log(`  ${m}`);
      appId ??= /YARN application (application_\d+_\d+)/.exec(m)?.[1];
      if (appId && /map \d+%/.test(m)) stop.abort(new Error('deadline'));
    },
  }), ['-update', `${bed.fs}${dir}/big`, `${bed.drFs}${dir}/big-abort`]);
  const err = await job.then(() => undefined, (e: Error) => e);
  assert.ok(err, 'the aborted DistCp rejects');
  assert.ok(appId, 'the application id was read from the client log');
  let state = '';
  for (let i = 0; i < 60 && state !== 'KILLED'; i++) {
    state = await appState(rm, appId!);
    if (state !== 'KILLED') await sleep(1000);
  }
  assert.is(state, 'KILLED', 'the RM killed the job, not only its client');
  assert.equal(await findApps(rm, owner), []);
});

test('kill -9 of the process running a DistCp on YARN mid-job: a fresh process finds the job by its record and tag and kills it through the RM; a re-run converges', async () => {
  const args = ['-update', `${bed.fs}${dir}/big`, `${bed.drFs}${dir}/big`];
  // 24 MB at 1 MB/s per map: the job runs long enough to be killed in the middle
  const spec = JSON.stringify({ run: { hadoop, stateDir, login, yarn: { rm, ownerTag: owner }, maps: 1, bandwidth: 1 }, args });
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'helpers', 'yarn-distcp-child.ts'), spec], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  // wait until the job runs on YARN (the client logged the id, hbr recorded it) and a map copies
  let appId: string | undefined;
  let clientPid: number | undefined;
  for (let i = 0; i < 240 && !(appId && /map \d+%/.test(out)); i++) {
    await sleep(500);
    const recs = existsSync(join(stateDir, 'children')) ? readdirSync(join(stateDir, 'children')).filter((f) => f.endsWith('.json')) : [];
    for (const f of recs) {
      const rec = JSON.parse(readFileSync(join(stateDir, 'children', f), 'utf8')) as { pid: number; yarn?: { appId?: string } };
      clientPid = rec.pid;
      appId = rec.yarn?.appId ?? appId;
    }
    assert.is(child.exitCode, null, `the DistCp process ended early:\n${out}`);
  }
  assert.ok(appId, `no application id recorded:\n${out}`);
  assert.is(await appState(rm, appId!), 'RUNNING');
  const tKill = Date.now();
  child.kill('SIGKILL');
  await new Promise((r) => child.once('close', r));
  // pdeathsig ends the client JVM; the job itself is the RM's and goes on
  await sleep(3000);
  assert.ok(!existsSync(`/proc/${clientPid}`) || !readFileSync(`/proc/${clientPid}/cmdline`, 'utf8').includes('hbr-step='), 'the client JVM is gone');
  assert.is(await appState(rm, appId!), 'RUNNING', 'killing hbr and its client leaves the YARN job running');

  // the next start, in this (fresh) process: what apply/daemon/verify/restore do under the lock
  const logs: string[] = [];
  reapOrphans(stateDir, (m) => logs.push(m));
  const reaped = await reapOrphanApps(stateDir, (m) => logs.push(m));
  console.log(`reaped ${JSON.stringify(reaped)} in ${Date.now() - tKill} ms after the kill:\n  ${logs.join('\n  ')}`);
  assert.ok(reaped.some((r) => r.killed.includes(appId!)), JSON.stringify(reaped));
  let state = '';
  for (let i = 0; i < 60 && state !== 'KILLED'; i++) {
    state = await appState(rm, appId!);
    if (state !== 'KILLED') await sleep(1000);
  }
  assert.is(state, 'KILLED', 'the RM says the job was killed');
  assert.equal(await findApps(rm, owner), [], 'no unfinished job of this owner is left');
  assert.equal(readdirSync(join(stateDir, 'children', 'yarn')), [], 'nothing left to reap');

  // and the DR target converges: the same -update copy again, then the lengths match
  const again = await runDistcpJob('test:big-again', run({ maps: 1 }), args);
  console.log(`re-run copied ${again.bytesCopied} bytes (${again.appId})`);
  const len = (fs: string) => runOk([hadoop, 'dfs', '-stat', '%b', `${fs}${dir}/big/data`]).stdout.trim();
  assert.is(len(bed.drFs), String(24 * 1024 * 1024));
  assert.is(len(bed.drFs), len(bed.fs));
});

test('a whole hbr apply with DistCp on the Kerberized YARN (conf_dir): kill -9 of hbr mid-copy leaves the job running; the next apply kills it through the RM before observing, and the DR converges', async () => {
  const work = mkdtempSync(join(tmpdir(), 'hbr-yarn-apply-'));
  const state = join(work, 'state');
  const src = `/${uniq('ya-src')}`;
  const dst = `/${uniq('ya-dst')}`;
  runOk([hadoop, 'dfs', '-mkdir', '-p', src]);
  runOk([hadoop, 'dfs', '-cp', `${dir}/big/data`, `${src}/data`]);
  // conf_dir = the secure YARN's client conf (mapreduce.framework.name=yarn): hbr's DistCp runs on
  // YARN through its own keytab launcher (src/hadoop/distcp-access.ts); 1 MB/s so it is killed mid-copy
  const f = writeSecurePolicy(join(work, 'p.yaml'), bed, { dirs: { ya: src }, replicateTo: { ya: dst }, confDir: join(secureState(), 'secure', 'yarn-conf'), distcp: '{ maps: 1, bandwidth: 1 }' });
  const pauseFile = join(work, 'paused');
  const noBedLogin = { HBR_TB_KEYTAB: join(work, 'no-such.keytab') }; // the bed's own login would fail
  let pid: number | undefined;
  const first = hbrSecure(['apply', '--auto-approve', '-f', f, '--state-dir', state], { ...noBedLogin, HBR_PAUSE_AT: 'distcp:running', HBR_PAUSE_FILE: pauseFile }, (c) => (pid = c.pid));
  for (let i = 0; i < 600 && !existsSync(pauseFile); i++) await sleep(500);
  assert.ok(existsSync(pauseFile), 'the apply reached a running DistCp');
  const mine = ownerTag(realpathSync(state));
  const running = await findApps(rm, mine);
  assert.is(running.length, 1, JSON.stringify(running));
  const app = running[0]!;
  assert.ok(app.tags.includes('hbr-policy-ya') && app.tags.some((t) => /^hbr-step-[0-9a-f]{12}$/.test(t)), app.tags.join(','));
  process.kill(pid!, 'SIGKILL');
  const killed = await first;
  assert.is(killed.code, null, 'hbr was killed');
  await sleep(3000);
  assert.is(await appState(rm, app.id), 'RUNNING', 'killing hbr (and, by pdeathsig, its client JVM) leaves the YARN job running');

  const t0 = Date.now();
  const second = await hbrSecure(['apply', '--auto-approve', '-f', f, '--state-dir', state], noBedLogin);
  const out = second.stdout + second.stderr;
  assert.is(second.code, 0, out);
  assert.match(out, new RegExp(`reaped the YARN job\\(s\\) [^\\n]*${app.id}`));
  // (the reap runs before observing: src/cli/apply.ts, reapOrphanApps before observe; its line is on stderr)
  let st = '';
  for (let i = 0; i < 60 && st !== 'KILLED'; i++) {
    st = await appState(rm, app.id);
    if (st !== 'KILLED') await sleep(1000);
  }
  assert.is(st, 'KILLED', 'the interrupted run\'s job was killed through the RM');
  const len = (fs: string, path: string) => runOk([hadoop, 'dfs', '-stat', '%b', `${fs}${path}/data`]).stdout.trim();
  assert.is(len(bed.drFs, dst), len(bed.fs, src));
  console.log(`second apply (reap + bootstrap on YARN): ${Date.now() - t0} ms`);
  const plan = await hbrSecure(['plan', '-f', f, '--state-dir', state], noBedLogin);
  assert.match(plan.stdout, /No changes/, plan.stdout + plan.stderr);
  assert.equal(await findApps(rm, mine), [], 'no unfinished job of this deployment is left');
});

/** The RM's record of one application: its state and when it started and finished (ms). */
async function appTimes(id: string): Promise<{ state: string; startedTime: number; finishedTime: number }> {
  const r = await rmRequest(rm, 'GET', `/ws/v1/cluster/apps/${id}`);
  return (JSON.parse(r.body) as { app: { state: string; startedTime: number; finishedTime: number } }).app;
}

test('two daemons of one deployment (ZooKeeper coordination): the leader is killed with kill -9 mid-DistCp on YARN; the follower that takes over kills that job through the RM before its own copy, and the DR converges', async () => {
  const tb = testbed(); // the normal test bed's ZooKeeper (up beside the secure bed in CI)
  const work = mkdtempSync(join(tmpdir(), 'hbr-yarn-ha-'));
  const src = `/${uniq('yh-src')}`;
  const dst = `/${uniq('yh-dst')}`;
  runOk([hadoop, 'dfs', '-mkdir', '-p', src]);
  runOk([hadoop, 'dfs', '-cp', `${dir}/big/data`, `${src}/data`]);
  const zk = { connect: tb.HBR_TB_ZK_CONNECT, path: `/hbr-secure/${uniq('yh')}` };
  const f = writeSecurePolicy(join(work, 'p.yaml'), bed, { dirs: { yh: src }, replicateTo: { yh: dst }, confDir: join(secureState(), 'secure', 'yarn-conf'), distcp: '{ maps: 1, bandwidth: 1 }' });
  writeFileSync(f, readFileSync(f, 'utf8').replace('version: 1\n', `version: 1\ncoordination:\n  zookeeper: { connect: "${zk.connect}", path: ${zk.path}, session_timeout: 4s }\n`));
  // every daemon and apply of this deployment tags its jobs with the deployment's owner, not its state dir's
  const deployment = ownerTag(ownerIdentity(join(work, 'a'), zk));
  assert.is(deployment, ownerTag(ownerIdentity(join(work, 'b'), zk)));
  const env = { HBR_TB_SECURE: '1', HBR_TB_STATE: secureState(), HBR_TB_KEYTAB: join(work, 'no-such.keytab'), HBR_DAEMON_START_SPREAD_MS: '0' };

  const a = await startDaemon(['-f', f], join(work, 'a'), env);
  await waitFor('A to lead', async () => (await a.metric('hbr_leader')) === 1, 60_000);
  const b = await startDaemon(['-f', f], join(work, 'b'), env);
  const old = await waitFor('A\'s DistCp to run on YARN', async () => (await findApps(rm, deployment, ['RUNNING']))[0], 240_000, 1000);
  assert.ok(old.tags.includes('hbr-policy-yh'), old.tags.join(','));
  assert.is(await b.metric('hbr_leader'), 0, 'B follows');
  const killedAt = Date.now();
  a.child.kill('SIGKILL');
  await a.exited;
  await sleep(2000);
  assert.is(await appState(rm, old.id), 'RUNNING', 'the dead leader\'s job runs on (its client died with it)');

  await waitFor('B to lead', async () => (await b.metric('hbr_leader')) === 1, 60_000, 250);
  const swept = await waitFor('B to kill A\'s job', async () => ((await appTimes(old.id)).state === 'KILLED' ? await appTimes(old.id) : undefined), 120_000, 1000);
  console.log(`takeover: A's ${old.id} KILLED ${swept.finishedTime - killedAt} ms after the kill`);
  assert.ok(b.logs.some((l) => String(l.msg ?? '').includes(`killed YARN job(s) ${old.id}`)), 'B says it killed the job');
  // B's own copy: a different application, started after A's was killed
  await waitFor('B\'s run to finish clean', async () => (await b.status()).policies[0]?.lastRun?.ok, 300_000, 1000);
  const ours = (await findApps(rm, deployment, ['FINISHED'])).filter((x) => x.id !== old.id && x.tags.includes('hbr-policy-yh'));
  assert.ok(ours.length >= 1, 'B copied on YARN');
  for (const x of ours) {
    const t = await appTimes(x.id);
    assert.ok(t.startedTime >= swept.finishedTime, `B's ${x.id} started (${t.startedTime}) after A's was killed (${swept.finishedTime})`);
  }
  const len = (fs: string, path: string) => runOk([hadoop, 'dfs', '-stat', '%b', `${fs}${path}/data`]).stdout.trim();
  assert.is(len(bed.drFs, dst), len(bed.fs, src), 'the DR converged');
  assert.equal(await findApps(rm, deployment), [], 'no unfinished job of this deployment is left');
  b.child.kill('SIGTERM');
  await b.exited;
});

test.run();
