/** The pure half of `hbr restore hdfs` (src/systems/hdfs/restore-plan.ts). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseRecoveryPoint, cleanSub, comparePath, exactPathFilter, type Entry, type SideSnapshots } from '../../src/systems/hdfs/restore-plan.js';

const t = (s: string) => Date.parse(s);
const side = (s: 'source' | 'dr', names: string[]): SideSnapshots => ({ side: s, cluster: s === 'source' ? 'prod' : 'dr', root: '/w', names, createdAt: Object.fromEntries(names.map((n, i) => [n, i])) });
const S1 = 'hbr-20261201T000000Z';
const S2 = 'hbr-20261201T010000Z';
const S3 = 'hbr-20261201T020000Z';

test('newest at or before --at; the source preferred when it has the same snapshot; DR when pruned', () => {
  const sides = [side('dr', [S1, S2, S3]), side('source', [S2, S3])];
  const pick = (o: Partial<Parameters<typeof chooseRecoveryPoint>[1]>) => {
    const c = chooseRecoveryPoint(sides, { at: t('2026-12-01T05:00:00Z'), trusted: t('2026-12-01T05:00:00Z'), ...o });
    return 'error' in c ? c.error : `${c.snapshot}@${c.from.side}`;
  };
  assert.is(pick({}), `${S3}@source`);
  assert.is(pick({ at: t('2026-12-01T01:30:00Z') }), `${S2}@source`);
  assert.is(pick({ at: t('2026-12-01T00:30:00Z') }), `${S1}@dr`, 'pruned on the source: the DR side');
  assert.is(pick({ from: 'dr' }), `${S3}@dr`);
  assert.is(pick({ snapshot: S1 }), `${S1}@dr`);
  assert.match(pick({ snapshot: 'nope' }), /no snapshot named nope/);
  assert.match(pick({ at: t('2026-11-30T00:00:00Z') }), /no hbr snapshot dated at or before/);
  assert.is(pick({ trusted: t('2026-12-01T01:30:00Z') }), `${S2}@source`, 'a name dated after the trusted clock is not used');
});

test('compare: missing copied, identical skipped, differing kept with "newer", extra kept, DistCp temp files apart', () => {
  const f = (rel: string, length: number, checksum?: string, mtime = 0): Entry => ({ rel, type: 'FILE', length, mtime, ...(checksum && { checksum }) });
  const snap = [f('a', 1, 'x'), f('b', 2, 'y'), f('c', 3, 'z'), f('d', 4, 'w'), { rel: 'dir', type: 'DIRECTORY', length: 0, mtime: 0 } as Entry];
  const dest = [f('b', 2, 'y'), f('c', 3, 'OTHER', 500), f('d', 5, undefined, 50), f('e', 9), f('.distcp.tmp.attempt_1', 7)];
  const p = comparePath('', snap, dest, 100);
  assert.equal(p.copy.map((e) => e.rel), ['a']);
  assert.is(p.same, 1);
  assert.equal(p.differ.map((e) => [e.rel, e.newer]), [['c', true], ['d', false]]);
  assert.equal(p.extra.map((e) => e.rel), ['e']);
  assert.equal(p.leftovers, ['.distcp.tmp.attempt_1']);
});

test('sub-paths and filters', () => {
  assert.ok(cleanSub('') && cleanSub('a/b') && !cleanSub('../x') && !cleanSub('/a') && !cleanSub('a//b') && !cleanSub('.snapshot/x'));
  const re = new RegExp(`^${exactPathFilter('/w/.snapshot/hbr-1/a+b (1).txt')}`);
  assert.ok(re.test('hdfs://nn:8020/w/.snapshot/hbr-1/a+b (1).txt'));
  assert.not.ok(re.test('hdfs://nn:8020/w/.snapshot/hbr-1/a+b (1).txt2'));
  assert.not.ok(re.test('hdfs://nn:8020/w/.snapshot/hbr-1/aab (1).txt'));
});

test.run();
