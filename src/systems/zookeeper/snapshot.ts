/**
 * Reads a ZooKeeper 3.5 – 3.9 snapshot stream into a DataTree (datatree.ts), as FileSnap.deserialize
 * does (3.9.5 sources: persistence/FileSnap.java, util/SerializeUtils.java deserializeSnapshot,
 * DataTree.java deserialize / deserializeZxidDigest / deserializeLastProcessedZxid,
 * ReferenceCountedACLCache.java deserialize, DataNode.java deserialize, persistence/SnapStream.java):
 *
 *   FileHeader (int magic "ZKSN", int version, long dbid)
 *   sessions: int count, then count × (long id, int timeout)
 *   ACL cache: int count, then count × (long index, vector<ACL>)
 *   nodes: (ustring path, DataNode { buffer data, long acl, StatPersisted }) ... until path "/"
 *   seal: long Adler32 of every byte before it, ustring "/"
 *   [ZxidDigest: long zxid, int digestVersion, long digest (a hex ustring before version 2); seal]
 *   [long lastProcessedZxid; seal]                             (3.9, serializeLastProcessedZxid)
 *
 * The optional parts are present when the server had zookeeper.digest.enabled (default true) and
 * serializeLastProcessedZxid (3.9 default); every seal's checksum is checked here.
 */
import { DataTree, readStatPersisted } from './datatree.js';
import { Adler32, SNAP_MAGIC } from './format.js';
import type { Acl } from './jute.js';
import { JuteReader } from './jute.js';

export interface ZxidDigest {
  zxid: bigint;
  version: number;
  digest: bigint;
}

export interface LoadedSnapshot {
  tree: DataTree;
  dbid: bigint;
  /** session id -> timeout (ms) */
  sessions: Map<bigint, number>;
  aclCacheSize: number;
  /** nodes whose ACL reference is not in the cache (possible in a fuzzy snapshot) */
  unknownAcls: number;
  /** the digest the server recorded after writing the tree, if it did (zxid > 0) */
  digest?: ZxidDigest;
  /** DataTree.lastProcessedZxid when the server finished writing (3.9) */
  lastProcessedZxid?: bigint;
  seals: number;
}

export class SnapshotFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotFormatError';
  }
}

/** Reads the seal at r.pos: the Adler32 of every byte before it, then the ustring "/". */
function readSeal(r: JuteReader, adler: Adler32, checkedUpTo: { pos: number }): void {
  const at = r.pos;
  adler.update(r.buf, checkedUpTo.pos, at);
  checkedUpTo.pos = at;
  const sum = r.long('seal checksum');
  const slash = r.ustring('seal');
  if (slash !== '/') throw new SnapshotFormatError(`no seal at byte ${at} (found ${JSON.stringify(slash)})`);
  if (sum !== BigInt(adler.digest())) throw new SnapshotFormatError(`seal at byte ${at}: checksum mismatch (the snapshot is corrupt)`);
  // The seal itself is covered by the next seal's checksum.
}

/** Deserializes a whole (uncompressed) snapshot stream. Throws on any inconsistency. */
export function readSnapshot(buf: Buffer): LoadedSnapshot {
  const r = new JuteReader(buf);
  const magic = r.int('magic');
  if (magic !== SNAP_MAGIC) throw new SnapshotFormatError('not a ZooKeeper snapshot (bad magic)');
  const version = r.int('version');
  if (version !== 2) throw new SnapshotFormatError(`unsupported snapshot version ${version}`);
  const dbid = r.long('dbid');

  const sessions = new Map<bigint, number>();
  for (let n = r.int('session count'); n > 0; n--) sessions.set(r.long('session id'), r.int('session timeout'));

  const acls = new Map<bigint, Acl[]>();
  for (let n = r.int('acl cache size'); n > 0; n--) {
    const index = r.long('acl index');
    const list = r.acls('acls');
    if (list === null) throw new SnapshotFormatError('missing acls in the ACL cache');
    acls.set(index, list);
  }

  const tree = new DataTree();
  let unknownAcls = 0;
  for (let path = r.path('path'); path !== '/'; path = r.path('path')) {
    const data = r.buffer('data');
    const acl = r.long('acl');
    const stat = readStatPersisted(r);
    // -1 is ZooKeeper's "open ACL unsafe" shortcut; others should be in the cache, but a node
    // created while the snapshot was written may refer to an ACL added after the cache was
    // (DataTree.createNode's comment; ReferenceCountedACLCache.addUsage ignores it): counted.
    if (acl !== -1n && !acls.has(acl)) unknownAcls++;
    try {
      tree.loadNode(path, { data, acl, stat });
    } catch (err) {
      throw new SnapshotFormatError((err as Error).message);
    }
  }

  const adler = new Adler32();
  const checked = { pos: 0 };
  readSeal(r, adler, checked);
  let seals = 1;
  const out: LoadedSnapshot = { tree, dbid, sessions, aclCacheSize: acls.size, unknownAcls, seals };
  // ZxidDigest, when the server wrote one: at least long + int + (long | ustring) + a seal.
  if (r.remaining > 0) {
    const zxid = r.long('digest zxid');
    const dv = r.int('digest version');
    const digest = dv < 2 ? BigInt.asIntN(64, BigInt('0x' + (r.ustring('digest') ?? '0'))) : r.long('digest');
    readSeal(r, adler, checked);
    seals++;
    if (zxid > 0n) out.digest = { zxid, version: dv, digest };
  }
  if (r.remaining > 0) {
    out.lastProcessedZxid = r.long('lastZxid');
    readSeal(r, adler, checked);
    seals++;
  }
  if (r.remaining > 0) throw new SnapshotFormatError(`${r.remaining} bytes after the last seal`);
  out.seals = seals;
  return out;
}
