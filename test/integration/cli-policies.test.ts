/**
 * Bad policies through the real CLI: each gives file:line:col and a clear message, exits non-zero,
 * and nothing is applied. (The loader's own unit suite covers 45 kinds; these are the CLI's proof.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { hbr, tempDir } from '../helpers/hbr.js';

/** Three clusters (two HDFS, one ZooKeeper); each case adds its policies below line 6. */
const HEADER = `version: 1
clusters:
  p: { hdfs: { webhdfs: "http://nn:9870", fs: "hdfs://nn:8020" } }
  d: { hdfs: { webhdfs: "http://dr:9870", fs: "hdfs://dr:8020" } }
  z: { zookeeper: { connect: "zk:2181" } }
policies:
`;

const CASES: Array<{ name: string; yaml: string; at: string; message: string }> = [
  { name: 'bad-cron', at: '9:24', message: 'invalid cron', yaml: HEADER + '  a:\n    source: { cluster: p, path: /a }\n    snapshots: { cron: "61 * * * *" }\n' },
  { name: 'bad-duration', at: '9:25', message: '15min', yaml: HEADER + '  a:\n    source: { cluster: p, path: /a }\n    snapshots: { every: 15min }\n' },
  { name: 'credential', at: '10:5', message: 'credentials do not belong', yaml: HEADER + '  a:\n    source: { cluster: p, path: /a }\n    snapshots: { every: 1h }\n    password: hunter2\n' },
  { name: 'dangling-cluster', at: '8:24', message: "unknown cluster 'prod'", yaml: HEADER + '  a:\n    source: { cluster: prod, path: /a }\n    snapshots: { every: 1h }\n' },
  { name: 'duplicate-path', at: '11:33', message: 'already protected by policy', yaml: HEADER + '  a:\n    source: { cluster: p, path: /a }\n    snapshots: { every: 1h }\n  b:\n    source: { cluster: p, path: /a }\n    snapshots: { every: 2h }\n' },
  { name: 'empty', at: '1:1', message: 'empty policy file', yaml: '' },
  { name: 'every-and-cron', at: '9:29', message: 'mutually exclusive', yaml: HEADER + '  a:\n    source: { cluster: p, path: /a }\n    snapshots: { every: 1h, cron: "0 * * * *" }\n' },
  { name: 'negative-keep', at: '9:44', message: 'non-negative integer', yaml: HEADER + '  a:\n    source: { cluster: p, path: /a }\n    snapshots: { every: 1h, keep: { daily: -1 } }\n' },
  { name: 'nested-path', at: '11:33', message: 'nested inside', yaml: HEADER + '  a:\n    source: { cluster: p, path: /a }\n    snapshots: { every: 1h }\n  b:\n    source: { cluster: p, path: /a/b }\n    snapshots: { every: 2h }\n' },
  { name: 'no-schedule', at: '9:5', message: "one of 'every' or 'cron'", yaml: HEADER + '  a:\n    source: { cluster: p, path: /a }\n    snapshots: { keep: { last: 3 } }\n' },
  { name: 'no-version', at: '1:1', message: "missing required key 'version'", yaml: 'clusters: {}\n' },
  { name: 'relative-path', at: '8:33', message: 'absolute path', yaml: HEADER + '  a:\n    source: { cluster: p, path: data/a }\n    snapshots: { every: 1h }\n' },
  { name: 'rpo-short', at: '10:10', message: 'shorter than the snapshot interval', yaml: HEADER + '  a:\n    source: { cluster: p, path: /a }\n    snapshots: { every: 1h }\n    rpo: 30m\n' },
  { name: 'target-is-source', at: '11:33', message: 'own source', yaml: HEADER + '  a:\n    source: { cluster: p, path: /a }\n    snapshots: { every: 1h }\n    replicate:\n      - to: { cluster: p, path: /a }\n' },
  { name: 'typo-nested', at: '9:37', message: "did you mean 'daily'", yaml: HEADER + '  a:\n    source: { cluster: p, path: /a }\n    snapshots: { every: 1h, keep: { dialy: 7 } }\n' },
  { name: 'unknown-key', at: '10:5', message: "unknown key 'retain'", yaml: HEADER + '  a:\n    source: { cluster: p, path: /a }\n    snapshots: { every: 1h }\n    retain: 3\n' },
  { name: 'version-2', at: '1:10', message: 'unsupported version 2', yaml: 'version: 2\n' },
  { name: 'wrong-kind', at: '8:24', message: 'zookeeper cluster', yaml: HEADER + '  a:\n    source: { cluster: z, path: /a }\n    snapshots: { every: 1h }\n' },
  { name: 'wrong-type', at: '9:43', message: 'expected an integer', yaml: HEADER + '  a:\n    source: { cluster: p, path: /a }\n    snapshots: { every: 1h, keep: { last: three } }\n' },
  { name: 'yaml-syntax', at: '9:5', message: 'YAML syntax error', yaml: HEADER + '  a:\n    source: { cluster: p, path: /a\n    snapshots: { every: 1h }\n' },
  { name: 'zero-duration', at: '9:25', message: 'greater than zero', yaml: HEADER + '  a:\n    source: { cluster: p, path: /a }\n    snapshots: { every: 0s }\n' },
];

