/** The pure half of `hbr restore hdfs` (src/systems/hdfs/restore-plan.ts). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseRecoveryPoint, cleanSub, comparePath, destinationChanges, exactPathFilter, type Entry, type SideSnapshots } from '../../src/systems/hdfs/restore-plan.js';

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
  assert.is(pick({ prefer: 'dr' }), `${S3}@dr`, 'failed over: the writable DR copy has it too and is where the restore goes');
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
  // DistCp's temporary files: only under an unfinished restore of this state dir are they hbr's.
  assert.equal(p.leftovers, []);
  assert.equal(p.foreignTemps, ['.distcp.tmp.attempt_1']);
  const ours = comparePath('', snap, dest, 100, true);
  assert.equal([ours.leftovers, ours.foreignTemps], [['.distcp.tmp.attempt_1'], []]);
  assert.ok(!p.seen.some((e) => e.rel.startsWith('.distcp')), 'the comparison ignores them');
});

test('extra directories deepest first; destination changes since the plan', () => {
  const f = (rel: string, length: number, mtime = 0): Entry => ({ rel, type: 'FILE', length, mtime });
  const d = (rel: string, mtime = 0): Entry => ({ rel, type: 'DIRECTORY', length: 0, mtime });
  const p = comparePath('', [d('x'), f('x/a', 1)], [d('x'), f('x/a', 1), d('y'), d('y/z'), f('y/z/b', 2)], 100);
  assert.equal(p.extraDirs, ['y/z', 'y']);
  const seen = [d('x', 1), f('x/a', 1, 5), f('x/b', 2, 5), f('x/c', 3, 5)];
  assert.equal(destinationChanges(seen, [d('x', 99), f('x/a', 1, 5), f('x/b', 2, 6), f('x/n', 1), f('x/.distcp.tmp.q', 4)]), ['x/b: rewritten (length 2 → 2)', 'x/c: gone', 'x/n: appeared']);
  assert.equal(destinationChanges(seen, seen), []);
  assert.equal(destinationChanges([f('', 3, 1)], [d('')]), ['(the path itself): was a file, now a directory']);
});

test('sub-paths and filters', () => {
  assert.ok(cleanSub('') && cleanSub('a/b') && !cleanSub('../x') && !cleanSub('/a') && !cleanSub('a//b') && !cleanSub('.snapshot/x'));
  const re = new RegExp(`^${exactPathFilter('/w/.snapshot/hbr-1/a+b (1).txt')}`);
  assert.ok(re.test('hdfs://nn:8020/w/.snapshot/hbr-1/a+b (1).txt'));
  assert.not.ok(re.test('hdfs://nn:8020/w/.snapshot/hbr-1/a+b (1).txt2'));
  assert.not.ok(re.test('hdfs://nn:8020/w/.snapshot/hbr-1/aab (1).txt'));
});

test.run();
