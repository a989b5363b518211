/** Webhook delivery against a real local HTTP server: body, filtering, auth, retries, secrecy. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { createNotifier, type Notification, type NotifierOptions, type WebhookPayload } from '../../src/daemon/notify.js';
import type { NotifyEvent, Webhook } from '../../src/model/policy.js';

// The parts of a webhook that are secrets and must never reach a log line.
const SECRET_PATH = '/hooks/T0SECRET/B0SECRET/pathsecretXYZ';
const SECRET_QUERY = 'sig=querysecretXYZ';
const TOKEN = 'tok-bearersecretXYZ';
const SECRETS = ['T0SECRET', 'pathsecretXYZ', 'querysecretXYZ', 'bearersecretXYZ'];

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Reply = (res: http.ServerResponse) => void;

/** A local webhook endpoint; `replies` are used in order, the last one repeats. */
async function endpoint(...replies: Reply[]) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const reply = replies[Math.min(received.length - 1, replies.length - 1)] ?? status(200);
      reply(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: `${origin}${SECRET_PATH}?${SECRET_QUERY}`,
    received,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const status = (code: number): Reply => (res) => res.writeHead(code, { 'content-type': 'text/plain' }).end(`status ${code}`);
const hang: Reply = () => { /* never answers */ };
const after = (ms: number, reply: Reply): Reply => (res) => setTimeout(() => reply(res), ms);

interface LogLine { level: string; msg: string; fields?: Record<string, unknown> }

/** Collects log lines and checks, whenever asked, that no secret is in any of them. */
function logSink() {
  const lines: LogLine[] = [];
  return {
    lines,
    log: ((level, msg, fields) => { lines.push({ level, msg, ...(fields && { fields }) }); }) as NonNullable<NotifierOptions['log']>,
    at: (level: string) => lines.filter((l) => l.level === level),
    assertNoSecrets() {
      for (const l of lines) {
        const text = JSON.stringify(l);
        for (const s of SECRETS) assert.not.ok(text.includes(s), `secret ${s} in log line ${text}`);
      }
    },
  };
}

function hook(name: string, over: Partial<Webhook> = {}): Webhook {
  return { name, events: ['run.failed', 'run.recovered', 'rpo.breached', 'rpo.recovered'], at: { file: 'x', line: 1, col: 1 }, ...over };
}

function note(event: NotifyEvent = 'run.failed', over: Partial<Notification> = {}): Notification {
  return { event, policy: 'warehouse', at: '2026-11-23T12:00:00.000Z', summary: 'warehouse: snapshot failed', details: { step: 'snapshot', errors: 1 }, ...over };
}

const fast = { retryBaseMs: 10, timeoutMs: 2_000 } satisfies NotifierOptions;

test('delivers one JSON POST with the documented body and headers; logs only name and origin', async () => {
  const ep = await endpoint(status(204));
  const sink = logSink();
  try {
    const n = createNotifier([hook('ops', { url: ep.url })], { ...fast, log: sink.log });
    n.notify(note());
    await n.flush();
    assert.is(ep.received.length, 1);
    const r = ep.received[0]!;
    assert.is(r.method, 'POST');
    assert.is(r.url, `${SECRET_PATH}?${SECRET_QUERY}`);
    assert.match(r.headers['content-type'] ?? '', /^application\/json/);
    assert.match(r.headers['user-agent'] ?? '', /^hbr\/\d+\.\d+\.\d+/);
    assert.is(r.headers.authorization, undefined);
    const body = JSON.parse(r.body) as WebhookPayload;
    assert.equal(body, {
      source: 'hbr',
      host: hostname(),
      event: 'run.failed',
      policy: 'warehouse',
      at: '2026-11-23T12:00:00.000Z',
      summary: 'warehouse: snapshot failed',
      details: { step: 'snapshot', errors: 1 },
    });
    const ok = sink.at('info');
    assert.is(ok.length, 1);
    assert.equal(ok[0]!.fields, { webhook: 'ops', origin: ep.origin, event: 'run.failed', policy: 'warehouse', status: 204, attempts: 1 });
    sink.assertNoSecrets();
  } finally {
    await ep.close();
  }
});

test('a notification without policy or details still has every key', async () => {
  const ep = await endpoint(status(200));
  try {
    const n = createNotifier([hook('ops', { url: ep.url })], fast);
    n.notify({ event: 'rpo.recovered', at: '2026-11-23T12:00:00.000Z', summary: 'ok again' });
    await n.flush();
    const body = JSON.parse(ep.received[0]!.body) as WebhookPayload;
    assert.is(body.policy, null);
    assert.equal(body.details, {});
  } finally {
    await ep.close();
  }
});

test('only webhooks whose events include the event are called', async () => {
  const a = await endpoint(status(200));
  const b = await endpoint(status(200));
  try {
    const n = createNotifier(
      [hook('failures', { url: a.url, events: ['run.failed', 'run.recovered'] }), hook('rpo', { url: b.url, events: ['rpo.breached'] })],
      fast,
    );
    n.notify(note('run.failed'));
    n.notify(note('rpo.breached'));
    n.notify(note('rpo.recovered'));
    await n.flush();
    assert.equal(a.received.map((r) => (JSON.parse(r.body) as WebhookPayload).event), ['run.failed']);
    assert.equal(b.received.map((r) => (JSON.parse(r.body) as WebhookPayload).event), ['rpo.breached']);
  } finally {
    await a.close();
    await b.close();
  }
});

test('bearer_env: Authorization: Bearer <token>; an unset token variable disables the webhook', async () => {
  const ep = await endpoint(status(200));
  const sink = logSink();
  try {
    const n = createNotifier(
      [hook('with-token', { url: ep.url, bearerEnv: 'OPS_HOOK_TOKEN' }), hook('no-token', { url: ep.url, bearerEnv: 'UNSET_HOOK_TOKEN' })],
      { ...fast, env: { OPS_HOOK_TOKEN: TOKEN }, log: sink.log },
    );
    n.notify(note());
    await n.flush();
    assert.is(ep.received.length, 1, 'only the webhook with its token sends');
    assert.is(ep.received[0]!.headers.authorization, `Bearer ${TOKEN}`);
    const errors = sink.at('error');
    assert.is(errors.length, 1);
    assert.match(errors[0]!.msg, 'no-token');
    assert.match(errors[0]!.msg, 'UNSET_HOOK_TOKEN');
    sink.assertNoSecrets();
  } finally {
    await ep.close();
  }
});

test('url_env: the URL comes from the environment; an unset variable is reported once and skipped', async () => {
  const ep = await endpoint(status(200));
  const sink = logSink();
  try {
    const n = createNotifier([hook('slack', { urlEnv: 'HBR_WEBHOOK_SLACK' }), hook('missing', { urlEnv: 'HBR_WEBHOOK_MISSING' })], {
      ...fast,
      env: { HBR_WEBHOOK_SLACK: ep.url },
      log: sink.log,
    });
    n.notify(note('run.failed'));
    n.notify(note('run.recovered'));
    await n.flush();
    assert.equal(ep.received.map((r) => r.url), [`${SECRET_PATH}?${SECRET_QUERY}`, `${SECRET_PATH}?${SECRET_QUERY}`]);
    const errors = sink.at('error');
    assert.is(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0]!.msg, 'missing');
    assert.match(errors[0]!.msg, 'HBR_WEBHOOK_MISSING');
    sink.assertNoSecrets();
  } finally {
    await ep.close();
  }
});

