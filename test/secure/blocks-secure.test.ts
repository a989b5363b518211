/**
 * The block backup (docs/blocks.md) of the Kerberized, HTTPS-only HA primary (the shared secure
 * bed: testbed/secure.md): every NameNode leg goes through the WebHDFS client's token, CA bundle
 * and active NameNode, and every DataNode leg over https:// with the CA bundle and the
 * `delegation=` the NameNode puts in its redirect (src/hadoop/webhdfs-blocks.ts, webhdfs-write.ts).
 * Before this, both legs refused such a cluster ("hbr does not stream block data to or from a
 * Kerberized or ca_bundle cluster yet"). Shown here: a backup into a local store, each block once
 * with its SHA-256; a deleted file rebuilt byte-identical by `hbr restore blocks`; no token in
 * anything hbr printed or wrote but its token cache.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBlockLocations } from '../../src/hadoop/webhdfs-blocks.js';
import type { WebHdfs } from '../../src/hadoop/webhdfs.js';
import { cachedToken, filesHolding, hbrSecure, primaryClient, securePrimaryYaml } from '../helpers/secure-hbr.js';
import { nn1Active, sharedSecureBed, type SecureBed } from '../helpers/secure.js';
import { uniq } from '../helpers/testbed.js';

const MIB = 1 << 20;
const root = `/${uniq('blocks-secure')}`;
const work = mkdtempSync(join(tmpdir(), 'hbr-blocks-secure-'));
const vault = join(work, 'vault');
const state = join(work, 'state');
const file = join(work, 'p.yaml');
const content = new Map<string, Buffer>();
let bed: SecureBed;
let fs: WebHdfs;

function writePolicy(b: SecureBed): void {
  writeFileSync(
    file,
    `version: 1
clusters:
${securePrimaryYaml(b)}stores:
  vault: { local: { path: ${vault} } }
policies:
  sbk:
    source: { cluster: prod, path: ${root} }
    backup: { to: vault, every: 1d, keep: { last: 2 } }
`,
  );
}

const hbr = async (args: string[]) => {
  const r = await hbrSecure([...args, '-f', file, '--state-dir', state]);
  assert.is(r.code, 0, `hbr ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
};

test.before(async () => {
  bed = sharedSecureBed();
  nn1Active();
  mkdirSync(vault);
  writePolicy(bed);
  fs = primaryClient(bed);
  await fs.mkdirs(root);
  for (let i = 0; i < 3; i++) {
    const data = randomBytes(i === 1 ? 2.5 * MIB : 60_000 + i);
    await fs.create(`${root}/f${i}.bin`, data, { blockSize: MIB });
    content.set(`f${i}.bin`, data);
  }
});

test.after(async () => {
  await fs?.delete(root, true).catch(() => undefined);
});

test('a block backup of the Kerberized HTTPS HA primary: each block once with its SHA-256, and a deleted file rebuilt byte-identical', async () => {
  const out = await hbr(['apply', '--auto-approve']);
  assert.match(out, /blocks\.upload/);
  const want = new Map<string, string>();
  let pool = '';
  for (const [rel, data] of content) {
    for (const l of (await getBlockLocations(fs, `${root}/${rel}`)).locatedBlocks) {
      pool = l.block.blockPoolId;
      want.set(`${l.block.blockId}_${l.block.generationStamp}`, createHash('sha256').update(data.subarray(l.startOffset, l.startOffset + l.block.numBytes)).digest('hex'));
    }
  }
  assert.is(want.size, 5, 'three files of 1 + 3 + 1 blocks');
  const dir = join(vault, 'blocks', pool);
  const objects = readdirSync(dir).filter((n) => !n.endsWith('.sha256')).sort();
  assert.equal(objects, [...want.keys()].sort());
  for (const n of objects) {
    assert.is(readFileSync(join(dir, `${n}.sha256`), 'utf8').split(' ')[0], want.get(n), n);
    assert.is(createHash('sha256').update(readFileSync(join(dir, n))).digest('hex'), want.get(n), `${n}'s bytes`);
  }

  // the file lost: rebuilt from the store through a streaming CREATE to the DataNode over https
  assert.ok(await fs.delete(`${root}/f1.bin`));
  const restored = await hbr(['restore', 'blocks', '--policy', 'sbk', '--path', 'f1.bin', '--auto-approve']);
  assert.match(restored, /blocks\.restore|restored/i);
  assert.ok((await fs.open(`${root}/f1.bin`)).equals(content.get('f1.bin')!), 'f1.bin byte-identical after the restore');

  // no secret in what hbr printed or wrote, but its token cache
  const token = cachedToken(state).urlString;
  assert.not.ok(out.includes(token) || restored.includes(token), 'the token is not in the output');
  assert.equal(filesHolding(work, token, (p) => p.includes(`${join('state', 'tokens')}`)), []);
  assert.equal(filesHolding(work, readFileSync(bed.hbrKeytab)), []);
});

test.run();
