/**
 * `npm run bench`: every benchmark prints its figures and a ratio against a baseline measured in
 * the same run. Needs the test bed (started here if it is not up).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../test/helpers/testbed.js';
import { benchHbrPlan, benchPlanner } from './plan.js';

const only = process.argv[2];
if (!only || only === 'plan') {
  console.log('bench/plan: pure planner');
  benchPlanner();
  const up = spawnSync('bash', [join(repoRoot, 'testbed', 'up')], { stdio: 'inherit' });
  if (up.status !== 0) throw new Error('testbed/up failed');
  console.log('bench/plan: hbr plan on the test bed vs one Hadoop CLI call per directory');
  await benchHbrPlan();
}
