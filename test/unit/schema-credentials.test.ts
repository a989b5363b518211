/**
 * Issue 9 item 5, the loader's part: a URL with `user:password@` (or `user@`) is refused in every
 * string of a policy file, at the value, without echoing it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatPolicyError, loadConfigSources } from '../../src/schema/load.js';
import { expectOne, removeFixtures } from '../fixtures/policy-errors.js';

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function at(text: string, needle: string): [number, number] {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`${JSON.stringify(needle)} not in the fixture`);
  const before = text.slice(0, i).split('\n');
  return [before.length, before[before.length - 1]!.length + 1];
}

// ---------------------------------------------------------------------------------------------
// item 5: credentials in URLs

const SECRET = 'hunter2';
const URL_CASES: Array<{ what: string; text: string; value: string; key: string }> = [
  { what: 'hdfs webhdfs', value: `"http://bob:${SECRET}@nn:9870"`, key: 'clusters.prod.hdfs.webhdfs', text: '' },
  { what: 'hdfs fs', value: `"hdfs://bob:${SECRET}@nn:8020"`, key: 'clusters.prod.hdfs.fs', text: '' },
  { what: 'zookeeper admin', value: `"http://bob:${SECRET}@zk1:8080"`, key: 'clusters.zk.zookeeper.admin', text: '' },
  { what: 's3 endpoint', value: `"https://bob:${SECRET}@minio:9000"`, key: 'stores.m.s3.endpoint', text: '' },
  { what: 'coordination connect (URL-like)', value: `"zk://bob:${SECRET}@zk1:2181"`, key: 'coordination.zookeeper.connect', text: '' },
  { what: 'a user alone', value: `"http://${SECRET}@nn:9870"`, key: 'clusters.prod.hdfs.webhdfs', text: '' },
];
for (const c of URL_CASES) {
  const v = c.value;
  const webhdfs = c.key === 'clusters.prod.hdfs.webhdfs' ? v : 'http://nn:9870';
  const fsUri = c.key === 'clusters.prod.hdfs.fs' ? v : 'hdfs://nn:8020';
  c.text = [
    'version: 1',
    'clusters:',
    `  prod: { hdfs: { webhdfs: ${webhdfs}, fs: ${fsUri} } }`,
    `  zk: { zookeeper: { connect: zk1:2181${c.key.includes('admin') ? `, admin: ${v}` : ''} } }`,
    'stores:',
    `  m: { s3: { bucket: b${c.key.includes('endpoint') ? `, endpoint: ${v}` : ''} } }`,
    ...(c.key.startsWith('coordination') ? ['coordination:', `  zookeeper: { connect: ${v}, path: /hbr }`] : []),
    '',
  ].join('\n');
}

test('a URL with user:password@ is refused in every field, at the value, and never echoed', async () => {
  for (const c of URL_CASES) {
    const [line, col] = at(c.text, c.value);
    const e = await expectOne({ 'p.yaml': c.text }, 'p.yaml', line, col, ['user:password@', 'credentials do not belong'], c.key);
    assert.not.ok(formatPolicyError(e).includes(SECRET), `${c.what}: ${formatPolicyError(e)}`);
  }
});

test('a URL with userinfo is refused wherever it is, even where the schema also fails (one error, not echoed)', async () => {
  // the bucket is not a URL field: any string that looks like scheme://userinfo@ is refused
  const text = `version: 1\nstores:\n  m: { s3: { bucket: "s3://bob:${SECRET}@bucket" } }\n`;
  const [line, col] = at(text, '"s3://');
  const e = await expectOne({ 'p.yaml': text }, 'p.yaml', line, col, ['user:password@'], 'stores.m.s3.bucket');
  assert.not.ok(formatPolicyError(e).includes(SECRET));
  // a webhdfs URL the pattern refuses too (a space): the credential error alone, without the value
  const bad = `version: 1\nclusters:\n  prod: { hdfs: { webhdfs: "http://bob:${SECRET}@nn :9870", fs: hdfs://nn:8020 } }\n`;
  const e2 = await expectOne({ 'p.yaml': bad }, 'p.yaml', ...at(bad, '"http'), ['user:password@'], 'clusters.prod.hdfs.webhdfs');
  assert.not.ok(formatPolicyError(e2).includes(SECRET));
});

test('URLs without userinfo, and an @ elsewhere, still load', () => {
  const r = loadConfigSources([{ file: 'p.yaml', text: `version: 1\nclusters:\n  prod: { hdfs: { webhdfs: "http://nn:9870/x@y", fs: hdfs://nn:8020, user: "hdfs@REALM" } }\n` }]);
  if ('errors' in r) assert.unreachable(r.errors.map(formatPolicyError).join('\n'));
});

test.after(removeFixtures);
test.run();
