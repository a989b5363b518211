/**
 * The daemon's HTTP face: GET /metrics (Prometheus text), /healthz, /status (JSON). node:http,
 * no framework: three read-only routes. Nothing here changes state.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DaemonStatus } from './status.js';

export interface HttpHandlers {
  metrics(): Promise<{ contentType: string; body: string }>;
  /** false while stopping: load balancers and systemd watchers see 503 */
  healthy(): boolean;
  status(): DaemonStatus;
}

export interface HttpServer {
  /** e.g. http://127.0.0.1:9464 (the real port when 0 was asked) */
  url: string;
  close(): Promise<void>;
}

/** "127.0.0.1:9464", ":9464" (all interfaces), "[::1]:9464" → host and port. */
export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new Error(`--listen expects host:port (e.g. 127.0.0.1:9464, :9464 or [::1]:9464), got '${s}'`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

export function startHttp(listen: { host: string; port: number }, h: HttpHandlers): Promise<HttpServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
    if (path === '/metrics') {
      h.metrics().then(
        (m) => send(res, 200, m.contentType, m.body),
        (err: Error) => send(res, 500, 'text/plain', `metrics failed: ${err.message}\n`),
      );
      return;
    }
    if (path === '/healthz') {
      const ok = h.healthy();
      return send(res, ok ? 200 : 503, 'application/json', JSON.stringify({ status: ok ? 'ok' : 'stopping' }) + '\n');
    }
    if (path === '/status') {
      try {
        return send(res, 200, 'application/json', JSON.stringify(h.status(), null, 2) + '\n');
      } catch (err) {
        return send(res, 500, 'text/plain', `status failed: ${(err as Error).message}\n`);
      }
    }
    if (path === '/') return send(res, 200, 'text/plain', 'hbr daemon: /metrics /healthz /status\n');
    send(res, 404, 'text/plain', 'not found: try /metrics, /healthz or /status\n');
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `cannot listen on ${listen.host}:${listen.port}: the address is in use` : `cannot listen on ${listen.host}:${listen.port}: ${err.message}`)),
    );
    server.listen(listen.port, listen.host, () => {
      const a = server.address() as AddressInfo;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address === '0.0.0.0' ? '127.0.0.1' : a.address;
      resolve({
        url: `http://${host}:${a.port}`,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
