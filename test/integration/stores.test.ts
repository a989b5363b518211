/**
 * Store clients against real storage: S3StoreClient against the test bed's versitygw (a fresh bucket
 * per test), LocalStoreClient against a temp directory. Every contract test runs for both kinds;
 * the last test stops the S3 server in the middle of a multipart upload.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  S3Client,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  AbortMultipartUploadCommand,
} from '@aws-sdk/client-s3';
import { ChecksumMismatchError, LocalStoreClient, S3StoreClient, openStore, type StoreClient } from '../../src/stores/index.js';
import { repoRoot, testbed, uniq } from '../helpers/testbed.js';

const tb = testbed();
// S3StoreClient takes its credentials from the AWS default chain: give it the test bed's.
process.env.AWS_ACCESS_KEY_ID = tb.HBR_TB_S3_ACCESS_KEY;
process.env.AWS_SECRET_ACCESS_KEY = tb.HBR_TB_S3_SECRET_KEY;
process.env.AWS_REGION = tb.HBR_TB_S3_REGION;
delete process.env.AWS_PROFILE;
delete process.env.AWS_SESSION_TOKEN;

const MIB = 1024 * 1024;
const PREFIX = 'archives/';

const raw = new S3Client({
  endpoint: tb.HBR_TB_S3_ENDPOINT,
  region: tb.HBR_TB_S3_REGION,
  forcePathStyle: true,
  credentials: { accessKeyId: tb.HBR_TB_S3_ACCESS_KEY, secretAccessKey: tb.HBR_TB_S3_SECRET_KEY },
});

/** uvu has no assert.rejects */
async function rejects(fn: () => Promise<unknown>, re: RegExp, label = ''): Promise<void> {
  const err = await fn().then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof Error, `${label}: expected a rejection`);
  assert.match((err as Error).message, re, label);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let work: string;
async function tmpFile(name: string, content: Buffer): Promise<string> {
  const p = join(work, `${uniq('f')}-${name}`);
  await writeFile(p, content);
  return p;
}
const destPath = (name: string) => join(work, `${uniq('d')}-${name}`);

interface Fixture {
  store: StoreClient;
  /** overwrite the stored bytes with one byte flipped, keeping the stored checksum */
  corrupt(key: string): Promise<void>;
  /** store an object the way a foreign tool would: no checksum */
  putForeign(key: string, content: Buffer): Promise<void>;
  /** raw bytes as stored */
  rawGet(key: string): Promise<Buffer | undefined>;
  /** multipart uploads (S3) or temp files (local) left behind under the key's directory */
  leftovers(key: string): Promise<string[]>;
  cleanup(): Promise<void>;
}

interface Kind {
  name: 's3' | 'local';
  make(opts?: { pageSize?: number }): Promise<Fixture>;
}

