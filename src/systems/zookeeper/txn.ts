/**
 * ZooKeeper transaction log records and their replay on a DataTree (datatree.ts), as 3.9.5 does
 * it (zookeeper-server/src/main/java/org/apache/zookeeper/server/): util/SerializeUtils.java
 * deserializeTxn (TxnHeader, the txn record by type, then a TxnDigest when bytes remain),
 * persistence/FileTxnLog.java (record framing: format.ts), persistence/FileTxnSnapLog.java
 * processTransaction (sessions), DataTree.java processTxn (the ops, multi, the NODEEXISTS
 * parent-cversion fix-up for `create`). Record layouts: zookeeper-jute zookeeper.jute, module
 * org.apache.zookeeper.txn. Errors of individual ops (NoNode / NodeExists) are what ZooKeeper
 * ignores when replaying over a fuzzy snapshot: they are counted, not fatal.
 */
import { DataTree, NoNode, NodeExists } from './datatree.js';
import { FILE_HEADER_SIZE, TXNLOG_MAGIC, adler32 } from './format.js';
import { JuteEOF, JuteReader, type Acl } from './jute.js';

/** ZooDefs.OpCode */
export const Op = {
  create: 1, delete: 2, setData: 5, setACL: 7, check: 13, multi: 14, create2: 15, reconfig: 16,
  createContainer: 19, deleteContainer: 20, createTTL: 21, createSession: -10, closeSession: -11, error: -1,
} as const;

export interface TxnHeader {
  clientId: bigint;
  cxid: number;
  zxid: bigint;
  time: bigint;
  type: number;
}

type Create = { path: string; data: Buffer | null; acl: Acl[] | null; ephemeral: boolean; parentCVersion: number; ttl?: bigint };
export type Txn =
  | { type: 'create'; create: Create }
  | { type: 'delete'; path: string }
  | { type: 'setData'; path: string; data: Buffer | null; version: number }
  | { type: 'setACL'; path: string; acl: Acl[] | null; version: number }
  | { type: 'check'; path: string; version: number }
  | { type: 'createSession'; timeout: number }
  | { type: 'closeSession'; paths2Delete: string[] | null }
  | { type: 'error'; err: number }
  | { type: 'multi'; txns: Array<{ type: number; data: Buffer }> }
  | { type: 'none' };

export interface TxnRecord {
  hdr: TxnHeader;
  txn: Txn;
  /** TxnDigest: the tree digest after this txn, as the leader computed it */
  digest?: { version: number; treeDigest: bigint };
}

function readCreate(r: JuteReader, type: number): Create {
  const path = r.path();
  const data = r.buffer('data');
  const acl = r.acls();
  if (type === Op.create || type === Op.create2) return { path, data, acl, ephemeral: r.bool('ephemeral'), parentCVersion: r.int('parentCVersion') };
  const parentCVersion = r.int('parentCVersion');
  if (type === Op.createTTL) return { path, data, acl, ephemeral: false, parentCVersion, ttl: r.long('ttl') };
  return { path, data, acl, ephemeral: false, parentCVersion }; // createContainer
}

/** One txn record body of `type` (a sub-txn of a multi has the same layouts). */
export function readTxnBody(r: JuteReader, type: number): Txn {
  switch (type) {
    case Op.create: case Op.create2: case Op.createTTL: case Op.createContainer:
      return { type: 'create', create: readCreate(r, type) };
    case Op.delete: case Op.deleteContainer:
      return { type: 'delete', path: r.path() };
    case Op.setData: case Op.reconfig:
      return { type: 'setData', path: r.path(), data: r.buffer('data'), version: r.int('version') };
    case Op.setACL:
      return { type: 'setACL', path: r.path(), acl: r.acls(), version: r.int('version') };
    case Op.check:
      return { type: 'check', path: r.path(), version: r.int('version') };
    case Op.createSession:
      return { type: 'createSession', timeout: r.int('timeOut') };
    case Op.closeSession:
      return { type: 'closeSession', paths2Delete: r.vector('paths2Delete', (x) => x.path()) };
    case Op.error:
      return { type: 'error', err: r.int('err') };
    case Op.multi:
      return { type: 'multi', txns: r.vector('txns', (x) => ({ type: x.int('type'), data: x.buffer('data') ?? Buffer.alloc(0) })) ?? [] };
    default:
      throw new Error(`unsupported txn type ${type}`);
  }
}

/** SerializeUtils.deserializeTxn on one record's payload. */
export function parseTxnPayload(payload: Buffer): TxnRecord {
  const r = new JuteReader(payload);
  const hdr: TxnHeader = { clientId: r.long('clientId'), cxid: r.int('cxid'), zxid: r.long('zxid'), time: r.long('time'), type: r.int('type') };
  let txn: Txn;
  try {
    txn = readTxnBody(r, hdr.type);
  } catch (err) {
    // A closeSession written before CloseSessionTxn existed has no body.
    if (err instanceof JuteEOF && hdr.type === Op.closeSession) return { hdr, txn: { type: 'closeSession', paths2Delete: null } };
    throw new Error(`txn 0x${hdr.zxid.toString(16)} (type ${hdr.type}): ${(err as Error).message}`);
  }
  const rec: TxnRecord = { hdr, txn };
  if (r.remaining >= 12) rec.digest = { version: r.int('digest version'), treeDigest: r.long('treeDigest') };
  return rec;
}

