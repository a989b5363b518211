/**
 * The StoreClient additions the block backup needs (docs/blocks.md; brief decision (d)), against
 * the real versitygw and a local directory: putFile with a known SHA-256 (one hashing pass fewer,
 * still refused when the bytes differ, nothing left behind), putBuffer (a block from memory whose
 * hash the server checks), and the incomplete uploads a killed
 * process leaves (S3 multipart uploads, local temp files) listed and aborted.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { openStore, type S3StoreClient } from '../../src/stores/index.js';
import { testbed, uniq } from '../helpers/testbed.js';

const tb = testbed();
process.env.AWS_ACCESS_KEY_ID = tb.HBR_TB_S3_ACCESS_KEY;
process.env.AWS_SECRET_ACCESS_KEY = tb.HBR_TB_S3_SECRET_KEY;
process.env.AWS_REGION = tb.HBR_TB_S3_REGION;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const MIB = 1 << 20;
const prefix = `${uniq('stores-blocks')}/`;
const raw = new S3Client({ endpoint: tb.HBR_TB_S3_ENDPOINT, region: tb.HBR_TB_S3_REGION, forcePathStyle: true });
const s3 = openStore({ name: 's3', kind: 's3', bucket: tb.HBR_TB_S3_BUCKET, prefix, endpoint: tb.HBR_TB_S3_ENDPOINT, forcePathStyle: true, at: { file: '', line: 1, col: 1 } }) as S3StoreClient;
let work = '';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hbr-stores-blocks-'));
});

test.after(async () => {
  for (const o of await s3.list('')) await s3.delete(o.key);
  for (const u of await s3.listIncompleteUploads('')) await s3.abortUpload(u.key, u.uploadId);
  s3.destroy();
  await rm(work, { recursive: true, force: true });
});

for (const size of [100_000, 20 * MIB]) {
  test(`[s3] putFile with a known SHA-256 (${size} bytes): stored with it; a wrong one is refused, nothing visible, no upload left`, async () => {
    const body = randomBytes(size);
    const file = join(work, `f-${size}`);
    await writeFile(file, body);
    const put = await s3.putFile(`blocks/ok-${size}`, file, { sha256: sha(body) });
    assert.equal(put, { created: true, sha256: sha(body), size });
    assert.is((await s3.head(`blocks/ok-${size}`))?.sha256, sha(body));
    try {
      await s3.putFile(`blocks/bad-${size}`, file, { sha256: 'ab'.repeat(32) });
      assert.unreachable('a wrong SHA-256 was accepted');
    } catch (err) {
      assert.match((err as Error).message, /changed while it was being uploaded/);
    }
    assert.is(await s3.head(`blocks/bad-${size}`), undefined);
    assert.equal((await s3.listIncompleteUploads('blocks/')).filter((u) => u.key === `blocks/bad-${size}`), []);
  });
}

test('[s3] putBuffer: stored whole with its SHA-256 (metadata and S3 checksum); a wrong hash is refused by the server, nothing visible; put-if-absent', async () => {
  const body = randomBytes(3 * MIB + 17);
  const put = await s3.putBuffer(`blocks/buf-ok`, body, { sha256: sha(body) });
  assert.equal(put, { created: true, sha256: sha(body), size: body.length });
  assert.is((await s3.head('blocks/buf-ok'))?.sha256, sha(body));
  const back: Buffer[] = [];
  const r = await s3.readVerified('blocks/buf-ok');
  for await (const c of r.chunks) back.push(c);
  assert.ok(Buffer.concat(back).equals(body), 'the bytes read back differ');
  const again = await s3.putBuffer('blocks/buf-ok', randomBytes(10), { sha256: sha(randomBytes(10)) }).catch((e: Error) => e);
  // a taken key: either refused by the condition (created false) or by the hash check first; never overwritten
  if (!(again instanceof Error)) assert.is(again.created, false);
  assert.is((await s3.head('blocks/buf-ok'))?.sha256, sha(body));
  try {
    await s3.putBuffer('blocks/buf-bad', body, { sha256: 'ab'.repeat(32) });
    assert.unreachable('a wrong SHA-256 was accepted');
  } catch (err) {
    assert.match((err as Error).message, /upload of blocks\/buf-bad .* failed: .*(BadDigest|SHA256|sha256)/i);
  }
  assert.is(await s3.head('blocks/buf-bad'), undefined);
});

test('[s3] a killed process\'s multipart upload is listed under its prefix and aborted; an absent one aborts quietly', async () => {
  const c = await raw.send(new CreateMultipartUploadCommand({ Bucket: tb.HBR_TB_S3_BUCKET, Key: `${prefix}blocks/BP-1-127.0.0.1-2/5_6` }));
  await raw.send(new CreateMultipartUploadCommand({ Bucket: tb.HBR_TB_S3_BUCKET, Key: `${prefix}other/x` }));
  const listed = await s3.listIncompleteUploads('blocks/');
  assert.equal(listed.map((u) => [u.key, u.uploadId]), [['blocks/BP-1-127.0.0.1-2/5_6', c.UploadId]]);
  assert.ok(listed[0]!.initiated > Date.now() - 600_000);
  await s3.abortUpload(listed[0]!.key, listed[0]!.uploadId);
  await s3.abortUpload(listed[0]!.key, listed[0]!.uploadId);
  assert.equal(await s3.listIncompleteUploads('blocks/'), []);
  const all = await raw.send(new ListMultipartUploadsCommand({ Bucket: tb.HBR_TB_S3_BUCKET, Prefix: `${prefix}blocks/` }));
  assert.equal(all.Uploads ?? [], []);
});

test('[local] putFile with a wrong SHA-256 is refused (no object, no temp file); a killed put\'s temp files are listed and removed', async () => {
  const root = join(work, 'local');
  await mkdir(root);
  const store = openStore({ name: 'l', kind: 'local', path: root, at: { file: '', line: 1, col: 1 } });
  const body = randomBytes(3 * MIB);
  const file = join(work, 'l-body');
  await writeFile(file, body);
  assert.equal(await store.putFile('blocks/p/1_1', file, { sha256: sha(body) }), { created: true, sha256: sha(body), size: body.length });
  try {
    await store.putFile('blocks/p/2_1', file, { sha256: 'ab'.repeat(32) });
    assert.unreachable('a wrong SHA-256 was accepted');
  } catch (err) {
    assert.match((err as Error).message, /changed while it was being uploaded/);
  }
  assert.is(await store.head('blocks/p/2_1'), undefined);
  assert.equal((await readdir(join(root, 'blocks', 'p'))).sort(), ['1_1', '1_1.sha256']);
  // what a put killed after step 1 (and one killed writing its sidecar) leaves
  await writeFile(join(root, 'blocks', 'p', '.3_1.tmp-0123456789ab'), 'partial');
  await writeFile(join(root, 'blocks', 'p', '.3_1.sha256.tmp-ba9876543210'), 'partial');
  const listed = (await store.listIncompleteUploads('blocks/')).map((u) => [u.key, u.uploadId]).sort();
  assert.equal(listed, [['blocks/p/3_1', '.3_1.sha256.tmp-ba9876543210'], ['blocks/p/3_1', '.3_1.tmp-0123456789ab']]);
  assert.equal(await store.listIncompleteUploads('manifests/'), []);
  try {
    await store.abortUpload('blocks/p/1_1', '1_1');
    assert.unreachable('removed something that is not a temp file');
  } catch (err) {
    assert.match((err as Error).message, /not a temp file/);
  }
  for (const [key, id] of listed) await store.abortUpload(key!, id!);
  assert.equal(await store.listIncompleteUploads('blocks/'), []);
  assert.equal((await readdir(join(root, 'blocks', 'p'))).sort(), ['1_1', '1_1.sha256']);
});

test.run();
