/**
 * The deployment artifacts in deploy/: Prometheus rules (checked and unit-tested with the real
 * promtool), the Grafana dashboard and the rules only use metrics hbr exports, and the systemd unit
 * has the keys it must have. Needs `promtool`, which `testbed/up --install` builds into the test
 * bed's tools dir (else one on PATH), not the running test bed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { METRIC_NAMES, createMetrics } from '../../src/metrics/registry.js';
import { metricNames } from '../helpers/promql.js';
import { testbedTool } from '../helpers/testbed.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEPLOY = join(root, 'deploy');
const RULES_FILE = join(DEPLOY, 'hbr.rules.yml');
const DASHBOARD_FILE = join(DEPLOY, 'grafana-dashboard.json');
const UNIT_FILE = join(DEPLOY, 'hbr.service');

/**
 * The names a query may use: hbr's own metrics (METRIC_NAMES of src/metrics/registry.ts, the one
 * list of src/metrics/registry.ts), the process_* and nodejs_* default metrics the daemon's registry collects,
 * and `up`. Names are taken from a real registry, so a rename there fails this suite until the
 * rules and the dashboard follow.
 */
function exportedNames(): string[] {
  const names = createMetrics({ defaultMetrics: true, version: '0.0.0-test' }).registry.getMetricsAsArray().map((m) => m.name);
  return names.filter((n) => /^(process_|nodejs_)/.test(n));
}
/** `up` is Prometheus' own per-target metric (job "hbr" in the scrape config). */
const KNOWN = new Set<string>([...METRIC_NAMES, ...exportedNames(), 'up']);

function unknownMetrics(expr: string): string[] {
  return metricNames(expr, KNOWN).filter((n) => !KNOWN.has(n));
}

const PROMTOOL = testbedTool('promtool');

/** Run promtool; a missing promtool is a failure, never a skip. */
function promtool(args: string[], cwd = root): { code: number | null; out: string } {
  const r = spawnSync(PROMTOOL, args, { cwd, encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    assert.unreachable(
      'promtool is neither in the test bed\'s tools dir nor on PATH: build it with `bash testbed/up --install` ' +
        '(go install, pinned in testbed/lib.sh) to check deploy/hbr.rules.yml',
    );
  }
  if (r.error) throw r.error;
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
function rules(): Rule[] {
  const doc = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> };
  return doc.groups.flatMap((g) => g.rules);
}

interface Target { expr?: string; refId?: string }
interface Panel { id: number; type: string; title: string; datasource?: { uid?: string }; targets?: Target[]; panels?: Panel[] }
const dashboard = () => JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'));
function allPanels(): Panel[] {
  const out: Panel[] = [];
  const walk = (ps: Panel[]) => { for (const p of ps) { out.push(p); walk(p.panels ?? []); } };
  walk(dashboard().panels);
  return out;
}

// ---------------------------------------------------------------------------------------------

test('the metric-name check itself: finds names, ignores strings and variables, catches strangers', () => {
  assert.equal(
    metricNames('histogram_quantile(0.95, sum by (kind, le) (rate(hbr_step_duration_seconds_bucket{policy=~"$policy"}[$__rate_interval])))', KNOWN),
    ['hbr_step_duration_seconds'],
  );
  assert.equal(metricNames('up{job="hbr_up"} == 0 and on(instance) process_cpu_seconds_total # hbr_in_comment', KNOWN), ['up', 'process_cpu_seconds_total']);
  assert.equal(unknownMetrics('hbr_rpo_seconds / hbr_rpo_second'), ['hbr_rpo_second']);
  assert.equal(unknownMetrics('nodejs_heap_size_used_byte + uptime'), ['nodejs_heap_size_used_byte']);
  for (const n of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes']) {
    assert.ok(KNOWN.has(n), `the daemon's registry lacks ${n}`);
  }
  // Every name of METRIC_NAMES is really registered (a histogram by its base name).
  const registered = new Set(createMetrics({ defaultMetrics: false }).registry.getMetricsAsArray().map((m) => m.name));
  assert.equal(METRIC_NAMES.filter((n) => !registered.has(n)), []);
});

test('promtool check rules deploy/hbr.rules.yml: SUCCESS, no lint findings', () => {
  const r = promtool(['check', 'rules', 'deploy/hbr.rules.yml']);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS/);
  assert.not.match(r.out, /FAILED|duplicate/i, r.out);
});

