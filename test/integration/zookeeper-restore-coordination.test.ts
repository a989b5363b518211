/**
 * `hbr restore zookeeper --to-admin` into the very ensemble `coordination:` names is refused
 * (src/systems/zookeeper/restore-guard.ts): the AdminServer restore replaces the whole data tree,
 * hbr's apply lock and election znodes with it. Real test bed ZooKeeper, a local store.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hbr, tempDir } from '../helpers/hbr.js';
import { testbed, uniq } from '../helpers/testbed.js';
import { zkConnect } from '../helpers/zk.js';

const tb = testbed();

test('a restore through the AdminServer of the coordination ensemble is refused, naming why; hbr coordination znodes untouched', async () => {
  const dir = tempDir('zkcoord');
  const store = join(dir, 'store');
  mkdirSync(store, { recursive: true });
  const zkPath = `/hbr-it/${uniq('zkcoord')}`;
  const file = join(dir, 'zk.yaml');
  // The admin URL by another name for the same server (localhost vs 127.0.0.1): still the ensemble.
  const admin = tb.HBR_TB_ZK_ADMIN.replace('127.0.0.1', 'localhost');
  writeFileSync(
    file,
    `version: 1
coordination:
  zookeeper: { connect: "${tb.HBR_TB_ZK_CONNECT}", path: ${zkPath}, session_timeout: 4s }
clusters:
  zka: { zookeeper: { admin: ${tb.HBR_TB_ZK_ADMIN}, connect: ${tb.HBR_TB_ZK_CONNECT} } }
stores:
  vault: { local: { path: ${store} } }
policies:
  zk:
    source: { cluster: zka }
    archive: { to: vault, prefix: zk-admin-, every: 1h, keep: { daily: 7 } }
`,
  );
  const c = await zkConnect(tb.HBR_TB_ZK_CONNECT);
  const marker = `${zkPath}/marker`;
  try {
    await new Promise<void>((resolve, reject) => c.mkdirp(marker, Buffer.from('hbr-owned'), (e) => (e ? reject(e) : resolve())));
    const r = await hbr(['restore', 'zookeeper', '--policy', 'zk', '--to-admin', admin, '-f', file, '--state-dir', join(dir, 'state'), '--auto-approve'], {
      HBR_ZK_ADMIN_AUTH: `${tb.HBR_TB_ZK_ADMIN_USER}:${tb.HBR_TB_ZK_ADMIN_PASSWORD}`,
    });
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /serves the coordination ensemble/);
    assert.match(r.stderr, new RegExp(`coordination znodes under ${zkPath}`));
    const data = await new Promise<Buffer>((resolve, reject) => c.getData(marker, (e, d) => (e ? reject(e) : resolve(d))));
    assert.is(data.toString(), 'hbr-owned');
  } finally {
    c.close();
  }
});

test.run();
