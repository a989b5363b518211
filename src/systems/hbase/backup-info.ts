/**
 * Decode HBase's backup sessions without a JVM: `backup:system` row `session:<id>`, column
 * `session:context` holds a protobuf `BackupInfo` (docs/hbase.md; docs/design/hbase-notes.md). The
 * schema is HBase's own: ./proto/Backup.proto and HBase.proto, copied verbatim from
 * org.apache.hbase:hbase-protocol-shaded:2.6.1-hadoop3 (the jar's root), decoded with protobufjs.
 * Pure code (no I/O but loading the .proto files once), so it has unit tests on real bytes.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/**
 * The .proto files stay in the source tree (tsc copies no .proto): from src/systems/hbase/ (tsx) and
 * from dist/systems/hbase/ (the build) alike, three levels up is the repository.
 */
export const PROTO_DIR = fileURLToPath(new URL('../../../src/systems/hbase/proto/', import.meta.url));

export type BackupState = 'RUNNING' | 'COMPLETE' | 'FAILED' | 'CANCELLED';

export interface BackupSession {
  id: string;
  type: 'FULL' | 'INCREMENTAL';
  state: BackupState;
  /** the phase a RUNNING session reached (REQUEST, SNAPSHOT, … STORE_MANIFEST) */
  phase: string;
  root: string;
  /** `namespace:qualifier`, `default:` kept so names are never ambiguous */
  tables: string[];
  /** snapshot names per table (a FULL backup's, deleted when it completes; debris after a repair) */
  snapshots: Record<string, string>;
  startTs: number;
  /** 0 while RUNNING */
  completeTs: number;
  progress: number;
  failedMessage?: string;
}

let backupInfo: protobuf.Type | undefined;

function type(): protobuf.Type {
  if (!backupInfo) {
    const root = new protobuf.Root();
    // Backup.proto imports "HBase.proto": protobufjs resolves it beside the importing file.
    root.loadSync(`${PROTO_DIR}Backup.proto`, { keepCase: true });
    backupInfo = root.lookupType('hbase.pb.BackupInfo');
  }
  return backupInfo;
}

interface RawTableName { namespace: string; qualifier: string }
interface RawBackupInfo {
  backup_id?: string;
  backup_type?: string;
  backup_root_dir?: string;
  backup_state?: string;
  backup_phase?: string;
  failed_message?: string;
  backup_table_info?: { table_name?: RawTableName; snapshot_name?: string }[];
  start_ts?: number;
  complete_ts?: number;
  progress?: number;
}

/** Decode one `session:context` value (the raw bytes, not base64). */
export function decodeBackupInfo(bytes: Uint8Array): BackupSession {
  const t = type();
  // defaults: true fills proto2 defaults (state RUNNING = 0, type FULL = 0) like Java's getters do.
  const o = t.toObject(t.decode(bytes), { longs: Number, enums: String, bytes: String, defaults: true }) as RawBackupInfo;
  const utf8 = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');
  const tables: string[] = [];
  const snapshots: Record<string, string> = {};
  for (const ti of o.backup_table_info ?? []) {
    if (!ti.table_name) continue;
    const name = `${utf8(ti.table_name.namespace)}:${utf8(ti.table_name.qualifier)}`;
    tables.push(name);
    if (ti.snapshot_name) snapshots[name] = ti.snapshot_name;
  }
  return {
    id: o.backup_id ?? '',
    type: (o.backup_type ?? 'FULL') as BackupSession['type'],
    state: (o.backup_state ?? 'RUNNING') as BackupState,
    phase: o.backup_phase ?? 'REQUEST',
    root: o.backup_root_dir ?? '',
    tables,
    snapshots,
    startTs: o.start_ts ?? 0,
    completeTs: o.complete_ts ?? 0,
    progress: o.progress ?? 0,
    ...(o.failed_message ? { failedMessage: o.failed_message } : {}),
  };
}
