/**
 * The HBase test bed works end to end (issue 13's first piece; testbed/hbase.sh, test/helpers/hbase.ts):
 * a standalone HBase 2.6.1 on the primary HDFS starts, takes a table and rows over REST, backs the
 * table up with the real `hbase backup create full` to a root on the DR HDFS, and the session it
 * recorded in backup:system is read over REST and decoded without a JVM: COMPLETE, with its id,
 * type, table, root and times; the image is on the DR cluster. Figures (start, RSS, backup) are
 * printed, never asserted.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHbase, type Hbase } from '../helpers/hbase.js';
import { testbed, uniq } from '../helpers/testbed.js';

function rssMiB(pidFile: string): number {
  const pid = readFileSync(pidFile, 'utf8').trim();
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kb) / 1024);
}

test('HBase on the test bed: table over REST, a full backup to DR, its session decoded over REST', async () => {
  const tb = testbed();
  const name = uniq('hbase-smoke') as `hbase-${string}`;
  let t0 = Date.now();
  const h: Hbase = startHbase(name);
  const startS = (Date.now() - t0) / 1000;
  try {
    const pids = join(tb.HBR_TB_STATE, 'pids');
    console.log(`  [figures] HBase + REST up in ${startS.toFixed(1)} s; RSS HMaster ${rssMiB(join(pids, `${name}.pid`))} MiB, REST ${rssMiB(join(pids, `${name}.rest.pid`))} MiB`);
    assert.ok(h.rootdir.startsWith(`${tb.HBR_TB_PRIMARY_FS}/testbed-hbase/${name}`), h.rootdir);

    assert.equal(await h.sessions(), [], 'no backup yet');
    const rows = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`row-${String(i).padStart(3, '0')}`, { 'cf:v': `value ${i}` }]));
    await h.createTable('orders', ['cf']);
    await h.putRows('orders', rows);
    assert.is((await h.rowKeys('orders')).length, 100);

    const root = `${tb.HBR_TB_DR_FS}/hbase-backups/${name}`;
    t0 = Date.now();
    const r = h.cli('backup', ['create', 'full', root, '-t', 'orders']);
    const backupS = (Date.now() - t0) / 1000;
    const out = r.stdout + r.stderr;
    const m = /Backup session (backup_\d+) finished\. Status: SUCCESS/.exec(out);
    assert.ok(r.status === 0 && m, `backup create full failed (exit ${r.status}):\n${out}`);
    const id = m[1] ?? '';
    console.log(`  [figures] hbase backup create full of 100 rows: ${backupS.toFixed(1)} s (JVM start included)`);

    // Observed over REST, not trusted from the exit code (exit codes lie: docs/design/hbase-notes.md).
    const sessions = await h.sessions();
    const s = sessions.find((x) => x.id === id);
    assert.ok(s, `session ${id} not in backup:system (${JSON.stringify(sessions)})`);
    assert.is(s.state, 'COMPLETE');
    assert.is(s.type, 'FULL');
    assert.equal(s.tables, ['default:orders']);
    assert.is(s.root, root);
    assert.is(s.progress, 100);
    assert.ok(s.startTs > 0 && s.completeTs >= s.startTs, `times ${s.startTs} .. ${s.completeTs}`);
    assert.is(await h.locked(), false, 'the backup lock is released');
    console.log(`  [session] ${s.id} ${s.type} ${s.state} tables=${s.tables.join(',')} root=${s.root} start=${new Date(s.startTs).toISOString()} end=${new Date(s.completeTs).toISOString()}`);

    // The CLI's own view agrees (testbed/bin/hbase runs `backup describe` like bin/hbase would).
    const d = h.cli('backup', ['describe', id]);
    assert.match(d.stdout + d.stderr, new RegExp(`\\{ID=${id},Type=FULL,Tables=\\{orders\\},State=COMPLETE,`));

    // The image is on the DR cluster, under <root>/<id>/<namespace>/<table>.
    const url = `${tb.HBR_TB_DR_WEBHDFS}/webhdfs/v1/hbase-backups/${name}/${id}/default/orders?op=LISTSTATUS&user.name=${tb.HBR_TB_HDFS_USER}`;
    const res = await fetch(url);
    assert.is(res.status, 200, `${url}: ${await res.text()}`);
  } finally {
    h.stop();
    await fetch(`${tb.HBR_TB_DR_WEBHDFS}/webhdfs/v1/hbase-backups/${name}?op=DELETE&recursive=true&user.name=${tb.HBR_TB_HDFS_USER}`, { method: 'DELETE' });
  }
  // stopped: its REST gateway no longer answers, its rootdir is gone
  const answered = await fetch(`${h.rest}/version`, { signal: AbortSignal.timeout(5000) }).then(() => true, () => false);
  assert.is(answered, false, 'REST still answers after stop');
  const rootdir = await fetch(`${tb.HBR_TB_PRIMARY_WEBHDFS}/webhdfs/v1/testbed-hbase/${name}?op=GETFILESTATUS&user.name=${tb.HBR_TB_HDFS_USER}`);
  assert.is(rootdir.status, 404, 'the rootdir is purged');
});

test.run();
