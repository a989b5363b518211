/**
 * Issue 15, the pure parts of hbr's Kerberos + HTTPS + HA support (docs/security.md): the delegation
 * token file (a real one, fetched with `hadoop dtutil -format java` from the secure test bed, with
 * the urlString `dtutil print` showed for it), when a token is fetched again, the classification of
 * the real error texts (testbed/secure.md "Error texts measured here", secure-proposal §6), the
 * redactor, the failover rule, and the loader's checks of the new cluster keys.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explain, kerberosReason, tlsReason, tokenRefusalKind, webhdfsRefusal } from '../../src/hadoop/auth-errors.js';
import { hdfsEndpoint, hdfsClusterOf, hostPrincipal, loadHdfsCluster } from '../../src/hadoop/cluster.js';
import { parseTokenFile, refreshAt } from '../../src/hadoop/dtoken.js';
import { confDirNameservices, nameserviceConf } from '../../src/hadoop/ha-conf.js';
import { throughActive } from '../../src/hadoop/namenodes.js';
import { classifyFailure } from '../../src/hadoop/webhdfs-ha.js';
import { WebHdfsError } from '../../src/hadoop/webhdfs-wire.js';
import { WebHdfs } from '../../src/hadoop/webhdfs.js';
import { redactSecrets, registerSecret, stripUserinfo } from '../../src/model/errors.js';
import { formatPolicyError, loadConfigSources } from '../../src/schema/load.js';

const fixture = (f: string) => join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'fixtures', 'secure', f);
const TOKEN_FILE = readFileSync(fixture('hdfs-ha.token'));
const TOKEN_URL = readFileSync(fixture('hdfs-ha.token.url'), 'utf8').trim();

test('parseTokenFile reads a real dtutil token: kind, service, owner, renewer, dates; urlString = what dtutil print shows', () => {
  const t = parseTokenFile(TOKEN_FILE);
  assert.is(t.kind, 'HDFS_DELEGATION_TOKEN');
  assert.is(t.service, 'ha-hdfs:hbrns');
  assert.is(t.owner, 'hbr@EXAMPLE.COM');
  assert.is(t.renewer, 'hbr');
  assert.is(t.maxDate - t.issueDate, 7 * 86_400_000); // dfs.namenode.delegation.token.max-lifetime's default
  assert.is(t.urlString, TOKEN_URL);
});

test('parseTokenFile refuses what is not a Writable token file', () => {
  assert.throws(() => parseTokenFile(Buffer.from('nope')), /not a Hadoop token file/);
  const proto = Buffer.from(TOKEN_FILE);
  proto[4] = 1;
  assert.throws(() => parseTokenFile(proto), /-format java/);
  assert.throws(() => parseTokenFile(TOKEN_FILE.subarray(0, 30)), /ends early/);
});

test('refreshAt: half-way to the first of renew-by (issue + 24 h, never renewed) and max date', () => {
  assert.is(refreshAt({ issueDate: 0, maxDate: 7 * 86_400_000 }), 43_200_000);
  assert.is(refreshAt({ issueDate: 1000, maxDate: 1000 + 3_600_000 }), 1000 + 1_800_000);
  assert.is(refreshAt({ issueDate: 0, maxDate: 7 * 86_400_000 }, 3_600_000), 1_800_000);
});

test('kerberosReason: the real texts of dtutil and the JDK, each to a plain reason', () => {
  const cases: Array<[string, string]> = [
    ['org.apache.hadoop.security.KerberosAuthException: failure to login: for principal: hdfs/localhost@EXAMPLE.COM from keytab /k/hbr.keytab javax.security.auth.login.LoginException: Unable to obtain password from user', 'keytab'],
    ['KerberosAuthException: failure to login: for principal: hbr@EXAMPLE.COM from keytab /k javax.security.auth.login.LoginException: Integrity check on decrypted field failed (31) - PREAUTH_FAILED', 'keytab_stale'],
    ['javax.security.sasl.SaslException: GSS initiate failed [Caused by GSSException: No valid credentials provided (Mechanism level: Clock skew too great (37) - PROCESS_TGS)]', 'clock_skew'],
    ['org.apache.hadoop.security.AccessControlException: Client cannot authenticate via:[TOKEN, KERBEROS]', 'ticket_expired'],
    ['KrbException: Client not found in Kerberos database (6)', 'principal_unknown'],
    ["java.lang.IllegalArgumentException: DtFetcher for service 'hdfs' does not require a token.  Check your configuration.  Note: security may be disabled", 'not_kerberized'],
    ['Caused by: KrbException: Cannot contact any KDC for realm EXAMPLE.COM', 'kdc_unreachable'],
  ];
  for (const [text, want] of cases) assert.is(kerberosReason(text), want, text);
  assert.is(kerberosReason('java.io.FileNotFoundException: /x'), undefined);
  assert.match(explain('keytab', { cluster: 'prod', principal: 'hbr@EXAMPLE.COM', keytab: '/k/hbr.keytab' }), /cannot log in as hbr@EXAMPLE.COM with keytab \/k\/hbr.keytab/);
  assert.match(explain('clock_skew', { cluster: 'prod' }), /clock/);
});

test('webhdfsRefusal: the standby\'s 403 is "try the other", a SecretManager$InvalidToken is "token" (real bodies, testbed/secure.md, §2.5)', () => {
  const standby = 'Operation category READ is not supported in state standby. Visit https://s.apache.org/sbnn-error';
  assert.is(webhdfsRefusal('StandbyException', standby), 'standby');
  const invalid = 'Failed to obtain user group information: org.apache.hadoop.security.token.SecretManager$InvalidToken: token (token for hbr: HDFS_DELEGATION_TOKEN owner=hbr@EXAMPLE.COM, renewer=hbr, realUser=, issueDate=1, maxDate=2, sequenceNumber=3, masterKeyId=2) is invalid, password doesn\'t match';
  assert.is(webhdfsRefusal('SecurityException', invalid), 'token');
  assert.is(tokenRefusalKind(invalid), 'invalid');
  const expired = 'Failed to obtain user group information: org.apache.hadoop.security.token.SecretManager$InvalidToken: Token  has expired, current time: 2026-12-02 15:00:00,000+0000 expected renewal time: 2026-12-01 15:00:00,000+0000';
  assert.is(webhdfsRefusal('SecurityException', expired), 'token');
  assert.is(tokenRefusalKind(expired), 'expired');
  assert.is(tokenRefusalKind("Token for real user: , can't be found in cache"), 'unknown');
  assert.is(webhdfsRefusal('FileNotFoundException', 'File does not exist: /x'), undefined);
});

test('tlsReason: Node\'s certificate codes', () => {
  assert.is(tlsReason('SELF_SIGNED_CERT_IN_CHAIN'), 'tls_untrusted'); // measured: ca_bundle = the other CA
  assert.is(tlsReason('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'tls_untrusted');
  assert.is(tlsReason('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls_hostname');
  assert.is(tlsReason('CERT_HAS_EXPIRED'), 'tls_expired');
  assert.is(tlsReason('ECONNREFUSED'), undefined);
});

test('redactSecrets: delegation= values, the header, a registered token; stripUserinfo and WebHdfsError apply it', () => {
  const url = `https://127.0.0.1:41475/webhdfs/v1/x?op=CREATE&delegation=${TOKEN_URL}&namenoderpcaddress=hbrns`;
  assert.is(redactSecrets(url), 'https://127.0.0.1:41475/webhdfs/v1/x?op=CREATE&delegation=***&namenoderpcaddress=hbrns');
  assert.is(redactSecrets(`X-Hadoop-Delegation-Token: ${TOKEN_URL}`), 'X-Hadoop-Delegation-Token: ***');
  registerSecret(TOKEN_URL);
  assert.not.ok(redactSecrets(`token ${TOKEN_URL} in a JVM's stderr`).includes(TOKEN_URL));
  assert.not.ok(stripUserinfo(`failed: ${url}`).includes(TOKEN_URL));
  assert.not.ok(new WebHdfsError(`CREATE /x: ${url}`, 'CREATE', '/x', 500, undefined).message.includes(TOKEN_URL));
});

test('classifyFailure: standby and refused connections fail over; a dropped one is uncertain; TLS and other answers are fatal', () => {
  const e = (status: number | undefined, exception: string | undefined, code?: string, msg = 'x') => new WebHdfsError(msg, 'OP', '/', status, exception, code);
  assert.is(classifyFailure(e(403, 'StandbyException', undefined, 'Operation category READ is not supported in state standby')), 'standby');
  assert.is(classifyFailure(e(undefined, undefined, 'ECONNREFUSED')), 'unreachable');
  assert.is(classifyFailure(e(503, undefined)), 'unreachable');
  assert.is(classifyFailure(e(undefined, undefined, 'ECONNRESET')), 'uncertain');
  assert.is(classifyFailure(e(undefined, undefined, 'SELF_SIGNED_CERT_IN_CHAIN')), 'fatal');
  assert.is(classifyFailure(e(404, 'FileNotFoundException')), 'fatal');
});

const set = { key: 'ns', names: ['nn1', 'nn2'], urls: ['https://a', 'https://b'] };
const standby = () => new WebHdfsError('OP /: StandbyException: Operation category READ is not supported in state standby', 'OP', '/', 403, 'StandbyException');
const dropped = () => new WebHdfsError('OP /: connection reset', 'OP', '/', undefined, undefined, 'ECONNRESET');

test('throughActive: a standby is passed over, the active one remembered; a dropped mutation is re-checked, not sent twice', async () => {
  const calls: string[] = [];
  const v = await throughActive({ ...set, key: 'ns1' }, { mutation: false, idempotent: false, run: async (b) => { calls.push(b); if (b === 'https://a') throw standby(); return 'ok'; } }, classifyFailure);
  assert.is(v, 'ok');
  assert.equal(calls, ['https://a', 'https://b']);
  calls.length = 0;
  await throughActive({ ...set, key: 'ns1' }, { mutation: false, idempotent: false, run: async (b) => { calls.push(b); return 'ok'; } }, classifyFailure);
  assert.equal(calls, ['https://b'], 'the last active NameNode goes first');

  // CREATESNAPSHOT dropped on nn1 after it was applied: nn2 (now active) shows it done, it is not sent again
  const sent: string[] = [];
  const r = await throughActive({ ...set, key: 'ns2' }, {
    mutation: true, idempotent: false,
    run: async (b) => { sent.push(b); throw dropped(); },
    recheck: async (b) => (b === 'https://b' ? { done: true, value: 'done before' } : { done: false }),
  }, classifyFailure);
  assert.is(r, 'done before');
  assert.equal(sent, ['https://a']);

  // without a re-check a non-idempotent mutation is not sent again
  let err: Error | undefined;
  await throughActive({ ...set, key: 'ns3' }, { mutation: true, idempotent: false, run: async () => { throw dropped(); } }, classifyFailure, 0).catch((e: Error) => (err = e));
  assert.match(err?.message ?? '', /not sent again blindly/);
});

test('throughActive: no active NameNode → one plain error naming each NameNode and what it said', async () => {
  let err: Error | undefined;
  await throughActive({ ...set, key: 'ns4' }, { mutation: false, idempotent: false, run: async (b) => { throw b === 'https://a' ? standby() : new WebHdfsError('GETFILESTATUS /: connection refused (connect ECONNREFUSED)', 'OP', '/', undefined, undefined, 'ECONNREFUSED'); } }, classifyFailure, 0).catch((e: Error) => (err = e));
  assert.match(err?.message ?? '', /^no active NameNode in nameservice ns4: nn1 \(https:\/\/a\) standby, nn2 \(https:\/\/b\) connection refused/);
});

test('a Kerberized client refuses to hand out a bare URL (the block streams\' path): a clear error, not a 401', () => {
  const fs = new WebHdfs({ baseUrl: 'https://nn1:9871', token: async () => 't', cluster: 'prod' });
  assert.throws(() => fs.url('/x', 'OPEN'), /cluster prod: hbr does not stream block data to or from a Kerberized or ca_bundle cluster yet/);
  assert.match(new WebHdfs({ baseUrl: 'http://nn:9870', user: 'u' }).url('/x', 'OPEN'), /user\.name=u/);
});

// ---------------------------------------------------------------- the loader
const dir = mkdtempSync(join(tmpdir(), 'hbr-secure-unit-'));
const keytab = join(dir, 'hbr.keytab');
writeFileSync(keytab, 'not really a keytab');
chmodSync(keytab, 0o600);
const ha = (extra = '', auth = `auth: { kerberos: { principal: hbr@EXAMPLE.COM, keytab: ${keytab} } }`) => `version: 1
clusters:
  prod:
    hdfs:
      nameservice: ProdNS
      namenodes:
        nn1: { http: https://nn1:9871, rpc: nn1:8020 }
        nn2: { http: https://nn2:9871, rpc: nn2:8020 }
      ${auth}
${extra}`;
const load = (text: string) => loadConfigSources([{ file: 'p.yaml', text }]);
const errorsOf = (text: string) => {
  const r = load(text);
  return 'errors' in r ? r.errors.map(formatPolicyError) : [];
};

test('an HA Kerberized cluster loads: fs and endpoint hdfs://<nameservice> (lower-cased), NameNodes in order, auth', () => {
  const r = load(ha());
  if ('errors' in r) throw new Error(r.errors.map(formatPolicyError).join('\n'));
  const c = hdfsClusterOf(r.config.clusters, 'prod');
  assert.is(c.fs, 'hdfs://ProdNS');
  assert.is(hdfsEndpoint(c, 'prod'), 'hdfs://prodns');
  assert.equal(c.namenodes?.map((n) => n.name), ['nn1', 'nn2']);
  assert.is(c.webhdfs, 'https://nn1:9871');
  assert.equal(c.auth, { kind: 'kerberos', principal: 'hbr@EXAMPLE.COM', keytab });
});

test('loader: user with kerberos, http:// with kerberos, a wrong fs, a missing keytab, half an HA cluster: errors at file:line:col', () => {
  const withUser = errorsOf(ha().replace('      nameservice', '      user: hbr\n      nameservice'));
  assert.ok(withUser.some((e) => /^p\.yaml:\d+:\d+: .*'user' cannot go with auth\.kerberos/.test(e)), withUser.join('\n'));
  const plain = errorsOf(ha().replace('https://nn2:9871', 'http://nn2:9870'));
  assert.ok(plain.some((e) => /^p\.yaml:8:\d+: .*http:\/\/nn2:9870 is plain HTTP/.test(e)), plain.join('\n'));
  const fs = errorsOf(ha().replace('      nameservice', '      fs: hdfs://nn1:8020\n      nameservice'));
  assert.ok(fs.some((e) => /an HA cluster's fs is its nameservice, hdfs:\/\/ProdNS/.test(e)), fs.join('\n'));
  const gone = errorsOf(ha('', `auth: { kerberos: { principal: hbr@EXAMPLE.COM, keytab: ${dir}/missing.keytab } }`));
  assert.ok(gone.some((e) => /^p\.yaml:9:\d+: .*keytab .*missing\.keytab does not exist/.test(e)), gone.join('\n'));
  const half = errorsOf(ha().replace(/      nameservice: ProdNS\n/, ''));
  assert.ok(half.some((e) => /'namenodes' needs 'nameservice'/.test(e)), half.join('\n'));
});

test('loader: a keytab others may read loads, with a warning at its file:line:col', () => {
  const open = join(dir, 'open.keytab');
  writeFileSync(open, 'x');
  chmodSync(open, 0o644);
  const said: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (said.push(String(chunk)), true)) as typeof process.stderr.write;
  let r;
  try {
    r = load(ha('', `auth: { kerberos: { principal: hbr@EXAMPLE.COM, keytab: ${open} } }`));
  } finally {
    process.stderr.write = write;
  }
  assert.not.ok('errors' in r, 'loads');
  assert.ok(said.some((l) => /^p\.yaml:9:\d+: warning: keytab .*open\.keytab can be read by group or others \(mode 644\): chmod 600 it/.test(l)), said.join(''));
});

test('_HOST in a principal is this host\'s name, lower-cased ($HBR_HOSTNAME first), as Hadoop\'s SecurityUtil.getServerPrincipal does', () => {
  assert.is(hostPrincipal('hbr/_HOST@EXAMPLE.COM', 'Edge1.Prod.Example.COM'), 'hbr/edge1.prod.example.com@EXAMPLE.COM');
  assert.is(hostPrincipal('hbr@EXAMPLE.COM', 'edge1'), 'hbr@EXAMPLE.COM');
  const before = process.env.HBR_HOSTNAME;
  process.env.HBR_HOSTNAME = 'Daemon2.Example.com';
  try {
    const c = loadHdfsCluster('prod', { fs: 'hdfs://ns', webhdfs: 'https://nn:9871', auth: { kerberos: { principal: 'hbr/_HOST@EXAMPLE.COM', keytab: '/k' } } }, { file: 'p.yaml', line: 1, col: 1 });
    assert.is(c.auth?.principal, 'hbr/daemon2.example.com@EXAMPLE.COM');
  } finally {
    if (before === undefined) delete process.env.HBR_HOSTNAME;
    else process.env.HBR_HOSTNAME = before;
  }
});

test('HA nameservices as -D properties for a client JVM: only those the conf dir does not define, its own kept listed; none without rpc addresses; none when the conf dir is unknown', () => {
  const at = { file: 'p.yaml', line: 1, col: 1 };
  const ha = (name: string, ns: string, rpc = true) => loadHdfsCluster(name, { nameservice: ns, namenodes: { nn1: { http: `https://${ns}1:9871`, ...(rpc && { rpc: `${ns}1:8020` }) }, nn2: { http: `https://${ns}2:9871`, ...(rpc && { rpc: `${ns}2:8020` }) } } }, at);
  const single = loadHdfsCluster('dr1', { webhdfs: 'https://dr:9871', fs: 'hdfs://dr:8020' }, at);
  assert.equal(nameserviceConf([ha('prod', 'prodns'), ha('dr', 'drns')], ['prodns', 'other']), {
    'dfs.nameservices': 'prodns,other,drns',
    'dfs.ha.namenodes.drns': 'nn1,nn2',
    'dfs.namenode.rpc-address.drns.nn1': 'drns1:8020',
    'dfs.namenode.rpc-address.drns.nn2': 'drns2:8020',
    'dfs.client.failover.proxy.provider.drns': 'org.apache.hadoop.hdfs.server.namenode.ha.ConfiguredFailoverProxyProvider',
  });
  assert.equal(nameserviceConf([ha('prod', 'prodns'), single], ['prodns']), {}, 'all known already');
  assert.equal(nameserviceConf([ha('prod', 'prodns', false)], []), {}, 'no rpc: left to the conf dir');
  const dir = mkdtempSync(join(tmpdir(), 'hbr-conf-'));
  writeFileSync(join(dir, 'hdfs-site.xml'), '<configuration><property><name>dfs.nameservices</name><value> a, b </value></property></configuration>');
  assert.equal(confDirNameservices(dir, {}), ['a', 'b']);
  assert.equal(confDirNameservices(undefined, { HADOOP_CONF_DIR: dir }), ['a', 'b']);
  assert.is(confDirNameservices(undefined, {}), undefined, 'unknown conf dir: nothing added');
  assert.is(confDirNameservices(join(dir, 'nope'), {}), undefined);
});

test.run();
