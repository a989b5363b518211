/**
 * The ZooKeeper drill's pure parts: jute reading, the data tree and its digest, txn replay, and
 * the whole replay on a fixture produced by a real 3.9.5 server (test/fixtures/zk-drill/make.ts),
 * intact and doctored.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataTree, nodeDigest, type StatPersisted } from '../../src/systems/zookeeper/datatree.js';
import { adler32 } from '../../src/systems/zookeeper/format.js';
import { JuteEOF, JuteReader } from '../../src/systems/zookeeper/jute.js';
import { replayDataDir } from '../../src/systems/zookeeper/replay.js';
import { readSnapshot } from '../../src/systems/zookeeper/snapshot.js';
import { Op, applyTxn, parseTxnPayload, type TxnRecord } from '../../src/systems/zookeeper/txn.js';
import { repoRoot } from '../helpers/testbed.js';

const FIXTURE = join(repoRoot, 'test', 'fixtures', 'zk-drill');
const facts = JSON.parse(readFileSync(join(FIXTURE, 'facts.json'), 'utf8')) as { znodes: number; lastZxid: string; snapshot: string };

/** A copy of the fixture's version-2 dir to doctor. */
function copyFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hbr-zkdrill-unit-'));
  cpSync(join(FIXTURE, 'version-2'), join(dir, 'version-2'), { recursive: true });
  return dir;
}

/** jute writer, for hand-built records */
class W {
  parts: Buffer[] = [];
  int(v: number) { const b = Buffer.alloc(4); b.writeInt32BE(v); this.parts.push(b); return this; }
  long(v: bigint) { const b = Buffer.alloc(8); b.writeBigInt64BE(v); this.parts.push(b); return this; }
  bool(v: boolean) { this.parts.push(Buffer.from([v ? 1 : 0])); return this; }
  buf(v: Buffer | null) { if (v === null) return this.int(-1); this.int(v.length); this.parts.push(v); return this; }
  str(s: string) { return this.buf(Buffer.from(s, 'utf8')); }
  openAcl() { return this.int(1).int(31).str('world').str('anyone'); }
  get out() { return Buffer.concat(this.parts); }
}

const hdr = (w: W, zxid: bigint, type: number, clientId = 7n) => w.long(clientId).int(1).long(zxid).long(1000n + zxid).int(type);
const createRec = (zxid: bigint, path: string, data: string, ephemeral = false, parentCVersion = -1, clientId = 7n): TxnRecord =>
  parseTxnPayload(hdr(new W(), zxid, Op.create, clientId).str(path).str(data).openAcl().bool(ephemeral).int(parentCVersion).out);

const stat0 = (): StatPersisted => ({ czxid: 0n, mzxid: 0n, ctime: 0n, mtime: 0n, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, pzxid: 0n });

function emptyTree(): DataTree {
  const t = new DataTree();
  t.loadNode('', { data: null, acl: -1n, stat: stat0() });
  return t;
}

test('jute: null buffer and string are -1, a short read is JuteEOF', () => {
  const r = new JuteReader(new W().int(-1).int(-1).int(3).out);
  assert.is(r.buffer(), null);
  assert.is(r.ustring(), null);
  assert.throws(() => r.buffer('data'), (e: unknown) => e instanceof JuteEOF && /data/.test((e as Error).message));
});

test('digest: "/" hashes as "", nothing under /zookeeper/ counts, /zookeeper itself does', () => {
  const s = stat0();
  assert.is(nodeDigest('/', Buffer.from('x'), s), nodeDigest('', Buffer.from('x'), s));
  assert.is(nodeDigest('/zookeeper/config', Buffer.from('x'), s), 0n);
  assert.is.not(nodeDigest('/zookeeper', null, s), 0n);
  assert.is.not(nodeDigest('/a', Buffer.from('x'), s), nodeDigest('/a', Buffer.from('y'), s));
  assert.is.not(nodeDigest('/a', null, s), nodeDigest('/a', null, { ...s, aversion: 1 }));
});

