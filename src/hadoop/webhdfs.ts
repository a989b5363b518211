/**
 * A small typed client for the WebHDFS REST API (Hadoop 3.3+), the one way hbr talks to a
 * NameNode at observe time: no JVM per call. Reference:
 * https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-hdfs/WebHDFS.html
 *
 * Simple auth (`user.name`), or Kerberos through a delegation token (`delegation=`, ./dtoken.ts);
 * https:// with the cluster's CA bundle (./webhdfs-http.ts); an HA nameservice through its active
 * NameNode (./namenodes.ts, ./webhdfs-ha.ts). docs/security.md.
 */
import { stripUserinfo, transportReason } from '../model/errors.js';
import { explain, tlsReason, tokenRefusalKind, webhdfsRefusal } from './auth-errors.js';
import { throughActive } from './namenodes.js';
import { classifyFailure, IDEMPOTENT, recheckFor, REDIRECT_ONLY } from './webhdfs-ha.js';
import { send, toResponse } from './webhdfs-http.js';

export * from './webhdfs-wire.js';
import { firstLine, remoteException, toError, WebHdfsError, type ContentSummary, type FileChecksum, type FileStatus, type QuotaUsage, type ServerDefaults, type SnapshotDiffReport, type SnapshotStatus, type SnapshottableDirectory, type WebHdfsOptions } from './webhdfs-wire.js';

type Params = Record<string, string | number | boolean | undefined>;

export class WebHdfs {
  readonly baseUrl: string;
  private readonly user: string | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly opts: WebHdfsOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.user = opts.token ? undefined : opts.user;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /**
   * A request's URL on this client's first NameNode, under simple auth only (tests send it with
   * fetch themselves). A Kerberized or HTTPS-with-CA cluster has no such URL to hand out: a clear
   * error instead of a request refused with 401 or an untrusted certificate. Product code goes
   * through `call` (token, CA, the active NameNode).
   */
  url(path: string, op: string, params: Params = {}): string {
    if (this.opts.token || this.opts.ca) {
      throw new WebHdfsError(`${op} ${path}: cluster ${this.who().cluster}: hbr does not stream block data to or from a Kerberized or ca_bundle cluster yet (docs/security.md)`, op, path, undefined, 'Unsupported');
    }
    return this.urlAt(this.baseUrl, path, op, params);
  }

  private urlAt(base: string, path: string, op: string, params: Params, token?: string): string {
    if (!path.startsWith('/')) throw new Error(`WebHDFS path must be absolute: ${path}`);
    const u = new URL(`${base.replace(/\/+$/, '')}/webhdfs/v1${encodePath(path)}`);
    u.searchParams.set('op', op);
    // With a token the NameNode takes the user from it and refuses a user.name that differs (JspHelper.getUGI).
    if (token !== undefined) u.searchParams.set('delegation', token);
    else if (this.user !== undefined) u.searchParams.set('user.name', this.user);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /**
   * One NameNode request of any op, answered < 400 (else a WebHdfsError), with everything this
   * client does for its own ops: the token, the CA bundle, the active NameNode. For the ops that
   * live beside this class (./webhdfs-blocks.ts, ./webhdfs-write.ts); `timeoutMs` overrides the
   * client's for this call. A redirect's Location (noredirect=true) carries the NameNode's
   * `delegation=` on a Kerberized cluster: send it with `dataNodeTls()`, never log it.
   */
  call(method: string, path: string, op: string, params: Params = {}, timeoutMs?: number): Promise<Response> {
    return this.request(method, path, op, params, undefined, timeoutMs);
  }

  /** What a DataNode leg sent by hand needs: the cluster's CA bundle for an https:// Location. */
  dataNodeTls(): { ca?: Buffer } {
    return this.opts.ca ? { ca: this.opts.ca } : {};
  }

  /** Through the active NameNode of an HA cluster (one attempt on a single NameNode), see ./namenodes.ts. */
  private async request(method: string, path: string, op: string, params: Params = {}, body?: Uint8Array, timeoutMs = this.timeoutMs): Promise<Response> {
    const set = this.opts.nameNodes ?? { key: this.baseUrl, names: [this.baseUrl], urls: [this.baseUrl] };
    const recheck = recheckFor(op, path, params, (b, p) => this.at(b).stat(p).then((s) => s !== undefined), (b, p) => this.at(b).getXAttrs(p));
    return throughActive(
      set,
      { run: (base) => this.once(base, method, path, op, params, body, timeoutMs), mutation: method !== 'GET' && !REDIRECT_ONLY.has(op), idempotent: IDEMPOTENT.has(op), ...(recheck && { recheck }) },
      classifyFailure,
    );
  }

  /** This client bound to one NameNode (for re-checks after a failover). */
  private at(base: string): WebHdfs {
    const { nameNodes: _, ...rest } = this.opts;
    return new WebHdfs({ ...rest, baseUrl: base });
  }

  private async once(base: string, method: string, path: string, op: string, params: Params, body: Uint8Array | undefined, timeoutMs: number): Promise<Response> {
    let token = this.opts.token ? await this.opts.token() : undefined;
    for (let attempt = 0; ; attempt++) {
      const url = this.urlAt(base, path, op, params, token);
      let res: Response;
      try {
        const headers = body ? { 'content-type': 'application/octet-stream' } : undefined;
        // Plain http:// without a CA bundle keeps fetch; https:// (a CA to pass) goes through node:https.
        res = base.startsWith('https:') || this.opts.ca
          ? toResponse(await send(url, { method, timeoutMs, ...(body && { body }), ...(headers && { headers }), ...(this.opts.ca && { ca: this.opts.ca }) }))
          : await fetch(url, { method, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), ...(body ? { body, headers } : {}) });
      } catch (err) {
        throw this.transportError(err, op, path, base);
      }
      if (res.status < 400) return res;
      const e = await toError(res, op, path);
      if (token !== undefined && e.status === 403 && webhdfsRefusal(e.exception, e.message) === 'token') {
        if (attempt === 0) {
          token = await this.opts.token!(token); // once: a fresh token for the one the NameNode refused
          continue;
        }
        throw new WebHdfsError(`${op} ${path}: ${explain('token_invalid', this.who())} (${tokenRefusalKind(e.message)}: ${e.message.replace(/^.*?InvalidToken: /, '')})`, op, path, 403, 'InvalidToken');
      }
      throw e;
    }
  }