test('503 then 429 then 200: retried with backoff, delivered on the third attempt', async () => {
  const ep = await endpoint(status(503), status(429), status(200));
  const sink = logSink();
  try {
    const n = createNotifier([hook('ops', { url: ep.url })], { ...fast, retryBaseMs: 50, log: sink.log });
    const t0 = Date.now();
    n.notify(note());
    await n.flush();
    assert.is(ep.received.length, 3);
    assert.ok(Date.now() - t0 >= 50 + 100 - 5, `backoff 50 + 100 ms, took ${Date.now() - t0}`);
    assert.equal(sink.at('warn').map((l) => l.fields?.error), ['HTTP 503', 'HTTP 429']);
    assert.is(sink.at('info')[0]!.fields?.attempts, 3);
    assert.is(sink.at('error').length, 0);
    sink.assertNoSecrets();
  } finally {
    await ep.close();
  }
});

test('5xx every time: gives up after 1 + retries attempts', async () => {
  const ep = await endpoint(status(502));
  const sink = logSink();
  try {
    const n = createNotifier([hook('ops', { url: ep.url })], { ...fast, retries: 2, log: sink.log });
    n.notify(note());
    await n.flush();
    assert.is(ep.received.length, 3);
    const errors = sink.at('error');
    assert.is(errors.length, 1);
    assert.match(errors[0]!.msg, 'HTTP 502 after 3 attempts');
    sink.assertNoSecrets();
  } finally {
    await ep.close();
  }
});

test('400 (and a redirect) are not retried', async () => {
  for (const code of [400, 404, 302]) {
    const ep = await endpoint(status(code));
    const sink = logSink();
    try {
      const n = createNotifier([hook('ops', { url: ep.url })], { ...fast, log: sink.log });
      n.notify(note());
      await n.flush();
      assert.is(ep.received.length, 1, `HTTP ${code}`);
      assert.is(sink.at('warn').length, 0);
      assert.match(sink.at('error')[0]!.msg, `not delivered: HTTP ${code}`);
      sink.assertNoSecrets();
    } finally {
      await ep.close();
    }
  }
});

