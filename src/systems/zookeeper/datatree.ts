/**
 * An in-memory copy of ZooKeeper's DataTree, as far as a restore drill needs it: the nodes with
 * their data, ACL reference and StatPersisted, the ephemerals by session, and the tree digest,
 * kept exactly as ZooKeeper 3.9 keeps it so a replayed tree can be compared with the digests the
 * server recorded. Read from the 3.9.5 sources (zookeeper-server/src/main/java/org/apache/
 * zookeeper/server/): DataTree.java (createNode, deleteNode, setData, setACL, setCversionPzxid,
 * killSession), NodeHashMapImpl.java (digest bookkeeping: preChange removes a node's digest,
 * postChange adds it back; nothing under "/zookeeper/" counts), DigestCalculator.java (a node's
 * digest: CRC32 over path bytes, data, then czxid mzxid pzxid ctime mtime (longs) version
 * cversion aversion (ints) ephemeralOwner (long), 60 bytes; "/" is hashed as ""), util/AdHash.java
 * (the tree digest is the 64-bit wrapping sum of the nodes' digests).
 *
 * The root is kept under "" as in ZooKeeper ("/" is an alias that never counts twice here:
 * `size` is the number of distinct znodes; the server's `znode_count` is one more, because its
 * map holds the root under both "" and "/").
 */
import { crc32 } from 'node:zlib';
import type { Acl } from './jute.js';
import { JuteReader } from './jute.js';

export interface StatPersisted {
  czxid: bigint;
  mzxid: bigint;
  ctime: bigint;
  mtime: bigint;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  pzxid: bigint;
}

export interface DataNode {
  data: Buffer | null;
  /** reference into the snapshot's ACL cache (the txn's ACL list is not resolved to one) */
  acl: bigint | Acl[] | null;
  stat: StatPersisted;
  children: Set<string>;
}

/** jute StatPersisted: czxid mzxid ctime mtime version cversion aversion ephemeralOwner pzxid */
export function readStatPersisted(r: JuteReader): StatPersisted {
  return {
    czxid: r.long('czxid'),
    mzxid: r.long('mzxid'),
    ctime: r.long('ctime'),
    mtime: r.long('mtime'),
    version: r.int('version'),
    cversion: r.int('cversion'),
    aversion: r.int('aversion'),
    ephemeralOwner: r.long('ephemeralOwner'),
    pzxid: r.long('pzxid'),
  };
}

export const DIGEST_VERSION = 2;
const ZOOKEEPER_NODE_SUBTREE = '/zookeeper/';
/** EphemeralType: CONTAINER_EPHEMERAL_OWNER = Long.MIN_VALUE; TTL and other extended types have the top byte 0xff. */
const CONTAINER_OWNER = -(2n ** 63n);
const EXTENDED_MASK = -(2n ** 56n); // 0xff00000000000000 as a signed long

/** An owner that is a session (not 0, a container or an extended type such as TTL). */
export function isSessionOwner(owner: bigint): boolean {
  return owner !== 0n && owner !== CONTAINER_OWNER && (owner & EXTENDED_MASK) !== EXTENDED_MASK;
}

/** DigestCalculator.calculateDigest (digest version 2). */
export function nodeDigest(path: string, data: Buffer | null, stat: StatPersisted): bigint {
  if (path.startsWith(ZOOKEEPER_NODE_SUBTREE)) return 0n;
  const b = Buffer.allocUnsafe(60);
  b.writeBigInt64BE(stat.czxid, 0);
  b.writeBigInt64BE(stat.mzxid, 8);
  b.writeBigInt64BE(stat.pzxid, 16);
  b.writeBigInt64BE(stat.ctime, 24);
  b.writeBigInt64BE(stat.mtime, 32);
  b.writeInt32BE(stat.version, 40);
  b.writeInt32BE(stat.cversion, 44);
  b.writeInt32BE(stat.aversion, 48);
  b.writeBigInt64BE(stat.ephemeralOwner, 52);
  let crc = crc32(Buffer.from(path === '/' ? '' : path, 'utf8'));
  if (data) crc = crc32(data, crc);
  return BigInt(crc32(b, crc));
}

/** What ZooKeeper's processTxn would answer (KeeperException codes the replay cares about). */
export class NoNode extends Error {
  readonly code = -101;
}
export class NodeExists extends Error {
  readonly code = -110;
}

function split(path: string): { parent: string; child: string } {
  const i = path.lastIndexOf('/');
  return { parent: path.slice(0, i), child: path.slice(i + 1) };
}

export class DataTree {
  private readonly nodes = new Map<string, DataNode>();
  /** session id -> paths of its ephemeral nodes */
  readonly ephemerals = new Map<bigint, Set<string>>();
  private hash = 0n;

  /** distinct znodes, the root included */
  get size(): number {
    return this.nodes.size;
  }

  /** NodeHashMap.getDigest: the sum of the nodes' digests, as a signed 64-bit long */
  get digest(): bigint {
    return this.hash;
  }

  get(path: string): DataNode | undefined {
    return this.nodes.get(path === '/' ? '' : path);
  }

  paths(): IterableIterator<string> {
    return this.nodes.keys();
  }

  private add(path: string, n: DataNode): void {
    if (path.startsWith(ZOOKEEPER_NODE_SUBTREE)) return;
    this.hash = BigInt.asIntN(64, this.hash + nodeDigest(path, n.data, n.stat));
  }

  private remove(path: string, n: DataNode): void {
    if (path.startsWith(ZOOKEEPER_NODE_SUBTREE)) return;
    this.hash = BigInt.asIntN(64, this.hash - nodeDigest(path, n.data, n.stat));
  }