test('tree ops keep the running digest equal to a recomputation', () => {
  const t = emptyTree();
  const sessions = new Map<bigint, number>();
  const stats = { ignoredErrors: 0 };
  applyTxn(t, sessions, createRec(1n, '/a', 'a'), stats);
  applyTxn(t, sessions, createRec(2n, '/a/b', 'b'), stats);
  applyTxn(t, sessions, createRec(3n, '/a/e', 'e', true, -1, 42n), stats);
  applyTxn(t, sessions, parseTxnPayload(hdr(new W(), 4n, Op.setData).str('/a/b').str('b2').int(1).out), stats);
  applyTxn(t, sessions, parseTxnPayload(hdr(new W(), 5n, Op.setACL).str('/').openAcl().int(1).out), stats);
  applyTxn(t, sessions, parseTxnPayload(hdr(new W(), 6n, Op.delete).str('/a/b').out), stats);
  assert.is(t.digest, t.recomputeDigest());
  assert.is(t.size, 3);
  assert.is(t.get('/a')!.stat.pzxid, 6n);
  assert.is(t.get('/a')!.stat.cversion, 2);
  assert.is(t.get('/')!.stat.aversion, 1);
  assert.is(stats.ignoredErrors, 0);
  // closeSession: the session's ephemerals go (listed in the txn or known from the tree).
  applyTxn(t, sessions, parseTxnPayload(hdr(new W(), 7n, Op.closeSession, 42n).int(0).out), stats);
  assert.is(t.get('/a/e'), undefined);
  assert.is(t.get('/a')!.stat.pzxid, 7n);
  assert.is(t.digest, t.recomputeDigest());
  assert.is(t.checkStructure(), undefined);
});

test('replay over a fuzzy snapshot: a create that finds its node bumps the parent, a delete of a gone node moves pzxid', () => {
  const t = emptyTree();
  const stats = { ignoredErrors: 0 };
  applyTxn(t, new Map(), createRec(1n, '/p', 'p'), stats);
  applyTxn(t, new Map(), createRec(2n, '/p/c', 'c', false, 1), stats);
  applyTxn(t, new Map(), createRec(3n, '/p/c', 'c', false, 5), stats); // NODEEXISTS: cversion 5, pzxid 3
  assert.is(t.get('/p')!.stat.cversion, 5);
  assert.is(t.get('/p')!.stat.pzxid, 3n);
  applyTxn(t, new Map(), parseTxnPayload(hdr(new W(), 9n, Op.delete).str('/p/gone').out), stats);
  assert.is(t.get('/p')!.stat.pzxid, 9n);
  assert.is(stats.ignoredErrors, 2);
  assert.is(t.digest, t.recomputeDigest());
});

test('a multi applies its ops; one holding an error sub-txn changes nothing', () => {
  const sub = (type: number, body: Buffer) => new W().int(type).buf(body).out;
  const create = (p: string) => new W().str(p).str('m').openAcl().bool(false).int(-1).out;
  const multi = (zxid: bigint, subs: Buffer[]) => {
    const w = hdr(new W(), zxid, Op.multi).int(subs.length);
    for (const s of subs) w.parts.push(s);
    return parseTxnPayload(w.out);
  };
  const t = emptyTree();
  const stats = { ignoredErrors: 0 };
  applyTxn(t, new Map(), multi(1n, [sub(Op.create, create('/x')), sub(Op.create, create('/y'))]), stats);
  assert.is(t.size, 3);
  const before = t.digest;
  applyTxn(t, new Map(), multi(2n, [sub(Op.create, create('/z')), sub(Op.error, new W().int(-103).out)]), stats);
  assert.is(t.size, 3);
  assert.is(t.digest, before);
});

