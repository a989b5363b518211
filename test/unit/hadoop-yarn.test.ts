/**
 * The pure parts of DistCp on YARN (src/hadoop/yarn.ts, distcp.ts, jvm-login.ts; issue 15): tags
 * YARN keeps as given, the RM REST answers parsed, the application id read from the client's log,
 * the RM's web address from a conf dir, and the launcher's argv/env (a keytab's path only).
 * The real RM: test/secure/yarn-distcp.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appIdFromLog, jobTags, ownerTag, parseApps, rmWebappFromConfDir, sanitizeTag, siteProperties, stepTag } from '../../src/hadoop/yarn.js';
import { distcpOptions } from '../../src/hadoop/distcp.js';
import { LAUNCHER_CLASS, restCommand, toolCommand } from '../../src/hadoop/jvm-login.js';
import { distcpAccess, ownerIdentity, yarnSweep } from '../../src/hadoop/distcp-access.js';
import type { HdfsCluster } from '../../src/hadoop/cluster.js';

test('tags: lower-case, only [a-z0-9._-], at most 100 characters', () => {
  assert.is(sanitizeTag('HBR-Policy-Sales DB/2026'), 'hbr-policy-sales-db-2026');
  assert.is(sanitizeTag('x'.repeat(150)).length, 100);
  assert.is(sanitizeTag('--a,,b--'), 'a-b');
  assert.is(stepTag('hbr-step=0A1b2c3d4e5f'), 'hbr-step-0a1b2c3d4e5f');
});

test('job tags: hbr, owner, step, policy; ≤ 10, no commas inside a tag, stable owner tag', () => {
  const owner = ownerTag('/var/lib/hbr');
  assert.match(owner, /^hbr-owner-[0-9a-f]{8}$/);
  assert.is(ownerTag('/var/lib/hbr'), owner);
  assert.is.not(ownerTag('/var/lib/other'), owner);
  const tags = jobTags({ marker: 'hbr-step=abcdef012345', owner, policy: 'Sales,DR' });
  assert.equal(tags, ['hbr', owner, 'hbr-step-abcdef012345', 'hbr-policy-sales-dr']);
  assert.ok(tags.every((t) => t.length <= 100 && !t.includes(',') && t === t.toLowerCase()));
  assert.ok(jobTags({ marker: 'hbr-step=1', owner, policy: 'p'.repeat(300) })[3]!.length <= 80);
});

test('distcp options: generic -D options first, then -m and -bandwidth', () => {
  const owner = ownerTag('x');
  assert.equal(distcpOptions('hbr-step=aa', {}), ['-Dhbr.step=hbr-step=aa']);
  assert.equal(distcpOptions('hbr-step=aa', { yarn: { rm: { webapp: 'http://rm:8088' }, ownerTag: owner }, queue: 'dr', maps: 4, bandwidth: 12.5 }), [
    '-Dhbr.step=hbr-step=aa',
    `-Dmapreduce.job.tags=hbr,${owner},hbr-step-aa`,
    '-Dmapreduce.job.queuename=dr',
    '-m', '4',
    '-bandwidth', '12.5',
  ]);
});

test('RM REST: apps list parsed (one, none as {} and null), tags split', () => {
  // shape as the test bed's ResourceManager answered GET /ws/v1/cluster/apps?applicationTags=…
  const one = '{"apps":{"app":[{"id":"application_1796226496809_0001","user":"hbr","name":"distcp","queue":"root.default","state":"ACCEPTED","finalStatus":"UNDEFINED","progress":0.0,"applicationType":"MAPREDUCE","applicationTags":"hbr,hbr-step-xyz"}]}}';
  assert.equal(parseApps(one), [{ id: 'application_1796226496809_0001', state: 'ACCEPTED', user: 'hbr', tags: ['hbr', 'hbr-step-xyz'], progress: 0 }]);
  assert.equal(parseApps('{"apps":{}}'), []);
  assert.equal(parseApps('{"apps":null}'), []);
  assert.throws(() => parseApps('<html>'));
});

test('application id from the DistCp client log lines', () => {
  assert.is(appIdFromLog('2026-12-02 15:48:35,603 INFO mapreduce.Job: The url to track the job: https://localhost:43290/proxy/application_1796226496809_0001/'), 'application_1796226496809_0001');
  assert.is(appIdFromLog('INFO mapreduce.Job: Running job: job_1796226496809_0002'), 'application_1796226496809_0002');
  assert.is(appIdFromLog('INFO impl.YarnClientImpl: Submitted application application_17_3'), 'application_17_3');
  assert.is(appIdFromLog('INFO mapreduce.Job:  map 0% reduce 0%'), undefined);
  assert.is(appIdFromLog('INFO mapred.LocalJobRunner: job_local1234_0001'), undefined);
});

test('RM web address from a conf dir: only when MapReduce runs on YARN; HTTPS_ONLY picks the https address', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hbr-yarn-conf-'));
  const site = (props: Record<string, string>) => `<?xml version="1.0"?><configuration>\n${Object.entries(props).map(([k, v]) => `  <property><name>${k}</name><value>${v}</value></property>`).join('\n')}\n</configuration>`;
  assert.is(rmWebappFromConfDir(dir), undefined);
  writeFileSync(join(dir, 'mapred-site.xml'), site({ 'mapreduce.framework.name': 'local' }));
  assert.is(rmWebappFromConfDir(dir), undefined);
  writeFileSync(join(dir, 'mapred-site.xml'), site({ 'mapreduce.framework.name': 'yarn' }));
  writeFileSync(join(dir, 'yarn-site.xml'), site({ 'yarn.resourcemanager.hostname': 'rm1', 'yarn.resourcemanager.webapp.https.address': 'rm1:8090' }));
  assert.is(rmWebappFromConfDir(dir), 'http://rm1:8088');
  writeFileSync(join(dir, 'yarn-site.xml'), site({ 'yarn.http.policy': 'HTTPS_ONLY', 'yarn.resourcemanager.webapp.https.address': 'rm1:8090' }));
  assert.is(rmWebappFromConfDir(dir), 'https://rm1:8090');
  assert.equal([...siteProperties('<configuration><property>\n <name> a.b </name>\n <value>x y</value>\n <final>true</final></property></configuration>')], [['a.b', 'x y']]);
});

test('launcher: plain `hadoop distcp` without a login; through dev.hbr.KeytabRun with one, keytab as a path in the env only', () => {
  const plain = toolCommand(undefined, { sub: 'distcp', mainClass: 'org.apache.hadoop.tools.DistCp' }, ['-update', 'a', 'b'], {});
  assert.equal(plain.argv, ['distcp', '-update', 'a', 'b']);
  const cp = mkdtempSync(join(tmpdir(), 'hbr-launcher-'));
  mkdirSync(join(cp, 'dev', 'hbr'), { recursive: true });
  writeFileSync(join(cp, 'dev', 'hbr', 'KeytabRun.class'), '');
  const login = { principal: 'hbr@EXAMPLE.COM', keytab: '/etc/hbr/hbr.keytab', krb5Conf: '/etc/krb5.conf', confDir: '/etc/hadoop/conf' };
  const k = toolCommand(login, { sub: 'distcp', mainClass: 'org.apache.hadoop.tools.DistCp' }, ['a', 'b'], { HBR_LAUNCHER_CLASSPATH: cp, HADOOP_CLASSPATH: '/x' });
  assert.equal(k.argv, [LAUNCHER_CLASS, 'run', 'org.apache.hadoop.tools.DistCp', 'a', 'b']);
  assert.is(k.env.HADOOP_CLASSPATH, `${cp}:/x`);
  assert.is(k.env.HBR_KRB_PRINCIPAL, 'hbr@EXAMPLE.COM');
  assert.is(k.env.HBR_KRB_KEYTAB, '/etc/hbr/hbr.keytab');
  assert.is(k.env.HBR_KRB5_CONF, '/etc/krb5.conf');
  assert.is(k.env.HADOOP_CONF_DIR, '/etc/hadoop/conf');
  assert.not.ok(k.argv.join(' ').includes('keytab'), 'no keytab in argv');
  assert.throws(() => toolCommand(login, { sub: 'distcp', mainClass: 'X' }, [], { HBR_LAUNCHER_CLASSPATH: join(cp, 'nope') }), /keytab launcher is not built.*npm run build/);
  assert.equal(restCommand('PUT', 'https://rm:8090/ws/v1/cluster/apps/a/state', '/ca.pem'), [LAUNCHER_CLASS, 'rest', 'PUT', 'https://rm:8090/ws/v1/cluster/apps/a/state', '/ca.pem']);
});

test('distcpAccess: no Kerberos, nothing; a Kerberized cluster logs DistCp in from its keytab with its conf dir; a conf dir on YARN adds the RM and the owner tag', () => {
  const at = { file: 't.yaml', line: 1, col: 1 };
  const plain: HdfsCluster = { name: 'a', kind: 'hdfs', webhdfs: 'http://a:9870', fs: 'hdfs://a:8020', at };
  const run = { stateDir: '/nonexistent/state', hadoop: 'hadoop', policy: 'p' };
  assert.equal(distcpAccess([plain, plain], run), {});
  const auth = { kind: 'kerberos' as const, principal: 'hbr@EXAMPLE.COM', keytab: '/k/hbr.keytab', krb5Conf: '/k/krb5.conf' };
  const local = mkdtempSync(join(tmpdir(), 'hbr-conf-'));
  writeFileSync(join(local, 'mapred-site.xml'), '<configuration><property><name>mapreduce.framework.name</name><value>local</value></property></configuration>');
  const secure: HdfsCluster = { ...plain, name: 'b', fs: 'hdfs://ns', auth, confDir: local, caBundle: '/k/ca.pem' };
  // the source has no auth: the Kerberized side's login is used, local runner: no yarn
  assert.equal(distcpAccess([plain, secure], run), { login: { principal: 'hbr@EXAMPLE.COM', keytab: '/k/hbr.keytab', krb5Conf: '/k/krb5.conf', confDir: local } });
  const onYarn = mkdtempSync(join(tmpdir(), 'hbr-conf-'));
  writeFileSync(join(onYarn, 'mapred-site.xml'), '<configuration><property><name>mapreduce.framework.name</name><value>yarn</value></property></configuration>');
  writeFileSync(join(onYarn, 'yarn-site.xml'), '<configuration><property><name>yarn.http.policy</name><value>HTTPS_ONLY</value></property><property><name>yarn.resourcemanager.webapp.https.address</name><value>rm:8090</value></property></configuration>');
  const a = distcpAccess([{ ...secure, confDir: onYarn }, plain], run);
  assert.is(a.login?.confDir, onYarn);
  assert.equal(a.yarn, { rm: { webapp: 'https://rm:8090', login: a.login!, hadoop: 'hadoop', caPem: '/k/ca.pem' }, ownerTag: ownerTag('/nonexistent/state'), policy: 'p' });
});

test('owner of the YARN jobs: the deployment with coordination (every daemon and apply alike, hosts in any order), else the state dir; the sweep list has one entry per RM, only for Kerberized clusters', () => {
  const zk = { connect: 'zk2:2181, ZK1:2181', path: '/hbr/prod/' };
  assert.is(ownerIdentity('/var/lib/hbr-a', zk), ownerIdentity('/var/lib/hbr-b', { connect: 'zk1:2181,zk2:2181', path: '/hbr/prod' }));
  assert.is.not(ownerIdentity('/var/lib/hbr-a', zk), ownerIdentity('/var/lib/hbr-a', { ...zk, path: '/hbr/test' }));
  assert.is(ownerIdentity('/nonexistent/state'), '/nonexistent/state');
  const at = { file: 't.yaml', line: 1, col: 1 };
  const onYarn = mkdtempSync(join(tmpdir(), 'hbr-conf-'));
  writeFileSync(join(onYarn, 'mapred-site.xml'), '<configuration><property><name>mapreduce.framework.name</name><value>yarn</value></property></configuration>');
  writeFileSync(join(onYarn, 'yarn-site.xml'), '<configuration><property><name>yarn.resourcemanager.webapp.address</name><value>rm:8088</value></property></configuration>');
  const auth = { kind: 'kerberos' as const, principal: 'hbr@EXAMPLE.COM', keytab: '/k/hbr.keytab' };
  const plain: HdfsCluster = { name: 'a', kind: 'hdfs', webhdfs: 'http://a:9870', fs: 'hdfs://a:8020', at, confDir: onYarn };
  const run = { stateDir: '/nonexistent/state', hadoop: 'hadoop', coordination: zk };
  assert.equal(yarnSweep([plain], run), [], 'no Kerberos: the local user runs DistCp as before, nothing to sweep');
  const k1: HdfsCluster = { ...plain, name: 'b', auth, confDir: undefined } as HdfsCluster;
  const k2: HdfsCluster = { ...plain, name: 'c', auth };
  const sweep = yarnSweep([plain, k1, k2], run);
  assert.is(sweep.length, 1, 'one RM');
  assert.is(sweep[0]!.rm.webapp, 'http://rm:8088');
  assert.is(sweep[0]!.ownerTag, ownerTag(ownerIdentity('/elsewhere', zk)), 'the deployment\'s owner tag');
  assert.is(distcpAccess([k2, plain], run).yarn?.ownerTag, sweep[0]!.ownerTag, 'the tag its DistCps carry');
});

test.run();
