/**
 * NameNode health over HTTP (JMX + conf servlets): against the test bed's real NameNodes, and
 * against a small local stand-in for the answers a healthy test bed never gives.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HdfsCluster } from '../../src/hadoop/cluster.js';
import { observeHdfsHealth } from '../../src/hadoop/health.js';
import { testbed } from '../helpers/testbed.js';

const tb = testbed();

function cluster(webhdfs: string, name = 'primary'): HdfsCluster {
  return { name, kind: 'hdfs', webhdfs, fs: tb.HBR_TB_PRIMARY_FS, user: tb.HBR_TB_HDFS_USER, at: { file: 'x', line: 1, col: 1 } };
}

/** A port nothing listens on: bound by us, then released. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** A stand-in NameNode HTTP server; `handler` answers every request. */
async function fakeNameNode(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => { s.closeAllConnections(); s.close(() => r()); }),
  };
}

const FSN = 'Hadoop:service=NameNode,name=FSNamesystem';
const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

test('healthy test bed: no missing or corrupt blocks, integer counts, trash known', async () => {
  for (const [name, url] of [['primary', tb.HBR_TB_PRIMARY_WEBHDFS], ['dr', tb.HBR_TB_DR_WEBHDFS]] as const) {
    const h = await observeHdfsHealth(cluster(url, name), { timeoutMs: 5_000 });
    assert.is(h.cluster, name);
    assert.is(h.missingBlocks, 0, `${name} missing`);
    assert.is(h.corruptBlocks, 0, `${name} corrupt`);
    for (const n of [h.missingBlocks, h.corruptBlocks, h.underReplicatedBlocks]) assert.ok(Number.isInteger(n) && n >= 0, `${name}: ${n}`);
    // The test bed leaves fs.trash.interval at its default, 0: the conf servlet answers, trash is off.
    assert.is(h.trashEnabled, false, `${name} trash`);
  }
});

test('the counts are the JMX bean\'s own', async () => {
  const raw = (await (await fetch(`${tb.HBR_TB_PRIMARY_WEBHDFS}/jmx?qry=${FSN}`)).json()) as { beans: Record<string, number>[] };
  const bean = raw.beans[0]!;
  const h = await observeHdfsHealth(cluster(tb.HBR_TB_PRIMARY_WEBHDFS));
  assert.equal(
    [h.missingBlocks, h.corruptBlocks, h.underReplicatedBlocks],
    [bean.MissingBlocks, bean.CorruptBlocks, bean.UnderReplicatedBlocks],
  );
});

test('unreachable NameNode: fails fast, names the cluster and the URL', async () => {
  const port = await closedPort();
  const t0 = Date.now();
  const err = await observeHdfsHealth(cluster(`http://127.0.0.1:${port}`, 'gone'), { timeoutMs: 5_000 }).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(err, 'expected a failure');
  assert.ok(Date.now() - t0 < 2_000, `took ${Date.now() - t0} ms`);
  assert.match(err.message, "cluster 'gone'");
  assert.match(err.message, `http://127.0.0.1:${port}/jmx`);
  assert.match(err.message, 'ECONNREFUSED');
  assert.not.match(err.message, 'user.name', 'the simple-auth user is not part of the message');
});

test('credentials in the URL are refused and never echoed', async () => {
  const err = await observeHdfsHealth(cluster('http://admin:s3cret@127.0.0.1:9870')).catch((e: Error) => e);
  assert.instance(err, Error);
  assert.not.match((err as Error).message, 's3cret');
  assert.not.match((err as Error).message, 'admin:');
});

test('a NameNode that does not answer: the timeout applies, and the caller can abort', async () => {
  const nn = await fakeNameNode(() => { /* never answers */ });
  try {
    const t0 = Date.now();
    const err = await observeHdfsHealth(cluster(nn.url), { timeoutMs: 300 }).catch((e: Error) => e);
    assert.ok(Date.now() - t0 < 2_000);
    assert.match((err as Error).message, 'no answer within 300 ms');

    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const aborted = await observeHdfsHealth(cluster(nn.url), { timeoutMs: 10_000, signal: ac.signal }).catch((e: Error) => e);
    assert.match((aborted as Error).message, 'aborted');
  } finally {
    await nn.close();
  }
});

test('conf servlet unavailable → trash unknown; fs.trash.interval > 0 → trash on', async () => {
  let trash: 'missing' | 'on' | 'forbidden' = 'missing';
  const seen: { path: string; accept: string | undefined; user: string | null }[] = [];
  const nn = await fakeNameNode((req, res) => {
    const u = new URL(req.url!, 'http://x');
    seen.push({ path: u.pathname, accept: req.headers.accept, user: u.searchParams.get('user.name') });
    if (u.pathname === '/jmx' && u.searchParams.get('qry') === FSN) {
      return json(res, 200, { beans: [{ name: FSN, MissingBlocks: 2, CorruptBlocks: 1, LowRedundancyBlocks: 7 }] });
    }
    if (u.pathname === '/conf' && u.searchParams.get('name') === 'fs.trash.interval') {
      if (trash === 'on') return json(res, 200, { property: { key: 'fs.trash.interval', value: '1440', isFinal: false, resource: 'core-site.xml' } });
      if (trash === 'forbidden') return res.writeHead(403).end();
    }
    res.writeHead(404).end();
  });
  try {
    const h = await observeHdfsHealth(cluster(nn.url));
    // UnderReplicatedBlocks is deprecated in Hadoop 3; LowRedundancyBlocks is the same count.
    assert.equal(h, { cluster: 'primary', missingBlocks: 2, corruptBlocks: 1, underReplicatedBlocks: 7 });
    assert.ok(!('trashEnabled' in h));
    trash = 'forbidden';
    assert.is((await observeHdfsHealth(cluster(nn.url))).trashEnabled, undefined);
    trash = 'on';
    assert.is((await observeHdfsHealth(cluster(nn.url))).trashEnabled, true);
    // ConfServlet picks JSON from the Accept header only; simple auth rides along on both servlets.
    const conf = seen.find((s) => s.path === '/conf')!;
    assert.match(conf.accept ?? '', 'application/json');
    assert.ok(seen.every((s) => s.user === tb.HBR_TB_HDFS_USER));
  } finally {
    await nn.close();
  }
});

test('not a NameNode (no FSNamesystem bean) or a JMX error: a clear failure', async () => {
  let mode: 'empty' | 'status' | 'garbage' = 'empty';
  const nn = await fakeNameNode((_req, res) => {
    if (mode === 'empty') return json(res, 200, { beans: [] });
    if (mode === 'status') return res.writeHead(500).end('boom');
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"beans": [');
  });
  try {
    const msg = async () => ((await observeHdfsHealth(cluster(nn.url, 'x')).catch((e: Error) => e)) as Error).message;
    assert.match(await msg(), `no ${FSN} bean`);
    mode = 'status';
    assert.match(await msg(), 'HTTP 500');
    mode = 'garbage';
    assert.match(await msg(), 'not JSON');
    assert.match(await msg(), "cluster 'x'");
  } finally {
    await nn.close();
  }
});

test.run();