  private who() {
    return { cluster: this.opts.cluster ?? stripUserinfo(this.baseUrl), ...(this.opts.caBundle && { caBundle: this.opts.caBundle }) };
  }

  private transportError(err: unknown, op: string, path: string, base: string): WebHdfsError {
    const cause = (err as { cause?: { code?: string } }).cause;
    const code = cause?.code ?? ((err as Error).name === 'TimeoutError' ? 'TimeoutError' : undefined);
    const tls = tlsReason(code);
    const host = (() => { try { return new URL(base).host; } catch { return stripUserinfo(base); } })();
    const msg = tls ? `${explain(tls, this.who())} (${code}, ${host})` : `${transportReason(err)} (${stripUserinfo(base)})`;
    return new WebHdfsError(`${op} ${path}: ${msg}`, op, path, undefined, undefined, code);
  }

  private async json<T>(method: string, path: string, op: string, params: Params = {}): Promise<T> {
    const res = await this.request(method, path, op, params);
    return (await res.json()) as T;
  }

  // ------------------------------------------------------------------ reads

  async getFileStatus(path: string): Promise<FileStatus> {
    return (await this.json<{ FileStatus: FileStatus }>('GET', path, 'GETFILESTATUS')).FileStatus;
  }

  /** The status, or undefined when the path does not exist. */
  async stat(path: string): Promise<FileStatus | undefined> {
    try {
      return await this.getFileStatus(path);
    } catch (err) {
      if (err instanceof WebHdfsError && err.notFound) return undefined;
      throw err;
    }
  }

  async listStatus(path: string): Promise<FileStatus[]> {
    return (await this.json<{ FileStatuses: { FileStatus: FileStatus[] } }>('GET', path, 'LISTSTATUS')).FileStatuses.FileStatus;
  }

  async getContentSummary(path: string): Promise<ContentSummary> {
    return (await this.json<{ ContentSummary: ContentSummary }>('GET', path, 'GETCONTENTSUMMARY')).ContentSummary;
  }

  /**
   * GETQUOTAUSAGE (docs/design/blocks-proposal.md §5.2): cheap on a directory with a quota (the
   * NameNode keeps its usage), a subtree walk like GETCONTENTSUMMARY on one without.
   */
  async getQuotaUsage(path: string): Promise<QuotaUsage> {
    return (await this.json<{ QuotaUsage: QuotaUsage }>('GET', path, 'GETQUOTAUSAGE')).QuotaUsage;
  }

