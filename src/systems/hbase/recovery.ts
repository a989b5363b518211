/** Recovery points of an HBase backup policy: its newest verified backup in a whole chain (./chains.ts). */
import type { Observed } from '../../model/observed.js';
import { recoveryPoint, type RecoveryPoint } from '../../model/recovery.js';
import { chainsOf, policyTables, recoveryPointsOf, trusted } from './chains.js';
import type { HbaseBackupPolicy, HbaseObserved } from './types.js';

export function hbasePolicyPoints(p: HbaseBackupPolicy, observed: Observed, now: number): RecoveryPoint[] {
  const o = (observed.parts?.hbase as HbaseObserved | undefined)?.[p.name];
  if (!o) return [];
  const { backups, future } = trusted(o, now);
  const { newest, count } = recoveryPointsOf(chainsOf(backups), policyTables(p, o));
  const point = recoveryPoint(p.name, 'dr', newest?.startTs, count, p.rpo, now);
  return [future.length ? { ...point, future: future.length } : point];
}
