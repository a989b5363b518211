/**
 * `hbr daemon` reloads its policy files (issue 5, must-show 2): a policy added to the watched
 * directory starts; a broken file is rejected (error logged with file:line:col, exported as
 * hbr_policy_load_errors, shown by /status and `hbr status`) while the last good policies keep
 * running; fixing it clears the error.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusters, hbr, snapshotNames, tempDir } from '../helpers/hbr.js';
import { startDaemon, stopAllDaemons, waitFor, type DaemonProc } from '../helpers/daemon.js';
import { testbed, uniq } from '../helpers/testbed.js';

const { primary } = clusters();
const tb = testbed();
const id = uniq('reload');
const dir = tempDir('reload');
const policies = join(dir, 'policies');
let daemon: DaemonProc;

const CLUSTERS = `version: 1
clusters:
  primary: { hdfs: { webhdfs: ${tb.HBR_TB_PRIMARY_WEBHDFS}, fs: ${tb.HBR_TB_PRIMARY_FS} } }
`;
const policy = (name: string, every = '10s') => `version: 1
policies:
  ${name}:
    source: { cluster: primary, path: /it/${id}/${name} }
    snapshots: { every: ${every}, keep: { last: 3 } }
`;
/** hbr snapshots of the policy's directory; 0 before hbr made it snapshottable. */
const count = async (name: string) => (await snapshotNames(primary, `/it/${id}/${name}`).catch(() => [] as string[])).filter((n) => n.startsWith('hbr-')).length;

test.before(async () => {
  await primary.mkdirs(`/it/${id}/a`);
  await primary.mkdirs(`/it/${id}/b`);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(policies, { recursive: true });
  writeFileSync(join(policies, '00-clusters.yaml'), CLUSTERS);
  writeFileSync(join(policies, 'a.yaml'), policy('a'));
  daemon = await startDaemon(['-f', policies], join(dir, 'state'));
});

test.after(stopAllDaemons);

test('2. hot reload: a new policy starts; a broken file is rejected and the old policies keep running; a fix clears it', async () => {
  await waitFor('policy a to snapshot', async () => (await count('a')) >= 1, 30_000);
  assert.is(await count('b'), 0);

  // add b: it starts without a restart
  writeFileSync(join(policies, 'b.yaml'), policy('b'));
  await waitFor('policy b to start', async () => (await count('b')) >= 1, 30_000);
  assert.is(await daemon.metric('hbr_policy_load_errors'), 0);

  // break a.yaml: a syntax error and a bad duration
  const loadOkBefore = await daemon.metric('hbr_policy_last_load_success_timestamp_seconds');
  writeFileSync(join(policies, 'a.yaml'), policy('a', '10 seconds'));
  await waitFor('the load error metric', async () => ((await daemon.metric('hbr_policy_load_errors')) ?? 0) > 0, 15_000);
  const st = await daemon.status();
  assert.match(st.lastLoad.errors.join('\n'), new RegExp(`a\\.yaml:5:\\d+: policies\\.a\\.snapshots\\.every`));
  assert.equal(st.policies.map((p) => p.name), ['a', 'b'], 'the last good policies are still loaded');
  const logged = daemon.logs.find((l) => typeof l.msg === 'string' && (l.msg as string).includes('a.yaml:5:'));
  assert.ok(logged && logged.level === 'error', 'the error is logged with file:line:col');
  assert.is(await daemon.metric('hbr_policy_last_load_success_timestamp_seconds'), loadOkBefore);
  // both keep running on the last good policies: new snapshots after the break
  const [a0, b0] = [(await daemon.status()).policies[0]!.lastRun!.run, (await daemon.status()).policies[1]!.lastRun!.run];
  await waitFor('both policies to run again', async () => {
    const s = await daemon.status();
    return s.policies[0]!.lastRun!.run !== a0 && s.policies[1]!.lastRun!.run !== b0 && s.policies.every((p) => p.lastRun!.ok);
  }, 30_000);
  // `hbr status` shows it, and exits 2 (needs attention)
  const cli = await hbr(['status', '--state-dir', join(dir, 'state')]);
  assert.is(cli.code, 2, cli.stdout + cli.stderr);
  assert.match(cli.stdout, /policy files on disk are INVALID/);
  assert.match(cli.stdout, /a\.yaml:5:/);

  // fix it (and change a's schedule to 1h: the change takes effect)
  writeFileSync(join(policies, 'a.yaml'), policy('a', '1h'));
  await waitFor('the error to clear', async () => (await daemon.metric('hbr_policy_load_errors')) === 0, 15_000);
  const fixed = await daemon.status();
  assert.equal(fixed.lastLoad.errors, []);
  assert.is(fixed.policies.find((p) => p.name === 'a')!.schedule, 'every 1h');
  const ok = await hbr(['status', '--state-dir', join(dir, 'state')]);
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^POLICY\s+SCHEDULE/m);

  // remove b: it stops (no new runs), its snapshots stay
  const bBefore = await count('b');
  const { rmSync } = await import('node:fs');
  rmSync(join(policies, 'b.yaml'));
  await waitFor('b to be dropped', async () => (await daemon.status()).policies.every((p) => p.name !== 'b'), 15_000);
  assert.ok((await count('b')) >= bBefore, 'removing a policy deletes nothing');
});

test.run();
