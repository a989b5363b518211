/**
 * Issue 15, hbr's side (docs/security.md): `hbr plan` / `hbr apply` of a snapshot policy on the
 * Kerberized, HTTPS_ONLY HA primary of the secure test bed (testbed/secure.md) with a delegation
 * token fetched by one `hadoop dtutil` call from the keytab and cached under the state dir; a
 * forged token in the cache (one re-fetch, then success); a wrong keytab, an untrusted CA and an
 * unfetchable token (clear errors, exit 1, nothing applied). After every run: the token and the
 * keytab's bytes are nowhere in what hbr printed or wrote, but the token cache file.
 * No duration is asserted; the suite prints what it measured.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebHdfs } from '../../src/hadoop/webhdfs.js';
import { cachedToken, filesHolding, forge, hbrSecure, primaryClient, writeSecurePolicy } from '../helpers/secure-hbr.js';
import { nn1Active, sharedSecureBed, type SecureBed } from '../helpers/secure.js';
import { uniq } from '../helpers/testbed.js';

let bed: SecureBed;
let fs: WebHdfs;
const root = `/${uniq('web')}`;
const work = mkdtempSync(join(tmpdir(), 'hbr-secure-web-'));
const state = join(work, 'state');
const outputs: string[] = [];
const seenTokens = new Set<string>();

const hbrSnaps = async (path: string) => (await fs.getSnapshotList(path)).map((s) => s.fullPath.split('/').pop()!).filter((n) => n.startsWith('hbr-'));

test.before(async () => {
  try {
    bed = sharedSecureBed();
    nn1Active();
    fs = primaryClient(bed);
    for (const d of ['a', 'b']) {
      await fs.mkdirs(`${root}/${d}`);
      await fs.allowSnapshot(`${root}/${d}`);
      await fs.create(`${root}/${d}/f.txt`, Buffer.from(`data of ${d}\n`), { overwrite: true });
    }
  } catch (err) {
    console.error((err as Error).message);
    throw err;
  }
});

test.after(() => rmSync(work, { recursive: true, force: true }));

async function run(args: string[], policy: string, stateDir = state, extra: Record<string, string> = {}) {
  const r = await hbrSecure([...args, '-f', policy, '--state-dir', stateDir], extra);
  outputs.push(r.stdout, r.stderr);
  return r;
}

test('hbr plan and apply over HTTPS with a delegation token: one JVM for the token, then the cache; snapshots made', async () => {
  const policy = writeSecurePolicy(join(work, 'ok.yaml'), bed, { dirs: { a: `${root}/a` } });
  const p1 = await run(['plan'], policy);
  assert.is(p1.code, 0, p1.stderr);
  assert.match(p1.stdout, /\+ hdfs\.snapshot\.create\s+prod:\/.*\/a@hbr-/);
  const tok = cachedToken(state);
  seenTokens.add(tok.urlString);
  assert.is(statSync(tok.file).mode & 0o777, 0o600, 'token cache file 0600');
  assert.is(statSync(join(state, 'tokens')).mode & 0o777, 0o700, 'token dir 0700');
  const p2 = await run(['plan'], policy);
  assert.is(p2.code, 0, p2.stderr);
  console.log(`hbr plan: ${p1.ms} ms with dtutil (first run), ${p2.ms} ms from the cached token`);
  assert.is(cachedToken(state).urlString, tok.urlString, 'the second plan used the cached token');

  const a = await run(['apply', '--auto-approve'], policy);
  assert.is(a.code, 0, a.stderr + a.stdout);
  assert.match(a.stdout, /Apply complete: 1 done, 0 failed/);
  assert.is((await hbrSnaps(`${root}/a`)).length, 1);
  const p3 = await run(['plan'], policy);
  assert.match(p3.stdout, /No changes/);
});

test('a forged token in the cache: the NameNode refuses it (403 InvalidToken), hbr fetches one new token and goes on', async () => {
  const policy = writeSecurePolicy(join(work, 'ok.yaml'), bed, { dirs: { a: `${root}/a` } });
  const tok = cachedToken(state);
  const forged = forge(tok.urlString);
  seenTokens.add(forged);
  const raw = tok.raw as { token: { urlString: string } };
  raw.token.urlString = forged;
  writeFileSync(tok.file, JSON.stringify(raw), { mode: 0o600 });
  const r = await run(['plan'], policy);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /No changes/);
  const fresh = cachedToken(state).urlString;
  seenTokens.add(fresh);
  assert.is.not(fresh, forged, 'a new token replaced the refused one');
  assert.is.not(fresh, tok.urlString);
  console.log(`plan with a forged cached token: ${r.ms} ms (refused, one dtutil, retried)`);
});

test('a wrong keytab: "cannot log in as … with keytab …", exit 1, nothing applied', async () => {
  const policy = writeSecurePolicy(join(work, 'keytab.yaml'), bed, { dirs: { b: `${root}/b` }, keytab: bed.serversKeytab });
  const r = await run(['apply', '--auto-approve'], policy, join(work, 'state-keytab'));
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.ok((r.stdout + r.stderr).includes(`cannot log in as hbr@EXAMPLE.COM with keytab ${bed.serversKeytab}`), r.stdout + r.stderr);
  assert.equal(await hbrSnaps(`${root}/b`), [], 'nothing applied');
});

test('a refused token that cannot be fetched again (the keytab has no key any more): a clear error, nothing applied', async () => {
  const st = join(work, 'state-unfetchable');
  const ok = writeSecurePolicy(join(work, 'unf-ok.yaml'), bed, { dirs: { b: `${root}/b` } });
  assert.is((await run(['plan'], ok, st)).code, 0);
  const tok = cachedToken(st);
  seenTokens.add(tok.urlString);
  const raw = tok.raw as { token: { urlString: string } };
  raw.token.urlString = forge(tok.urlString);
  seenTokens.add(raw.token.urlString);
  writeFileSync(tok.file, JSON.stringify(raw), { mode: 0o600 });
  const bad = writeSecurePolicy(join(work, 'unf-bad.yaml'), bed, { dirs: { b: `${root}/b` }, keytab: bed.serversKeytab });
  // same principal and fs: the cached (forged) token is used first, refused, and a new one cannot be had
  const r = await run(['apply', '--auto-approve'], bad, st);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.ok(/cannot log in as hbr@EXAMPLE\.COM with keytab/.test(r.stdout + r.stderr), r.stdout + r.stderr);
  assert.equal(await hbrSnaps(`${root}/b`), [], 'nothing applied');
});

test('an untrusted CA (ca_bundle = a CA that signed nothing here): "certificate is not trusted", exit 1, nothing applied', async () => {
  const policy = writeSecurePolicy(join(work, 'ca.yaml'), bed, { dirs: { b: `${root}/b` }, ca: bed.otherCaPem });
  const r = await run(['apply', '--auto-approve'], policy, join(work, 'state-ca'));
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.ok(/the server's certificate is not trusted: its issuer is not in ca_bundle .*other-ca\.pem \(SELF_SIGNED_CERT_IN_CHAIN/.test(r.stdout + r.stderr), r.stdout + r.stderr);
  assert.equal(await hbrSnaps(`${root}/b`), [], 'nothing applied');
});

test('no token and no keytab bytes in anything hbr printed or wrote, but the token cache files', () => {
  const keytab = readFileSync(bed.hbrKeytab);
  assert.ok(seenTokens.size >= 3);
  const printed = outputs.join('\n');
  for (const t of seenTokens) {
    assert.not.ok(printed.includes(t), 'a token in hbr\'s stdout/stderr');
    assert.equal(filesHolding(work, t, (p) => /\/tokens\/prod\.token$/.test(p)), [], 'a token in the journal or another state file');
  }
  assert.not.ok(printed.includes(keytab.toString('latin1')), 'the keytab in hbr\'s output');
  assert.equal(filesHolding(work, keytab), [], 'the keytab\'s bytes in a state file');
  // the journal of the applies exists and was searched
  assert.ok(statSync(join(state, 'journal.jsonl')).size > 0);
});

test.run();
