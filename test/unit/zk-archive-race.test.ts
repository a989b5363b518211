/**
 * Two hbr runs taking the same ZooKeeper archive at once (CI saw it on the real test bed, stop 17):
 * the AdminServer names a snapshot by its last zxid, so a second `snapshot` at the same zxid
 * rewrites the very file the first request is streaming, and the first stream ends short of its
 * `snapshot_size` header. That is the other run's doing, not a broken server: the step must look
 * again, find the other run's archive in the store, and keep it, instead of failing the run.
 *
 * The AdminServer here is a local node:http stand-in that answers the way the real one did in that
 * race (headers of the whole file, fewer bytes); the real race is test/integration/zookeeper-policy
 * test 6.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archive } from '../../src/systems/zookeeper/steps.js';
import type { Config } from '../../src/model/policy.js';
import type { ArchiveStep } from '../../src/systems/zookeeper/types.js';
import { Action } from '../../src/model/plan.js';

const at = { file: 'test.yaml', line: 1, col: 1 };

test('a snapshot stream cut short by a racing run: the step looks again and keeps the other run\'s archive', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hbr-zk-race-'));
  const storeDir = join(root, 'store');
  mkdirSync(storeDir);
  const key = 'race-2030-03-21T03-00-00Z.tar.gz';
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    // The racing run's archive lands while this one is streaming.
    writeFileSync(join(storeDir, key), 'the other run\'s archive');
    res.writeHead(200, { 'content-type': 'application/octet-stream', last_zxid: '0x2a', snapshot_size: '150615' });
    res.end(Buffer.alloc(100352, 1));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const config: Config = {
    clusters: { zka: { name: 'zka', kind: 'zookeeper', admin: `http://127.0.0.1:${port}`, mode: 'admin', at } as Config['clusters'][string] },
    stores: { s: { name: 's', kind: 'local', path: storeDir, at } },
    policies: {},
    webhooks: {},
    files: [],
  };
  const step: ArchiveStep = {
    id: `zk.archive:s:${key}`,
    kind: 'zk.archive',
    action: Action.Create,
    policy: 'zk-race',
    target: { cluster: 's', path: key },
    params: { zookeeper: 'zka' },
    reason: 'test',
    dependsOn: [],
  };
  const lines: string[] = [];
  const prev = process.env.HBR_ZK_ADMIN_AUTH;
  process.env.HBR_ZK_ADMIN_AUTH = 'admin:secret';
  try {
    const out = await archive(step, { config, signal: new AbortController().signal, log: (m) => lines.push(m), hadoop: 'hadoop', stateDir: join(root, 'state') });
    assert.match(out.note ?? '', /already exists \(written by another hbr run\)/);
    assert.is(requests, 1);
    assert.match(lines.join('\n'), /cut short: 100352 of 150615 bytes; retrying/);
    assert.equal(readdirSync(storeDir), [key]);
  } finally {
    if (prev === undefined) delete process.env.HBR_ZK_ADMIN_AUTH;
    else process.env.HBR_ZK_ADMIN_AUTH = prev;
    server.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
