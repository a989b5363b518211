/**
 * ZooKeeper's on-disk formats (3.5 – 3.9), as far as hbr needs them: file names, the snapshot's
 * seal, and the transaction log's record framing. Verified against zookeeper-3.9.5.jar
 * (FileTxnLog, FileTxnLog$FileTxnIterator, Util, FileSnap, SnapStream) and real files.
 *
 * Names (Util.makeSnapshotName / makeLogName): `<dir>/version-2/snapshot.<hex zxid>[.gz|.snappy]`
 * and `<dir>/version-2/log.<hex zxid>`, lower-case hex without padding; the zxid is that of the
 * snapshot (DataTree.lastProcessedZxid when it started: snapshots are fuzzy) or of the log's
 * first transaction.
 *
 * Snapshot (FileSnap.serialize): FileHeader (int magic "ZKSN", int version 2, long dbid) + data
 * tree + sessions, then one or more seals (SnapStream.sealStream: long Adler32 of every byte
 * written so far, then the jute string "/" = int 1 + '/'); 3.9 writes three (tree, zxid digest,
 * last processed zxid). So a complete file ends with `00 00 00 01 2f` and its last seal's
 * checksum covers every byte before the last 13. With compression (zookeeper.snapshot
 * .compression.method) the file is gzip or snappy and the seal is inside the decompressed stream.
 * Snapshots are written in place (FileOutputStream unless fsync'd through AtomicFileOutputStream),
 * so the newest one in a live data dir may be incomplete: only a sealed one counts.
 *
 * Transaction log (FileTxnLog.append, Util.writeTxnBytes / readTxnBytes): FileHeader (int magic
 * "ZKLG", int 2, long dbid) then records: long Adler32 of the payload, int length, payload
 * (TxnHeader: long clientId, int cxid, long zxid, long time, int type; then the txn and, in 3.9,
 * its digest), byte 0x42 ('B', end of record). Files are pre-allocated with zeros
 * (FilePadding, zookeeper.preAllocSize, 64 MiB default); a record of length 0 is where the log
 * ends, and a record without its 0x42 is a partial last write (both end the file for the reader).
 */
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

export const SNAP_MAGIC = 0x5a4b534e; // "ZKSN"
export const TXNLOG_MAGIC = 0x5a4b4c47; // "ZKLG"
export const FILE_HEADER_SIZE = 16;
const SEAL_SIZE = 13; // long checksum + int 1 + '/'
const EOR = 0x42;
const TXN_HEADER_SIZE = 28;
/** More than jute.maxbuffer (1 MiB default) would ever allow; guards against reading garbage. */
const MAX_RECORD = 256 * 1024 * 1024;

export type SnapshotCompression = 'none' | 'gz' | 'snappy';

export interface ZkFileName {
  kind: 'snapshot' | 'log';
  zxid: bigint;
  compression: SnapshotCompression;
  name: string;
}

const NAME_RE = /^(snapshot|log)\.([0-9a-f]{1,16})(?:\.(gz|snappy))?$/;

/** Parses `snapshot.<hex>[.gz|.snappy]` or `log.<hex>`; anything else is not ZooKeeper's. */
export function parseZkFileName(name: string): ZkFileName | undefined {
  const m = NAME_RE.exec(name);
  if (!m) return undefined;
  const kind = m[1] as 'snapshot' | 'log';
  if (kind === 'log' && m[3]) return undefined;
  return { kind, zxid: BigInt('0x' + m[2]), compression: (m[3] as SnapshotCompression | undefined) ?? 'none', name };
}

export function zxidHex(zxid: bigint): string {
  return '0x' + zxid.toString(16);
}

export function snapshotName(zxid: bigint, compression: SnapshotCompression = 'none'): string {
  return `snapshot.${zxid.toString(16)}${compression === 'none' ? '' : '.' + compression}`;
}

