/**
 * ZooKeeper's jute binary encoding, read side, as far as snapshots and transaction logs need it
 * (zookeeper-jute BinaryInputArchive, 3.9): big-endian int / long, a boolean as one byte, a
 * buffer or a ustring as an int length (-1 = null) then the bytes (UTF-8 for a ustring), a vector
 * as an int count (-1 = null) then its elements. Records are their fields in order
 * (zookeeper-jute/src/main/resources/zookeeper.jute).
 */

/** Reading past the end: jute's EOFException (callers tell a short record from a corrupt one). */
export class JuteEOF extends Error {
  constructor(what: string, at: number) {
    super(`unexpected end of data reading ${what} at byte ${at}`);
    this.name = 'JuteEOF';
  }
}

export interface Acl {
  perms: number;
  scheme: string;
  id: string;
}

/** jute.maxbuffer is 1 MiB by default; a length beyond this is garbage, not data. */
const MAX_LEN = 256 * 1024 * 1024;

export class JuteReader {
  pos: number;

  constructor(readonly buf: Buffer, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.end) throw new JuteEOF(what, this.pos);
  }

  int(what = 'int'): number {
    this.need(4, what);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  long(what = 'long'): bigint {
    this.need(8, what);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  bool(what = 'boolean'): boolean {
    this.need(1, what);
    return this.buf[this.pos++] !== 0;
  }

  buffer(what = 'buffer'): Buffer | null {
    const len = this.int(what);
    if (len === -1) return null;
    if (len < -1 || len > MAX_LEN) throw new Error(`invalid length ${len} of ${what} at byte ${this.pos - 4}`);
    this.need(len, what);
    const v = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return v;
  }

  ustring(what = 'string'): string | null {
    const b = this.buffer(what);
    return b === null ? null : b.toString('utf8');
  }

  /** A ustring that must be there (a path). */
  path(what = 'path'): string {
    const s = this.ustring(what);
    if (s === null) throw new Error(`null ${what} at byte ${this.pos - 4}`);
    return s;
  }

  vector<T>(what: string, element: (r: JuteReader) => T): T[] | null {
    const n = this.int(what);
    if (n === -1) return null;
    if (n < -1 || n > MAX_LEN) throw new Error(`invalid count ${n} of ${what} at byte ${this.pos - 4}`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(element(this));
    return out;
  }

  /** vector<org.apache.zookeeper.data.ACL>: int perms, Id { ustring scheme; ustring id } */
  acls(what = 'acl'): Acl[] | null {
    return this.vector(what, (r) => ({ perms: r.int('perms'), scheme: r.ustring('scheme') ?? '', id: r.ustring('id') ?? '' }));
  }
}
