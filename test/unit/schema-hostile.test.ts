/**
 * Issue 9 item 11: inputs the loader accepted but should not (found by fuzzing): control and
 * bidirectional characters in any string or key, '..' segments and a leading '/' in key prefixes,
 * a mapping or list used as a key.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatPolicyError, loadConfigSources } from '../../src/schema/load.js';
import { errorsOf, expectOne, removeFixtures } from '../fixtures/policy-errors.js';

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function at(text: string, needle: string): [number, number] {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`${JSON.stringify(needle)} not in the fixture`);
  const before = text.slice(0, i).split('\n');
  return [before.length, before[before.length - 1]!.length + 1];
}

const HDFS = '{ hdfs: { webhdfs: http://nn:9870, fs: hdfs://nn:8020 } }';

// ---------------------------------------------------------------------------------------------
// item 11: control and bidirectional characters, '..' and '/' in prefixes, collections as keys

const HEAD = `version: 1\nclusters:\n  prod: ${HDFS}\n  zk: { zookeeper: { connect: zk1:2181, admin: http://zk1:8080 } }\nstores:\n  s: { s3: { bucket: b } }\npolicies:\n`;

/** Every character the loader refuses in a string or key, as YAML escapes them. */
const BAD = ['\\0', '\\x07', '\\t', '\\x1b', '\\x7f', '\\x85', '\\x9f', '\\u061C', '\\u200E', '\\u200F', '\\u202A', '\\u202E', '\\u2066', '\\u2069'];
const code = (esc: string) => `U+${JSON.parse(`"${esc.replace(/^\\0$/, '\\u0000').replace(/^\\x(..)$/, '\\u00$1')}"`).charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
const raw = (s: string) => /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(s);

test('control and bidi characters in values (paths) are refused, shown as U+XXXX', async () => {
  for (const b of BAD) {
    const text = `${HEAD}  w: { source: { cluster: prod, path: "/ware${b}house" }, snapshots: { every: 1h } }\n`;
    const e = await expectOne({ 'p.yaml': text }, 'p.yaml', ...at(text, '"/ware'), [code(b)], 'policies.w.source.path');
    assert.not.ok(raw(formatPolicyError(e)), JSON.stringify(formatPolicyError(e)));
  }
});

test('control and bidi characters in names (keys) are refused once, at the key, shown as U+XXXX', async () => {
  for (const b of ['\\u202E', '\\0', '\\x85']) {
    for (const [text, needle] of [
      [`${HEAD}  "w${b}": { source: { cluster: prod, path: /w }, snapshots: { every: 1h } }\n`, '"w'],
      [`version: 1\nclusters:\n  "pr${b}od": ${HDFS}\n`, '"pr'],
      [`version: 1\nstores:\n  "s${b}": { s3: { bucket: b } }\n`, '"s'],
    ] as const) {
      const { errors } = await errorsOf({ 'p.yaml': text });
      assert.is(errors.length, 1, errors.map(formatPolicyError).join('\n'));
      const e = errors[0]!;
      assert.is(`${e.line}:${e.col}`, at(text, needle).join(':'), formatPolicyError(e));
      assert.ok(e.message.includes(code(b)), e.message);
      assert.not.ok(raw(formatPolicyError(e)), JSON.stringify(formatPolicyError(e)));
    }
  }
});

test('control characters in other strings (store prefix, bucket, archive prefix, a raw one in the file) are refused', async () => {
  const s3 = `version: 1\nstores:\n  s: { s3: { bucket: "b\\u202Ec", prefix: "p\\x00/" } }\n`;
  const { errors } = await errorsOf({ 'p.yaml': s3 });
  assert.equal(errors.map((e) => [e.key, `${e.line}:${e.col}`, e.message.includes('U+')]), [
    ['stores.s.s3.bucket', at(s3, '"b').join(':'), true],
    ['stores.s.s3.prefix', at(s3, '"p').join(':'), true],
  ]);
  const zk = `${HEAD}  z: { source: { cluster: zk }, archive: { to: s, prefix: "zk\\u2066-", every: 1d } }\n`;
  await expectOne({ 'p.yaml': zk }, 'p.yaml', ...at(zk, '"zk'), ['U+2066'], 'policies.z.archive.prefix');
  const rawBidi = `${HEAD}  w: { source: { cluster: prod, path: /ware\u202Ehouse }, snapshots: { every: 1h } }\n`;
  const e = await expectOne({ 'p.yaml': rawBidi }, 'p.yaml', ...at(rawBidi, '/ware'), ['U+202E'], 'policies.w.source.path');
  assert.not.ok(raw(formatPolicyError(e)));
  const rawNul = `${HEAD}  w: { source: { cluster: prod, path: /ware\u0000house }, snapshots: { every: 1h } }\n`;
  const e2 = await expectOne({ 'p.yaml': rawNul }, 'p.yaml', ...at(rawNul, '/ware'), ['U+0000'], 'policies.w.source.path');
  assert.not.ok(raw(formatPolicyError(e2)));
});

test("'..' segments and a leading '/' are refused in archive and S3 store prefixes", async () => {
  for (const p of ['../zk-', 'a/../zk-', '..', 'a/..', '/zk-']) {
    const zk = `${HEAD}  z: { source: { cluster: zk }, archive: { to: s, prefix: "${p}", every: 1d } }\n`;
    await expectOne({ 'p.yaml': zk }, 'p.yaml', ...at(zk, `"${p}"`), ["'..'", "'/'"], 'policies.z.archive.prefix');
    const s3 = `version: 1\nstores:\n  s: { s3: { bucket: b, prefix: "${p}" } }\n`;
    await expectOne({ 'p.yaml': s3 }, 'p.yaml', ...at(s3, `"${p}"`), ["'..'", "'/'"], 'stores.s.s3.prefix');
  }
  // dots that are not a '..' segment are fine
  const ok = `${HEAD}  z: { source: { cluster: zk }, archive: { to: s2, prefix: zk..v1/a.-, every: 1d } }\n`.replace('stores:\n', 'stores:\n  s2: { s3: { bucket: c, prefix: "prod/..x/" } }\n');
  const r = loadConfigSources([{ file: 'p.yaml', text: ok }]);
  if ('errors' in r) assert.unreachable(r.errors.map(formatPolicyError).join('\n'));
});

test('a mapping or a list used as a key is a positioned error, with no warning on stderr', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    const cases: Array<[string, string]> = [
      [`version: 1\nclusters:\n  ? { a: 1 }\n  : ${HDFS}\n`, '{ a: 1 }'],
      ['version: 1\nclusters: { [a, b]: 1 }\n', '[a, b]'],
      [`${HEAD}  w: { source: { cluster: prod, path: /w }, snapshots: { every: 1h, keep: { ? [x] : 1 } } }\n`, '[x]'],
      ['version: 1\nx: &k { a: 1 }\npolicies: { *k : 1 }\n', '*k'],
    ];
    for (const [text, needle] of cases) {
      const e = await expectOne({ 'p.yaml': text }, 'p.yaml', ...at(text, needle), ['cannot be used as a key']);
      assert.ok(/a (mapping|list)/.test(e.message), e.message);
    }
    await new Promise((r) => setTimeout(r, 20)); // Node emits warnings on the next tick
    assert.equal(warnings, []);
  } finally {
    process.off('warning', onWarning);
  }
});

test.after(removeFixtures);
test.run();