  /** GETSERVERDEFAULTS: what clients take from the NameNode, trashInterval (minutes) among them (§5.1 of the brief). */
  async getServerDefaults(): Promise<ServerDefaults> {
    return (await this.json<{ FsServerDefaults: ServerDefaults }>('GET', '/', 'GETSERVERDEFAULTS')).FsServerDefaults;
  }

  async getFileChecksum(path: string): Promise<FileChecksum> {
    // The NameNode redirects to a DataNode, which computes the checksum.
    const res = await this.request('GET', path, 'GETFILECHECKSUM', { noredirect: true });
    const loc = await location(res);
    const body = loc ? await this.follow('GET', loc, 'GETFILECHECKSUM', path) : await res.json();
    return (body as { FileChecksum: FileChecksum }).FileChecksum;
  }

  async open(path: string): Promise<Buffer> {
    const res = await this.request('GET', path, 'OPEN', { noredirect: true });
    const loc = await location(res);
    if (!loc) throw new WebHdfsError(`OPEN ${path}: no DataNode location`, 'OPEN', path, res.status, undefined);
    return (await this.dataNode('GET', loc, 'OPEN', path)).body;
  }

  async getSnapshottableDirectoryList(): Promise<SnapshottableDirectory[]> {
    const r = await this.json<{ SnapshottableDirectoryList: SnapshottableDirectory[] | null }>('GET', '/', 'GETSNAPSHOTTABLEDIRECTORYLIST');
    return r.SnapshottableDirectoryList ?? [];
  }

  async getSnapshotList(path: string): Promise<SnapshotStatus[]> {
    const r = await this.json<{ SnapshotList: SnapshotStatus[] | null }>('GET', path, 'GETSNAPSHOTLIST');
    return r.SnapshotList ?? [];
  }

  /**
   * Differences from snapshot `from` to snapshot `to` of the snapshottable directory `path`.
   * An empty name means the current state of the directory (so `(s, '')` tells whether anything
   * changed since `s`).
   */
  async getSnapshotDiff(path: string, from: string, to: string): Promise<SnapshotDiffReport> {
    const r = await this.json<{ SnapshotDiffReport: SnapshotDiffReport }>('GET', path, 'GETSNAPSHOTDIFF', {
      oldsnapshotname: from,
      snapshotname: to,
    });
    return r.SnapshotDiffReport;
  }

  // ------------------------------------------------------------------ writes

  async mkdirs(path: string, permission?: string): Promise<boolean> {
    return (await this.json<{ boolean: boolean }>('PUT', path, 'MKDIRS', { permission })).boolean;
  }

  /** Create (or overwrite) a file with the given content: the NameNode names a DataNode, which takes the bytes. */
  async create(path: string, data: Uint8Array, opts: { overwrite?: boolean; replication?: number; blockSize?: number } = {}): Promise<void> {
    const res = await this.request('PUT', path, 'CREATE', {
      overwrite: opts.overwrite ?? false,
      replication: opts.replication,
      blocksize: opts.blockSize,
      noredirect: true,
    });
    const loc = await location(res);
    if (!loc) throw new WebHdfsError(`CREATE ${path}: no DataNode location`, 'CREATE', path, res.status, undefined);
    await this.follow('PUT', loc, 'CREATE', path, data);
  }

  async append(path: string, data: Uint8Array): Promise<void> {
    const res = await this.request('POST', path, 'APPEND', { noredirect: true });
    const loc = await location(res);
    if (!loc) throw new WebHdfsError(`APPEND ${path}: no DataNode location`, 'APPEND', path, res.status, undefined);
    await this.follow('POST', loc, 'APPEND', path, data);
  }

  async delete(path: string, recursive = false): Promise<boolean> {
    return (await this.json<{ boolean: boolean }>('DELETE', path, 'DELETE', { recursive })).boolean;
  }

  async rename(path: string, destination: string): Promise<boolean> {
    return (await this.json<{ boolean: boolean }>('PUT', path, 'RENAME', { destination })).boolean;
  }

  async allowSnapshot(path: string): Promise<void> {
    await this.request('PUT', path, 'ALLOWSNAPSHOT');
  }

  async disallowSnapshot(path: string): Promise<void> {
    await this.request('PUT', path, 'DISALLOWSNAPSHOT');
  }

  /** Returns the snapshot's full path, e.g. /data/.snapshot/hbr-20261122T130000Z. */
  async createSnapshot(path: string, name: string): Promise<string> {
    return (await this.json<{ Path: string }>('PUT', path, 'CREATESNAPSHOT', { snapshotname: name })).Path;
  }

