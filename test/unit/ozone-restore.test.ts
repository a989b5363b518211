/**
 * The pure parts of `hbr restore ozone --overwrite` (src/systems/ozone/restore-overwrite.ts): what a
 * restore over the original changes, the re-check against what the plan saw, the aside name.
 * The restore itself runs against real Ozone in test/integration/ozone-restore.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LOWER_CASE_NAMING } from '../../src/model/names.js';
import { asideName, firstChange, overwriteDiff, type Tree } from '../../src/systems/ozone/restore-overwrite.js';

const key = (length: number, mtime = 1) => ({ dir: false, length, mtime });
const D = { dir: true, length: 0, mtime: 1 };

test('overwriteDiff: missing keys added, differing ones replaced (marked when newer), extra ones deleted (a directory once)', () => {
  const point: Tree = new Map([['./a', key(3)], ['./d', D], ['./d/b', key(5)], ['./same', key(7)]]);
  const dest: Tree = new Map([
    ['./d', D],
    ['./d/b', key(6, 500)],
    ['./same', key(7, 999)],
    ['./x', D],
    ['./x/y', key(1)],
    ['./z', key(1)],
  ]);
  assert.equal(overwriteDiff(point, dest, 100), { add: ['./a'], differ: [{ path: './d/b', newer: true }], remove: ['./x/', './z'], sameLength: 1 });
  assert.equal(overwriteDiff(point, point, 100), { add: [], differ: [], remove: [], sameLength: 3 });
});

test('firstChange: anything that came, went or changed since the plan', () => {
  const seen: Tree = new Map([['./a', key(3)], ['./b', key(4)]]);
  assert.is(firstChange(seen, new Map(seen)), undefined);
  assert.is(firstChange(seen, new Map([['./a', key(3)]])), './b: gone');
  assert.is(firstChange(seen, new Map([['./a', key(3)], ['./b', key(4, 2)]])), './b: changed');
  assert.is(firstChange(seen, new Map([...seen, ['./c', key(1)]])), './c: appeared');
});

test('asideName: lower-case, a valid Ozone snapshot name, and never one of hbr\'s (retention never deletes it)', () => {
  const n = asideName(Date.UTC(2030, 0, 1, 7, 30, 5, 123));
  assert.is(n, 'pre-restore-20300101t073005z');
  assert.ok(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(n));
  assert.is(LOWER_CASE_NAMING.parse(n), undefined);
});

test.run();
