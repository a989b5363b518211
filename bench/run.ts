/**
 * `npm run bench`: every benchmark prints its figures and a ratio against a baseline measured in
 * the same run. Needs the test bed (started here if it is not up). `npm run bench -- plan` or
 * `npm run bench -- daemon`, `npm run bench -- restore`, `npm run bench -- audit`, `npm run bench -- blocks` or
 * `npm run bench -- blocks-restore`, `npm run bench -- hbase` or `npm run bench -- ozone` runs one
 * (the last two are opt-in: each starts its own servers).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../test/helpers/testbed.js';
import { benchAudit } from './audit.js';
import { benchBlocks } from './blocks.js';
import { benchBlocksRestore } from './blocks-restore.js';
import { benchDaemon } from './daemon.js';
import { benchHbase } from './hbase.js';
import { benchHbrPlan, benchPlanner } from './plan.js';
import { benchOzone } from './ozone.js';
import { benchRestore } from './restore.js';

const only = process.argv[2];
let testbedUp = false;
function ensureTestbed(): void {
  if (testbedUp) return;
  const up = spawnSync('bash', [join(repoRoot, 'testbed', 'up')], { stdio: 'inherit' });
  if (up.status !== 0) throw new Error('testbed/up failed');
  testbedUp = true;
}

if (!only || only === 'plan') {
  console.log('bench/plan: pure planner');
  benchPlanner();
  ensureTestbed();
  console.log('bench/plan: hbr plan on the test bed vs one Hadoop CLI call per directory');
  await benchHbrPlan();
}
if (!only || only === 'daemon') {
  ensureTestbed();
  console.log('bench/daemon: resident memory and CPU of hbr daemon, 1,000 policies idle and reconciling (--parallel 8)');
  await benchDaemon();
}
if (!only || only === 'restore') {
  ensureTestbed();
  console.log('bench/restore: hbr restore hdfs of a >=1 GiB tree from DR vs a plain hadoop distcp of the same snapshot');
  await benchRestore();
}
if (!only || only === 'audit') {
  ensureTestbed();
  console.log('bench/audit: the protection audit\'s LISTSTATUS walk of a 10,000-file tree, and hbr plan of it, vs hdfs dfs -ls -R');
  await benchAudit();
}
if (!only || only === 'blocks') {
  ensureTestbed();
  console.log('bench/blocks: hbr block backup of a >=1 GiB tree vs a plain WebHDFS OPEN + @aws-sdk PutObject loop of the same bytes; the second run of an unchanged tree');
  await benchBlocks();
}
if (!only || only === 'blocks-restore') {
  ensureTestbed();
  console.log('bench/blocks-restore: hbr restore blocks from S3 vs a plain streaming WebHDFS CREATE of the same bytes');
  await benchBlocksRestore();
}
if (only === 'hbase') {
  // Opt-in (it starts an HBase, ~1 GB): not part of the default run.
  ensureTestbed();
  console.log('bench/hbase: hbr plan over the backup history of 20 tables through REST vs hbase backup history per table through the CLI');
  await benchHbase();
}
if (only === 'ozone') {
  // Opt-in (it starts an Ozone cluster, ~1.1 GB, and makes 200 JVM calls): not part of the default run.
  ensureTestbed();
  console.log('bench/ozone: hbr plan of a volume policy over Ozone buckets vs one `ozone sh snapshot list` per bucket');
  await benchOzone();
}