/** java.util.zip.Adler32, incrementally. */
export class Adler32 {
  private a = 1;
  private b = 0;

  update(buf: Uint8Array, start = 0, end = buf.length): this {
    let a = this.a;
    let b = this.b;
    let i = start;
    while (i < end) {
      const stop = Math.min(i + 5552, end);
      for (; i < stop; i++) {
        a += buf[i]!;
        b += a;
      }
      a %= 65521;
      b %= 65521;
    }
    this.a = a;
    this.b = b;
    return this;
  }

  digest(): number {
    return (this.b * 65536 + this.a) >>> 0;
  }
}

export function adler32(buf: Uint8Array, start = 0, end = buf.length): number {
  return new Adler32().update(buf, start, end).digest();
}

/** Compression of a snapshot stream, from its first bytes (gzip 1f 8b; snappy-java "\x82SNAPPY\0"). */
export function sniffCompression(head: Buffer): SnapshotCompression | undefined {
  if (head.length >= 4 && head.readUInt32BE(0) === SNAP_MAGIC) return 'none';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gz';
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]))) return 'snappy';
  return undefined;
}

export interface SnapshotCheck {
  ok: boolean;
  /** why not, when !ok */
  reason?: string;
  /** bytes of the (decompressed) snapshot stream */
  streamBytes: number;
}

/**
 * Checks a snapshot file the way ZooKeeper would trust it, and more: the header's magic and the
 * last seal's Adler32 over the whole stream (SnapStream.isValidSnapshot only looks at the last 5
 * bytes). Snappy files cannot be checked here (no codec in Node): they are refused.
 */
export async function checkSnapshotFile(file: string, compression: SnapshotCompression): Promise<SnapshotCheck> {
  if (compression === 'snappy') return { ok: false, reason: 'snappy-compressed snapshots are not supported', streamBytes: 0 };
  const adler = new Adler32();
  let head = Buffer.alloc(0);
  let tail = Buffer.alloc(0); // the last SEAL_SIZE bytes seen, not yet checksummed
  let total = 0;
  const src = createReadStream(file, { highWaterMark: 1 << 20 });
  const stream = compression === 'gz' ? src.pipe(createGunzip()) : src;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (head.length < FILE_HEADER_SIZE) head = Buffer.concat([head, chunk.subarray(0, FILE_HEADER_SIZE - head.length)]);
      const joined = tail.length ? Buffer.concat([tail, chunk]) : chunk;
      const cut = Math.max(0, joined.length - SEAL_SIZE);
      adler.update(joined, 0, cut);
      tail = Buffer.from(joined.subarray(cut));
    }
  } catch (err) {
    src.destroy();
    return { ok: false, reason: `unreadable: ${(err as Error).message}`, streamBytes: total };
  }
  if (total < FILE_HEADER_SIZE + SEAL_SIZE) return { ok: false, reason: `too short (${total} bytes)`, streamBytes: total };
  if (head.readUInt32BE(0) !== SNAP_MAGIC) return { ok: false, reason: 'not a ZooKeeper snapshot (bad magic)', streamBytes: total };
  if (tail.readUInt32BE(8) !== 1 || tail[12] !== 0x2f) return { ok: false, reason: 'incomplete (no seal at the end)', streamBytes: total };
  const sum = tail.readBigUInt64BE(0);
  if (sum !== BigInt(adler.digest())) return { ok: false, reason: 'checksum mismatch', streamBytes: total };
  return { ok: true, streamBytes: total };
}

export type LogEnd = 'zero' | 'eof' | 'partial' | 'crc' | 'order';

export interface TxnLogScan {
  /** bytes of the consistent prefix: header + whole, checksummed records */
  validBytes: number;
  records: number;
  firstZxid?: bigint;
  lastZxid?: bigint;
  /** why reading stopped: zero = end-of-log marker (padding), eof, partial record, bad checksum, zxid not increasing */
  end: LogEnd;
}

