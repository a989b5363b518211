/**
 * Issue 9 item 5: a URL's `user:password@` never reaches a person or a machine. Each place that
 * turns an error into text strips it: observation errors (→ `hbr plan`, saved plans, /status),
 * plan warnings, step failures (→ journal, /status, webhooks), the CLI's stderr, the daemon's log.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { eprint } from '../../src/cli/common.js';
import { createLogger } from '../../src/daemon/log.js';
import { readJournal } from '../../src/engine/journal.js';
import { stripUserinfo } from '../../src/model/errors.js';
import { observeAll } from '../../src/observe/all.js';
import { PlanBuilder } from '../../src/planner/builder.js';
import { planAll } from '../../src/planner/plan.js';
import { renderPlanJson, renderPlanText } from '../../src/render/plan.js';
import { loadConfigSources, formatPolicyError } from '../../src/schema/load.js';
import { SYSTEMS } from '../../src/systems/index.js';
import type { System } from '../../src/systems/types.js';
import { plan, run, step } from '../fixtures/engine-helpers.js';

const SECRET = 'hunter2';
const URL_WITH = `http://bob:${SECRET}@nn.prod:9870/webhdfs/v1/warehouse?op=LISTSTATUS`;

test('stripUserinfo: user:password@, user@, an @ in the password; nothing else touched', () => {
  assert.is(stripUserinfo(`GET ${URL_WITH}: refused`), 'GET http://nn.prod:9870/webhdfs/v1/warehouse?op=LISTSTATUS: refused');
  assert.is(stripUserinfo('see hdfs://bob@nn:8020/x'), 'see hdfs://nn:8020/x');
  assert.is(stripUserinfo('s3://bob:p@ss@bucket/key'), 's3://bucket/key');
  assert.is(stripUserinfo('http://nn:9870/x@y and mail bob@example.com'), 'http://nn:9870/x@y and mail bob@example.com');
});

test('observation errors carrying a URL with userinfo come out of `hbr plan` (text, JSON) without it', async () => {
  const loaded = loadConfigSources([
    {
      file: 'p.yaml',
      text: 'version: 1\nclusters:\n  prod: { hdfs: { webhdfs: http://nn.prod:9870, fs: hdfs://nn.prod:8020 } }\npolicies:\n  w: { source: { cluster: prod, path: /warehouse }, snapshots: { every: 1h } }\n',
    },
  ]);
  if ('errors' in loaded) return assert.unreachable(loaded.errors.map(formatPolicyError).join('\n'));
  const hdfs = SYSTEMS.find((s) => s.name === 'hdfs') as System & { observe: System['observe'] };
  const real = hdfs.observe;
  // what a WebHDFS client quoting its request URL would report
  hdfs.observe = async () => ({ dirs: {}, errors: [{ cluster: 'prod', path: '/warehouse', message: `GET ${URL_WITH}: connection refused` }] });
  try {
    const observed = await observeAll(loaded.config, { now: () => Date.UTC(2026, 0, 1) });
    const p = planAll({ config: loaded.config, observed, now: observed.at });
    const text = renderPlanText(p, observed);
    assert.ok(text.includes('http://nn.prod:9870/webhdfs/v1/warehouse'), text);
    for (const out of [text, renderPlanJson(p, observed), JSON.stringify(observed)]) assert.not.ok(out.includes(SECRET), out);
  } finally {
    hdfs.observe = real;
  }
});

test('plan warnings are stripped (they are saved in plan files and shown by /status)', () => {
  const b = new PlanBuilder();
  b.warn(`cannot list ${URL_WITH}`, 'w');
  b.notPlanned('v', `cluster down: ${URL_WITH}`);
  assert.equal(b.warnings.map((w) => w.message), [
    'cannot list http://nn.prod:9870/webhdfs/v1/warehouse?op=LISTSTATUS',
    'cluster down: http://nn.prod:9870/webhdfs/v1/warehouse?op=LISTSTATUS',
  ]);
});

test('a failed step is recorded (result, journal) without the userinfo of a URL in its error', async () => {
  const r = await run(plan([step('a')]), {
    'hdfs.snapshot.create': async () => {
      throw new Error(`PUT ${URL_WITH}: 403`);
    },
  });
  assert.is(r.failed.length, 1);
  assert.is(r.failed[0]!.error, 'PUT http://nn.prod:9870/webhdfs/v1/warehouse?op=LISTSTATUS: 403');
  assert.not.ok(JSON.stringify(readJournal(r.state)).includes(SECRET));
});

test("the CLI's stderr (eprint, which main uses for every error) is stripped", () => {
  const chunks: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((c: string | Uint8Array) => (chunks.push(String(c)), true)) as typeof process.stderr.write;
  try {
    eprint(`hbr: cannot reach ${URL_WITH}`);
  } finally {
    process.stderr.write = write;
  }
  assert.equal(chunks, ['hbr: cannot reach http://nn.prod:9870/webhdfs/v1/warehouse?op=LISTSTATUS\n']);
});

test("the daemon's log strips userinfo from messages, fields and errors, with no secret configured", () => {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger({ env: {}, destination });
  log.error({ err: new Error(`GET ${URL_WITH}: refused`), url: URL_WITH, nested: { list: [URL_WITH] } }, `observe failed: ${URL_WITH}`);
  log.warn(new Error(`GET ${URL_WITH}`));
  log.info('plain %s', URL_WITH);
  const out = chunks.join('');
  assert.is(out.split('\n').filter(Boolean).length, 3);
  for (const l of out.split('\n').filter(Boolean)) JSON.parse(l);
  assert.not.ok(out.includes(SECRET), out);
  assert.ok(out.includes('http://nn.prod:9870/webhdfs/v1/warehouse'), out);
});

test.run();