async function emptyBucket(Bucket: string): Promise<void> {
  let token: string | undefined;
  do {
    const page = await raw.send(new ListObjectsV2Command({ Bucket, ...(token ? { ContinuationToken: token } : {}) }));
    for (const o of page.Contents ?? []) await raw.send(new DeleteObjectCommand({ Bucket, Key: o.Key }));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const ups = await raw.send(new ListMultipartUploadsCommand({ Bucket }));
  for (const u of ups.Uploads ?? []) await raw.send(new AbortMultipartUploadCommand({ Bucket, Key: u.Key, UploadId: u.UploadId }));
  await raw.send(new DeleteBucketCommand({ Bucket }));
}

const s3Kind: Kind = {
  name: 's3',
  async make(opts = {}) {
    const Bucket = uniq('hbr-stores');
    await raw.send(new CreateBucketCommand({ Bucket }));
    const store = openStore(
      {
        name: 'test',
        kind: 's3',
        bucket: Bucket,
        prefix: PREFIX,
        endpoint: tb.HBR_TB_S3_ENDPOINT,
        forcePathStyle: true,
        at: { file: 'test', line: 1, col: 1 },
      },
      { s3: opts.pageSize ? { pageSize: opts.pageSize } : {} },
    );
    const rawGet = async (key: string) => {
      try {
        const r = await raw.send(new GetObjectCommand({ Bucket, Key: PREFIX + key }));
        return Buffer.from(await r.Body!.transformToByteArray());
      } catch (err) {
        if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
        throw err;
      }
    };
    return {
      store,
      rawGet,
      async corrupt(key) {
        const head = await raw.send(new HeadObjectCommand({ Bucket, Key: PREFIX + key }));
        const body = (await rawGet(key))!;
        body[Math.floor(body.length / 2)]! ^= 0x01;
        await raw.send(new PutObjectCommand({ Bucket, Key: PREFIX + key, Body: body, Metadata: head.Metadata }));
      },
      async putForeign(key, content) {
        await raw.send(new PutObjectCommand({ Bucket, Key: PREFIX + key, Body: content }));
      },
      async leftovers(key) {
        const r = await raw.send(new ListMultipartUploadsCommand({ Bucket, Prefix: PREFIX + key }));
        return (r.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`);
      },
      async cleanup() {
        (store as S3StoreClient).destroy();
        await emptyBucket(Bucket).catch(() => undefined);
      },
    };
  },
};

const localKind: Kind = {
  name: 'local',
  async make() {
    const root = await mkdtemp(join(tmpdir(), 'hbr-store-'));
    const store = openStore({ name: 'test', kind: 'local', path: root, at: { file: 'test', line: 1, col: 1 } });
    const pathOf = (key: string) => join(root, ...key.split('/'));
    return {
      store,
      async rawGet(key) {
        return existsSync(pathOf(key)) ? readFile(pathOf(key)) : undefined;
      },
      async corrupt(key) {
        const body = await readFile(pathOf(key));
        body[Math.floor(body.length / 2)]! ^= 0x01;
        await writeFile(pathOf(key), body);
      },
      async putForeign(key, content) {
        await mkdir(join(pathOf(key), '..'), { recursive: true });
        await writeFile(pathOf(key), content);
      },
      async leftovers(key) {
        const dir = join(pathOf(key), '..');
        return existsSync(dir) ? (await readdir(dir)).filter((n) => n.startsWith('.')) : [];
      },
      async cleanup() {
        await rm(root, { recursive: true, force: true });
      },
    };
  },
};

async function withFixture(kind: Kind, fn: (f: Fixture) => Promise<void>, opts?: { pageSize?: number }): Promise<void> {
  const f = await kind.make(opts);
  try {
    await fn(f);
  } finally {
    await f.cleanup();
  }
}

test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hbr-stores-test-'));
});

for (const kind of [s3Kind, localKind]) {
  const t = (name: string, fn: (f: Fixture) => Promise<void>, opts?: { pageSize?: number }) =>
    test(`[${kind.name}] ${name}`, () => withFixture(kind, fn, opts));

  t('put, head, list, get round trip with checksum', async ({ store }) => {
    const content = randomBytes(100_000);
    const file = await tmpFile('a.tar.gz', content);
    const progress: number[] = [];
    const put = await store.putFile('zk/a.tar.gz', file, { onProgress: (p) => progress.push(p.bytes) });
    assert.equal(put, { created: true, sha256: sha(content), size: content.length });
    assert.is(progress[progress.length - 1], content.length, 'progress reaches the size');

    const head = await store.head('zk/a.tar.gz');
    assert.ok(head);
    assert.is(head.key, 'zk/a.tar.gz');
    assert.is(head.size, content.length);
    assert.is(head.sha256, sha(content), 'head carries the stored SHA-256');
    assert.ok(Math.abs(head.lastModified - Date.now()) < 120_000, `lastModified ${head.lastModified}`);
    assert.is(await store.head('zk/absent'), undefined);

    await store.putFile('other/b.bin', await tmpFile('b', Buffer.from('b')));
    const listed = await store.list('zk/');
    assert.equal(listed.map((o) => [o.key, o.size]), [['zk/a.tar.gz', content.length]]);
    // list() carries the checksum for local stores; S3 leaves it to head() (no HeadObject per object).
    assert.is(listed[0]!.sha256, kind.name === 'local' ? sha(content) : undefined);
    assert.equal((await store.list('')).map((o) => o.key).sort(), ['other/b.bin', 'zk/a.tar.gz']);
    assert.equal((await store.list('zk/a.')).map((o) => o.key), ['zk/a.tar.gz'], 'a prefix inside a name');
    assert.equal(await store.list('nothing-'), []);

    const dest = destPath('a.tar.gz');
    const got = await store.getFile('zk/a.tar.gz', dest, { onProgress: () => undefined });
    assert.is(got.sha256, sha(content));
    assert.is(got.size, content.length);
    assert.ok((await readFile(dest)).equals(content), 'downloaded content equals the upload');
    assert.ok(store.url.length > 0);

    const missing = await store.getFile('zk/absent', destPath('x')).then(() => undefined, (e: Error) => e);
    assert.ok(missing && /no object zk\/absent/.test(missing.message), missing?.message);
  });

  t('a 20 MiB file round-trips (multipart on S3); throughput', async ({ store }) => {
    const content = randomBytes(20 * MIB);
    const file = await tmpFile('big.bin', content);
    const progress: number[] = [];
    let t0 = performance.now();
    const put = await store.putFile('big/20m.bin', file, { onProgress: (p) => progress.push(p.bytes) });
    const upMs = performance.now() - t0;
    assert.ok(put.created);
    assert.is(put.sha256, sha(content));
    assert.ok(progress.length >= 3, `progress events: ${progress.length}`);
    assert.ok(progress.every((b, i) => i === 0 || b >= progress[i - 1]!), 'progress is monotonic');
    assert.is(progress[progress.length - 1], content.length);
    if (kind.name === 's3') {
      const h = await raw.send(new HeadObjectCommand({ Bucket: store.url.split('/')[2], Key: PREFIX + 'big/20m.bin' }));
      assert.match(h.ETag ?? '', /-3"?$/, `a 3-part multipart upload (ETag ${h.ETag})`);
    }
    const dest = destPath('20m.bin');
    t0 = performance.now();
    await store.getFile('big/20m.bin', dest);
    const downMs = performance.now() - t0;
    assert.ok((await readFile(dest)).equals(content));
    const mibs = (ms: number) => (20 / (ms / 1000)).toFixed(0);
    console.log(`    [${kind.name}] 20 MiB: upload ${upMs.toFixed(0)} ms (${mibs(upMs)} MiB/s, hash pass included), download ${downMs.toFixed(0)} ms (${mibs(downMs)} MiB/s, verified)`);
  });

  t('conditional create: a second put of the same key is refused, content unchanged', async (f) => {
    const first = randomBytes(5000);
    const second = randomBytes(6000);
    assert.ok((await f.store.putFile('k/once', await tmpFile('1', first))).created);
    const r = await f.store.putFile('k/once', await tmpFile('2', second));
    assert.equal(r, { created: false, sha256: sha(second), size: second.length });
    assert.ok((await f.rawGet('k/once'))!.equals(first), 'content unchanged');
    assert.is((await f.store.head('k/once'))!.sha256, sha(first), 'checksum unchanged');
    const dest = destPath('once');
    await f.store.getFile('k/once', dest);
    assert.ok((await readFile(dest)).equals(first));
    assert.equal(await f.leftovers('k/once'), []);
  });

  for (const [label, size] of [['small', 300_000], ['12 MiB, multipart on S3', 12 * MIB]] as const) {
    t(`two concurrent puts of the same key (${label}): exactly one wins, the object is the winner's`, async (f) => {
      const a = randomBytes(size);
      const b = randomBytes(size);
      const [fa, fb] = await Promise.all([tmpFile('a', a), tmpFile('b', b)]);
      const [ra, rb] = await Promise.all([f.store.putFile('race/obj', fa), f.store.putFile('race/obj', fb)]);
      assert.is([ra.created, rb.created].filter(Boolean).length, 1, `created: ${ra.created} ${rb.created}`);
      const winner = ra.created ? a : b;
      assert.ok((await f.rawGet('race/obj'))!.equals(winner), "the stored object is the winner's content");
      assert.is((await f.store.head('race/obj'))!.sha256, sha(winner), "the stored checksum is the winner's");
      const dest = destPath('race');
      await f.store.getFile('race/obj', dest);
      assert.ok((await readFile(dest)).equals(winner));
      assert.equal(await f.leftovers('race/obj'), [], "the loser's upload left nothing behind");
    });
  }

  t('a corrupted object: getFile throws ChecksumMismatchError and leaves no dest', async (f) => {
    const content = randomBytes(50_000);
    await f.store.putFile('c/obj', await tmpFile('c', content));
    await f.corrupt('c/obj');
    assert.is((await f.store.head('c/obj'))!.sha256, sha(content), 'the stored checksum is still the original');
    const dest = destPath('corrupt');
    const err = await f.store.getFile('c/obj', dest).then(() => undefined, (e: unknown) => e);
    assert.instance(err, ChecksumMismatchError);
    const e = err as ChecksumMismatchError;
    assert.is(e.expected, sha(content));
    assert.is.not(e.actual, sha(content));
    assert.match(e.message, 'checksum mismatch for c/obj');
    assert.not.ok(existsSync(dest), 'no dest');
    const base = dest.split('/').pop()!;
    assert.equal((await readdir(work)).filter((n) => n.startsWith(base)), [], 'no temp file left beside dest');
  });

  t('an object without checksum (not written by hbr) is refused', async (f) => {
    await f.putForeign('foreign/obj', Buffer.from('not an hbr archive'));
    const head = await f.store.head('foreign/obj');
    assert.ok(head);
    assert.is(head.sha256, undefined);
    const dest = destPath('foreign');
    const err = await f.store.getFile('foreign/obj', dest).then(() => undefined, (e: unknown) => e);
    assert.instance(err, ChecksumMismatchError);
    assert.is((err as ChecksumMismatchError).expected, undefined);
    assert.not.ok(existsSync(dest));
  });

  t('an aborted put (AbortSignal after the first progress event) leaves nothing behind', async (f) => {
    const content = randomBytes(24 * MIB);
    const file = await tmpFile('abort.bin', content);
    const ac = new AbortController();
    const err = await f.store
      .putFile('ab/obj', file, { signal: ac.signal, onProgress: () => ac.abort() })
      .then(() => undefined, (e: Error) => e);
    assert.ok(err, 'putFile rejects');
    assert.is(err.name, 'AbortError', err.message);
    assert.is(await f.store.head('ab/obj'), undefined, 'no object');
    assert.equal(await f.leftovers('ab/obj'), [], 'no multipart upload or temp file left');
    assert.ok((await f.store.putFile('ab/obj', file)).created, 'the key is free');
  });

  t('delete is idempotent', async (f) => {
    await f.store.putFile('d/obj', await tmpFile('d', Buffer.from('x')));
    await f.store.delete('d/obj');
    assert.is(await f.store.head('d/obj'), undefined);
    assert.is(await f.rawGet('d/obj'), undefined);
    await f.store.delete('d/obj');
    await f.store.delete('never/was');
    assert.equal(await f.store.list('d/'), []);
    // the key is free again
    assert.ok((await f.store.putFile('d/obj', await tmpFile('d2', Buffer.from('y')))).created);
    assert.ok((await f.rawGet('d/obj'))!.equals(Buffer.from('y')));
  });

  t(
    'list paginates (page size 2, 5 keys)',
    async (f) => {
      const one = await tmpFile('p', Buffer.from('p'));
      for (let i = 0; i < 5; i++) await f.store.putFile(`pg/obj-${i}`, one);
      await f.store.putFile('pgx/other', one);
      let listCalls = 0;
      if (f.store instanceof S3StoreClient) {
        f.store.client.middlewareStack.add(
          (next, context) => (args) => {
            if (context.commandName === 'ListObjectsV2Command') listCalls++;
            return next(args);
          },
          { step: 'initialize', name: 'countLists' },
        );
      }
      const keys = (await f.store.list('pg/')).map((o) => o.key).sort();
      assert.equal(keys, [0, 1, 2, 3, 4].map((i) => `pg/obj-${i}`));
      if (f.store instanceof S3StoreClient) assert.is(listCalls, 3, 'three pages of at most 2');
      assert.is((await f.store.list('pg')).length, 6);
    },
    { pageSize: 2 },
  );
}

test('[local] list skips temp files and sidecars; bad keys and a missing store are refused', async () => {
  await withFixture(localKind, async ({ store }) => {
    const root = store.url;
    await store.putFile('a/x.tar.gz', await tmpFile('x', Buffer.from('x')));
    assert.is(await readFile(join(root, 'a', 'x.tar.gz.sha256'), 'utf8'), `${sha(Buffer.from('x'))}  x.tar.gz\n`, 'sha256sum format');
    await writeFile(join(root, 'a', '.x.tar.gz.tmp-abc'), 'partial');
    await writeFile(join(root, 'a', '.y.sha256.tmp-abc'), 'partial');
    assert.equal((await store.list('')).map((o) => o.key), ['a/x.tar.gz']);
    for (const bad of ['../escape', '/abs', 'a//b', 'a/.hidden', 'a/x.sha256', '']) {
      await rejects(() => store.putFile(bad, join(root, 'a', 'x.tar.gz')), new RegExp('invalid key'), bad);
    }
    const gone = new LocalStoreClient({ path: join(root, 'no-such-dir') });
    await rejects(() => gone.putFile('k', join(root, 'a', 'x.tar.gz')), /does not exist/);
    await rejects(() => gone.list(''), /does not exist/);
  });
});

// ------------------------------------------------------------------ the S3 server dies mid-upload

let s3Down = false;
function s3Up(): void {
  if (!s3Down) return;
  const r = spawnSync('bash', [join(repoRoot, 'testbed', 'up')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`testbed/up failed (${r.status}):\n${r.stderr}`);
  s3Down = false;
}
// Whatever happens, the S3 server runs again when this suite ends.
process.on('exit', () => {
  if (s3Down) spawnSync('bash', [join(repoRoot, 'testbed', 'up')], { stdio: 'inherit' });
});

test('[s3] the server stopped in the middle of a 64 MiB upload: clear error, nothing visible, no parts left', async () => {
  await withFixture(s3Kind, async (f) => {
    const store = f.store as S3StoreClient;
    const Bucket = store.url.split('/')[2]!;
    const key = 'big/killed.bin';
    const content = randomBytes(64 * MIB);
    const file = await tmpFile('killed.bin', content);
    let events = 0;
    let stoppedAt = 0;
    let err: Error | undefined;
    try {
      err = await store
        .putFile(key, file, {
          onProgress: () => {
            events++;
            if (s3Down) return;
            // Synchronously, so no other part makes progress until the server is gone.
            s3Down = true;
            const r = spawnSync('bash', [join(repoRoot, 'testbed', 'down'), 's3'], { encoding: 'utf8' });
            if (r.status !== 0) throw new Error(`testbed/down s3 failed: ${r.stderr}`);
            stoppedAt = performance.now();
          },
        })
        .then(() => undefined, (e: Error) => e);
      const failedAfter = performance.now() - stoppedAt;
      assert.ok(s3Down, 'the server was stopped after the first progress event');
      assert.ok(err, 'putFile rejects');
      console.log(`    [s3] putFile rejected ${failedAfter.toFixed(0)} ms after the server stopped (${events} progress event(s)): ${err.message}`);
      assert.ok(failedAfter < 20_000, `fails in seconds, not minutes (${failedAfter} ms)`);
      assert.match(err.message, `upload of ${key} to s3://${Bucket}/${PREFIX} failed: `);
      assert.match(err.message, /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up/);
      assert.not.match(err.message, tb.HBR_TB_S3_SECRET_KEY, 'no secret in the message');
    } finally {
      s3Up();
    }

    // Nothing is visible under the key.
    const head = await raw.send(new HeadObjectCommand({ Bucket, Key: PREFIX + key })).then(
      () => 200,
      (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode,
    );
    assert.is(head, 404, 'HeadObject: no object under the key');
    assert.is(await store.head(key), undefined);

    // The abort could not reach a dead server: the client remembers the upload. Whatever is left
    // on the server is exactly that upload.
    const pending = [...store.pendingAbortUploads.keys()];
    const left = await f.leftovers(key);
    console.log(`    [s3] after restart: ${left.length} multipart upload(s) on the server, ${pending.length} remembered by the client for abort`);
    assert.ok(pending.length <= 1);
    assert.equal(left.map((l) => l.split(' ')[1]), pending, 'the only leftover is the one the client will abort');
    if (pending.length > 0) assert.match(err!.message, 'could not be aborted');

    // A new put of the same key succeeds, and the leftover upload is aborted after it.
    const again = await store.putFile(key, file);
    assert.ok(again.created, 'the key is free: a new putFile creates it');
    assert.equal(await f.leftovers(key), [], 'no multipart upload left for the key');
    assert.is(store.pendingAbortUploads.size, 0);
    const dest = destPath('killed.bin');
    await store.getFile(key, dest);
    assert.ok((await readFile(dest)).equals(content));
  });
});

test('[s3] a dead endpoint fails in seconds with a clear message', async () => {
  const store = new S3StoreClient({ bucket: 'nope', prefix: 'p/', endpoint: 'http://127.0.0.1:9', forcePathStyle: true });
  const file = await tmpFile('x', Buffer.from('x'));
  const t0 = performance.now();
  const err = await store.putFile('k', file).then(() => undefined, (e: Error) => e);
  const ms = performance.now() - t0;
  assert.ok(err);
  assert.match(err.message, 'upload of k to s3://nope/p/ failed: connect ECONNREFUSED 127.0.0.1:9');
  assert.ok(ms < 10_000, `${ms} ms`);
  await rejects(() => store.list(''), /listing \(everything\) in s3:\/\/nope\/p\/ failed: connect ECONNREFUSED/);
  store.destroy();
});

test.after(async () => {
  s3Up();
  raw.destroy();
  if (work) await rm(work, { recursive: true, force: true });
});

test.run();
