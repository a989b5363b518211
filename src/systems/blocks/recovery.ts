/**
 * The store-side recovery point of a block backup policy: its newest manifest (docs/blocks.md,
 * "RPO"). Pure; manifests dated in the future are not counted and are reported.
 */
import { trustedUntil } from '../../model/names.js';
import type { Observed } from '../../model/observed.js';
import { recoveryPoint, type RecoveryPoint } from '../../model/recovery.js';
import { parseManifestKey } from './names.js';
import { blocksPart } from './safety.js';
import type { BlocksPolicy } from './types.js';

export function blocksRecoveryPoints(p: BlocksPolicy, observed: Observed, now: number): RecoveryPoint[] {
  const store = blocksPart(observed, p.name)?.store;
  if (!store) return [];
  const until = trustedUntil(now);
  const times = store.manifests.map((k) => parseManifestKey(k)?.time).filter((t): t is number => t !== undefined);
  const trusted = times.filter((t) => t <= until).sort((a, b) => a - b);
  const point = recoveryPoint(p.name, 'store', trusted[trusted.length - 1], trusted.length, p.rpo, now);
  const future = times.length - trusted.length;
  return [future ? { ...point, future } : point];
}
