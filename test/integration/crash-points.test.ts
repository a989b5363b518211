/**
 * Every crash point, on the real test bed (issue 9, "Crash points, all of them"). For each scenario
 * a clean run lists the crash points it passes (HBR_CRASH_TRACE, src/model/faults.ts); then, for each
 * point k, a fresh copy of the scenario is set up, `hbr apply` is killed with SIGKILL at point k
 * (HBR_CRASH_AT=k), and clean `hbr apply`s follow. After each: the plan converges (exit 0), the DR
 * tree equals the source's snapshot by checksum, no recovery point was lost, no scratch snapshot,
 * bootstrap mark, temp file, stray object or multipart upload is left, and no DistCp still runs.
 *
 * Scenarios: bootstrap of a fresh pair; an incremental -diff copy with retention on both sides;
 * a repair by -rdiff (the target changed since the common snapshot) followed by -diff; a ZooKeeper
 * archive to S3 with store retention. Applies run with --concurrency 1 so the points come in one order.
 * The points of `hbr failover --planned` and `hbr failback` (replicate.failover / replicate.failback
 * and the copies around them) are walked the same way in ./failover-crash.test.ts, those of a block
 * backup run (blocks.upload parts and blocks, blocks.manifest) in ./blocks-crash.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { parseArchiveKey, parseSnapshotName } from '../../src/model/names.js';
import { openStore } from '../../src/stores/index.js';
import { bootstrapMark } from '../../src/systems/hdfs/scratch.js';
import { clusters, hbr, snapshotNames, tempDir, treesIdentical, writePairPolicy } from '../helpers/hbr.js';
import { crashWalkPoints, testbed, uniq, walkPoints } from '../helpers/testbed.js';

const { primary, dr } = clusters();
const tb = testbed();
process.env.AWS_ACCESS_KEY_ID = tb.HBR_TB_S3_ACCESS_KEY;
process.env.AWS_SECRET_ACCESS_KEY = tb.HBR_TB_S3_SECRET_KEY;
process.env.AWS_REGION = tb.HBR_TB_S3_REGION;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const T0 = Date.parse('2030-05-01T00:00:00Z');
const iso = (t: number): string => new Date(t).toISOString();
const HOUR = 3_600_000;

/** One copy of a scenario, brought to the state just before the apply that is killed. */
interface Case {
  dir: string;
  file: string;
  state: string;
  /** HBR_NOW of the killed apply and of the clean ones after it */
  now: string;
  env: Record<string, string>;
  /** the newest recovery point(s) before the killed apply: none may be lost */
  before: () => Promise<void>;
  /** checks after convergence */
  check: () => Promise<void>;
}

interface Scenario {
  name: string;
  setup: () => Promise<Case>;
}

/** crash points each scenario passes, and how many of them this run walked (crashWalkPoints) */
const listed: Record<string, number> = {};
const walked: Record<string, number> = {};

async function apply(c: Case, extra: Record<string, string> = {}) {
  return hbr(['apply', '-f', c.file, '--state-dir', c.state, '--auto-approve', '--concurrency', '1'], { HBR_NOW: c.now, ...c.env, ...extra });
}

/** Clean applies until the plan has nothing left (at most 3: retention lets the previous newest go one run later). */
async function converge(c: Case, what: string): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const r = await apply(c);
    assert.is(r.code, 0, `${what}: clean apply ${i + 1} failed:\n${r.stdout}\n${r.stderr}`);
    const p = await hbr(['plan', '-f', c.file, '--state-dir', c.state, '--detailed-exitcode'], { HBR_NOW: c.now, ...c.env });
    if (p.code === 0) return;
    assert.is(p.code, 2, `${what}: plan failed:\n${p.stdout}\n${p.stderr}`);
  }
  assert.unreachable(`${what}: no convergence after 3 clean applies`);
}

/** No process of the test bed's DistCp copying into `path` is still running. */
function noDistcpFor(path: string): string | undefined {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmd.includes('distcp') && cmd.includes(path)) return `DistCp pid ${pid} still runs for ${path}`;
  }
  return undefined;
}

function tmpEmpty(state: string): void {
  const tmp = join(state, 'tmp');
  assert.equal(existsSync(tmp) ? readdirSync(tmp) : [], [], `${tmp} is not empty`);
}

