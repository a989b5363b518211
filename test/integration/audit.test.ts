/**
 * The protection audit against real NameNodes (issue 12, point 7; docs/audit.md). On an extra
 * cluster (so the shared primary never reports a missing block to other suites): trash off, a
 * file at replication 1 under `min_replication: 2` (B) beside one at 2 (A: on one DataNode it is
 * also low on redundancy, a separate finding), a block deleted from the DataNode's disk, a name
 * quota on the parent at its limit. Each finding shows in `hbr plan` (text and --json), the
 * daemon's /status and /metrics, and `hbr status`. A second extra cluster with trash on, its path
 * under a snapshot policy replicated to the test bed's dr, has no findings: every gauge 0.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startExtraHdfs, type ExtraHdfs } from '../helpers/extra-hdfs.js';
import { hbr, tempDir } from '../helpers/hbr.js';
import { startDaemon, stopAllDaemons, waitFor, type DaemonProc } from '../helpers/daemon.js';
import { testbed, uniq } from '../helpers/testbed.js';
import type { PolicyStatus } from '../../src/daemon/status.js';

const tb = testbed();
const id = uniq('audit');
const dir = tempDir('audit');
const file = join(dir, 'audit.yaml');
let bad: ExtraHdfs;
let ok: ExtraHdfs;
let daemon: DaemonProc;

const FSN = 'Hadoop:service=NameNode,name=FSNamesystem';
async function jmx(c: ExtraHdfs): Promise<Record<string, number>> {
  const r = (await (await fetch(`${c.webhdfs}/jmx?qry=${FSN}`)).json()) as { beans: Record<string, number>[] };
  return r.beans[0]!;
}

/** Every file under `root` (the DataNode's volumes) named blk_<id> or blk_<id>_<gs>.meta. */
function blockFiles(root: string, blockId: number): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n === `blk_${blockId}` || n.startsWith(`blk_${blockId}_`)) out.push(p);
    }
  };
  walk(root);
  return out;
}

test.before(async () => {
  bad = await startExtraHdfs('extra-audit', { 'fs.trash.interval': '0' });
  ok = await startExtraHdfs('extra-audit-ok', { 'fs.trash.interval': '1440' });
  const user = `user.name=${tb.HBR_TB_HDFS_USER}`;

  // The cluster with findings: A and C at replication 2, B at 1; C loses its block.
  await bad.client.mkdirs('/audit/data');
  await bad.client.create('/audit/data/a', Buffer.alloc(4096, 1), { replication: 2 });
  await bad.client.create('/audit/data/b', Buffer.alloc(4096, 2), { replication: 1 });
  await bad.client.create('/audit/data/c', Buffer.alloc(4096, 3), { replication: 2 });
  const loc = (await (await fetch(`${bad.webhdfs}/webhdfs/v1/audit/data/c?op=GET_BLOCK_LOCATIONS&${user}`)).json()) as {
    LocatedBlocks: { locatedBlocks: Array<{ block: { blockId: number } }> };
  };
  const blockId = loc.LocatedBlocks.locatedBlocks[0]!.block.blockId;
  const files = blockFiles(join(tb.HBR_TB_STATE, 'extra-audit', 'data'), blockId);
  assert.ok(files.length >= 2, `block ${blockId}'s data and meta files on the DataNode's disk: ${files.join(', ')}`);
  for (const f of files) unlinkSync(f);
  // docs/design/blocks-proposal.md §3.3: a block report alone does not notice; a read does (the
  // DataNode invalidates the replica and tells the NameNode with its next heartbeat).
  await waitFor(
    'the NameNode to count the deleted block missing',
    async () => {
      await bad.client.open('/audit/data/c').catch(() => undefined);
      return (await jmx(bad)).MissingBlocks! >= 1;
    },
    60_000,
    2_000,
  );
  // A name quota on the parent, at its limit: /audit, /audit/data and three files = 5.
  const q = await fetch(`${bad.webhdfs}/webhdfs/v1/audit?op=SETQUOTA&namespacequota=5&${user}`, { method: 'PUT' });
  assert.ok(q.ok, `SETQUOTA: HTTP ${q.status}`);

  // The clean cluster: trash on, one file at replication 1 (one DataNode: nothing low), protected.
  await ok.client.mkdirs('/ok');
  await ok.client.create('/ok/f', Buffer.alloc(4096, 4), { replication: 1 });

  writeFileSync(
    file,
    `version: 1
clusters:
  bad: { hdfs: { webhdfs: ${bad.webhdfs}, fs: ${bad.fs}, user: ${tb.HBR_TB_HDFS_USER} } }
  ok: { hdfs: { webhdfs: ${ok.webhdfs}, fs: ${ok.fs}, user: ${tb.HBR_TB_HDFS_USER} } }
  dr: { hdfs: { webhdfs: ${tb.HBR_TB_DR_WEBHDFS}, fs: ${tb.HBR_TB_DR_FS} } }
policies:
  lake:
    source: { cluster: bad, path: /audit/data }
    audit: { every: 5s, min_replication: 2 }
  clean:
    source: { cluster: ok, path: /ok }
    audit: { every: 5s, min_replication: 1, min_trash: 1d }
  ok-snaps:
    source: { cluster: ok, path: /ok }
    snapshots: { every: 1h, keep: { last: 2 } }
    replicate:
      - to: { cluster: dr, path: /it-dr/${id}/ok }
`,
  );
});

test.after(async () => {
  await stopAllDaemons();
  ok?.stop();
  bad?.stop();
});

