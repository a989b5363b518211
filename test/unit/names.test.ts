import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHbrSnapshot, parseSnapshotName, snapshotName } from '../../src/model/names.js';

test('snapshot names carry owner and UTC time, and round-trip', () => {
  const t = Date.UTC(2026, 10, 22, 13, 0, 0);
  assert.is(snapshotName(t), 'hbr-20261122T130000Z');
  assert.is(snapshotName(t + 999), 'hbr-20261122T130000Z', 'sub-second part dropped');
  assert.is(parseSnapshotName('hbr-20261122T130000Z'), t);
  for (let i = 0; i < 1000; i++) {
    const x = Math.floor(Math.random() * 4e12) * 1000 / 1000;
    const s = Math.floor(x / 1000) * 1000;
    assert.is(parseSnapshotName(snapshotName(s)), s);
  }
});

test('anything else is foreign', () => {
  for (const n of ['s1', 'hbr-2026', 'hbr-20261122T130000', 'HBR-20261122T130000Z', 'hbr-20261322T130000Z', 'hbr-20260431T000000Z',
    'hbr-20261122T240000Z', 'hbr-20261122T126000Z', 'hbr-20261122T130060Z', 'hbr-repair-abc', 'xhbr-20261122T130000Z']) {
    assert.not.ok(isHbrSnapshot(n), n);
  }
  assert.ok(isHbrSnapshot('hbr-20240229T000000Z'), 'leap day');
  assert.not.ok(isHbrSnapshot('hbr-20230229T000000Z'), 'not a leap year');
});

test.run();
