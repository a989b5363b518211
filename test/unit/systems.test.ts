/**
 * The systems behind the core (docs/architecture.md): the list is consistent, the composed schema
 * is the one editors get, deletes no system vouches for are refused, and what policies and steps
 * claim is compared by endpoint, so two names for one NameNode or one bucket cannot hide an overlap.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { stepResources } from '../../src/engine/apply.js';
import { Action, PLAN_VERSION, type Plan, type Step } from '../../src/model/plan.js';
import { checkSafety } from '../../src/planner/plan.js';
import { composeSchema } from '../../src/schema/compose.js';
import { formatPolicyError, loadConfigSources } from '../../src/schema/load.js';
import { policyClaims, SYSTEMS, systemForKind } from '../../src/systems/index.js';

const load = (yaml: string) => loadConfigSources([{ file: 'p.yaml', text: yaml }]);

test('schema/hbr-policy.schema.json is the composed schema (run `npm run schema` after changing a part)', () => {
  const file = JSON.parse(readFileSync(new URL('../../schema/hbr-policy.schema.json', import.meta.url), 'utf8')) as unknown;
  assert.equal(file, composeSchema());
});

test('every step kind belongs to one system, with an executor and a deadline; deletes are its own kinds', () => {
  const seen = new Map<string, string>();
  for (const s of SYSTEMS) {
    // A system without step kinds is read only (the audit: docs/audit.md): it deletes nothing.
    if (Object.keys(s.kinds).length === 0) assert.equal(s.deletes, [], `${s.name} declares no step kinds but lists deletes`);
    for (const [kind, def] of Object.entries(s.kinds)) {
      assert.not.ok(seen.has(kind), `${kind} is declared by ${seen.get(kind)} and ${s.name}`);
      seen.set(kind, s.name);
      assert.type(def.executor, 'function');
      assert.ok(def.deadline > 0);
      assert.is(systemForKind(kind), s);
    }
    for (const d of s.deletes) assert.ok(d in s.kinds, `${s.name} lists delete kind ${d} it does not declare`);
  }
  assert.is(systemForKind('nobody.knows'), undefined);
});

const step = (o: Partial<Step>): Step => ({
  id: 'x',
  kind: 'hdfs.snapshot.create',
  action: Action.Create,
  policy: 'p',
  target: { cluster: 'c', path: '/x' },
  params: {},
  reason: 'test',
  dependsOn: [],
  ...o,
});
const plan = (steps: Step[]): Plan => ({ version: PLAN_VERSION, createdAt: 0, policyDigest: '', observedDigest: '', steps, warnings: [] });

test('default deny: a delete of a kind no system knows is refused', () => {
  const r = load('version: 1\n');
  if ('errors' in r) return assert.unreachable(r.errors.map(formatPolicyError).join('\n'));
  const v = checkSafety(plan([step({ id: 'd', kind: 'future.thing.delete', action: Action.Delete })]), r.config, { at: 0, dirs: {}, unfinished: [], errors: [] });
  assert.is(v.length, 1);
  assert.is(v[0]!.rule, 'unverifiable');
  assert.ok(v[0]!.message.includes('future.thing.delete'), v[0]!.message);
});

const ALIASES = `version: 1
clusters:
  prod:  { hdfs: { webhdfs: http://nn.prod:9870, fs: hdfs://nn.prod:8020 } }
  prod2: { hdfs: { webhdfs: http://NN.prod:9870, fs: "hdfs://NN.PROD" } }
  dr:    { hdfs: { webhdfs: http://nn.dr:9870, fs: hdfs://nn.dr:8020 } }
  zk:    { zookeeper: { admin: http://zk:8080 } }
stores:
  s3a: { s3: { bucket: b, prefix: prod/, endpoint: http://minio:9000 } }
  s3b: { s3: { bucket: b, endpoint: "http://MINIO:9000/" } }
policies:
`;

test('two cluster names for one NameNode are one cluster: the same directory twice is refused', () => {
  const r = load(ALIASES + '  a: { source: { cluster: prod, path: /w }, snapshots: { every: 1h } }\n  b: { source: { cluster: prod2, path: /w }, snapshots: { every: 1h } }\n');
  assert.ok('errors' in r, 'aliased clusters must not hide an overlap');
  if (!('errors' in r)) return;
  assert.is(r.errors.length, 1);
  assert.ok(r.errors[0]!.message.includes("prod2:/w is already protected by policy 'a'"), r.errors[0]!.message);
  assert.is(`${r.errors[0]!.line}:${r.errors[0]!.col}`, '12:40'); // b's path
});

test('a DR target on an alias of its own source cluster is nested inside the source', () => {
  const r = load(ALIASES + '  a: { source: { cluster: prod, path: /w }, snapshots: { every: 1h }, replicate: [ { to: { cluster: prod2, path: /w/copy } } ] }\n');
  assert.ok('errors' in r);
  if ('errors' in r) assert.ok(r.errors[0]!.message.includes('prod2:/w/copy is nested inside prod:/w'), r.errors[0]!.message);
});

test('two store names for one bucket: overlapping archive prefixes are refused', () => {
  const r = load(
    ALIASES +
      '  z1: { source: { cluster: zk }, archive: { to: s3a, prefix: zk-, every: 1d } }\n' +
      '  z2: { source: { cluster: zk }, archive: { to: s3b, prefix: prod/zk-x, every: 1d } }\n',
  );
  assert.ok('errors' in r, 'aliased stores must not hide an overlap');
  if ('errors' in r) assert.ok(r.errors[0]!.message.includes("overlaps prefix 'zk-' of policy 'z1'"), r.errors[0]!.message);
});

test('distinct NameNodes and distinct paths stay apart', () => {
  const r = load(ALIASES + '  a: { source: { cluster: prod, path: /w }, snapshots: { every: 1h } }\n  b: { source: { cluster: dr, path: /w }, snapshots: { every: 1h } }\n  c: { source: { cluster: prod2, path: /w2 }, snapshots: { every: 1h } }\n');
  if ('errors' in r) return assert.unreachable(r.errors.map(formatPolicyError).join('\n'));
  assert.equal(policyClaims(r.config, 'a'), ['hdfs://nn.prod:8020\u0000/w']);
  assert.equal(policyClaims(r.config, 'c'), ['hdfs://nn.prod:8020\u0000/w2']);
  assert.equal(policyClaims(r.config, 'b'), ['hdfs://nn.dr:8020\u0000/w']);
});

test('the engine serializes steps on aliased clusters as one directory', () => {
  const r = load(ALIASES + '  a: { source: { cluster: prod, path: /w }, snapshots: { every: 1h } }\n');
  if ('errors' in r) return assert.unreachable(r.errors.map(formatPolicyError).join('\n'));
  const one = stepResources(step({ target: { cluster: 'prod', path: '/w' } }), r.config);
  const two = stepResources(step({ target: { cluster: 'prod2', path: '/w' } }), r.config);
  assert.equal(one, two);
  assert.is.not(stepResources(step({ target: { cluster: 'dr', path: '/w' } }), r.config)[0], one[0]);
});

test.run();
