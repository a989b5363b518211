/**
 * `hbr daemon` against the real test bed (issue 5's must-shows 1, 3 and 6): policies every 10 s
 * snapshot and replicate on their own; /metrics shows recovery-point ages falling after each run;
 * every metric the Grafana dashboard queries exists on a live /metrics; with the DR cluster's
 * NameNode stopped for a minute the daemon stays up, retries with backoff, reports (metrics,
 * /status, webhooks), breaches the RPO, and catches up when the NameNode returns.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRIC_NAMES, createMetrics } from '../../src/metrics/registry.js';
import { clusters, snapshotNames, tempDir } from '../helpers/hbr.js';
import { sleep, startDaemon, stopAllDaemons, waitFor, webhookSink, type DaemonProc } from '../helpers/daemon.js';
import { metricNames, sample } from '../helpers/promql.js';
import { repoRoot, testbed, uniq } from '../helpers/testbed.js';

const { primary, dr } = clusters();
const tb = testbed();
const id = uniq('daemon');
const SRC = `/it/${id}/pair`;
const DST = `/it-dr/${id}/pair`;
const LONE = `/it/${id}/lone`;
let daemon: DaemonProc;
let sink: Awaited<ReturnType<typeof webhookSink>>;
const dir = tempDir('daemon');

function testbedCmd(...args: string[]): void {
  const r = spawnSync('bash', [join(repoRoot, 'testbed', args[0]!), ...args.slice(1)], { encoding: 'utf8', env: process.env });
  if (r.status !== 0) throw new Error(`testbed/${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
}

const hbrSnaps = async (fs: typeof primary, path: string) => (await snapshotNames(fs, path)).filter((n) => n.startsWith('hbr-'));

test.before(async () => {
  await primary.mkdirs(SRC);
  await primary.create(`${SRC}/a.bin`, randomBytes(64 * 1024));
  await primary.mkdirs(LONE);
  sink = await webhookSink();
  writeFileSync(
    join(dir, 'policies.yaml'),
    `version: 1
clusters:
  primary: { hdfs: { webhdfs: ${tb.HBR_TB_PRIMARY_WEBHDFS}, fs: ${tb.HBR_TB_PRIMARY_FS} } }
  dr: { hdfs: { webhdfs: ${tb.HBR_TB_DR_WEBHDFS}, fs: ${tb.HBR_TB_DR_FS} } }
notifications:
  webhooks:
    sink: { url: "${sink.url}", bearer_env: HBR_TEST_WEBHOOK_TOKEN }
policies:
  pair:
    source: { cluster: primary, path: ${SRC} }
    snapshots: { every: 10s, keep: { last: 4 } }
    rpo: 30s
    replicate:
      - to: { cluster: dr, path: ${DST} }
        keep: { last: 4 }
  lone:
    source: { cluster: primary, path: ${LONE} }
    snapshots: { every: 10s, keep: { last: 3 } }
    rpo: 1m
`,
  );
  daemon = await startDaemon(
    ['-f', join(dir, 'policies.yaml'), '--retry-base', '1s', '--retry-max', '8s', '--health-interval', '2s', '--log-level', 'debug'],
    join(dir, 'state'),
    { HBR_TEST_WEBHOOK_TOKEN: 'tok-s3cr3t-value' },
  );
});

test.after(async () => {
  await stopAllDaemons();
  await sink?.close();
  testbedCmd('up'); // whatever happened, leave the DR cluster running for the suites after this one
});

test('1. every 10s: snapshots and replications happen on schedule; recovery point ages fall after each run', async () => {
  // The first run: snapshot on primary, bootstrap to DR, the same-named snapshot on DR.
  await waitFor('the first replicated snapshot', async () => (await hbrSnaps(dr, DST)).length >= 1, 60_000);
  // Sample the source and DR ages once a second for 32 s: they must rise and fall back (a saw).
  const ages: Array<{ t: number; source?: number; dr?: number }> = [];
  const t0 = Date.now();
  while (Date.now() - t0 < 32_000) {
    const m = await daemon.metrics();
    ages.push({
      t: Date.now() - t0,
      source: sample(m.samples, 'hbr_recovery_point_age_seconds', { policy: 'pair', site: 'source' }),
      dr: sample(m.samples, 'hbr_recovery_point_age_seconds', { policy: 'pair', site: 'dr' }),
    });
    await sleep(1_000);
  }
  const drops = (k: 'source' | 'dr') => ages.slice(1).filter((a, i) => a[k] !== undefined && ages[i]![k] !== undefined && a[k]! < ages[i]![k]! - 1).length;
  const summary = ages.map((a) => `${Math.round(a.t / 1000)}s:${a.source?.toFixed(0)}/${a.dr?.toFixed(0)}`).join(' ');
  assert.ok(drops('source') >= 2, `the source age fell after at least 2 runs: ${summary}`);
  assert.ok(drops('dr') >= 2, `the DR age fell after at least 2 runs: ${summary}`);
  const maxSource = Math.max(...ages.map((a) => a.source ?? 0));
  assert.ok(maxSource < 25, `the source age stays near the 10 s schedule (max ${maxSource}s): ${summary}`);

  const p = await hbrSnaps(primary, SRC);
  const d = await hbrSnaps(dr, DST);
  assert.ok(p.length >= 3, `several scheduled snapshots on primary: ${p.join(' ')}`);
  assert.ok(p.length <= 4 && d.length <= 4, `retention keeps last 4: ${p.join(' ')} | ${d.join(' ')}`);
  // Snapshots 10 s apart (±jitter and run time), named by the daemon's clock.
  const times = p.map((n) => Date.parse(n.replace(/^hbr-(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z')));
  const gaps = times.slice(1).map((t, i) => (t - times[i]!) / 1000);
  assert.ok(gaps.every((g) => g >= 10 && g <= 16), `snapshots every 10 s (+jitter, run time): gaps ${gaps.join(', ')}`);
  // DR holds the newest common snapshot, same name.
  assert.ok(d.some((n) => p.includes(n)), 'a common snapshot on both sides');
  assert.ok((await hbrSnaps(primary, LONE)).length >= 3, 'the policy without DR runs too');

  const m = await daemon.metrics();
  assert.is(sample(m.samples, 'hbr_rpo_breached', { policy: 'pair' }), 0);
  assert.is(sample(m.samples, 'hbr_leader'), 1, 'alone: it leads');
  assert.ok((sample(m.samples, 'hbr_steps_total', { kind: 'replicate.distcp-diff', result: 'done' }) ?? 0) >= 2, 'incremental replications counted');
  assert.ok((sample(m.samples, 'hbr_reconcile_last_success_timestamp_seconds') ?? 0) > Date.now() / 1000 - 20);
  assert.is(sample(m.samples, 'hbr_hdfs_missing_blocks', { cluster: 'primary' }), 0, 'NameNode health from JMX');

  const st = await daemon.status();
  const pair = st.policies.find((x) => x.name === 'pair')!;
  assert.is(st.leadership, 'leader');
  assert.ok(pair.lastRun?.ok, JSON.stringify(pair.lastRun));
  assert.ok(pair.running || pair.nextRunAt, 'a next run is scheduled');
  assert.equal(pair.recoveryPoints.map((r) => r.site).sort(), ['dr', 'source']);
  // Logs: JSON lines, the bearer token never in them.
  assert.ok(daemon.logs.length > 10 && daemon.logs.every((l) => !l.notJson && typeof l.time === 'string' && typeof l.level === 'string'), 'JSON log lines');
  assert.not.ok(JSON.stringify(daemon.logs).includes('tok-s3cr3t-value'), 'the webhook token is not logged');
});

test('6. every metric the Grafana dashboard queries exists on the live /metrics', async () => {
  const m = await daemon.metrics();
  const known = new Set<string>([...METRIC_NAMES, ...createMetrics().registry.getMetricsAsArray().map((x) => x.name), 'up']);
  const dashboard = JSON.parse(readFileSync(join(repoRoot, 'deploy', 'grafana-dashboard.json'), 'utf8')) as { panels: Array<{ title?: string; targets?: Array<{ expr?: string }> }> };
  const queried = new Set<string>();
  for (const p of dashboard.panels) for (const t of p.targets ?? []) for (const n of metricNames(t.expr ?? '', known)) queried.add(n);
  assert.ok(queried.size >= 10, `the dashboard queries many metrics: ${[...queried].join(', ')}`);
  const missing = [...queried].filter((n) => n !== 'up' && !m.types.has(n));
  assert.equal(missing, [], `queried by the dashboard but not on /metrics: ${missing.join(', ')}`);
  // And every hbr_ metric of src/metrics/registry.ts is exported, with the default process metrics.
  assert.equal(METRIC_NAMES.filter((n) => !m.types.has(n)), []);
  assert.ok(m.types.has('process_resident_memory_bytes') && m.types.has('nodejs_eventloop_lag_seconds'));
  // Those that must have values by now do.
  for (const n of ['hbr_recovery_point_age_seconds', 'hbr_rpo_seconds', 'hbr_rpo_breached', 'hbr_steps_total', 'hbr_step_duration_seconds_bucket', 'hbr_bytes_copied_total', 'hbr_snapshots', 'hbr_hdfs_corrupt_blocks', 'hbr_leader', 'hbr_build_info']) {
    assert.ok(m.samples.some((s) => s.name === n), `${n} has samples`);
  }
});

test('1b + 3. DR NameNode down for a minute: the daemon stays up, retries with backoff, breaches the RPO, reports, and catches up', async () => {
  const before = sink.received.length;
  const stoppedAt = Date.now();
  testbedCmd('down', 'dr');
  // The RPO is 30 s: within ~40 s the DR recovery point is too old.
  await waitFor('hbr_rpo_breached{policy="pair"} = 1', async () => (await daemon.metric('hbr_rpo_breached', { policy: 'pair' })) === 1, 60_000, 1_000);
  const breachedAfter = (Date.now() - stoppedAt) / 1000;
  assert.is(await daemon.metric('hbr_rpo_breached', { policy: 'lone' }), 0, 'the policy without DR is unaffected');
  assert.ok((await daemon.metric('hbr_observe_errors', { cluster: 'dr' }))! >= 1, 'the DR observation errors are exported');
  // Keep it down for a full minute; the daemon keeps answering.
  while (Date.now() - stoppedAt < 60_000) {
    const h = await fetch(`${daemon.url()}/healthz`);
    assert.is(h.status, 200);
    await sleep(2_000);
  }
  assert.is(daemon.child.exitCode, null, 'the daemon is still running');
  const st = await daemon.status();
  const pair = st.policies.find((x) => x.name === 'pair')!;
  assert.ok(pair.consecutiveFailures >= 3, `several failed runs: ${pair.consecutiveFailures}`);
  assert.ok(pair.rpoBreached);
  assert.match(pair.lastRun!.errors.join('\n'), /dr/);
  // Backoff: the retry delays logged grow (1 s, 2 s, 4 s, 8 s cap, minus up to 20% jitter).
  const retries = daemon.logs
    .filter((l) => l.policy === 'pair' && typeof l.reason === 'string' && /^retry \d+/.test(l.reason as string) && /again/.test(String(l.msg)))
    .map((l) => Number(/backoff (\d+)s/.exec(l.reason as string)?.[1]));
  assert.ok(retries.length >= 3, `retries logged: ${retries.join(', ')}`);
  assert.ok(Math.max(...retries) > Math.min(...retries), `delays grow: ${retries.join(', ')}`);
  assert.ok(retries.every((r) => r <= 8), `delays capped by --retry-max 8s: ${retries.join(', ')}`);
  // The source kept its schedule meanwhile (the snapshot does not need DR).
  const srcAge = await daemon.metric('hbr_recovery_point_age_seconds', { policy: 'pair', site: 'source' });
  assert.ok(srcAge !== undefined && srcAge < 25, `source recovery point stays fresh while DR is down: ${srcAge}s`);

  testbedCmd('up');
  const upAt = Date.now();
  await waitFor('hbr_rpo_breached{policy="pair"} = 0', async () => (await daemon.metric('hbr_rpo_breached', { policy: 'pair' })) === 0, 90_000, 1_000);
  const caughtUpIn = (Date.now() - upAt) / 1000;
  const p = await hbrSnaps(primary, SRC);
  const d = await hbrSnaps(dr, DST);
  const newestCommon = [...p].reverse().find((n) => d.includes(n));
  assert.ok(newestCommon, 'DR caught up with a snapshot the source has');
  assert.is(await daemon.metric('hbr_observe_errors', { cluster: 'dr' }), 0);

  // Webhooks: one run.failed (not one per retry), rpo.breached, then rpo.recovered and run.recovered.
  await waitFor('the recovery webhooks', () => sink.received.slice(before).some((n) => n.event === 'run.recovered' && n.policy === 'pair'), 20_000);
  const events = sink.received.slice(before).filter((n) => n.policy === 'pair').map((n) => n.event);
  assert.equal(events.filter((e) => e === 'run.failed').length, 1, `events: ${events.join(', ')}`);
  assert.ok(events.indexOf('rpo.breached') >= 0 && events.indexOf('rpo.recovered') > events.indexOf('rpo.breached'), `events: ${events.join(', ')}`);
  const hook = sink.received.find((n) => n.event === 'rpo.breached')!;
  assert.is(hook.headers.authorization, 'Bearer tok-s3cr3t-value');
  assert.is(hook.source, 'hbr');
  console.log(`      DR down 60 s: RPO breached after ${breachedAfter.toFixed(0)} s, caught up ${caughtUpIn.toFixed(0)} s after the NameNode returned; retry delays ${retries.join(', ')} s`);
});

test.run();