/** Reads a file sequentially in large blocks, exposing exact-length reads at any offset ahead. */
class BlockReader {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  eof = false;

  constructor(private readonly fh: FileHandle, private readonly block = 1 << 20) {}

  /** `len` bytes at `pos` (pos never moves backwards past what was consumed), or undefined at EOF. */
  async at(pos: number, len: number): Promise<Buffer | undefined> {
    if (pos < this.bufStart) throw new Error('BlockReader cannot seek backwards');
    while (pos + len > this.bufStart + this.buf.length) {
      if (this.eof) return undefined;
      // Drop what lies before pos, then read another block.
      const keep = this.buf.subarray(Math.max(0, pos - this.bufStart));
      const base = Math.max(this.bufStart, pos);
      const want = Math.max(this.block, len);
      const next = Buffer.allocUnsafe(keep.length + want);
      keep.copy(next, 0);
      const { bytesRead } = await this.fh.read(next, keep.length, want, base + keep.length);
      if (bytesRead < want) this.eof = true;
      this.buf = next.subarray(0, keep.length + bytesRead);
      this.bufStart = base;
    }
    const off = pos - this.bufStart;
    return this.buf.subarray(off, off + len);
  }
}

/**
 * Scans a transaction log from the start and finds its consistent prefix: the header and every
 * record up to the first one that is the end-of-log marker (length 0, i.e. padding), cut short,
 * without its end byte, with a wrong checksum, or with a zxid not above the previous one.
 * With `write`, the prefix's bytes are handed over as read (a live log is only appended to, so
 * what was checked is what is written). Throws if the header is not a log's header.
 */
export async function scanTxnLog(file: string, write?: (chunk: Buffer) => Promise<void>): Promise<TxnLogScan & { headerOk: boolean }> {
  const fh = await open(file, 'r');
  try {
    const r = new BlockReader(fh);
    const header = await r.at(0, FILE_HEADER_SIZE);
    if (!header || header.readUInt32BE(0) !== TXNLOG_MAGIC) {
      // An empty or header-less file: the newest log of a live server right after it was created.
      return { headerOk: false, validBytes: 0, records: 0, end: header ? 'partial' : 'eof' };
    }
    if (header.readInt32BE(4) !== 2) throw new Error(`${file}: unsupported transaction log version ${header.readInt32BE(4)}`);
    if (write) await write(Buffer.from(header));
    let pos = FILE_HEADER_SIZE;
    let records = 0;
    let firstZxid: bigint | undefined;
    let lastZxid: bigint | undefined;
    let end: LogEnd;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (write && pending.length) await write(Buffer.concat(pending));
      pending = [];
      pendingBytes = 0;
    };
    for (;;) {
      const frame = await r.at(pos, 12);
      if (!frame) { end = 'eof'; break; }
      const crc = frame.readBigUInt64BE(0);
      const len = frame.readInt32BE(8);
      if (len === 0) { end = 'zero'; break; }
      if (len < TXN_HEADER_SIZE || len > MAX_RECORD) { end = 'partial'; break; }
      const rec = await r.at(pos, 12 + len + 1);
      if (!rec) { end = 'partial'; break; }
      if (rec[12 + len] !== EOR) { end = 'partial'; break; }
      if (BigInt(adler32(rec, 12, 12 + len)) !== crc) { end = 'crc'; break; }
      const zxid = rec.readBigInt64BE(12 + 12);
      if (lastZxid !== undefined && zxid <= lastZxid) { end = 'order'; break; }
      firstZxid ??= zxid;
      lastZxid = zxid;
      records++;
      pos += rec.length;
      if (write) {
        pending.push(Buffer.from(rec));
        pendingBytes += rec.length;
        if (pendingBytes >= 1 << 20) await flush();
      }
    }
    await flush();
    return { headerOk: true, validBytes: pos, records, firstZxid, lastZxid, end };
  } finally {
    await fh.close();
  }
}