async function walk(s: Scenario): Promise<void> {
  // The clean run: which points does it pass?
  const c0 = await s.setup();
  const trace = join(c0.dir, 'trace');
  const r0 = await apply(c0, { HBR_CRASH_TRACE: trace });
  assert.is(r0.code, 0, `${s.name}: the clean run failed:\n${r0.stdout}\n${r0.stderr}`);
  const points = readFileSync(trace, 'utf8').trim().split('\n');
  assert.ok(points.length >= 5, `${s.name}: only ${points.length} crash points`);
  await converge(c0, `${s.name} (no crash)`);
  await c0.check();

  const visit = crashWalkPoints(points.length);
  await walkPoints(visit, async (k) => {
    const what = `${s.name}, killed at point ${points[k - 1]}`;
    const c = await s.setup();
    await c.before();
    const t = join(c.dir, 'trace');
    const killed = await apply(c, { HBR_CRASH_AT: String(k), HBR_CRASH_TRACE: t });
    assert.is(killed.code, null, `${what}: the apply was not killed (exit ${killed.code}):\n${killed.stdout}\n${killed.stderr}`);
    const passed = readFileSync(t, 'utf8').trim().split('\n');
    // each copy of a scenario has its own paths: compare the points without them
    const bare = (p: string | undefined) => p?.replace(/cp-[a-z]+-[a-z0-9]+-[a-z0-9]+/g, 'ID');
    assert.is(bare(passed[passed.length - 1]), bare(points[k - 1]), `${what}: the run took another path`);
    await converge(c, what);
    await c.check();
    tmpEmpty(c.state);
  });
  listed[s.name] = points.length;
  walked[s.name] = visit.length;
  console.log(`      ${s.name}: ${visit.length} of ${points.length} crash points walked${visit.length < points.length ? ' (CI: every second one, by day; HBR_CRASH_WALK=all walks each)' : ''}`);
}

// ---- HDFS pairs --------------------------------------------------------------------------------

async function makeTree(dir: string, n: number): Promise<void> {
  await primary.mkdirs(dir);
  for (let i = 0; i < n; i++) await primary.create(`${dir}/d${i % 2}/f${i}.bin`, randomBytes(2048 + i));
}

function newestCommonName(a: string[], b: string[]): string | undefined {
  return a
    .filter((n) => parseSnapshotName(n) !== undefined && b.includes(n))
    .sort()
    .pop();
}

async function pairChecks(src: string, dst: string, floor: { source?: number; dr?: number }): Promise<void> {
  const [s, d] = await Promise.all([snapshotNames(primary, src), snapshotNames(dr, dst)]);
  const common = newestCommonName(s, d);
  assert.ok(common, `no common snapshot: ${s.join(',')} / ${d.join(',')}`);
  assert.is(await treesIdentical(primary, `${src}/.snapshot/${common}`, dr, dst), undefined, `DR differs from ${src}@${common}`);
  assert.equal(d.filter((n) => n.startsWith('hbr-repair-')), [], 'scratch snapshots left on DR');
  const mark = bootstrapMark(dst);
  assert.is((await dr.getXAttrs(mark.dir))[mark.name], undefined, 'bootstrap mark left on DR');
  const newest = (names: string[]) => Math.max(...names.map((n) => parseSnapshotName(n) ?? -Infinity));
  if (floor.source !== undefined) assert.ok(newest(s) >= floor.source, 'the source lost its newest recovery point');
  if (floor.dr !== undefined) assert.ok(newest(d) >= floor.dr, 'DR lost its newest recovery point');
  assert.is(noDistcpFor(dst), undefined);
}

const bootstrap: Scenario = {
  name: 'bootstrap',
  async setup() {
    const id = uniq('cp-boot');
    const src = `/it/${id}/data`;
    const dst = `/it-dr/${id}/data`;
    await makeTree(src, 6);
    const dir = tempDir('cp-boot');
    const file = writePairPolicy(dir, { name: 'boot', src, dst, keep: '{ last: 2 }', drKeep: '{ last: 2 }' });
    return { dir, file, state: join(dir, 'state'), now: iso(T0), env: {}, before: async () => {}, check: () => pairChecks(src, dst, {}) };
  },
};

