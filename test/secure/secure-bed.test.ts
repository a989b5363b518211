/**
 * Smoke suite of the secure test bed (issue 15, first piece; testbed/secure.md):
 * a real KDC and a Kerberized, HTTPS_ONLY HA primary (nameservice hbrns: nn1, nn2, one DataNode with
 * SASL data transfer), started and stopped by this suite. Run with `node test/run.mjs secure` (its
 * own group, not part of the default run). Proves what hbr's Kerberos support will rely on
 * (docs/design/secure-proposal.md §2): a delegation token from `hadoop dtutil` logged in from hbr's
 * keytab, WebHDFS over HTTPS with `delegation=` from plain Node trusting the test CA (the NameNode and
 * the DataNode legs), an untrusted CA refused, `haadmin -failover` with the standby's answer, the
 * single-NameNode secure DR with its own token, and DistCp (local job runner) from hbrns to it.
 * No duration is asserted; the suite prints what it measured.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { uniq } from '../helpers/testbed.js';
import { join } from 'node:path';
import { fetchToken, haadmin, nn1Active, redact, request, runOk, sharedSecureBed, type DelegationToken, type SecureBed } from '../helpers/secure.js';

let bed: SecureBed;
let token: DelegationToken;
const dir = `/tmp/${uniq('secure-bed')}`;
const q = (op: string, extra = '', t = token) => `op=${op}&delegation=${t.urlString}${extra}`;

test.before(() => {
  try {
    const b = sharedSecureBed();
    bed = b;
    console.log(`secure bed up in ${b.upMs} ms (testbed/up --secure)`);
    // A bed left running by an earlier run may have nn2 active: start from nn1 active.
    nn1Active();
  } catch (err) {
    // uvu counts a failed hook as failed tests but does not print why
    console.error((err as Error).message);
    throw err;
  }
});

// The bed is stopped when the process exits (sharedSecureBed), after the other files of test/secure.

test('dtutil fetches an HDFS delegation token for hbr from its keytab (no kinit); the token never reaches its output', () => {
  const { token: t, run } = fetchToken(bed);
  console.log(`dtutil get: ${run.ms} ms`);
  token = t;
  assert.is(t.kind, 'HDFS_DELEGATION_TOKEN');
  assert.is(t.service, `ha-hdfs:${bed.nameservice}`);
  assert.is(t.owner, 'hbr@EXAMPLE.COM');
  assert.is(t.renewer, 'hbr');
  assert.ok(t.maxDate > t.issueDate, 'maxDate after issueDate');
  assert.ok(t.urlString.length > 40);
  assert.not.ok(run.stdout.includes(t.urlString) || run.stderr.includes(t.urlString), 'dtutil get printed the token');
});

test('WebHDFS over HTTPS with delegation= on the active NameNode (nn1); without it SPNEGO answers 401', async () => {
  const mk = await request(`${bed.nn1}/webhdfs/v1${dir}?${q('MKDIRS')}`, bed.caPem, 'PUT');
  assert.is(mk.status, 200, redact(mk.body));
  const ls = await request(`${bed.nn1}/webhdfs/v1/tmp?${q('LISTSTATUS')}`, bed.caPem);
  assert.is(ls.status, 200, redact(ls.body));
  const entries = (JSON.parse(ls.body) as { FileStatuses: { FileStatus: { pathSuffix: string; owner: string }[] } }).FileStatuses.FileStatus;
  const mine = entries.find((e) => e.pathSuffix === dir.slice('/tmp/'.length));
  assert.ok(mine, 'the new directory is listed');
  assert.is(mine.owner, 'hbr');
  // Only /webhdfs/v1 with delegation= skips SPNEGO (AuthFilter); the rest answers 401 to Node.
  const anon = await request(`${bed.nn1}/webhdfs/v1/tmp?op=LISTSTATUS`, bed.caPem);
  assert.is(anon.status, 401);
  const jmx = await request(`${bed.nn1}/jmx`, bed.caPem);
  assert.is(jmx.status, 401);
});

async function roundTrip(nn: string, name: string, t = token, nameservice = bed.nameservice): Promise<void> {
  const path = `${dir}/${name}`;
  const body = `written from Node through ${nn} at ${name}\n`;
  const create = await request(`${nn}/webhdfs/v1${path}?${q('CREATE', '&overwrite=true&createparent=true', t)}`, bed.caPem, 'PUT');
  assert.is(create.status, 307, redact(create.body));
  const dn = new URL(create.location ?? '');
  // The NameNode sends the request's https to the DataNode's HTTPS port, with the same token and
  // the nameservice as namenoderpcaddress (NamenodeWebHdfsMethods.redirectURI).
  assert.is(dn.protocol, 'https:');
  assert.is(dn.searchParams.get('namenoderpcaddress'), nameservice);
  assert.is(dn.searchParams.get('delegation'), t.urlString);
  const put = await request(dn.href, bed.caPem, 'PUT', body);
  assert.is(put.status, 201, redact(put.body));
  const open = await request(`${nn}/webhdfs/v1${path}?${q('OPEN', '', t)}`, bed.caPem);
  assert.is(open.status, 307, redact(open.body));
  const got = await request(open.location ?? '', bed.caPem);
  assert.is(got.status, 200, redact(got.body));
  assert.is(got.body, body);
}

test('CREATE + OPEN round trip through the DataNode (HTTPS, SASL data transfer) with the token', async () => {
  await roundTrip(bed.nn1, 'via-nn1.txt');
});

test('a server certificate from another CA is refused with a named TLS error', async () => {
  for (const [ca, what] of [[bed.otherCaPem, 'another CA']] as const) {
    const err = await request(`${bed.nn1}/webhdfs/v1/tmp?${q('LISTSTATUS')}`, ca).then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e,
    );
    assert.ok(err, `trusting ${what} must fail`);
    console.log(`untrusted CA: ${err.code}: ${err.message}`);
    assert.is(err.code, 'SELF_SIGNED_CERT_IN_CHAIN');
    assert.not.ok(err.message.includes(token.urlString));
  }
});

test('a token with a forged password is refused by the NameNode (403), not taken as anonymous', async () => {
  // Token.write: VInt identifier length, identifier, VInt password length, password, kind, service.
  const raw = Buffer.from(token.urlString, 'base64url');
  const idLen = raw[0] ?? 0;
  assert.ok(idLen > 0 && idLen < 128, 'a one-byte identifier length');
  raw[idLen + 2] = (raw[idLen + 2] ?? 0) ^ 0xff; // the password's first byte
  const r = await request(`${bed.nn1}/webhdfs/v1/tmp?op=LISTSTATUS&delegation=${raw.toString('base64url')}`, bed.caPem);
  console.log(`forged password: ${r.status} ${redact(r.body).trim()}`);
  assert.is(r.status, 403);
  assert.match(r.body, /"RemoteException"/);
  assert.not.ok(r.body.includes(token.urlString));
});

test('haadmin -failover nn1 nn2: nn2 serves the same token; nn1, now standby, answers 403 StandbyException', async () => {
  assert.is(haadmin('-getServiceState', 'nn1').stdout.trim(), 'active');
  assert.is(haadmin('-getServiceState', 'nn2').stdout.trim(), 'standby');
  const before = await request(`${bed.nn2}/webhdfs/v1/tmp?${q('LISTSTATUS')}`, bed.caPem);
  assert.is(before.status, 403);
  const fo = haadmin('-failover', 'nn1', 'nn2');
  console.log(`haadmin -failover nn1 nn2: ${fo.ms} ms`);
  assert.is(fo.status, 0, fo.stdout + fo.stderr);
  assert.is(haadmin('-getServiceState', 'nn2').stdout.trim(), 'active');
  assert.is(haadmin('-getServiceState', 'nn1').stdout.trim(), 'standby');

  const ls = await request(`${bed.nn2}/webhdfs/v1${dir}?${q('LISTSTATUS')}`, bed.caPem);
  assert.is(ls.status, 200, redact(ls.body));
  assert.match(ls.body, /via-nn1\.txt/);
  await roundTrip(bed.nn2, 'via-nn2.txt');

  const standby = await request(`${bed.nn1}/webhdfs/v1${dir}?${q('LISTSTATUS')}`, bed.caPem);
  console.log(`nn1 as standby: ${standby.status} ${standby.body.trim()}`);
  assert.is(standby.status, 403);
  const rex = (JSON.parse(standby.body) as { RemoteException: { exception: string; javaClassName: string; message: string } }).RemoteException;
  assert.is(rex.exception, 'StandbyException');
  assert.is(rex.javaClassName, 'org.apache.hadoop.ipc.StandbyException');
  assert.match(rex.message, /Operation category READ is not supported in state standby/);
  assert.not.ok(standby.body.includes(token.urlString));
});

test('the secure DR (one NameNode): its own token from the keytab, a round trip through its DataNode', async () => {
  const { token: t } = fetchToken(bed, bed.hbrPrincipal, bed.hbrKeytab, bed.drFs);
  assert.is(t.kind, 'HDFS_DELEGATION_TOKEN');
  assert.is(t.service, `127.0.0.1:${new URL(bed.drFs).port}`);
  // the primary's token is not the DR's: another NameNode's secret manager
  const wrong = await request(`${bed.dr}/webhdfs/v1/?${q('LISTSTATUS')}`, bed.caPem);
  assert.is(wrong.status, 403);
  await roundTrip(bed.dr, 'on-dr.txt', t, `127.0.0.1:${new URL(bed.drFs).port}`);
});

test('DistCp (local job runner) from hdfs://hbrns to the secure DR under Kerberos', () => {
  const src = `${dir}/via-nn2.txt`;
  const r = runOk([join('testbed', 'bin', 'hadoop'), 'distcp', `${bed.fs}${src}`, `${bed.drFs}${dir}/copied.txt`]);
  console.log(`distcp hbrns -> dr: ${r.ms} ms`);
  assert.match(r.stderr, /Files Copied=1/);
  const cat = runOk([join('testbed', 'bin', 'hadoop'), 'fs', '-cat', `${bed.drFs}${dir}/copied.txt`]);
  assert.ok(cat.stdout.includes(`through ${bed.nn2} at via-nn2.txt`), cat.stdout);
});

test.run();
