/**
 * Backup sessions decoded without a JVM (src/systems/hbase/backup-info.ts): the bytes below are a
 * real `backup:system` / `session:backup_…` / `session:context` value, read over REST from HBase
 * 2.6.1 on the test bed after `hbase backup create full` (2026-12-02), so the decoder is checked
 * against what the server writes, not against bytes it encoded itself.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import protobuf from 'protobufjs';
import { join } from 'node:path';
import { decodeBackupInfo, PROTO_DIR } from '../../src/systems/hbase/backup-info.js';

const REAL_COMPLETE_FULL =
  'ChRiYWNrdXBfMTc5NjIwNDg2NTI5ORAAGihoZGZzOi8vMTI3LjAuMC4xOjI2MDIwL2hiYXNlLWJhY2t1cHMvdHJ5IAEoBToyCg0KB2RlZmF1bHQSAnQxEiFzbmFwc2hvdF8xNzk2MjA0ODY4Mzc2X2RlZmF1bHRfdDFA9eKcsaM0SNmLnbGjNFBkWP////8PYP///////////wFqIAoCdDESGgoYCg9sb2NhbGhvc3Q6MzMzNTEQ9OSasaM0';

test('a real COMPLETE full backup session decodes to id, type, state, root, tables and times', () => {
  const s = decodeBackupInfo(Buffer.from(REAL_COMPLETE_FULL, 'base64'));
  assert.equal(s.id, 'backup_1796204865299');
  assert.equal(s.type, 'FULL');
  assert.equal(s.state, 'COMPLETE');
  assert.equal(s.phase, 'STORE_MANIFEST');
  assert.equal(s.root, 'hdfs://127.0.0.1:26020/hbase-backups/try');
  assert.equal(s.tables, ['default:t1']);
  assert.equal(s.snapshots, { 'default:t1': 'snapshot_1796204868376_default_t1' });
  assert.equal(s.startTs, 1796204867957);
  assert.equal(s.completeTs, 1796204873177);
  assert.equal(s.progress, 100);
  assert.is(s.failedMessage, undefined);
});

test('a session without state or type reads as RUNNING FULL, the proto2 defaults Java reports', () => {
  // Built with HBase's own schema: only the id set, the way a session looks right after REQUEST.
  const root = new protobuf.Root().loadSync(join(PROTO_DIR, 'Backup.proto'), { keepCase: true });
  const t = root.lookupType('hbase.pb.BackupInfo');
  const bytes = t.encode(t.fromObject({ backup_id: 'backup_1', failed_message: 'boom\nsecond line' })).finish();
  const s = decodeBackupInfo(bytes);
  assert.equal([s.id, s.state, s.type, s.phase, s.completeTs, s.tables], ['backup_1', 'RUNNING', 'FULL', 'REQUEST', 0, []]);
  assert.is(s.failedMessage, 'boom\nsecond line');
});

test('garbage is an error, not an empty session', () => {
  assert.throws(() => decodeBackupInfo(Uint8Array.from([0x0a, 0xff, 0xff, 0xff])));
});

test.run();