/** A replicated pair one hour old, the source changed since: the killed apply snapshots, copies -diff and prunes both sides. */
function incremental(repairFirst: boolean): Scenario {
  return {
    name: repairFirst ? 'repair by -rdiff, then -diff' : 'incremental -diff with retention on both sides',
    async setup() {
      const id = uniq(repairFirst ? 'cp-rep' : 'cp-inc');
      const src = `/it/${id}/data`;
      const dst = `/it-dr/${id}/data`;
      await makeTree(src, 6);
      const dir = tempDir('cp-inc');
      const file = writePairPolicy(dir, { name: 'inc', src, dst, keep: '{ last: 1 }', drKeep: '{ last: 1 }' });
      const state = join(dir, 'state');
      const r = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: iso(T0) });
      assert.is(r.code, 0, r.stdout + r.stderr);
      await primary.create(`${src}/d0/new.bin`, randomBytes(4096));
      await primary.delete(`${src}/d1/f1.bin`);
      if (repairFirst) await dr.create(`${dst}/d0/written-on-dr.bin`, randomBytes(1024)); // the target changed since the common snapshot
      const t0 = T0;
      return {
        dir,
        file,
        state,
        now: iso(T0 + HOUR),
        env: {},
        before: async () => {},
        check: () => pairChecks(src, dst, { source: t0, dr: t0 }),
      };
    },
  };
}

// ---- ZooKeeper archive -------------------------------------------------------------------------

const bucket = uniq('crash');
const s3 = new S3Client({ endpoint: tb.HBR_TB_S3_ENDPOINT, region: tb.HBR_TB_S3_REGION, forcePathStyle: true });

const archive: Scenario = {
  name: 'ZooKeeper archive to S3 with store retention',
  async setup() {
    const id = uniq('cp-zk');
    const prefix = `${id}-`;
    const dir = tempDir('cp-zk');
    const file = join(dir, 'zk.yaml');
    writeFileSync(
      file,
      `version: 1
clusters:
  zk: { zookeeper: { admin: ${tb.HBR_TB_ZK_ADMIN}, connect: ${tb.HBR_TB_ZK_CONNECT} } }
stores:
  s3: { s3: { bucket: ${bucket}, prefix: archives/, endpoint: ${tb.HBR_TB_S3_ENDPOINT}, force_path_style: true } }
policies:
  zk:
    source: { cluster: zk }
    archive: { to: s3, prefix: ${prefix}, every: 1d, keep: { last: 1 } }
`,
    );
    const env = { HBR_ZK_ADMIN_AUTH: `${tb.HBR_TB_ZK_ADMIN_USER}:${tb.HBR_TB_ZK_ADMIN_PASSWORD}` };
    const state = join(dir, 'state');
    // two archives, a day apart: the killed apply (a day later) takes a third and deletes the first
    for (const t of [T0, T0 + 24 * HOUR]) {
      const r = await hbr(['apply', '-f', file, '--state-dir', state, '--auto-approve'], { HBR_NOW: iso(t), ...env });
      assert.is(r.code, 0, r.stdout + r.stderr);
    }
    const store = openStore({ name: 's3', kind: 's3', bucket, prefix: 'archives/', endpoint: tb.HBR_TB_S3_ENDPOINT, forcePathStyle: true, at: { file: '', line: 1, col: 1 } });
    return {
      dir,
      file,
      state,
      now: iso(T0 + 48 * HOUR),
      env,
      before: async () => {},
      async check() {
        const objects = await store.list(prefix);
        assert.ok(objects.length >= 1, 'no archive left');
        for (const o of objects) {
          assert.ok(parseArchiveKey(prefix, o.key) !== undefined, `stray object ${o.key}`);
          assert.ok((await store.head(o.key))?.sha256, `object without its checksum: ${o.key}`);
        }
        assert.ok(Math.max(...objects.map((o) => parseArchiveKey(prefix, o.key)!)) >= T0 + 24 * HOUR, 'the newest archive was lost');
        const mpu = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `archives/${prefix}` }));
        assert.equal(mpu.Uploads ?? [], [], 'multipart uploads left');
      },
    };
  },
};

test.before(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

for (const s of [bootstrap, incremental(false), incremental(true), archive]) {
  test(`every crash point of: ${s.name}`, async () => {
    await walk(s);
  });
}

test('at least 50 crash points, each walked within two days of CI', () => {
  const total = Object.values(listed).reduce((a, b) => a + b, 0);
  const visited = Object.values(walked).reduce((a, b) => a + b, 0);
  console.log(`      crash points: ${total}, walked this run: ${visited} (${Object.entries(walked).map(([k, v]) => `${k}: ${v} of ${listed[k]}`).join('; ')})`);
  assert.ok(total >= 50, `only ${total}`);
  assert.ok(visited >= Math.floor(total / 2), `walked ${visited} of ${total}`);
});

test.run();