for (const c of CASES) {
  test(`bad policy (${c.name}): hbr validate exits 1 with file:line:col`, async () => {
    const dir = tempDir('bad');
    const file = join(dir, `${c.name}.yaml`);
    writeFileSync(file, c.yaml);
    const r = await hbr(['validate', '-f', file]);
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.ok(r.stderr.includes(`${file}:${c.at}: `), `expected ${file}:${c.at} in:\n${r.stderr}`);
    assert.ok(r.stderr.includes(c.message), `expected "${c.message}" in:\n${r.stderr}`);
    assert.match(r.stderr, /nothing was done/);
  });
}

test('plan and apply refuse bad policies before contacting any cluster', async () => {
  const dir = tempDir('bad');
  const file = join(dir, 'p.yaml');
  writeFileSync(file, CASES.find((c) => c.name === 'rpo-short')!.yaml);
  for (const cmd of [['plan'], ['apply', '--auto-approve']]) {
    const r = await hbr([...cmd, '-f', file, '--state-dir', join(dir, 'state')]);
    assert.is(r.code, 1);
    assert.match(r.stderr, /p\.yaml:10:10: /);
  }
});

// Issue 9, item 2: HBR_NOW ahead of the real clock must not silently write future-dated names.
test('apply refuses an HBR_NOW ahead of the real clock unless HBR_NOW_ALLOW_FUTURE=1; plan is fine', async () => {
  const dir = tempDir('future');
  const file = join(dir, 'p.yaml');
  writeFileSync(file, HEADER + '  a:\n    source: { cluster: p, path: /a }\n    snapshots: { every: 1h }\n');
  const future = new Date(Date.now() + 30 * 86_400_000).toISOString();
  const r = await hbr(['apply', '-f', file, '--state-dir', join(dir, 'state'), '--auto-approve'], { HBR_NOW: future, HBR_NOW_ALLOW_FUTURE: undefined });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, `HBR_NOW=${future} is ahead of this machine's clock`);
  assert.match(r.stderr, 'nothing was done');
  assert.not.match(r.stderr, /nn:9870|fetch failed|refused/); // refused before contacting any cluster
  const past = await hbr(['apply', '-f', file, '--state-dir', join(dir, 'state'), '--auto-approve'], { HBR_NOW: '2020-01-01T00:00:00Z', HBR_NOW_ALLOW_FUTURE: undefined });
  assert.not.match(past.stderr, /ahead of this machine's clock/);
});

// Issue 9, item 14: nothing observed is not "No changes"; a refused connection is named as such.
test('plan with nothing observable says how many policies could not be planned, and that the connection was refused', async () => {
  const dir = tempDir('down');
  const file = join(dir, 'p.yaml');
  // a port nothing listens on: bound, then closed
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  writeFileSync(file, 'version: 1\nclusters:\n  p: { hdfs: { webhdfs: "http://127.0.0.1:' + port + '", fs: "hdfs://127.0.0.1:8020" } }\npolicies:\n  a:\n    source: { cluster: p, path: /a }\n    snapshots: { every: 1h }\n  b:\n    source: { cluster: p, path: /b }\n    snapshots: { every: 1h }\n');
  const r = await hbr(['plan', '-f', file, '--state-dir', join(dir, 'state'), '--detailed-exitcode']);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.not.match(r.stdout, /No changes\. The observed state matches/);
  assert.match(r.stdout, /2 policies could not be planned \(a, b\)/);
  assert.match(r.stdout, `connection refused (connect ECONNREFUSED 127.0.0.1:${port})`);
  assert.not.match(r.stdout, /fetch failed/);
});

test('hbr --help and --version', async () => {
  const help = await hbr(['--help']);
  assert.is(help.code, 0);
  for (const c of ['validate', 'plan', 'apply']) assert.match(help.stdout, c);
  assert.match((await hbr(['--version'])).stdout, /^\d+\.\d+\.\d+/);
});

test.run();
