/**
 * One HTTP(S) request with node:http / node:https, for the WebHDFS client (./webhdfs.ts): the
 * NameNode legs over https:// with a CA bundle (Node's global fetch cannot take a CA without the
 * undici package, which is not installed: testbed/secure.md) and every DataNode leg (the DataNode's
 * Netty answers PUT/POST with an unsolicited `100 Continue`, which fetch rejects). The scheme of
 * the URL picks the module; `ca` is the cluster's ca_bundle (docs/design/secure-proposal.md §3.3).
 * Never sets rejectUnauthorized: false.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface SendOptions {
  method: string;
  body?: Uint8Array;
  headers?: Record<string, string | number>;
  ca?: Buffer;
  timeoutMs: number;
}

/**
 * Sends and buffers the answer. A failure rejects with an Error whose `cause` is Node's (its `code`
 * is ECONNREFUSED, SELF_SIGNED_CERT_IN_CHAIN, …): the shape `transportReason` reads for fetch too.
 * Its message never holds the URL (which may carry `delegation=`).
 */
export function send(url: string, o: SendOptions): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const fail = (cause: Error) => reject(Object.assign(new Error('request failed'), { cause }));
    const isHttps = url.startsWith('https:');
    const opts: https.RequestOptions = {
      method: o.method,
      timeout: o.timeoutMs,
      headers: { ...(o.headers ?? {}), ...(o.body ? { 'content-length': o.body.length } : {}) },
      ...(isHttps && o.ca ? { ca: o.ca } : {}),
    };
    let req: http.ClientRequest;
    try {
      req = isHttps ? https.request(url, opts) : http.request(url, opts);
    } catch (err) {
      return fail(err as Error);
    }
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer in ${o.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.end(o.body);
  });
}

/** A buffered answer as a fetch Response, for the code that reads NameNode answers (webhdfs-wire.ts). */
export function toResponse(a: HttpAnswer): Response {
  const headers = new Headers();
  for (const [k, v] of Object.entries(a.headers)) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) headers.append(k, x);
  }
  const nullBody = a.status === 204 || a.status === 304;
  return new Response(nullBody ? null : a.body, { status: a.status, headers });
}
