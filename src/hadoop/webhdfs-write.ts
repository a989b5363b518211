/**
 * WebHDFS writes that the small client in ./webhdfs.ts does not have: a streaming CREATE (the
 * bytes come from a Readable of known length, never whole in memory), RENAME with
 * `renameoptions=OVERWRITE` (rename2: an atomic replace) and SETTIMES. Used by the block restore
 * (src/systems/blocks/restore-exec.ts; docs/blocks.md "Restore").
 *
 * The operations and their parameters, as Hadoop 3.4.3 serves them (hadoop-hdfs
 * server/namenode/web/resources/NamenodeWebHdfsMethods.java, put(): CREATE, RENAME, SETTIMES;
 * hadoop-hdfs-client web/resources/RenameOptionSetParam.java `renameoptions`, an EnumSet of
 * Options.Rename {NONE, OVERWRITE, TO_TRASH}; ModificationTimeParam / AccessTimeParam, -1 = unchanged):
 *   PUT <nn>/webhdfs/v1<p>?op=CREATE&overwrite=false&blocksize=&replication=&permission=&noredirect=true
 *       → {"Location": "<datanode url>"}; PUT the bytes there → 201
 *   PUT <nn>/webhdfs/v1<p>?op=RENAME&destination=<d>&renameoptions=OVERWRITE → 200, empty body (rename2:
 *       throws when it cannot; no `false` answer as plain RENAME has)
 *   PUT <nn>/webhdfs/v1<p>?op=SETTIMES&modificationtime=<ms>&accesstime=-1 → 200
 * SETOWNER and SETPERMISSION are ./webhdfs.ts's.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { WebHdfs } from './webhdfs.js';
import { firstLine, remoteException, WebHdfsError } from './webhdfs-wire.js';

export interface CreateStreamOptions {
  /** exact number of bytes the stream yields (sent as Content-Length) */
  length: number;
  overwrite?: boolean;
  blockSize?: number;
  replication?: number;
  /** octal, e.g. "644" */
  permission?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * CREATE `path` with the bytes of `body` (exactly `opts.length` of them), streamed to the DataNode
 * the NameNode names. Without `overwrite` an existing path is an error (FileAlreadyExistsException).
 */
export async function createFromStream(fs: WebHdfs, path: string, body: Readable, opts: CreateStreamOptions): Promise<void> {
  const res = await nameNode(fs, 'PUT', path, 'CREATE', {
    overwrite: opts.overwrite ?? false,
    blocksize: opts.blockSize,
    replication: opts.replication,
    permission: opts.permission,
    noredirect: true,
  }, opts.timeoutMs);
  const text = await res.text();
  const loc = res.headers.get('location') ?? (text ? (JSON.parse(text) as { Location?: string }).Location : undefined);
  if (!loc) {
    body.destroy();
    throw new WebHdfsError(`CREATE ${path}: no DataNode location`, 'CREATE', path, res.status, undefined);
  }
  await streamToDataNode(fs, loc, path, body, opts);
}

/** rename2: moves `path` to `destination`, replacing a file there when `overwrite`. */
export async function renameTo(fs: WebHdfs, path: string, destination: string, opts: { overwrite: boolean; timeoutMs?: number }): Promise<void> {
  const res = await nameNode(fs, 'PUT', path, 'RENAME', { destination, renameoptions: opts.overwrite ? 'OVERWRITE' : 'NONE' }, opts.timeoutMs);
  await res.body?.cancel().catch(() => {});
}

/** Sets the modification time (ms); the access time is left as it is. */
export async function setTimes(fs: WebHdfs, path: string, modificationTime: number, timeoutMs?: number): Promise<void> {
  const res = await nameNode(fs, 'PUT', path, 'SETTIMES', { modificationtime: modificationTime, accesstime: -1 }, timeoutMs);
  await res.body?.cancel().catch(() => {});
}

type Params = Record<string, string | number | boolean | undefined>;

/** Through the client (token, CA bundle, active NameNode: ./webhdfs.ts `call`); ≥ 400 throws. */
function nameNode(fs: WebHdfs, method: string, path: string, op: string, params: Params, timeoutMs = 30_000): Promise<Response> {
  return fs.call(method, path, op, params, timeoutMs);
}

/**
 * The DataNode leg, with node:http: its Netty server answers a PUT with an unsolicited
 * `100 Continue` before the real status, which fetch (undici) rejects (the same reason as
 * WebHdfs.follow in ./webhdfs.ts). The body is piped with backpressure.
 */
function streamToDataNode(fs: WebHdfs, loc: string, path: string, body: Readable, opts: CreateStreamOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    let done = false;
    const fail = (msg: string, status?: number, exception?: string) => {
      if (done) return;
      done = true;
      body.destroy();
      reject(new WebHdfsError(`CREATE ${path}: DataNode ${new URL(loc).host}: ${msg}`, 'CREATE', path, status, exception));
    };
    // https:// on an HTTPS_ONLY cluster, with its CA bundle; `loc` carries delegation= when Kerberized
    const req = (loc.startsWith('https:') ? https : http).request(loc, {
      ...fs.dataNodeTls(),
      method: 'PUT',
      timeout: timeoutMs,
      headers: { 'content-type': 'application/octet-stream', 'content-length': opts.length },
      ...(opts.signal && { signal: opts.signal }),
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (err) => fail(err.message));
    body.on('error', (err) => {
      fail(`reading the bytes to write: ${err.message}`);
      req.destroy();
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => fail(err.message));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status < 400) {
          if (!done) {
            done = true;
            resolve();
          }
          return;
        }
        const e = remoteException(Buffer.concat(chunks).toString('utf8'));
        fail(e ? `${e.exception}: ${firstLine(e.message)}` : `HTTP ${status}`, status, e?.exception);
      });
    });
    body.pipe(req);
  });
}
