/**
 * What hbr reads from HBase's backup CLI and names (docs/design/hbase-notes.md): the id a create printed,
 * a failure's message without Java frames or log lines, and which snapshots a crashed session took.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { failureText, parseCreated } from '../../src/systems/hbase/cli.js';
import { snapshotOf } from '../../src/systems/hbase/debris.js';
import { backup, T0 } from '../fixtures/hbase-observed.js';

test('the id and status a backup create printed', () => {
  assert.equal(parseCreated('2026-12-02T12:14:56,296 WARN  [main] mapred.LocalDistributedCacheManager: x\nBackup session backup_1796213689819 finished. Status: SUCCESS\n'), { id: 'backup_1796213689819', success: true });
  assert.equal(parseCreated('Backup session backup_1 finished. Status: FAILURE'), { id: 'backup_1', success: false });
  assert.equal(parseCreated('Found backup session in a RUNNING state\nActive session found, aborted command execution'), { success: false });
});

test('a failure message keeps its lines, not Java frames nor WARN log lines', () => {
  const out = [
    '2026-12-02T12:14:56,296 WARN  [main] util.NativeCodeLoader: Unable to load native-hadoop library',
    'Found backup session in a RUNNING state:',
    '{ID=backup_1,Type=FULL,Tables={t1},State=RUNNING}',
    'java.io.IOException: Active session found, aborted command execution',
    '\tat org.apache.hadoop.hbase.backup.impl.BackupCommands$Command.execute(BackupCommands.java:1)',
    '\t... 3 more',
  ].join('\n');
  assert.is(failureText(out), 'Found backup session in a RUNNING state: | {ID=backup_1,Type=FULL,Tables={t1},State=RUNNING} | java.io.IOException: Active session found, aborted command execution');
});

test("a crashed session's snapshots: its tables, taken while it ran; nothing else", () => {
  const run = { ...backup(T0, 'FULL', 'RUNNING'), tables: ['default:orders', 'sales:users'] };
  assert.ok(snapshotOf(run, `snapshot_${T0 + 5}_default_orders`));
  assert.ok(snapshotOf(run, `snapshot_${T0 + 9}_sales_users`));
  assert.not.ok(snapshotOf(run, `snapshot_${T0 - 1}_default_orders`), 'taken before it started');
  assert.not.ok(snapshotOf(run, `snapshot_${T0 + 5}_default_other`), 'another table');
  assert.not.ok(snapshotOf(run, `mysnap_${T0 + 5}_default_orders`), 'not HBase backup naming');
  const failed = { ...run, state: 'FAILED' as const, completeTs: T0 + 100 };
  assert.not.ok(snapshotOf(failed, `snapshot_${T0 + 101}_default_orders`), 'taken after it ended');
  assert.ok(snapshotOf(failed, `snapshot_${T0 + 100}_default_orders`));
});

test.run();
