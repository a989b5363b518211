/**
 * NameNode health of the Kerberized, HTTPS-only HA primary (the shared secure bed: testbed/secure.md;
 * docs/security.md "NameNode health and the audit under SPNEGO"): the protection audit reads
 * `/jmx` with SPNEGO through hbr's keytab launcher and the trash interval from GETSERVERDEFAULTS
 * (before: an untrusted-certificate error, then a 401, and the block health unknown); the daemon's
 * health poll exports the block counts and, for a Kerberized cluster, when it refreshes its
 * delegation token and the token's max date (the HbrKerberosLoginFailing alert's input) — never the
 * token itself.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HBR } from '../helpers/hbr.js';
import { cachedToken, hbrSecure, secureEnv, securePrimaryYaml } from '../helpers/secure-hbr.js';
import { nn1Active, sharedSecureBed, type SecureBed } from '../helpers/secure.js';

const work = mkdtempSync(join(tmpdir(), 'hbr-health-secure-'));
const file = join(work, 'audit.yaml');
let bed: SecureBed;
let daemon: ChildProcess | undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.before(() => {
  bed = sharedSecureBed();
  nn1Active();
  writeFileSync(
    file,
    `version: 1
clusters:
${securePrimaryYaml(bed)}policies:
  prod-audit:
    source: { cluster: prod, path: / }
    audit: { min_trash: 1d }
`,
  );
});

test.after(() => {
  daemon?.kill('SIGKILL');
});

test('the protection audit reads the Kerberized NameNode\'s /jmx with SPNEGO: no observation error, the trash finding made', async () => {
  const r = await hbrSecure(['plan', '-f', file, '--state-dir', join(work, 'plan-state'), '--json']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const plan = JSON.parse(r.stdout) as { warnings: Array<{ message: string }>; observeErrors: Array<{ message: string }> };
  assert.equal(plan.observeErrors.map((e) => e.message), [], 'block health, trash and quotas all read');
  assert.ok(plan.warnings.some((w) => /audit \[trash\] trash is off on prod/.test(w.message)), 'the trash finding (GETSERVERDEFAULTS) is there');
});

test('the daemon\'s health poll of the Kerberized cluster: block counts, the token\'s refresh time and max date in /metrics, no token', async () => {
  const state = join(work, 'daemon-state');
  daemon = spawn(process.execPath, [HBR, 'daemon', '-f', file, '--state-dir', state, '--listen', '127.0.0.1:0', '--health-interval', '2s'], {
    env: secureEnv({ HBR_DAEMON_START_SPREAD_MS: '0' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  daemon.stdout!.on('data', (d) => (logs += d));
  daemon.stderr!.on('data', (d) => (logs += d));
  const info = join(state, 'daemon.json');
  let text = '';
  for (let i = 0; i < 240 && !/hbr_hdfs_delegation_token_refresh_timestamp_seconds\{cluster="prod"\}/.test(text); i++) {
    await sleep(500);
    if (!existsSync(info)) continue;
    const { url } = JSON.parse(readFileSync(info, 'utf8')) as { url: string };
    text = await fetch(`${url}/metrics`).then((x) => x.text()).catch(() => '');
  }
  const value = (name: string) => Number(new RegExp(`^${name}\\{cluster="prod"\\} (\\S+)$`, 'm').exec(text)?.[1]);
  assert.is(value('hbr_hdfs_missing_blocks'), 0, `missing blocks read through SPNEGO:\n${text.split('\n').filter((l) => l.startsWith('hbr_hdfs')).join('\n')}\n${logs.slice(-2000)}`);
  const now = Date.now() / 1000;
  const refresh = value('hbr_hdfs_delegation_token_refresh_timestamp_seconds');
  const max = value('hbr_hdfs_delegation_token_max_date_timestamp_seconds');
  assert.ok(refresh > now && max > refresh, `refresh ${refresh} after now ${now}, max ${max} after it`);
  const token = cachedToken(state).urlString;
  assert.not.ok(text.includes(token) || logs.includes(token), 'the token is in neither /metrics nor the log');
});

test.run();
