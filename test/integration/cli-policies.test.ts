/**
 * Bad policies through the real CLI: each gives file:line:col and a clear message, exits non-zero,
 * and nothing is applied. (The loader's own unit suite covers 45 kinds; these are the CLI's proof.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
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

test('hbr --help and --version', async () => {
  const help = await hbr(['--help']);
  assert.is(help.code, 0);
  for (const c of ['validate', 'plan', 'apply']) assert.match(help.stdout, c);
  assert.match((await hbr(['--version'])).stdout, /^\d+\.\d+\.\d+/);
});

test.run();
