/** The daemon's JSON log: shape, redaction by key, redaction by secret value. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, secretsFromEnv, type LoggerOptions } from '../../src/daemon/log.js';

const ZK_AUTH = 'hbr:zkPassw0rdXYZ';
const ENV: NodeJS.ProcessEnv = {
  HBR_ZK_ADMIN_AUTH: ZK_AUTH,
  HBR_ZK_ADMIN_AUTH_PROD: 'admin:prodZkSecretXYZ',
  HBR_ZK_RESTORE_AUTH: 'restore:restoreSecretXYZ',
  HBR_ZK_COORD_AUTH: 'coord:coordSecretXYZ',
  AWS_SECRET_ACCESS_KEY: 'awsSecretKeyXYZ',
  AWS_SESSION_TOKEN: 'awsSessionTokenXYZ',
  OPS_HOOK_TOKEN: 'opsHookTokenXYZ',
  DB_PASSWORD: 'dbPasswordXYZ',
  SOME_SECRET: 'someSecretXYZ',
  HBR_WEBHOOK_SLACK: 'https://hooks.slack.example/services/T0/B0/slackPathXYZ',
  SHORT_TOKEN: 'abc',
  // not secrets
  HBR_TB_HDFS_USER: 'hdfsuser',
  PATH: '/usr/bin:/bin',
  AWS_REGION: 'eu-west-1',
};
const ALL_SECRETS = [
  'zkPassw0rdXYZ', 'prodZkSecretXYZ', 'restoreSecretXYZ', 'coordSecretXYZ', 'awsSecretKeyXYZ', 'awsSessionTokenXYZ',
  'opsHookTokenXYZ', 'dbPasswordXYZ', 'someSecretXYZ', 'slackPathXYZ', 'extraSecretXYZ',
];

interface Line { level: string; time: string; msg?: string; pid: number; hostname: string; name: string; [k: string]: unknown }

/** A logger writing into memory; `lines()` parses what it wrote, `raw()` is the text itself. */
function capture(opts: LoggerOptions = {}) {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger({ env: ENV, secrets: ['extraSecretXYZ'], destination, ...opts });
  const raw = () => chunks.join('');
  return {
    log,
    raw,
    lines: (): Line[] => raw().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line),
    assertNoSecrets() {
      for (const s of ALL_SECRETS) assert.not.ok(raw().includes(s), `${s} leaked:\n${raw()}`);
    },
  };
}