test('alert rules: the expected alerts, each with for, severity and summary/description/runbook', () => {
  const rs = rules();
  const doc = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: Array<{ name: string }> };
  assert.equal(doc.groups.map((g) => g.name), ['hbr']);
  const expected: Record<string, string[]> = {
    HbrRpoBreached: ['page'],
    HbrRecoveryPointNearRpo: ['ticket'],
    HbrReconcileFailing: ['ticket', 'ticket'],
    HbrDaemonDown: ['page', 'page'],
    HbrNoLeader: ['page'],
    HbrPolicyLoadFailing: ['ticket'],
    HbrHdfsMissingBlocks: ['page'],
    HbrHdfsCorruptBlocks: ['page'],
    HbrHdfsTrashDisabled: ['ticket'],
    HbrAuditFinding: ['ticket'],
    HbrKerberosLoginFailing: ['ticket'],
    HbrRestoreDrillFailed: ['page'],
    HbrRestoreDrillOverdue: ['ticket', 'ticket'],
    HbrRestoreDrillOverRto: ['ticket'],
  };
  const got: Record<string, string[]> = {};
  for (const r of rs) {
    assert.ok(r.alert, `only alerting rules expected, got ${JSON.stringify(r)}`);
    const name = r.alert!;
    assert.match(String(r.for ?? ''), /^\d+[smh]$/, `${name}: for`);
    const sev = r.labels?.severity ?? '';
    assert.ok(sev === 'page' || sev === 'ticket', `${name}: severity ${sev}`);
    (got[name] ??= []).push(sev);
    for (const k of ['summary', 'description', 'runbook']) {
      assert.ok((r.annotations?.[k] ?? '').trim().length > 20, `${name}: annotation ${k}`);
    }
    assert.match(r.annotations!.runbook!, /`hbr (status|plan)/, `${name}: runbook should say which hbr command to run`);
  }
  assert.equal(got, expected);
  const forOf = (name: string, exprPart: string) => rs.find((r) => r.alert === name && r.expr.includes(exprPart))?.for;
  assert.is(forOf('HbrRpoBreached', 'hbr_rpo_breached'), '5m');
  assert.is(forOf('HbrReconcileFailing', 'increase(hbr_steps_total{result="failed"}[30m])'), '30m');
  assert.ok(forOf('HbrReconcileFailing', ') > 3600') && forOf('HbrReconcileFailing', 'hbr_reconcile_last_success_timestamp_seconds'));
  assert.is(forOf('HbrDaemonDown', 'up{job="hbr"} == 0'), '5m');
  assert.is(forOf('HbrDaemonDown', 'absent(up{job="hbr"})'), '10m');
  assert.is(forOf('HbrNoLeader', 'max(hbr_leader) == 0'), '5m');
  assert.is(forOf('HbrPolicyLoadFailing', 'hbr_policy_load_errors'), '10m');
  assert.is(forOf('HbrHdfsMissingBlocks', 'hbr_hdfs_missing_blocks'), '5m');
  assert.is(forOf('HbrHdfsTrashDisabled', 'hbr_hdfs_trash_enabled'), '1h');
  assert.is(forOf('HbrAuditFinding', 'hbr_audit_findings'), '30m');
  assert.is(forOf('HbrKerberosLoginFailing', 'hbr_hdfs_delegation_token_refresh_timestamp_seconds'), '10m');
});

test('alert rules only use metrics hbr exports (and up)', () => {
  for (const r of rules()) {
    const names = metricNames(r.expr, KNOWN);
    assert.ok(names.length > 0, `${r.alert}: no metric in ${r.expr}`);
    assert.equal(unknownMetrics(r.expr), [], `${r.alert}: unknown metric in ${r.expr}`);
  }
});

/**
 * promtool test rules on synthetic series: each alert fires when it should, with the labels the
 * notification routing sees, and stays quiet otherwise. promtool compares annotations exactly,
 * so the rules are copied without them (`promtool check rules` above validates their templates).
 */
test('promtool test rules: the alerts fire on synthetic series, and only then', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hbr-deploy-'));
  const doc = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: Array<{ rules: Rule[] }> };
  for (const g of doc.groups) for (const r of g.rules) delete r.annotations;
  writeFileSync(join(dir, 'hbr.rules.yml'), stringify(doc));

  const A = 'job="hbr",instance="a:9464"';
  const B = 'job="hbr",instance="b:9464"';
  const lbl = (instance: string, extra: Record<string, string>) => ({ job: 'hbr', instance, ...extra });
  const tests = [
    { // RPO: warehouse/dr is at 83% (near), logs is breached; daemon b's series must not collide with a's.
      interval: '1m',
      input_series: [
        { series: `hbr_rpo_seconds{${A},policy="warehouse"}`, values: '7200x30' },
        { series: `hbr_rpo_seconds{${A},policy="logs"}`, values: '3600x30' },
        { series: `hbr_rpo_seconds{${B},policy="warehouse"}`, values: '7200x30' },
        { series: `hbr_recovery_point_age_seconds{${A},policy="warehouse",site="source"}`, values: '600x30' },
        { series: `hbr_recovery_point_age_seconds{${A},policy="warehouse",site="dr"}`, values: '6000x30' },
        { series: `hbr_recovery_point_age_seconds{${A},policy="logs",site="dr"}`, values: '4000x30' },
        { series: `hbr_recovery_point_age_seconds{${B},policy="warehouse",site="dr"}`, values: '1000x30' },
        { series: `hbr_rpo_breached{${A},policy="warehouse"}`, values: '0x30' },
        { series: `hbr_rpo_breached{${A},policy="logs"}`, values: '1x30' },
        { series: `hbr_rpo_breached{${B},policy="warehouse"}`, values: '0x30' },
      ],
      alert_rule_test: [
        { eval_time: '3m', alertname: 'HbrRpoBreached', exp_alerts: [] },
        { eval_time: '12m', alertname: 'HbrRpoBreached', exp_alerts: [{ exp_labels: lbl('a:9464', { severity: 'page', policy: 'logs' }) }] },
        { eval_time: '5m', alertname: 'HbrRecoveryPointNearRpo', exp_alerts: [] },
        { eval_time: '12m', alertname: 'HbrRecoveryPointNearRpo', exp_alerts: [{ exp_labels: lbl('a:9464', { severity: 'ticket', policy: 'warehouse', site: 'dr' }) }] },
      ],
    },
    { // Failed steps keep coming for replicate.incremental; snapshots succeed.
      interval: '1m',
      input_series: [
        { series: `hbr_steps_total{${A},kind="replicate.incremental",result="failed"}`, values: '0+1x70' },
        { series: `hbr_steps_total{${A},kind="hdfs.snapshot.create",result="done"}`, values: '0+5x70' },
        { series: `hbr_steps_total{${A},kind="hdfs.snapshot.create",result="failed"}`, values: '0x70' },
      ],
      alert_rule_test: [
        { eval_time: '20m', alertname: 'HbrReconcileFailing', exp_alerts: [] },
        { eval_time: '40m', alertname: 'HbrReconcileFailing', exp_alerts: [{ exp_labels: lbl('a:9464', { severity: 'ticket', reason: 'steps-failing', kind: 'replicate.incremental' }) }] },
      ],
    },
    { // Leader a: no success since its start over an hour ago. Standby b never reconciles. Leader c
      // succeeds every minute. Leader d succeeded at 10m and nothing since. Leader e restarted at 50m
      // and has not finished its first reconcile yet: not an hour, no alert.
      interval: '1m',
      input_series: [
        { series: `hbr_reconcile_last_success_timestamp_seconds{${A}}`, values: '0x80' },
        { series: `process_start_time_seconds{${A}}`, values: '0x80' },
        { series: `hbr_leader{${A}}`, values: '1x80' },
        { series: `hbr_reconcile_last_success_timestamp_seconds{${B}}`, values: '0x80' },
        { series: `process_start_time_seconds{${B}}`, values: '0x80' },
        { series: `hbr_leader{${B}}`, values: '0x80' },
        { series: 'hbr_reconcile_last_success_timestamp_seconds{job="hbr",instance="c:9464"}', values: '0+60x80' },
        { series: 'process_start_time_seconds{job="hbr",instance="c:9464"}', values: '0x80' },
        { series: 'hbr_leader{job="hbr",instance="c:9464"}', values: '1x80' },
        { series: 'hbr_reconcile_last_success_timestamp_seconds{job="hbr",instance="d:9464"}', values: '0x9 600x71' },
        { series: 'process_start_time_seconds{job="hbr",instance="d:9464"}', values: '0x80' },
        { series: 'hbr_leader{job="hbr",instance="d:9464"}', values: '1x80' },
        { series: 'hbr_reconcile_last_success_timestamp_seconds{job="hbr",instance="e:9464"}', values: '0x80' },
        { series: 'process_start_time_seconds{job="hbr",instance="e:9464"}', values: '0x49 3000x31' },
        { series: 'hbr_leader{job="hbr",instance="e:9464"}', values: '1x80' },
      ],
      alert_rule_test: [
        { eval_time: '50m', alertname: 'HbrReconcileFailing', exp_alerts: [] },
        { eval_time: '70m', alertname: 'HbrReconcileFailing', exp_alerts: [{ exp_labels: lbl('a:9464', { severity: 'ticket', reason: 'no-success' }) }] },
        {
          eval_time: '80m',
          alertname: 'HbrReconcileFailing',
          exp_alerts: [
            { exp_labels: lbl('a:9464', { severity: 'ticket', reason: 'no-success' }) },
            { exp_labels: lbl('d:9464', { severity: 'ticket', reason: 'no-success' }) },
          ],
        },
      ],
    },
    { // Daemon a stops answering scrapes; b is fine. a's hbr_leader goes stale with it (5m lookback), so no daemon is leader.
      interval: '1m',
      input_series: [
        { series: `up{${A}}`, values: '1 1 0x20' },
        { series: `up{${B}}`, values: '1x22' },
        { series: `hbr_leader{${A}}`, values: '1 1' },
        { series: `hbr_leader{${B}}`, values: '0x22' },
      ],
      alert_rule_test: [
        { eval_time: '5m', alertname: 'HbrDaemonDown', exp_alerts: [] },
        { eval_time: '10m', alertname: 'HbrDaemonDown', exp_alerts: [{ exp_labels: lbl('a:9464', { severity: 'page', reason: 'scrape-failing' }) }] },
        { eval_time: '4m', alertname: 'HbrNoLeader', exp_alerts: [] },
        { eval_time: '15m', alertname: 'HbrNoLeader', exp_alerts: [{ exp_labels: { severity: 'page' } }] },
      ],
    },
    { // No hbr target at all.
      interval: '1m',
      input_series: [{ series: 'up{job="node",instance="n:9100"}', values: '1x20' }],
      alert_rule_test: [
        { eval_time: '5m', alertname: 'HbrDaemonDown', exp_alerts: [] },
        { eval_time: '15m', alertname: 'HbrDaemonDown', exp_alerts: [{ exp_labels: { severity: 'page', reason: 'target-absent', job: 'hbr' } }] },
      ],
    },
    { // Policy load errors; HDFS health reported by two daemons for the same clusters (one alert each).
      interval: '1m',
      input_series: [
        { series: `hbr_policy_load_errors{${A}}`, values: '0 0 2x80' },
        { series: `hbr_hdfs_missing_blocks{${A},cluster="prod"}`, values: '0 0 3x80' },
        { series: `hbr_hdfs_missing_blocks{${B},cluster="prod"}`, values: '0 0 3x80' },
        { series: `hbr_hdfs_missing_blocks{${A},cluster="dr"}`, values: '0x82' },
        { series: `hbr_hdfs_corrupt_blocks{${A},cluster="prod"}`, values: '0x82' },
        { series: `hbr_hdfs_corrupt_blocks{${A},cluster="dr"}`, values: '1x82' },
        { series: `hbr_hdfs_trash_enabled{${A},cluster="prod"}`, values: '1x82' },
        { series: `hbr_hdfs_trash_enabled{${A},cluster="dr"}`, values: '0x82' },
        { series: `hbr_hdfs_trash_enabled{${B},cluster="dr"}`, values: '0x82' },
      ],
      alert_rule_test: [
        { eval_time: '8m', alertname: 'HbrPolicyLoadFailing', exp_alerts: [] },
        { eval_time: '15m', alertname: 'HbrPolicyLoadFailing', exp_alerts: [{ exp_labels: lbl('a:9464', { severity: 'ticket' }) }] },
        { eval_time: '10m', alertname: 'HbrHdfsMissingBlocks', exp_alerts: [{ exp_labels: { severity: 'page', cluster: 'prod' } }] },
        { eval_time: '10m', alertname: 'HbrHdfsCorruptBlocks', exp_alerts: [{ exp_labels: { severity: 'page', cluster: 'dr' } }] },
        { eval_time: '30m', alertname: 'HbrHdfsTrashDisabled', exp_alerts: [] },
        { eval_time: '70m', alertname: 'HbrHdfsTrashDisabled', exp_alerts: [{ exp_labels: { severity: 'ticket', cluster: 'dr' } }] },
      ],
    },
    { // Audit findings (docs/audit.md), reported by two daemons: one alert per (cluster, policy, check)
      // that stays above 0 for 30m; a clear check (0) and one that clears at 20m stay quiet.
      interval: '1m',
      input_series: [
        { series: `hbr_audit_findings{${A},cluster="prod",policy="lake",check="low-replication"}`, values: '3x60' },
        { series: `hbr_audit_findings{${B},cluster="prod",policy="lake",check="low-replication"}`, values: '3x60' },
        { series: `hbr_audit_findings{${A},cluster="prod",policy="lake",check="trash"}`, values: '0x60' },
        { series: `hbr_audit_findings{${A},cluster="prod",policy="lake",check="quota"}`, values: '1x20 0x40' },
      ],
      alert_rule_test: [
        { eval_time: '20m', alertname: 'HbrAuditFinding', exp_alerts: [] },
        { eval_time: '45m', alertname: 'HbrAuditFinding', exp_alerts: [{ exp_labels: { severity: 'ticket', cluster: 'prod', policy: 'lake', check: 'low-replication' } }] },
      ],
    },
    { // Kerberos (docs/security.md): prod's token was due for a refresh at 10m and never refreshed
      // (the keytab broke); dr's refresh time keeps moving ahead; daemon b, a follower that led once,
      // holds an old prod value, which the newest (max by cluster) outweighs only while it is newer.
      interval: '1m',
      input_series: [
        { series: `hbr_hdfs_delegation_token_refresh_timestamp_seconds{${A},cluster="prod"}`, values: '600x70' },
        { series: `hbr_hdfs_delegation_token_refresh_timestamp_seconds{${B},cluster="prod"}`, values: '300x70' },
        { series: `hbr_hdfs_delegation_token_refresh_timestamp_seconds{${A},cluster="dr"}`, values: '600+60x70' },
      ],
      alert_rule_test: [
        { eval_time: '45m', alertname: 'HbrKerberosLoginFailing', exp_alerts: [] },
        { eval_time: '55m', alertname: 'HbrKerberosLoginFailing', exp_alerts: [{ exp_labels: { severity: 'ticket', cluster: 'prod' } }] },
      ],
    },
    { // Restore drills (docs/drills.md), daemon a: warehouse's drill fails at 10m; logs passed at 0 and not
      // since (interval 10m: overdue after 20m); archive took 600 s against an rto of 300 s; metrics
      // never passed a drill in 80 minutes of leading (interval 10m); b restarted at 50m (not yet overdue).
      interval: '1m',
      input_series: [
        { series: `hbr_restore_drill_failed{${A},policy="warehouse"}`, values: '0x9 1x70' },
        { series: `hbr_restore_drill_last_success_timestamp_seconds{${A},policy="warehouse"}`, values: '0x80' },
        { series: `hbr_restore_drill_interval_seconds{${A},policy="warehouse"}`, values: '86400x80' },
        { series: `hbr_restore_drill_failed{${A},policy="logs"}`, values: '0x80' },
        { series: `hbr_restore_drill_last_success_timestamp_seconds{${A},policy="logs"}`, values: '0x80' },
        { series: `hbr_restore_drill_interval_seconds{${A},policy="logs"}`, values: '600x80' },
        { series: `hbr_restore_drill_duration_seconds{${A},policy="archive"}`, values: '600x80' },
        { series: `hbr_restore_drill_last_success_timestamp_seconds{${A},policy="archive"}`, values: '0+60x80' },
        { series: `hbr_restore_drill_interval_seconds{${A},policy="archive"}`, values: '3600x80' },
        { series: `hbr_rto_seconds{${A},policy="archive"}`, values: '300x80' },
        { series: `hbr_restore_drill_duration_seconds{${A},policy="logs"}`, values: '100x80' },
        { series: `hbr_rto_seconds{${A},policy="logs"}`, values: '300x80' },
        { series: `hbr_restore_drill_interval_seconds{${A},policy="metrics"}`, values: '600x80' },
        { series: `process_start_time_seconds{${A}}`, values: '0x80' },
        { series: `hbr_restore_drill_interval_seconds{${B},policy="metrics"}`, values: '600x80' },
        { series: `process_start_time_seconds{${B}}`, values: '0x49 3000x31' },
      ],
      alert_rule_test: [
        { eval_time: '8m', alertname: 'HbrRestoreDrillFailed', exp_alerts: [] },
        { eval_time: '20m', alertname: 'HbrRestoreDrillFailed', exp_alerts: [{ exp_labels: lbl('a:9464', { severity: 'page', policy: 'warehouse' }) }] },
        { eval_time: '10m', alertname: 'HbrRestoreDrillOverdue', exp_alerts: [] },
        {
          eval_time: '60m',
          alertname: 'HbrRestoreDrillOverdue',
          exp_alerts: [
            { exp_labels: lbl('a:9464', { severity: 'ticket', reason: 'stale', policy: 'logs' }) },
            { exp_labels: lbl('a:9464', { severity: 'ticket', reason: 'never-passed', policy: 'metrics' }) },
          ],
        },
        { eval_time: '3m', alertname: 'HbrRestoreDrillOverRto', exp_alerts: [] },
        { eval_time: '10m', alertname: 'HbrRestoreDrillOverRto', exp_alerts: [{ exp_labels: lbl('a:9464', { severity: 'ticket', policy: 'archive' }) }] },
      ],
    },
  ];
  writeFileSync(join(dir, 'hbr.rules.test.yml'), stringify({ rule_files: ['hbr.rules.yml'], evaluation_interval: '1m', tests }));
  const r = promtool(['test', 'rules', 'hbr.rules.test.yml'], dir);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS/);
});

test('dashboard: uid hbr, schemaVersion 39, datasource and policy variables, the expected panels', () => {
  const d = dashboard();
  assert.is(d.uid, 'hbr');
  assert.is(d.schemaVersion, 39);
  const vars = d.templating.list as Array<{ name: string; type: string; query: unknown; definition?: string }>;
  const ds = vars.find((v) => v.name === 'datasource');
  assert.ok(ds && ds.type === 'datasource' && ds.query === 'prometheus', 'datasource variable of type prometheus');
  const policy = vars.find((v) => v.name === 'policy');
  assert.ok(policy && policy.type === 'query', 'policy query variable');
  const q = policy!.query;
  assert.is(typeof q === 'string' ? q : (q as { query: string }).query, 'label_values(hbr_rpo_seconds, policy)');

  const panels = allPanels();
  const ids = panels.map((p) => p.id);
  assert.is(new Set(ids).size, ids.length, 'panel ids are unique');
  const byTitle = (re: RegExp) => panels.find((p) => re.test(p.title));
  const rp = byTitle(/Recovery point age vs RPO/);
  assert.ok(rp && rp.type === 'timeseries', 'recovery point age vs RPO panel');
  assert.ok(rp!.targets!.some((t) => /hbr_recovery_point_age_seconds/.test(t.expr!)) && rp!.targets!.some((t) => /hbr_rpo_seconds/.test(t.expr!)));
  assert.is(byTitle(/RPO breached/)?.type, 'stat');
  assert.match(byTitle(/p95/)!.targets![0]!.expr!, /histogram_quantile\(0\.95, .*hbr_step_duration_seconds_bucket/);
  for (const [title, metric] of [
    [/Pending steps/, 'hbr_plan_pending_steps'], [/Steps done/, 'hbr_steps_total'], [/Bytes copied/, 'hbr_bytes_copied_total'],
    [/Snapshots per site/, 'hbr_snapshots'], [/Last successful reconcile/, 'hbr_reconcile_last_success_timestamp_seconds'],
    [/HDFS blocks/, 'hbr_hdfs_missing_blocks'], [/HDFS blocks/, 'hbr_hdfs_corrupt_blocks'], [/HDFS blocks/, 'hbr_hdfs_under_replicated_blocks'],
    [/[Tt]rash/, 'hbr_hdfs_trash_enabled'], [/Protection audit findings/, 'hbr_audit_findings'], [/Leader/, 'hbr_leader'], [/Policy load errors/, 'hbr_policy_load_errors'],
    [/memory/, 'process_resident_memory_bytes'], [/CPU/, 'process_cpu_seconds_total'],
  ] as Array<[RegExp, string]>) {
    const p = byTitle(title);
    assert.ok(p, `panel ${title}`);
    assert.ok(p!.targets!.some((t) => metricNames(t.expr ?? '', KNOWN).includes(metric)), `panel ${p!.title} queries ${metric}`);
  }
  for (const p of panels.filter((p) => p.type !== 'row')) {
    assert.is(p.datasource?.uid, '${datasource}', `panel ${p.title} uses the datasource variable`);
    for (const t of p.targets ?? []) assert.is((t as { datasource?: { uid?: string } }).datasource?.uid, '${datasource}', `${p.title} ${t.refId}`);
  }
});

test('dashboard: every expr (and the variable query) only uses metrics hbr exports', () => {
  const d = dashboard();
  const exprs: Array<[string, string]> = [];
  for (const p of allPanels()) for (const t of p.targets ?? []) {
    if (p.type === 'row') continue;
    assert.ok(typeof t.expr === 'string' && t.expr.trim(), `panel ${p.title}: target ${t.refId} has no expr`);
    exprs.push([`${p.title} ${t.refId}`, t.expr!]);
  }
  for (const v of d.templating.list as Array<{ name: string; query: unknown }>) {
    if (v.name === 'policy') exprs.push([`$${v.name}`, typeof v.query === 'string' ? v.query : (v.query as { query: string }).query]);
  }
  assert.ok(exprs.length >= 15, `only ${exprs.length} queries`);
  for (const [where, expr] of exprs) {
    assert.ok(metricNames(expr, KNOWN).length > 0, `${where}: no metric in ${expr}`);
    assert.equal(unknownMetrics(expr), [], `${where}: unknown metric in ${expr}`);
  }
});

/** Parse a unit file: section -> key -> values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let cur: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) { cur = new Map(); sections.set(sec[1]!, cur); continue; }
    const kv = /^([A-Za-z0-9]+)\s*=\s*(.*)$/.exec(line);
    assert.ok(kv && cur, `unit file: cannot parse line "${raw}"`);
    const list = cur!.get(kv![1]!) ?? [];
    list.push(kv![2]!);
    cur!.set(kv![1]!, list);
  }
  return sections;
}

/** systemd time span ("600", "10min", "5m 30s", "1h") in seconds. */
function seconds(span: string): number {
  const unit: Record<string, number> = { '': 1, s: 1, sec: 1, second: 1, seconds: 1, m: 60, min: 60, minute: 60, minutes: 60, h: 3600, hr: 3600, hour: 3600, hours: 3600 };
  let total = 0;
  for (const part of span.trim().split(/\s+/)) {
    const m = /^(\d+)([a-z]*)$/.exec(part);
    assert.ok(m && m[2]! in unit, `time span ${span}`);
    total += Number(m![1]) * unit[m![2]!]!;
  }
  return total;
}

test('systemd unit: runs hbr daemon as hbr, hardened, with a stop timeout for checkpointing', () => {
  const unit = parseUnit(readFileSync(UNIT_FILE, 'utf8'));
  assert.ok(unit.has('Unit') && unit.has('Install'));
  const svc = unit.get('Service');
  assert.ok(svc, '[Service] section');
  const one = (k: string) => {
    const v = svc!.get(k);
    assert.ok(v && v.length === 1, `[Service] ${k}= exactly once`);
    return v![0]!;
  };
  assert.match(one('ExecStart'), /^\/\S*\/hbr daemon -f \/etc\/hbr\/policies --listen 127\.0\.0\.1:9464 --state-dir \/var\/lib\/hbr$/);
  assert.is(one('User'), 'hbr');
  assert.is(one('EnvironmentFile'), '-/etc/hbr/env');
  assert.is(one('Restart'), 'on-failure');
  assert.is(one('KillSignal'), 'SIGTERM');
  const stop = seconds(one('TimeoutStopSec'));
  assert.ok(stop >= 120, `TimeoutStopSec ${stop}s is too short for a step to checkpoint`);
  assert.is(one('StateDirectory'), 'hbr');
  assert.is(one('ProtectSystem'), 'strict');
  assert.ok(one('ReadWritePaths').split(/\s+/).includes('/var/lib/hbr'));
  for (const k of ['NoNewPrivileges', 'PrivateTmp', 'ProtectHome', 'PrivateDevices', 'ProtectKernelTunables', 'ProtectKernelModules', 'ProtectControlGroups', 'RestrictSUIDSGID', 'LockPersonality']) {
    assert.is(one(k), 'yes', k);
  }
  assert.is(one('CapabilityBoundingSet'), '', 'no capabilities');
  // Node's and the JVM's JIT need W+X memory: MemoryDenyWriteExecute=yes would crash the daemon.
  assert.ok(!['yes', 'true', '1', 'on'].includes(svc!.get('MemoryDenyWriteExecute')?.[0] ?? ''), 'MemoryDenyWriteExecute must stay off');
  // Credentials come from /etc/hbr/env only, never inline in the unit.
  for (const env of svc!.get('Environment') ?? []) {
    assert.not.match(env, /AWS_|HBR_ZK_|HADOOP_USER_NAME|PASSWORD|SECRET/i, `credential in unit: ${env}`);
  }
  assert.equal(unit.get('Install')!.get('WantedBy'), ['multi-user.target']);
});

test.run();
