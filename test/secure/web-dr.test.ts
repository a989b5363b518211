/**
 * Issue 15: a DR pair of Kerberized, HTTPS_ONLY clusters on the secure test bed (testbed/secure.md):
 * the HA primary (hbrns) and the single-NameNode DR, each with its own delegation token (the DR's
 * token is its own: the primary's gets 403 there) and the same CA bundle. `hbr apply` bootstraps
 * the DR (DistCp), snapshots both sides; a second round after a change copies the diff.
 *
 * DistCp logs in through hbr's own keytab launcher (src/hadoop/distcp-access.ts, dev.hbr.KeytabRun)
 * from the policy's principal and keytab: the test bed's own login (testbed/bin/hadoop's
 * KeytabLogin) is pointed at a keytab that does not exist, so a DistCp that relied on it would fail.
 * And the policy's `conf_dir` is the bed's client conf WITHOUT the nameservice hbrns (no
 * dfs.nameservices, no rpc addresses, no failover proxy provider): dtutil and DistCp reach
 * hdfs://hbrns through the `-D` properties hbr builds from the policy's namenodes
 * (src/hadoop/ha-conf.ts); before, both failed on the unknown host hbrns.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webhdfsFor } from '../../src/hadoop/webhdfs-client.js';
import type { WebHdfs } from '../../src/hadoop/webhdfs.js';
import { cachedToken, hbrSecure, primaryClient, writeSecurePolicy } from '../helpers/secure-hbr.js';
import { nn1Active, secureState, sharedSecureBed, type SecureBed } from '../helpers/secure.js';
import { uniq } from '../helpers/testbed.js';

let bed: SecureBed;
let pri: WebHdfs;
let dr: WebHdfs;
const src = `/${uniq('dr-src')}`;
const dst = `/${uniq('dr-dst')}`;
const work = mkdtempSync(join(tmpdir(), 'hbr-secure-dr-'));
const state = join(work, 'state');

test.before(async () => {
  try {
    bed = sharedSecureBed();
    nn1Active();
    pri = primaryClient(bed);
    dr = webhdfsFor({ name: 'test-dr', kind: 'hdfs', webhdfs: bed.dr, fs: bed.drFs, auth: { kind: 'kerberos', principal: bed.hbrPrincipal, keytab: bed.hbrKeytab }, caBundle: bed.caPem, at: { file: 'test', line: 1, col: 1 } });
    await pri.mkdirs(src);
    await pri.create(`${src}/one.txt`, Buffer.from('first\n'), { overwrite: true });
  } catch (err) {
    console.error((err as Error).message);
    throw err;
  }
});

test.after(() => rmSync(work, { recursive: true, force: true }));

/** The bed's client conf dir with every property naming hbrns removed from hdfs-site.xml. */
function confWithoutNameservice(): string {
  const dir = join(work, 'conf');
  cpSync(join(secureState(), 'secure', 'conf'), dir, { recursive: true });
  const site = join(dir, 'hdfs-site.xml');
  const xml = readFileSync(site, 'utf8');
  const stripped = xml.replace(/<property>(?:(?!<\/property>)[\s\S])*?hbrns[\s\S]*?<\/property>\s*/g, '');
  if (stripped === xml || /hbrns/.test(stripped)) throw new Error('the bed\'s hdfs-site.xml did not name hbrns as expected');
  writeFileSync(site, stripped);
  return dir;
}

test('a Kerberized HTTPS DR pair: bootstrap, then a diff round; one token per cluster, both cached', async () => {
  const f = writeSecurePolicy(join(work, 'dr.yaml'), bed, { dirs: { pair: src }, replicateTo: { pair: dst }, confDir: confWithoutNameservice() });
  const later = new Date(Date.now() + 2 * 3_600_000).toISOString();
  const noBedLogin = { HBR_TB_KEYTAB: join(work, 'no-such.keytab') };
  const a1 = await hbrSecure(['apply', '--auto-approve', '-f', f, '--state-dir', state], noBedLogin);
  assert.is(a1.code, 0, a1.stdout + a1.stderr);
  assert.match(a1.stdout, /replicate\.bootstrap/);
  assert.equal((await dr.open(`${dst}/one.txt`)).toString(), 'first\n');
  console.log(`bootstrap round: ${a1.ms} ms`);
  assert.equal(readdirSync(join(state, 'tokens')).sort(), ['dr.token', 'prod.token']);
  assert.is.not(cachedToken(state, 'dr').urlString, cachedToken(state, 'prod').urlString);

  await pri.create(`${src}/two.txt`, Buffer.from('second\n'), { overwrite: true });
  const a2 = await hbrSecure(['apply', '--auto-approve', '-f', f, '--state-dir', state], { HBR_NOW: later, HBR_NOW_ALLOW_FUTURE: '1', ...noBedLogin });
  assert.is(a2.code, 0, a2.stdout + a2.stderr);
  assert.match(a2.stdout, /replicate\.distcp-diff/);
  assert.equal((await dr.open(`${dst}/two.txt`)).toString(), 'second\n');
  console.log(`diff round: ${a2.ms} ms`);
  const p = await hbrSecure(['plan', '-f', f, '--state-dir', state], { HBR_NOW: later, HBR_NOW_ALLOW_FUTURE: '1' });
  assert.match(p.stdout, /No changes/, p.stdout + p.stderr);
  for (const t of [cachedToken(state, 'dr').urlString, cachedToken(state, 'prod').urlString]) {
    assert.not.ok([a1, a2, p].some((r) => (r.stdout + r.stderr).includes(t)), 'a token in the output');
  }
});

test.run();