test('one JSON object per line: ISO time, level label, msg, pid, hostname, name', () => {
  const c = capture({ level: 'info' });
  c.log.info('hello');
  c.log.debug('not at info');
  c.log.warn({ policy: 'warehouse', n: 3 }, 'two %s', 'words');
  assert.ok(c.raw().endsWith('\n'));
  const [a, b, ...more] = c.lines();
  assert.is(more.length, 0, 'debug is below the level');
  assert.is(a!.level, 'info');
  assert.is(a!.msg, 'hello');
  assert.match(a!.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.is(a!.pid, process.pid);
  assert.is(a!.hostname, hostname());
  assert.is(a!.name, 'hbr');
  assert.is(b!.level, 'warn');
  assert.is(b!.msg, 'two words');
  assert.is(b!.policy, 'warehouse');
  assert.is(b!.n, 3);
});

test('a file descriptor destination is written synchronously', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hbr-log-'));
  try {
    const fd = openSync(join(dir, 'log.jsonl'), 'w');
    const log = createLogger({ destination: fd, env: ENV });
    log.info('to a file with %s', ZK_AUTH);
    const line = JSON.parse(readFileSync(join(dir, 'log.jsonl'), 'utf8')) as Line;
    closeSync(fd);
    assert.is(line.msg, 'to a file with [REDACTED]');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('redaction by key: password, secret, token, authorization, AWS keys, at the top and one level down', () => {
  const c = capture({ env: {}, secrets: [] });
  c.log.info(
    {
      password: 'p1', secret: 's1', token: 't1', authorization: 'a1',
      accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'sak', sessionToken: 'st',
      zk: { password: 'p2', user: 'hbr' },
      webhook: { token: 't2', name: 'ops' },
      s3: { credentials: { secretAccessKey: 'sak2', accessKeyId: 'AKIA2' } },
      headers: { authorization: 'Bearer x', accept: 'application/json' },
      req: { headers: { authorization: 'Bearer y', Authorization: 'Bearer z', host: 'h' } },
      keep: 'visible',
    },
    'keys',
  );
  const l = c.lines()[0]!;
  const R = '[REDACTED]';
  for (const k of ['password', 'secret', 'token', 'authorization', 'accessKeyId', 'secretAccessKey', 'sessionToken']) assert.is(l[k], R, k);
  assert.equal(l.zk, { password: R, user: 'hbr' });
  assert.equal(l.webhook, { token: R, name: 'ops' });
  assert.equal(l.s3, { credentials: { secretAccessKey: R, accessKeyId: 'AKIA2' } });
  assert.equal(l.headers, { authorization: R, accept: 'application/json' });
  assert.equal(l.req, { headers: { authorization: R, Authorization: R, host: 'h' } });
  assert.is(l.keep, 'visible');
});

test('redaction by value: secrets from the environment and opts.secrets, in the message and its arguments', () => {
  const c = capture();
  c.log.info(`zk auth ${ZK_AUTH}, password alone zkPassw0rdXYZ`);
  c.log.info('aws %s / %s', 'awsSecretKeyXYZ', 'awsSessionTokenXYZ');
  c.log.info({ policy: 'p' }, 'posting to %s with %s', ENV.HBR_WEBHOOK_SLACK!, 'opsHookTokenXYZ');
  c.log.info('restore restoreSecretXYZ coord coordSecretXYZ prod prodZkSecretXYZ db dbPasswordXYZ some someSecretXYZ extra extraSecretXYZ');
  c.log.info('as json %j', { nested: 'dbPasswordXYZ' });
  const msgs = c.lines().map((l) => l.msg);
  assert.is(msgs[0], 'zk auth [REDACTED], password alone [REDACTED]', 'user:password goes whole, not as "hbr:[REDACTED]"');
  assert.is(msgs[1], 'aws [REDACTED] / [REDACTED]');
  assert.is(msgs[2], 'posting to [REDACTED] with [REDACTED]');
  assert.not.match(msgs[3]!, /XYZ/);
  assert.is(msgs[4], 'as json {"nested":"[REDACTED]"}');
  c.assertNoSecrets();
});

test('redaction by value in nested string fields and arrays, without touching the caller\'s object', () => {
  const c = capture();
  const fields = {
    cmd: ['zkCli.sh', '-auth', ZK_AUTH],
    details: { url: `${ENV.HBR_WEBHOOK_SLACK}?x=1`, deeper: { note: 'key=awsSecretKeyXYZ;', count: 2, ok: true } },
    when: new Date(0),
  };
  const before = JSON.stringify(fields);
  c.log.info(fields, 'nested');
  const l = c.lines()[0]!;
  assert.equal(l.cmd, ['zkCli.sh', '-auth', '[REDACTED]']);
  assert.equal(l.details, { url: '[REDACTED]?x=1', deeper: { note: 'key=[REDACTED];', count: 2, ok: true } });
  assert.is(l.when, '1970-01-01T00:00:00.000Z');
  assert.is(JSON.stringify(fields), before, 'the logged object is left as it was');
  c.assertNoSecrets();
});

test('redaction by value inside errors: message, stack, extra fields, causes, errors in other fields', () => {
  const c = capture();
  const err = Object.assign(new Error(`digest auth ${ZK_AUTH} refused`, { cause: new Error('upstream said awsSecretKeyXYZ') }), {
    url: ENV.HBR_WEBHOOK_SLACK,
  });
  c.log.error(err); // message from the error
  c.log.error({ err, policy: 'p' }); // message from err
  c.log.error({ err }, 'failed: %s', err.message); // explicit message
  c.log.warn({ result: { error: err } }, 'nested error'); // an Error not under `err`
  c.log.error({ err: `as a string: ${ZK_AUTH}` }, 'string err');
  const [a, b, d, e, f] = c.lines();
  for (const l of [a!, b!, d!]) {
    const e1 = l.err as { type: string; message: string; stack: string; url: string };
    assert.is(e1.type, 'Error');
    assert.match(e1.message, 'digest auth [REDACTED] refused');
    assert.match(e1.message, 'upstream said [REDACTED]', 'the cause\'s message is folded in by pino and scrubbed');
    assert.match(e1.stack, /^Error: digest auth \[REDACTED\] refused/);
    assert.is(e1.url, '[REDACTED]');
  }
  assert.is(a!.msg, 'digest auth [REDACTED] refused');
  assert.is(b!.msg, 'digest auth [REDACTED] refused');
  assert.is(b!.policy, 'p');
  assert.is(d!.msg, 'failed: digest auth [REDACTED] refused');
  const nested = (e!.result as { error: { type: string; message: string } }).error;
  assert.is(nested.type, 'Error');
  assert.match(nested.message, 'digest auth [REDACTED] refused');
  assert.is(f!.err, 'as a string: [REDACTED]');
  c.assertNoSecrets();
});

test('values shorter than 4 characters are not redacted', () => {
  const c = capture({ secrets: ['xy', 'q'] });
  c.log.info({ word: 'abc' }, 'abc xy q stay');
  const l = c.lines()[0]!;
  assert.is(l.msg, 'abc xy q stay');
  assert.is(l.word, 'abc');
});

test('the line stays valid JSON when a secret could match JSON syntax or a number', () => {
  const c = capture({ env: {}, secrets: ['1234', '","x":"', 'level'] });
  c.log.info({ n: 12345, s: '12345', q: 'a","x":"b', level2: 'level' }, 'level 1234 "," ');
  const l = c.lines()[0]!; // parses
  assert.is(l.n, 12345, 'numbers are not text: left alone');
  assert.is(l.s, '[REDACTED]5');
  assert.is(l.q, 'a[REDACTED]b');
  assert.is(l.level, 'info', 'keys and the level label are not touched');
});

test('child loggers scrub their messages and fields too', () => {
  const c = capture();
  const child = c.log.child({ component: 'webhook' });
  child.warn({ reason: 'token opsHookTokenXYZ rejected' }, 'auth opsHookTokenXYZ');
  const l = c.lines()[0]!;
  assert.is(l.component, 'webhook');
  assert.is(l.reason, 'token [REDACTED] rejected');
  assert.is(l.msg, 'auth [REDACTED]');
});

test('without secrets the hooks change nothing', () => {
  const c = capture({ env: {}, secrets: [] });
  const err = new Error('plain');
  c.log.error(err);
  c.log.info({ a: { b: 'c' } }, 'x %s', 'y');
  const [a, b] = c.lines();
  assert.is(a!.msg, 'plain');
  assert.is((a!.err as { type: string }).type, 'Error');
  assert.equal(b!.a, { b: 'c' });
  assert.is(b!.msg, 'x y');
});

test('secretsFromEnv: the documented variables, passwords alone too, longest first, short ones dropped', () => {
  const s = secretsFromEnv(ENV);
  for (const v of [ZK_AUTH, 'zkPassw0rdXYZ', 'admin:prodZkSecretXYZ', 'prodZkSecretXYZ', 'restore:restoreSecretXYZ', 'restoreSecretXYZ',
    'coord:coordSecretXYZ', 'coordSecretXYZ', 'awsSecretKeyXYZ', 'awsSessionTokenXYZ', 'opsHookTokenXYZ', 'dbPasswordXYZ', 'someSecretXYZ', ENV.HBR_WEBHOOK_SLACK!]) {
    assert.ok(s.includes(v), `missing ${v}`);
  }
  for (const v of ['abc', 'hdfsuser', '/usr/bin:/bin', 'eu-west-1', 'hbr']) assert.not.ok(s.includes(v), `should not include ${v}`);
  assert.equal(s, [...s].sort((a, b) => b.length - a.length));
  assert.equal(secretsFromEnv({}), []);
});

test.run();
