import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { compileValidator, validatorSource } from '../../src/schema/validator.js';

// The standalone validator `npm run build` writes, made here from the same schema, against the one
// Ajv compiles at run time: the same verdict and the same errors (keyword, paths, params, schema,
// parentSchema, data), which are all ./wording.ts reads to word a message.
// (evaluated as CommonJS with this file's require, which finds ajv's runtime as dist/ does)
const mod = { exports: {} as ValidateFunction & { schemaHash: string } };
new Function('module', 'exports', 'require', validatorSource())(mod, mod.exports, createRequire(import.meta.url));
const standalone = mod.exports;
const compiled = compileValidator();

let invalid = 0;
function same(data: unknown): boolean {
  const a = standalone(data);
  if (!a) invalid++;
  const b = compiled(data);
  assert.is(a, b, JSON.stringify(data));
  assert.equal(standalone.errors ?? null, compiled.errors ?? null, JSON.stringify(data));
  return true;
}

const valid = {
  version: 1,
  clusters: {
    prod: { hdfs: { webhdfs: 'http://nn.prod:9870', fs: 'hdfs://nn.prod:8020', user: 'hdfs' } },
    dr: { hdfs: { webhdfs: 'http://nn.dr:9870', fs: 'hdfs://nn.dr:8020' } },
    zk: { zookeeper: { admin: 'http://zk1:8080', connect: 'zk1:2181' } },
  },
  stores: { backups: { s3: { bucket: 'b', prefix: 'p/', region: 'eu-west-1' } }, local: { local: { path: '/var/hbr' } } },
  policies: {
    warehouse: {
      source: { cluster: 'prod', path: '/warehouse' },
      snapshots: { every: '1h', keep: { hourly: 24, daily: 7 } },
      rpo: '2h',
      replicate: [{ to: { cluster: 'dr', path: '/warehouse' }, keep: { daily: 30 } }],
    },
    zkarch: { source: { cluster: 'zk' }, archive: { to: 'backups', prefix: 'zk/', every: '1d', keep: { last: 3 } } },
  },
};

test('the standalone validator accepts what the compiled one accepts', () => {
  assert.ok(same(valid));
  assert.ok(compiled(valid));
});

// Random edits of a valid file: a value replaced or a key added anywhere, with any JSON value.
const paths: string[][] = [];
const walk = (v: unknown, p: string[]): void => {
  paths.push(p);
  if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
};
walk(valid, []);

test('the same errors as the compiled validator on 3,000 broken policy files', () => {
  const edit = fc.tuple(fc.constantFrom(...paths), fc.oneof(fc.constant(undefined), fc.string({ maxLength: 4 })), fc.jsonValue({ maxDepth: 2 }));
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
      const data = structuredClone(valid) as Record<string, unknown>;
      for (const [path, key, value] of edits) {
        let at: Record<string, unknown> = data;
        for (const seg of path.slice(0, -1)) {
          const next = at[seg];
          if (!next || typeof next !== 'object') return true;
          at = next as Record<string, unknown>;
        }
        const last = path[path.length - 1];
        if (last === undefined) return same(value);
        if (key !== undefined && at[last] && typeof at[last] === 'object') (at[last] as Record<string, unknown>)[key] = value;
        else at[last] = value;
      }
      return same(data);
    }),
    { numRuns: 3000 },
  );
  assert.ok(invalid > 1000, `only ${invalid} of the edited files were invalid`);
});

test.run();
