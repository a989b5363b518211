import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Action, type Plan, type Step } from '../../src/model/plan.js';
import { renderPlanText } from '../../src/render/plan.js';

const step = (policy: string, i: number, kind = 'hdfs.snapshot.delete'): Step =>
  ({ id: `${policy}-${i}`, kind, action: Action.Delete, policy, target: { cluster: 'c', path: `/${policy}`, snapshot: `s${i}` }, params: {}, reason: 'outside keep last 1', dependsOn: [] }) as Step;
const plan = (steps: Step[]): Plan => ({ version: 1, createdAt: 0, policyDigest: '', observedDigest: '', steps, warnings: [] }) as unknown as Plan;

test('steps grouped by policy in first-seen order, kinds padded to the widest', () => {
  const text = renderPlanText(plan([step('b', 1), step('a', 2, 'hdfs.x'), step('b', 3)]));
  assert.is(
    text,
    [
      'hbr will perform the following actions:',
      '',
      '  # policy b',
      '  - hdfs.snapshot.delete  c:/b@s1',
      '                          outside keep last 1',
      '  - hdfs.snapshot.delete  c:/b@s3',
      '                          outside keep last 1',
      '',
      '  # policy a',
      '  - hdfs.x                c:/a@s2',
      '                          outside keep last 1',
      '',
      'Plan: 0 to add, 0 to change, 3 to destroy.',
      '',
    ].join('\n'),
  );
});

// The widest kind was Math.max(...steps): past ~120,000 arguments V8 throws "Maximum call stack
// size exceeded" and `hbr plan` printed nothing (issue 16).
test('a plan of 200,000 steps renders', () => {
  const steps = Array.from({ length: 200_000 }, (_, i) => step(`p${i}`, i));
  const text = renderPlanText(plan(steps));
  assert.ok(text.endsWith('Plan: 0 to add, 0 to change, 200000 to destroy.\n'));
});

test.run();
