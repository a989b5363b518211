/**
 * Recovery points come from what is observed, not from what the daemon did (issue 9 item 12): a
 * ZooKeeper archive made by `hbr apply` shows in the daemon's /status (and hbr_recovery_point_age_seconds)
 * as soon as the daemon has looked — before it ever runs the policy (`every: 24h`: nothing due, first
 * run up to a minute after start) — and so does one of a policy added by a reload.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hbr, tempDir } from '../helpers/hbr.js';
import { startDaemon, stopAllDaemons, waitFor, type DaemonProc } from '../helpers/daemon.js';
import { testbed, uniq } from '../helpers/testbed.js';

const tb = testbed();
const env = {
  AWS_ACCESS_KEY_ID: tb.HBR_TB_S3_ACCESS_KEY,
  AWS_SECRET_ACCESS_KEY: tb.HBR_TB_S3_SECRET_KEY,
  AWS_REGION: tb.HBR_TB_S3_REGION,
  HBR_ZK_ADMIN_AUTH: `${tb.HBR_TB_ZK_ADMIN_USER}:${tb.HBR_TB_ZK_ADMIN_PASSWORD}`,
};

test.after(stopAllDaemons);

const id = uniq('points');
const dir = tempDir('points');
const pdir = join(dir, 'policies');

/** A policy file in `where` with one archive policy `name` of the test bed's ZooKeeper, into its own S3 prefix. */
function policyFile(name: string, where: string): string {
  const file = join(where, `${name}.yaml`);
  writeFileSync(
    file,
    `version: 1
clusters:
  zk-${name}: { zookeeper: { admin: ${tb.HBR_TB_ZK_ADMIN}, connect: ${tb.HBR_TB_ZK_CONNECT} } }
stores:
  ${name}-s3: { s3: { bucket: ${tb.HBR_TB_S3_BUCKET}, prefix: ${id}/${name}/, endpoint: ${tb.HBR_TB_S3_ENDPOINT}, force_path_style: true } }
policies:
  ${name}:
    source: { cluster: zk-${name} }
    archive: { to: ${name}-s3, prefix: zk-, every: 24h, keep: { last: 3 } }
    rpo: 48h
`,
  );
  return file;
}

/** An archive made by `hbr apply`, outside the daemon (from a policy file the daemon does not watch). */
async function archive(name: string): Promise<void> {
  const r = await hbr(['apply', '--auto-approve', '-f', policyFile(name, dir), '--state-dir', join(dir, `apply-${name}`)], env);
  assert.is(r.code, 0, r.stdout + r.stderr);
}

/** Polls /status until `name` has a store recovery point; returns that /status's view of the policy. */
async function firstPoint(d: DaemonProc, name: string) {
  return waitFor(
    `a store recovery point of ${name} in /status`,
    async () => {
      const p = (await d.status()).policies.find((x) => x.name === name);
      return p?.recoveryPoints.some((r) => r.site === 'store') ? p : undefined;
    },
    20_000,
    50,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${d.logs.map((l) => JSON.stringify(l)).join('\n')}`);
  });
}

const reconciled = (d: DaemonProc, name: string) => d.logs.findIndex((l) => l.policy === name && /^reconciled /.test(String(l.msg)));

test('12. /status shows the store recovery point of an archive policy before the daemon has run it; also for a policy added by a reload', async () => {
  mkdirSync(pdir, { recursive: true });
  await archive('zka');
  copyFileSync(join(dir, 'zka.yaml'), join(pdir, 'zka.yaml'));

  const t0 = Date.now();
  const d = await startDaemon(['-f', pdir, '--log-level', 'debug'], join(dir, 'state'), env);
  const p = await firstPoint(d, 'zka');
  const seenMs = Date.now() - t0;
  assert.is(p.lastRun, undefined, `seen before any run: ${JSON.stringify(p)}`);
  assert.is(reconciled(d, 'zka'), -1, 'the policy has not been reconciled yet');
  const store = p.recoveryPoints.find((r) => r.site === 'store')!;
  assert.is(store.count, 1);
  assert.ok(store.ageSeconds !== undefined && store.ageSeconds < 600, JSON.stringify(store));
  assert.is(store.breached, false);
  assert.ok(p.nextRunAt, 'its first run is still to come');
  const age = await d.metric('hbr_recovery_point_age_seconds', { policy: 'zka', site: 'store' });
  assert.ok(age !== undefined && age < 600, `hbr_recovery_point_age_seconds ${age}`);

  // A policy added while the daemon runs: observed on the reload, not at its first run.
  await archive('zkb');
  const t1 = Date.now();
  copyFileSync(join(dir, 'zkb.yaml'), join(pdir, 'zkb.yaml'));
  const q = await firstPoint(d, 'zkb');
  const reloadMs = Date.now() - t1;
  assert.is(q.lastRun, undefined, `seen before any run: ${JSON.stringify(q)}`);
  assert.is(reconciled(d, 'zkb'), -1);
  assert.is(q.recoveryPoints.find((r) => r.site === 'store')!.count, 1);

  d.child.kill('SIGTERM');
  assert.is(await d.exited, 0);
  console.log(`      store recovery point in /status ${seenMs} ms after the daemon started, ${reloadMs} ms after a reload added a policy (before either was run)`);
});

test.run();
