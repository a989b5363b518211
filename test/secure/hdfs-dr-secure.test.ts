/**
 * Issue 15, must-shows 1 and 2: the HDFS DR suite on a production-shaped pair (testbed/secure.md):
 * the Kerberized, HTTPS-only HA primary (nameservice hbrns, nn1 + nn2) and the Kerberized DR, with
 * the policy's conf_dir the secure YARN's client conf, so every DistCp hbr runs is a MapReduce job
 * on the Kerberized YARN (`testbed/up --secure --yarn`), logged in through hbr's own keytab launcher
 * (the bed's own login points at a keytab that does not exist).
 *
 * 1. The very cases of test/integration/hdfs-dr.test.ts (test/helpers/dr-cases.ts): bootstrap,
 *    incremental diff (1% changed, a rename), retention, repair of a hand-written DR, kill -9 of hbr
 *    mid-DistCp (the next apply kills the YARN job through the ResourceManager, then converges).
 * 2. `hdfs haadmin -failover nn1 nn2` while the bootstrap's DistCp job runs: the apply completes,
 *    one job copied the bytes once (the RM lists one application of that state dir), the trees are
 *    the same, one snapshot on each side; the next diff round goes through nn2.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webhdfsFor } from '../../src/hadoop/webhdfs-client.js';
import type { WebHdfs } from '../../src/hadoop/webhdfs.js';
import { appState, findApps, ownerTag, rmWebappFromConfDir, type RmAccess } from '../../src/hadoop/yarn.js';
import { copied, drCases, type ApplyJson } from '../helpers/dr-cases.js';
import { HBR, snapshotNames, treesIdentical } from '../helpers/hbr.js';
import { hbrSecure, primaryClient, secureEnv, writeSecurePolicy } from '../helpers/secure-hbr.js';
import { haadmin, nn1Active, secureState, sharedSecureBed, startSecureBed, type SecureBed } from '../helpers/secure.js';
import { repoRoot, uniq } from '../helpers/testbed.js';

let bed: SecureBed;
let rm: RmAccess;
const work = mkdtempSync(join(tmpdir(), 'hbr-secure-drs-'));
const yarnConf = () => join(secureState(), 'secure', 'yarn-conf');
const noBedLogin = () => ({ HBR_TB_KEYTAB: join(work, 'no-such.keytab') }); // a DistCp that used the bed's login would fail
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const clients: { primary?: WebHdfs; dr?: WebHdfs } = {};

test.before(async () => {
  try {
    sharedSecureBed(); // stopped when this process exits (unless HBR_TB_NO_UP=1)
    const b = startSecureBed({ yarn: true }); // adds the Kerberized YARN (idempotent)
    bed = b;
    console.log(`secure bed with YARN up in ${b.upMs} ms`);
    nn1Active();
    clients.primary = primaryClient(bed);
    clients.dr = webhdfsFor({ name: 'test-dr', kind: 'hdfs', webhdfs: bed.dr, fs: bed.drFs, auth: { kind: 'kerberos', principal: bed.hbrPrincipal, keytab: bed.hbrKeytab, krb5Conf: bed.krb5Conf }, caBundle: bed.caPem, at: { file: 'test', line: 1, col: 1 } });
    const webapp = rmWebappFromConfDir(yarnConf());
    assert.ok(webapp, 'the yarn conf dir names the RM');
    rm = { webapp, login: { principal: bed.hbrPrincipal, keytab: bed.hbrKeytab, krb5Conf: bed.krb5Conf }, caPem: bed.caPem, hadoop: join(repoRoot, 'testbed', 'bin', 'hadoop') };
  } catch (err) {
    console.error((err as Error).message);
    throw err;
  }
});

test.after(() => nn1Active());

drCases(test, {
  get primary() {
    return clients.primary!;
  },
  get dr() {
    return clients.dr!;
  },
  // slow: one map at 1 MB/s, so the kill lands while the job copies (24 MB)
  writePolicy: (dir, o) => ({
    file: writeSecurePolicy(join(dir, `${o.name}.yaml`), bed, { dirs: { [o.name]: o.src }, replicateTo: { [o.name]: o.dst }, keep: o.keep, drKeep: o.drKeep, rpo: o.rpo, confDir: yarnConf(), distcp: o.slow ? '{ maps: 1, bandwidth: 1 }' : undefined }),
    env: { ...noBedLogin(), HBR_NOW_ALLOW_FUTURE: '1' },
  }),
  hbr: (args, env) => hbrSecure(args, env),
  spawnHbr: (args, env) => spawn(process.execPath, [HBR, ...args], { env: secureEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }),
  appState: (id) => appState(rm, id),
});

test('a NameNode failover (haadmin -failover nn1 nn2) while the bootstrap DistCp runs on YARN: the apply completes, one job copied each byte once, nothing lost', async () => {
  const primary = clients.primary!;
  const dr = clients.dr!;
  const id = uniq('failover');
  const src = `/it/${id}/data`;
  const dst = `/it-dr/${id}/data`;
  const dir = mkdtempSync(join(work, 'fo-'));
  const state = join(dir, 'state');
  const size = 8 * 1024 * 1024;
  await primary.mkdirs(src);
  for (let i = 0; i < 3; i++) await primary.create(`${src}/part-${i}.bin`, randomBytes(size));
  await primary.create(`${src}/small.txt`, Buffer.from('small\n'));
  // one map at 2 MB/s: ~12 s of copying after the job starts, time to fail over in the middle
  const f = writeSecurePolicy(join(dir, 'fo.yaml'), bed, { dirs: { fo: src }, replicateTo: { fo: dst }, confDir: yarnConf(), distcp: '{ maps: 1, bandwidth: 2 }' });
  const env = { ...noBedLogin(), HBR_NOW: '2030-01-01T00:00:00.000Z', HBR_NOW_ALLOW_FUTURE: '1' };
  const t0 = Date.now();
  try {
    const run = hbrSecure(['apply', '--auto-approve', '--json', '-f', f, '--state-dir', state], env);
    const owner = ownerTag(await waitForDir(state));
    let app: { id: string } | undefined;
    for (let i = 0; i < 480 && !app; i++) {
      app = (await findApps(rm, owner, ['RUNNING']))[0];
      if (!app) await sleep(500);
    }
    assert.ok(app, 'the bootstrap DistCp ran on YARN');
    await sleep(4000); // the job's map copies
    const tFo = Date.now();
    const fo = haadmin('-failover', 'nn1', 'nn2');
    assert.is(fo.status, 0, fo.stdout + fo.stderr);
    assert.is(haadmin('-getServiceState', 'nn2').stdout.trim(), 'active');
    assert.is(await appState(rm, app!.id), 'RUNNING', 'the failover happened while the job ran');
    console.log(`failover nn1 → nn2 ${tFo - t0} ms into the apply, ${fo.ms} ms`);
    const r = await run;
    assert.is(r.code, 0, r.stdout + r.stderr);
    const res = JSON.parse(r.stdout) as ApplyJson;
    assert.is(res.failed.length, 0);
    console.log(`apply with a failover: ${r.ms} ms`);
    assert.is(copied(res, 'replicate.bootstrap'), 3 * size + 6, 'each byte copied once');
    const all = await findApps(rm, owner, ['NEW', 'NEW_SAVING', 'SUBMITTED', 'ACCEPTED', 'RUNNING', 'FINISHED', 'FAILED', 'KILLED']);
    assert.equal(all.map((a) => a.id), [app!.id], 'one DistCp job, not a second attempt');
    assert.is(await treesIdentical(primary, src, dr, dst), undefined);
    const snap = 'hbr-20300101T000000Z';
    assert.equal(await snapshotNames(primary, src), [snap]);
    assert.equal(await snapshotNames(dr, dst), [snap]);

    // nn2 active now: the next round observes and copies the diff through it
    await primary.create(`${src}/after-failover.txt`, Buffer.from('after\n'));
    const r2 = await hbrSecure(['apply', '--auto-approve', '--json', '-f', f, '--state-dir', state], { ...env, HBR_NOW: '2030-01-01T01:00:00.000Z' });
    assert.is(r2.code, 0, r2.stdout + r2.stderr);
    assert.is(copied(JSON.parse(r2.stdout) as ApplyJson, 'replicate.distcp-diff'), 6);
    assert.is(await treesIdentical(primary, src, dr, dst), undefined);
  } finally {
    nn1Active();
  }
});

/** The state dir hbr makes at its start, resolved (the owner tag is its realpath's: src/hadoop/distcp-access.ts). */
async function waitForDir(dir: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    try {
      return realpathSync(dir);
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`${dir} never appeared`);
}

test.run();
