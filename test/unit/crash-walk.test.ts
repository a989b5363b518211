/** The crash walks' lane pool (test/helpers/testbed.ts, walkPoints and setupsAhead), with fake jobs. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setupsAhead, walkPoints } from '../helpers/testbed.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

test('walkPoints: every point once, at most `lanes` at a time; `first` runs before any point of its lane', async () => {
  const seen: string[] = [];
  let running = 0;
  let most = 0;
  const job = async (name: string) => {
    running++;
    most = Math.max(most, running);
    await tick();
    seen.push(name);
    running--;
  };
  await walkPoints([1, 2, 3, 4, 5], (k) => job(`p${k}`), 2, () => job('first'));
  assert.equal([...seen].sort(), ['first', 'p1', 'p2', 'p3', 'p4', 'p5']);
  assert.is(most, 2);
  assert.ok(seen.indexOf('first') < seen.indexOf('p2'), seen.join(','));
});

test("walkPoints: every job runs to its end; `first`'s failure is thrown before any point's, then the lowest point's", async () => {
  const ran: number[] = [];
  const fail = (k: number) => async () => {
    ran.push(k);
    throw new Error(`job ${k}`);
  };
  try {
    await walkPoints([3, 1, 2], (k) => fail(k)(), 2, fail(0));
    assert.unreachable('no failure thrown');
  } catch (err) {
    assert.is((err as Error).message, 'job 0');
  }
  assert.equal(ran.sort(), [0, 1, 2, 3]);
  try {
    await walkPoints([3, 2], (k) => fail(k)(), 2);
    assert.unreachable('no failure thrown');
  } catch (err) {
    assert.is((err as Error).message, 'job 2');
  }
});

test('setupsAhead: a copy made ahead is handed out once; after that each take sets up a new one', async () => {
  let n = 0;
  const copies = setupsAhead(async () => ++n);
  copies.ahead();
  assert.is(n, 1, 'the setup started at once');
  assert.is(await copies.take(), 1);
  assert.is(await copies.take(), 2);
  assert.is(await copies.take(), 3);
});

test('setupsAhead: a setup made ahead that failed fails the take, not the process', async () => {
  const copies = setupsAhead(async () => {
    throw new Error('setup failed');
  });
  copies.ahead();
  await tick();
  try {
    await copies.take();
    assert.unreachable('no failure');
  } catch (err) {
    assert.is((err as Error).message, 'setup failed');
  }
});

test.run();
