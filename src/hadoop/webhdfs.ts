/**
 * A small typed client for the WebHDFS REST API (Hadoop 3.3+), the one way hbr talks to a
 * NameNode at observe time: no JVM per call. Reference:
 * https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-hdfs/WebHDFS.html
 *
 * Simple auth only (`user.name`), which is what an unsecured cluster and the test bed use;
 * SPNEGO would slot in as another `authorize` strategy.
 */
import http from 'node:http';
import { stripUserinfo, transportReason } from '../model/errors.js';

export * from './webhdfs-wire.js';
import { firstLine, remoteException, toError, WebHdfsError, type ContentSummary, type FileChecksum, type FileStatus, type QuotaUsage, type ServerDefaults, type SnapshotDiffReport, type SnapshotStatus, type SnapshottableDirectory, type WebHdfsOptions } from './webhdfs-wire.js';

type Params = Record<string, string | number | boolean | undefined>;

export class WebHdfs {
  readonly baseUrl: string;
  private readonly user: string | undefined;
  private readonly timeoutMs: number;

  constructor(opts: WebHdfsOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.user = opts.user;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  url(path: string, op: string, params: Params = {}): string {
    if (!path.startsWith('/')) throw new Error(`WebHDFS path must be absolute: ${path}`);
    const u = new URL(`${this.baseUrl}/webhdfs/v1${encodePath(path)}`);
    u.searchParams.set('op', op);
    if (this.user !== undefined) u.searchParams.set('user.name', this.user);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  private async request(method: string, path: string, op: string, params: Params = {}, body?: Uint8Array): Promise<Response> {
    const url = this.url(path, op, params);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(body ? { body, headers: { 'content-type': 'application/octet-stream' } } : {}),
      });
    } catch (err) {
      throw new WebHdfsError(`${op} ${path}: ${transportReason(err)} (${stripUserinfo(this.baseUrl)})`, op, path, undefined, undefined);
    }
    if (res.status >= 400) throw await toError(res, op, path);
    return res;
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

  private dataNode(method: string, loc: string, op: string, path: string, body?: Uint8Array): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const fail = (msg: string, status?: number, exception?: string) =>
        reject(new WebHdfsError(`${op} ${path}: DataNode ${new URL(loc).host}: ${msg}`, op, path, status, exception));
      const req = http.request(loc, {
        method,
        timeout: this.timeoutMs,
        headers: body ? { 'content-type': 'application/octet-stream', 'content-length': body.length } : {},
      });
      req.on('timeout', () => req.destroy(new Error(`no answer in ${this.timeoutMs} ms`)));
      req.on('error', (err) => fail(err.message));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => fail(err.message));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          if (status < 400) return resolve({ status, body: buf });
          const e = remoteException(buf.toString('utf8'));
          fail(e ? `${e.exception}: ${firstLine(e.message)}` : `HTTP ${status}`, status, e?.exception);
        });
      });
      req.end(body);
    });
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