/**
 * The records of a whole transaction log file (as an archive holds it: format.ts scanTxnLog has
 * already checked the framing), in order. Stops at the end-of-log marker (a zero length).
 */
export function* readTxnLog(buf: Buffer, name: string): Generator<TxnRecord> {
  if (buf.length < FILE_HEADER_SIZE || buf.readUInt32BE(0) !== TXNLOG_MAGIC) throw new Error(`${name}: not a transaction log (bad header)`);
  let pos = FILE_HEADER_SIZE;
  while (pos + 12 <= buf.length) {
    const crc = buf.readBigUInt64BE(pos);
    const len = buf.readInt32BE(pos + 8);
    if (len === 0) return;
    const end = pos + 12 + len;
    if (len < 0 || end + 1 > buf.length || buf[end] !== 0x42) throw new Error(`${name}: record at byte ${pos} is cut short`);
    if (BigInt(adler32(buf, pos + 12, end)) !== crc) throw new Error(`${name}: record at byte ${pos}: checksum mismatch`);
    yield parseTxnPayload(buf.subarray(pos + 12, end));
    pos = end + 1;
  }
  if (pos !== buf.length) throw new Error(`${name}: ${buf.length - pos} stray bytes at the end`);
}

export interface ApplyStats {
  /** ops that failed as ZooKeeper's replay lets them fail (NoNode, NodeExists) */
  ignoredErrors: number;
}

/** DataTree.processTxn for one op (isSubTxn or not); returns the KeeperException code or 0. */
function applyOp(tree: DataTree, hdr: TxnHeader, type: number, txn: Txn): number {
  try {
    switch (txn.type) {
      case 'create': {
        const c = txn.create;
        const owner = type === Op.createTTL
          ? BigInt.asIntN(64, -(2n ** 56n) | (c.ttl ?? 0n)) // EphemeralType.TTL.toEphemeralOwner: EXTENDED_MASK | EXTENDED_BIT_TTL(0) | ttl
          : type === Op.createContainer ? -(2n ** 63n) : c.ephemeral ? hdr.clientId : 0n;
        tree.createNode(c.path, c.data, c.acl, owner, c.parentCVersion, hdr.zxid, hdr.time);
        return 0;
      }
      case 'delete': tree.deleteNode(txn.path, hdr.zxid); return 0;
      case 'setData': tree.setData(txn.path, txn.data, txn.version, hdr.zxid, hdr.time); return 0;
      case 'setACL': tree.setACL(txn.path, txn.acl, txn.version); return 0;
      case 'closeSession': tree.killSession(hdr.clientId, hdr.zxid, txn.paths2Delete); return 0;
      case 'error': return txn.err;
      case 'multi': return applyMulti(tree, hdr, txn.txns);
      default: return 0; // createSession, check: nothing in the tree
    }
  } catch (err) {
    if (err instanceof NoNode || err instanceof NodeExists) {
      if (type === Op.create && err instanceof NodeExists && txn.type === 'create') {
        // processTxn: a create that finds its node (fuzzy snapshot) still bumps the parent.
        const path = txn.create.path;
        try {
          tree.setCversionPzxid(path.slice(0, path.lastIndexOf('/')), txn.create.parentCVersion, hdr.zxid);
        } catch (e) {
          if (!(e instanceof NoNode)) throw e;
        }
      }
      return err.code;
    }
    throw err;
  }
}

function applyMulti(tree: DataTree, hdr: TxnHeader, subs: Array<{ type: number; data: Buffer }>): number {
  // A multi with an error sub-txn was rolled back by the leader: every sub-txn becomes an error.
  const failed = subs.some((s) => s.type === Op.error);
  let rc = 0;
  for (const s of subs) {
    if (failed) continue;
    const body = readTxnBody(new JuteReader(s.data), s.type);
    const err = applyOp(tree, { ...hdr, type: s.type }, s.type, body);
    if (err !== 0 && rc === 0) rc = err;
  }
  return rc;
}

/** FileTxnSnapLog.processTransaction: sessions, then DataTree.processTxn. */
export function applyTxn(tree: DataTree, sessions: Map<bigint, number>, rec: TxnRecord, stats: ApplyStats): void {
  const { hdr, txn } = rec;
  if (txn.type === 'createSession') sessions.set(hdr.clientId, txn.timeout);
  if (hdr.type === Op.closeSession) sessions.delete(hdr.clientId);
  // An error txn (and a multi rolled back by the leader, which applies nothing) is no replay error.
  if (applyOp(tree, hdr, hdr.type, txn) !== 0 && txn.type !== 'error') stats.ignoredErrors++;
}