test('a txn record carries its digest when bytes remain after the body', () => {
  const withDigest = parseTxnPayload(hdr(new W(), 1n, Op.delete).str('/a').int(2).long(-5n).out);
  assert.equal(withDigest.digest, { version: 2, treeDigest: -5n });
  assert.is(parseTxnPayload(hdr(new W(), 1n, Op.delete).str('/a').out).digest, undefined);
});

test('fixture from a real 3.9.5 server: snapshot + log replay to its znode count, last zxid, every digest', async () => {
  const r = await replayDataDir(FIXTURE, BigInt(facts.lastZxid));
  assert.ok(r.checks.every((c) => c.ok), r.checks.map((c) => `${c.what} ${c.detail ?? ''}`).join('\n'));
  assert.is(r.znodes, facts.znodes);
  assert.is(r.lastZxid, BigInt(facts.lastZxid));
  assert.ok(r.txns > 0 && r.digestsCompared === r.txns, `${r.digestsCompared} of ${r.txns}`);
  const snap = readSnapshot(readFileSync(join(FIXTURE, 'version-2', facts.snapshot)));
  assert.is(snap.seals, 3);
  assert.ok(snap.digest && snap.digest.zxid === BigInt('0x' + facts.snapshot.split('.')[1]));
});

test('fixture: a drill cancelled (aborted signal) stops the replay with the abort, not a failed check', async () => {
  let thrown: unknown;
  try {
    await replayDataDir(FIXTURE, BigInt(facts.lastZxid), AbortSignal.abort());
  } catch (err) {
    thrown = err;
  }
  assert.is((thrown as Error | undefined)?.name, 'AbortError');
});

test('fixture: a logged txn changed behind its record checksum fails on that txn\'s digest', async () => {
  const dir = copyFixture();
  try {
    const file = join(dir, 'version-2', 'log.1');
    const log = readFileSync(file);
    const at = log.indexOf('fixture-last');
    log[at]! ^= 0x01;
    // Re-checksum the record holding it (format.ts: long Adler32, int length, payload, 'B').
    for (let pos = 16; pos < log.length; ) {
      const len = log.readInt32BE(pos + 8);
      if (at >= pos + 12 && at < pos + 12 + len) log.writeBigUInt64BE(BigInt(adler32(log, pos + 12, pos + 12 + len)), pos);
      pos += 12 + len + 1;
    }
    writeFileSync(file, log);
    const r = await replayDataDir(dir, BigInt(facts.lastZxid));
    const bad = r.checks.filter((c) => !c.ok);
    assert.is(bad.length, 1, JSON.stringify(r.checks));
    assert.match(bad[0]!.what, /^transaction digests/);
    // The create of /app/last, the txn before the fixture's last (its client's closeSession).
    const zxid = '0x' + (BigInt(facts.lastZxid) - 1n).toString(16);
    assert.match(bad[0]!.detail!, new RegExp(`first: txn ${zxid} in version-2/log.1: recorded digest`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fixture: a flipped snapshot byte fails its seal; a cut snapshot fails to load; a wrong manifest zxid fails', async () => {
  for (const doctor of ['flip', 'cut'] as const) {
    const dir = copyFixture();
    try {
      const file = join(dir, 'version-2', facts.snapshot);
      const snap = readFileSync(file);
      if (doctor === 'flip') snap[snap.indexOf('fixture-data-1')]! ^= 0x01;
      writeFileSync(file, doctor === 'cut' ? snap.subarray(0, snap.length >> 1) : snap);
      const r = await replayDataDir(dir, BigInt(facts.lastZxid));
      const bad = r.checks.find((c) => !c.ok);
      assert.match(bad?.detail ?? '', doctor === 'flip' ? /seal at byte \d+: checksum mismatch/ : /unexpected end of data/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const r = await replayDataDir(FIXTURE, BigInt(facts.lastZxid) + 1n);
  const bad = r.checks.filter((c) => !c.ok);
  assert.is(bad.length, 1);
  assert.match(bad[0]!.detail!, /the replayed data ends at .* the archive's manifest says/);
});

test.run();