  /** A node as read from a snapshot (DataTree.deserialize): its parent must be there already. */
  loadNode(path: string, node: Omit<DataNode, 'children'>): void {
    if (this.nodes.has(path)) throw new Error(`invalid data tree: ${path || '/'} appears twice`);
    const n: DataNode = { ...node, children: new Set() };
    if (path !== '') {
      const { parent, child } = split(path);
      const p = this.nodes.get(parent);
      if (!p) throw new Error(`invalid data tree: unable to find parent ${parent || '/'} of path ${path}`);
      p.children.add(child);
      this.trackEphemeral(path, n.stat.ephemeralOwner);
    }
    this.nodes.set(path, n);
    this.add(path, n);
  }

  private trackEphemeral(path: string, owner: bigint): void {
    if (!isSessionOwner(owner)) return;
    let set = this.ephemerals.get(owner);
    if (!set) this.ephemerals.set(owner, (set = new Set()));
    set.add(path);
  }

  createNode(path: string, data: Buffer | null, acl: Acl[] | null, ephemeralOwner: bigint, parentCVersion: number, zxid: bigint, time: bigint): void {
    const { parent: parentName, child: childName } = split(path);
    const parent = this.nodes.get(parentName);
    if (!parent) throw new NoNode(path);
    const existing = this.nodes.get(path);
    if (existing) {
      existing.acl = acl; // not part of the digest
      throw new NodeExists(path);
    }
    this.remove(parentName, parent);
    if (parentCVersion === -1) parentCVersion = parent.stat.cversion + 1;
    if (parentCVersion > parent.stat.cversion) {
      parent.stat.cversion = parentCVersion;
      parent.stat.pzxid = zxid;
    }
    parent.children.add(childName);
    this.add(parentName, parent);
    const stat: StatPersisted = { czxid: zxid, mzxid: zxid, ctime: time, mtime: time, version: 0, cversion: 0, aversion: 0, ephemeralOwner, pzxid: zxid };
    const n: DataNode = { data, acl, stat, children: new Set() };
    this.nodes.set(path, n);
    this.add(path, n);
    this.trackEphemeral(path, ephemeralOwner);
  }

  deleteNode(path: string, zxid: bigint): void {
    const { parent: parentName, child: childName } = split(path);
    const parent = this.nodes.get(parentName);
    if (!parent) throw new NoNode(path);
    // The parent's pzxid moves even when the child is already gone (fuzzy snapshots).
    this.remove(parentName, parent);
    parent.children.delete(childName);
    if (zxid > parent.stat.pzxid) parent.stat.pzxid = zxid;
    this.add(parentName, parent);
    const n = this.nodes.get(path);
    if (!n) throw new NoNode(path);
    this.nodes.delete(path);
    this.remove(path, n);
    const owner = n.stat.ephemeralOwner;
    if (isSessionOwner(owner)) this.ephemerals.get(owner)?.delete(path);
  }

  setData(path: string, data: Buffer | null, version: number, zxid: bigint, time: bigint): void {
    const n = this.get(path);
    if (!n) throw new NoNode(path);
    this.remove(path, n);
    n.data = data;
    n.stat.mtime = time;
    n.stat.mzxid = zxid;
    n.stat.version = version;
    this.add(path, n);
  }

  setACL(path: string, acl: Acl[] | null, version: number): void {
    const n = this.get(path);
    if (!n) throw new NoNode(path);
    this.remove(path, n);
    n.stat.aversion = version;
    n.acl = acl;
    this.add(path, n);
  }

  setCversionPzxid(path: string, newCversion: number, zxid: bigint): void {
    if (path.endsWith('/')) path = path.slice(0, -1);
    const n = this.get(path);
    if (!n) throw new NoNode(path);
    if (newCversion === -1) newCversion = n.stat.cversion + 1;
    if (newCversion > n.stat.cversion) {
      this.remove(path, n);
      n.stat.cversion = newCversion;
      n.stat.pzxid = zxid;
      this.add(path, n);
    }
  }

  /** DataTree.killSession(session, zxid, ephemerals.remove(session), paths2DeleteInTxn) */
  killSession(session: bigint, zxid: bigint, paths2DeleteInTxn: string[] | null): void {
    const local = this.ephemerals.get(session);
    this.ephemerals.delete(session);
    const del = (paths: Iterable<string>) => {
      for (const p of paths) {
        try {
          this.deleteNode(p, zxid);
        } catch (err) {
          if (!(err instanceof NoNode)) throw err;
        }
      }
    };
    if (paths2DeleteInTxn) del(paths2DeleteInTxn);
    if (!local) return;
    if (paths2DeleteInTxn) for (const p of paths2DeleteInTxn) local.delete(p);
    del([...local]);
  }

  /** Every node's parent lists it and every listed child exists; the first inconsistency, if any. */
  checkStructure(): string | undefined {
    for (const [path, n] of this.nodes) {
      if (path !== '') {
        const { parent, child } = split(path);
        if (!this.nodes.get(parent)?.children.has(child)) return `${path} is not listed as a child of ${parent || '/'}`;
      }
      for (const c of n.children) if (!this.nodes.has(`${path}/${c}`)) return `${path || '/'} lists child ${c}, which does not exist`;
    }
    if (!this.nodes.has('')) return 'no root node';
    return undefined;
  }

  /** Recomputes the digest from scratch (what the running sum must equal). */
  recomputeDigest(): bigint {
    let h = 0n;
    for (const [path, n] of this.nodes) if (!path.startsWith(ZOOKEEPER_NODE_SUBTREE)) h = BigInt.asIntN(64, h + nodeDigest(path, n.data, n.stat));
    return h;
  }
}