  async deleteSnapshot(path: string, name: string): Promise<void> {
    await this.request('DELETE', path, 'DELETESNAPSHOT', { snapshotname: name });
  }

  async renameSnapshot(path: string, from: string, to: string): Promise<void> {
    await this.request('PUT', path, 'RENAMESNAPSHOT', { oldsnapshotname: from, snapshotname: to });
  }

  /** Octal permission, e.g. "640". */
  async setPermission(path: string, permission: string): Promise<void> {
    await this.request('PUT', path, 'SETPERMISSION', { permission });
  }

  async setOwner(path: string, owner?: string, group?: string): Promise<void> {
    await this.request('PUT', path, 'SETOWNER', { owner, group });
  }

  async setReplication(path: string, replication: number): Promise<boolean> {
    return (await this.json<{ boolean: boolean }>('PUT', path, 'SETREPLICATION', { replication })).boolean;
  }

  /** Adds ACL entries, e.g. "user:bob:r--" (comma-separated). */
  async modifyAclEntries(path: string, aclspec: string): Promise<void> {
    await this.request('PUT', path, 'MODIFYACLENTRIES', { aclspec });
  }

  async getAclStatus(path: string): Promise<{ entries: string[]; owner: string; group: string; permission: string }> {
    return (await this.json<{ AclStatus: { entries: string[]; owner: string; group: string; permission: string } }>('GET', path, 'GETACLSTATUS')).AclStatus;
  }

  /** Sets (creates or replaces) an extended attribute, e.g. `user.hbr.bootstrap`, as text. */
  async setXAttr(path: string, name: string, value: string): Promise<void> {
    const flag = (await this.getXAttrs(path))[name] === undefined ? 'CREATE' : 'REPLACE';
    await this.request('PUT', path, 'SETXATTR', { 'xattr.name': name, 'xattr.value': `"${value}"`, flag });
  }

  async removeXAttr(path: string, name: string): Promise<void> {
    await this.request('PUT', path, 'REMOVEXATTR', { 'xattr.name': name });
  }

  /** Every extended attribute the caller may read, as text (the `user.` namespace for a plain user). */
  async getXAttrs(path: string): Promise<Record<string, string>> {
    const r = await this.json<{ XAttrs?: Array<{ name: string; value: string | null }> }>('GET', path, 'GETXATTRS', { encoding: 'text' });
    const out: Record<string, string> = {};
    for (const x of r.XAttrs ?? []) out[x.name] = (x.value ?? '').replace(/^"|"$/g, '');
    return out;
  }

  /**
   * The second leg of a redirected operation, against a DataNode. Sent with node:http rather than
   * fetch: the DataNode's Netty server answers PUT/POST with an unsolicited `100 Continue` before
   * the real status, which undici rejects as a bad response.
   */
  private async follow(method: string, loc: string, op: string, path: string, body?: Uint8Array): Promise<unknown> {
    const res = await this.dataNode(method, loc, op, path, body);
    const text = res.body.toString('utf8');
    return text ? JSON.parse(text) : undefined;
  }

  /** The DataNode leg: http or https by the Location's scheme (HTTPS_ONLY sends https), the same CA bundle. */
  private async dataNode(method: string, loc: string, op: string, path: string, body?: Uint8Array): Promise<{ status: number; body: Buffer }> {
    const host = new URL(loc).host; // never the whole Location: it carries delegation=
    let a;
    try {
      a = await send(loc, { method, timeoutMs: this.timeoutMs, ...(body && { body, headers: { 'content-type': 'application/octet-stream' } }), ...(this.opts.ca && { ca: this.opts.ca }) });
    } catch (err) {
      const cause = (err as { cause?: Error & { code?: string } }).cause;
      const tls = tlsReason(cause?.code);
      throw new WebHdfsError(`${op} ${path}: DataNode ${host}: ${tls ? `${explain(tls, this.who())} (${cause?.code})` : (cause?.message ?? String(err))}`, op, path, undefined, undefined, cause?.code);
    }
    if (a.status < 400) return { status: a.status, body: a.body };
    const e = remoteException(a.body.toString('utf8'));
    throw new WebHdfsError(`${op} ${path}: DataNode ${host}: ${e ? `${e.exception}: ${firstLine(e.message)}` : `HTTP ${a.status}`}`, op, path, a.status, e?.exception);
  }
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

async function location(res: Response): Promise<string | undefined> {
  const header = res.headers.get('location');
  if (header) return header;
  const text = await res.text();
  if (!text) return undefined;
  const body = JSON.parse(text) as { Location?: string };
  return body.Location;
}