test('a request that gets no answer times out and is retried', async () => {
  const ep = await endpoint(hang);
  const sink = logSink();
  try {
    const n = createNotifier([hook('ops', { url: ep.url })], { retryBaseMs: 10, timeoutMs: 150, retries: 1, log: sink.log });
    const t0 = Date.now();
    n.notify(note());
    await n.flush();
    assert.ok(Date.now() - t0 < 2_000, `took ${Date.now() - t0} ms`);
    assert.is(ep.received.length, 2);
    assert.match(sink.at('error')[0]!.msg, 'no answer within 150 ms after 2 attempts');
    sink.assertNoSecrets();
  } finally {
    await ep.close();
  }
});

test('unreachable endpoint: retried, reported by origin, the URL never logged', async () => {
  const ep = await endpoint(status(200));
  const url = ep.url;
  const origin = ep.origin;
  await ep.close(); // nothing listens there now
  const sink = logSink();
  const n = createNotifier([hook('gone', { url })], { retryBaseMs: 10, retries: 2, timeoutMs: 1_000, log: sink.log });
  n.notify(note());
  await n.flush();
  assert.is(sink.at('warn').length, 2);
  const err = sink.at('error')[0]!;
  assert.match(err.msg, 'ECONNREFUSED');
  assert.is(err.fields?.origin, origin);
  sink.assertNoSecrets();
});

test('a bad or credentialed URL disables the webhook without quoting it', () => {
  const sink = logSink();
  const n = createNotifier(
    [
      hook('bad', { url: 'http://exa mple.com/pathsecretXYZ' }),
      hook('creds', { url: 'https://u:querysecretXYZ@hooks.example.com/x' }),
      hook('ftp', { url: 'ftp://hooks.example.com/pathsecretXYZ' }),
    ],
    { log: sink.log },
  );
  n.notify(note());
  assert.is(sink.at('error').length, 3);
  sink.assertNoSecrets();
});

test('flush waits for deliveries in flight, backoff included', async () => {
  const ep = await endpoint(status(503), after(150, status(200)));
  const sink = logSink();
  try {
    const n = createNotifier([hook('ops', { url: ep.url })], { retryBaseMs: 100, timeoutMs: 2_000, log: sink.log });
    n.notify(note());
    assert.is(sink.at('info').length, 0, 'notify does not wait');
    await n.flush();
    assert.is(ep.received.length, 2);
    assert.is(sink.at('info').length, 1, 'delivered before flush resolved');
    await n.flush(); // nothing in flight: returns at once
  } finally {
    await ep.close();
  }
});

test('flush(timeout) gives up on time and abandons what is left', async () => {
  const ep = await endpoint(hang);
  const sink = logSink();
  try {
    const n = createNotifier([hook('ops', { url: ep.url })], { retryBaseMs: 10, timeoutMs: 10_000, log: sink.log });
    n.notify(note());
    const t0 = Date.now();
    await n.flush(100);
    assert.ok(Date.now() - t0 < 1_000, `took ${Date.now() - t0} ms`);
    assert.ok(sink.lines.some((l) => l.level === 'warn' && /abandon/.test(l.msg)), JSON.stringify(sink.lines));
    assert.is(ep.received.length, 1, 'no retry after being abandoned');
    sink.assertNoSecrets();
  } finally {
    await ep.close();
  }
});

test('notify never throws: unserializable details are logged, a throwing logger is survived', async () => {
  const ep = await endpoint(status(200));
  try {
    const lines: string[] = [];
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const n = createNotifier([hook('ops', { url: ep.url })], { ...fast, log: (_l, msg) => lines.push(msg) });
    n.notify(note('run.failed', { details: cyclic }));
    assert.ok(lines.some((m) => m.includes('not sent')), lines.join('\n'));
    const throwing = createNotifier([hook('ops', { url: ep.url })], {
      ...fast,
      log: () => {
        throw new Error('logger down');
      },
    });
    throwing.notify(note());
    await throwing.flush();
    assert.is(ep.received.length, 1);
  } finally {
    await ep.close();
  }
});

test('a stub fetch can stand in (fetchImpl)', async () => {
  const calls: string[] = [];
  const fetchImpl: typeof fetch = async (input) => {
    calls.push(String(input));
    return new Response(null, { status: 200 });
  };
  const n = createNotifier([hook('ops', { url: 'https://hooks.example.com/x' })], { fetchImpl });
  n.notify(note());
  await n.flush();
  assert.equal(calls, ['https://hooks.example.com/x']);
});

test.run();