const AUDITED = ['missing-blocks', 'low-redundancy-blocks', 'low-replication', 'trash', 'quota', 'no-snapshots', 'no-dr-copy'];

test('hbr plan: each finding is a warning of the audit policy (text and --json); B is flagged, A is not; the clean policy has none', async () => {
  const t = await hbr(['plan', '-f', file, '--state-dir', join(dir, 'plan-state'), '--target', 'lake', '--target', 'clean']);
  assert.is(t.code, 0, t.stderr);
  const lake = t.stdout.split('\n').filter((l) => l.startsWith('Warning: [lake] audit'));
  for (const check of AUDITED) assert.ok(lake.some((l) => l.includes(`[${check}]`)), `no ${check} warning in:\n${t.stdout}`);
  const low = lake.find((l) => l.includes('[low-replication]'))!;
  assert.match(low, '1 file under bad:/audit/data');
  assert.match(low, '/audit/data/b (1)');
  assert.not.match(low, '/audit/data/a');
  assert.match(lake.find((l) => l.includes('[trash]'))!, 'WebHDFS DELETE never goes through trash');
  // the damaged file is named (JMX NameNodeInfo CorruptFiles), the healthy ones are not
  const missing = lake.find((l) => l.includes('[missing-blocks]'))!;
  assert.match(missing, 'files under /audit/data among them: /audit/data/c:');
  assert.not.match(missing, '/audit/data/b');
  assert.match(lake.find((l) => l.includes('[quota]'))!, 'name quota (files + directories) 5/5 on bad:/audit is 100% used');
  assert.not.ok(t.stdout.includes('[clean]'), `the clean policy warns nothing:\n${t.stdout}`);

  const j = await hbr(['plan', '-f', file, '--state-dir', join(dir, 'plan-state'), '--target', 'lake', '--target', 'clean', '--json']);
  assert.is(j.code, 0, j.stderr);
  const plan = JSON.parse(j.stdout) as { steps: unknown[]; warnings: Array<{ policy?: string; message: string }> };
  assert.equal(plan.steps, [], 'the audit plans no steps');
  for (const check of AUDITED) assert.ok(plan.warnings.some((w) => w.policy === 'lake' && w.message.startsWith(`audit [${check}]`)), `--json: no ${check}`);
  assert.is(plan.warnings.filter((w) => w.policy === 'clean').length, 0);
});

test('the daemon: /status rows and hbr_audit_findings per check; 0 for every check of the clean cluster; hbr status shows them', async () => {
  daemon = await startDaemon(['-f', file, '--health-interval', '2s', '--shutdown-grace', '5s'], join(dir, 'state'));
  const audited = (s: PolicyStatus[], name: string) => s.find((p) => p.name === name)?.audit;
  const st = await waitFor('both audits in /status', async () => {
    const s = (await daemon.status()).policies;
    return audited(s, 'lake') && audited(s, 'clean') ? s : undefined;
  }, 90_000);
  const lake = audited(st, 'lake')!;
  for (const check of AUDITED) assert.ok(lake.findings.some((f) => f.check === check && f.cluster === 'bad'), `/status: no ${check} in ${JSON.stringify(lake.findings)}`);
  const low = lake.findings.find((f) => f.check === 'low-replication')!;
  assert.is(low.count, 1, 'B only');
  assert.is(low.path, '/audit/data');
  assert.equal(audited(st, 'clean')!.findings, []);
  assert.equal(audited(st, 'clean')!.checked.sort(), ['corrupt-blocks', 'low-redundancy-blocks', 'low-replication', 'missing-blocks', 'no-dr-copy', 'no-snapshots', 'quota', 'trash']);

  const g = (policy: string, check: string, cluster: string) => daemon.metric('hbr_audit_findings', { cluster, policy, check });
  assert.ok((await g('lake', 'missing-blocks', 'bad'))! >= 1);
  assert.is(await g('lake', 'low-replication', 'bad'), 1);
  assert.is(await g('lake', 'trash', 'bad'), 1);
  assert.is(await g('lake', 'quota', 'bad'), 1);
  assert.ok((await g('lake', 'low-redundancy-blocks', 'bad'))! >= 1, 'A: replication 2 on one DataNode');
  assert.is(await g('lake', 'no-snapshots', 'bad'), 1);
  assert.is(await g('lake', 'corrupt-blocks', 'bad'), 0);
  for (const check of ['missing-blocks', 'corrupt-blocks', 'low-redundancy-blocks', 'trash', 'low-replication', 'quota', 'no-snapshots', 'no-dr-copy']) {
    assert.is(await g('clean', check, 'ok'), 0, `clean ${check}`);
  }
  // the cluster-wide health gauges are still there
  await waitFor('hbr_hdfs_missing_blocks of the audited cluster', async () => ((await daemon.metric('hbr_hdfs_missing_blocks', { cluster: 'bad' })) ?? 0) >= 1, 30_000);
  assert.is(await daemon.metric('hbr_hdfs_trash_enabled', { cluster: 'ok' }), 1);

  const s = await hbr(['status', '--state-dir', join(dir, 'state')]);
  assert.is(s.code, 2, `findings need attention: ${s.stdout}${s.stderr}`);
  assert.match(s.stdout, /lake +every 5s .*AUDIT: \d+ finding\(s\)/);
  assert.match(s.stdout, 'lake: audit ');
  assert.match(s.stdout, '[missing-blocks]');
  assert.match(s.stdout, '[low-replication] 1 file under bad:/audit/data');
  assert.not.match(s.stdout, 'clean: audit');
});

test.run();
