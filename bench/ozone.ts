/**
 * bench/ozone — `hbr plan` of a volume policy over BENCH_OZONE_BUCKETS (default 200) buckets of one
 * real Ozone 2.2.0 cluster (started here: test/helpers/ozone.ts), against the same observation done
 * the shell way: one `ozone sh snapshot list /vol/bucket` per bucket (one JVM each), in the same run
 * (issue 14, point 8). Each bucket holds one key and one hbr snapshot, so the plan has real work
 * to look at (the policy is due everywhere: one create per bucket). Figures only: no assertion on
 * a duration.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { LOWER_CASE_NAMING } from '../src/model/names.js';
import { HBR, hbrEnv } from '../test/helpers/hbr.js';
import { startOzone } from '../test/helpers/ozone.js';
import { testbed } from '../test/helpers/testbed.js';

const BUCKETS = Number(process.env.BENCH_OZONE_BUCKETS ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const VOLUME = 'bench-vol';
const NOW = '2030-01-01T00:00:00.000Z';

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchOzone(): Promise<void> {
  const oz = await startOzone('oz-bench');
  try {
    const t0 = Date.now();
    const limit = pLimit(16);
    const old = LOWER_CASE_NAMING.name(Date.parse(NOW) - 2 * 3600_000);
    const names = Array.from({ length: BUCKETS }, (_, i) => `b${String(i).padStart(4, '0')}`);
    await Promise.all(
      names.map((b) =>
        limit(async () => {
          await oz.client.mkdirs(`/${VOLUME}/${b}`);
          await oz.client.create(`/${VOLUME}/${b}/key.txt`, Buffer.from(b));
          await oz.client.createSnapshot(`/${VOLUME}/${b}`, old);
        }),
      ),
    );
    console.log(`  ${BUCKETS} buckets with one key and one snapshot each made over HttpFS in ${secs(Date.now() - t0)}`);

    const dir = mkdtempSync(join(tmpdir(), 'hbr-bench-ozone-'));
    const file = join(dir, 'ozone.yaml');
    writeFileSync(
      file,
      `version: 1
clusters:
  oz: { ozone: { om: "${oz.om}", httpfs: ${oz.httpfs}, fs: "${oz.ofs}", user: ${testbed().HBR_TB_HDFS_USER}, replication: 1 } }
policies:
  all:
    source: { cluster: oz }
    ozone: { volume: ${VOLUME}, bucket: "*", every: 1h, keep: { last: 3 } }
`,
    );
    const plans: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = Date.now();
      const r = spawnSync(process.execPath, [HBR, 'plan', '-f', file, '--state-dir', join(dir, 'state'), '--json'], { env: hbrEnv({ HBR_NOW: NOW }), encoding: 'utf8', maxBuffer: 64 << 20 });
      plans.push(Date.now() - t);
      if (r.status !== 0) throw new Error(`hbr plan failed:\n${r.stderr}`);
      const steps = (JSON.parse(r.stdout) as { steps: unknown[] }).steps.length;
      if (steps !== BUCKETS) throw new Error(`expected ${BUCKETS} steps (one snapshot per bucket), got ${steps}`);
    }
    const plan = median(plans);
    console.log(`  hbr plan (volume policy, ${BUCKETS} buckets, one create each): median ${secs(plan)} of ${RUNS} (${plans.map(secs).join(', ')})`);

    const t = Date.now();
    for (const b of names) oz.sh(['snapshot', 'list', `${VOLUME}/${b}`]);
    const shell = Date.now() - t;
    console.log(`  baseline: ozone sh snapshot list per bucket, ${BUCKETS} calls: ${secs(shell)} (${secs(shell / BUCKETS)} per call)`);
    console.log(`  ratio: hbr plan takes ${(plan / shell).toFixed(3)} of the shell observation (${(shell / plan).toFixed(1)}x faster)`);
  } finally {
    oz.stop();
  }
}
