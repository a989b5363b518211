/**
 * The drill framework with the other system that has a drill (docs/drills.md, docs/drills-zookeeper.md):
 * `verify:`/`rto:` load for a ZooKeeper archive policy, `hbr verify` runs its drill against the real
 * test bed's ZooKeeper archive, times and records it; a truncated archive fails it, naming the archive.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readdirSync, readFileSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hbr, tempDir } from '../helpers/hbr.js';
import { testbed } from '../helpers/testbed.js';
import type { DrillRecord } from '../../src/engine/drill.js';

const tb = testbed();
const env = { HBR_ZK_ADMIN_AUTH: `${tb.HBR_TB_ZK_ADMIN_USER}:${tb.HBR_TB_ZK_ADMIN_PASSWORD}`, HBR_NOW: undefined };

test('hbr verify on a ZooKeeper archive policy: passes, recorded; a truncated archive fails, named', async () => {
  const dir = tempDir('zkverify');
  const store = join(dir, 'store');
  mkdirSync(store);
  const file = join(dir, 'zk.yaml');
  writeFileSync(
    file,
    `version: 1
clusters:
  zk: { zookeeper: { admin: ${tb.HBR_TB_ZK_ADMIN}, connect: ${tb.HBR_TB_ZK_CONNECT} } }
stores:
  vault: { local: { path: ${store} } }
policies:
  zk:
    source: { cluster: zk }
    archive: { to: vault, prefix: zk-, every: 24h, keep: { last: 3 } }
    verify: { every: 7d }
    rto: 10m
`,
  );
  const state = join(dir, 'state');
  const a = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], env);
  assert.is(a.code, 0, a.stdout + a.stderr);
  const ok = await hbr(['verify', '--policy', 'zk', '-f', file, '--state-dir', state, '--json'], env);
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  const rec = JSON.parse(ok.stdout) as DrillRecord;
  assert.is(rec.ok, true);
  assert.match(rec.point, /^vault:zk-.*\.tar\.gz$/);
  assert.is(rec.rtoSeconds, 600);
  assert.ok(rec.checks.length >= 3 && rec.checks.every((c) => c.ok));
  assert.equal(JSON.parse(readFileSync(join(state, 'drills', 'zk.json'), 'utf8')), rec);

  const archive = readdirSync(store).find((f) => f.endsWith('.tar.gz'))!;
  truncateSync(join(store, archive), Math.floor(statSync(join(store, archive)).size / 2));
  const bad = await hbr(['verify', '--policy', 'zk', '-f', file, '--state-dir', state], env);
  assert.is(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, new RegExp(`FAIL .*${archive.replace(/[.]/g, '\\.')}`));
  assert.match(bad.stdout, /Drill FAILED in [\d.]+s \(rto 600s\)/);
  const after = JSON.parse(readFileSync(join(state, 'drills', 'zk.json'), 'utf8')) as DrillRecord;
  assert.is(after.ok, false);
  assert.is(after.lastSuccessAt, rec.lastSuccessAt);
});

test.run();
