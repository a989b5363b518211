/**
 * Loads a restored data dir the way a ZooKeeper server would at start-up (FileTxnSnapLog.restore:
 * the snapshot, then every logged txn after its zxid), in TypeScript, and checks what it got
 * (docs/drills-zookeeper.md):
 * - the snapshot parses, with every seal's checksum right (snapshot.ts);
 * - the digest the server recorded in the snapshot equals the replayed tree's digest at that
 *   zxid (DataTree.compareSnapshotDigests; a snapshot is fuzzy, so that zxid may lie in the logs);
 * - after that point, every logged txn's TxnDigest equals the tree's digest after applying it
 *   (DataTree.compareDigest);
 * - the tree is whole (every node's parent lists it), and the last zxid equals the manifest's.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { DrillCheck } from '../types.js';
import { DIGEST_VERSION } from './datatree.js';
import { parseZkFileName, zxidHex, type ZkFileName } from './format.js';
import { readSnapshot, type LoadedSnapshot } from './snapshot.js';
import { applyTxn, readTxnLog, type ApplyStats } from './txn.js';

export interface ReplayResult {
  checks: DrillCheck[];
  znodes?: number;
  ephemerals?: number;
  sessions?: number;
  lastZxid?: bigint;
  txns: number;
  digestsCompared: number;
}

const hex = (d: bigint) => zxidHex(BigInt.asUintN(64, d));

/** Replays `<dataDir>/version-2` and checks it against the archive manifest's last zxid. */
export async function replayDataDir(dataDir: string, manifestLastZxid: bigint, signal?: AbortSignal): Promise<ReplayResult> {
  const dir = join(dataDir, 'version-2');
  const files = (await readdir(dir)).map(parseZkFileName).filter((f): f is ZkFileName => f !== undefined);
  const snaps = files.filter((f) => f.kind === 'snapshot');
  const logs = files.filter((f) => f.kind === 'log').sort((a, b) => (a.zxid < b.zxid ? -1 : 1));
  const checks: DrillCheck[] = [];
  const result: ReplayResult = { checks, txns: 0, digestsCompared: 0 };
  const fail = (what: string, detail: string) => { checks.push({ what, ok: false, detail }); return result; };
  if (snaps.length !== 1) return fail('snapshot', `expected one snapshot in the archive, found ${snaps.length}`);
  const snapFile = snaps[0]!;
  const snapWhat = `snapshot version-2/${snapFile.name}`;
  if (snapFile.compression === 'snappy') return fail(snapWhat, 'snappy-compressed snapshots cannot be read by the drill (no snappy codec in Node)');

  let snap: LoadedSnapshot;
  try {
    const raw = await readFile(join(dir, snapFile.name));
    snap = readSnapshot(snapFile.compression === 'gz' ? gunzipSync(raw) : raw);
  } catch (err) {
    return fail(snapWhat, `cannot be loaded: ${(err as Error).message}`);
  }
  const { tree, sessions } = snap;
  checks.push({ what: `${snapWhat}: ${tree.size} znodes, ${sessions.size} sessions, ${snap.seals} seals`, ok: true });

  // DataTree.deserializeZxidDigest / compareSnapshotDigests: the recorded digest is the tree's at
  // digest.zxid, which is the snapshot's zxid or (writes while it was written) a later logged txn.
  const snapZxid = snapFile.zxid;
  const digestWhat = snap.digest ? `snapshot digest at ${zxidHex(snap.digest.zxid)}` : 'snapshot digest';
  let pending = snap.digest;
  let snapDigestNote: string | undefined;
  if (!pending) snapDigestNote = 'none recorded in the snapshot (the server\'s first snapshot, zookeeper.digest.enabled=false, or a pre-3.6 server): not checked';
  else if (pending.version !== DIGEST_VERSION) {
    snapDigestNote = `digest version ${pending.version} (this drill computes version ${DIGEST_VERSION}): not checked`;
    pending = undefined;
  } else if (pending.zxid < snapZxid) {
    snapDigestNote = `recorded at ${zxidHex(pending.zxid)}, before the snapshot's ${zxidHex(snapZxid)} (ZooKeeper ignores it too): not checked`;
    pending = undefined;
  }
  const comparePending = (zxid: bigint): void => {
    if (!pending || zxid !== pending.zxid) return;
    const got = tree.digest;
    checks.push(got === pending.digest
      ? { what: digestWhat, ok: true }
      : { what: digestWhat, ok: false, detail: `digest mismatch: the snapshot recorded ${hex(pending.digest)}, the restored tree's digest is ${hex(got)} (a znode's data or stat differs from what the server had)` });
    pending = undefined;
  };
  comparePending(snapZxid);

  // FileTxnSnapLog.fastForwardFromEdits: every txn after the snapshot's zxid, in log order.
  const stats: ApplyStats = { ignoredErrors: 0 };
  let lastZxid = snapZxid;
  let mismatch: string | undefined;
  let mismatches = 0;
  try {
    for (const log of logs) {
      signal?.throwIfAborted();
      const buf = await readFile(join(dir, log.name));
      for (const rec of readTxnLog(buf, `version-2/${log.name}`)) {
        const zxid = rec.hdr.zxid;
        if (zxid <= snapZxid) continue;
        if (zxid <= lastZxid) throw new Error(`version-2/${log.name}: txn ${zxidHex(zxid)} after ${zxidHex(lastZxid)} (out of order)`);
        applyTxn(tree, sessions, rec, stats);
        lastZxid = zxid;
        result.txns++;
        comparePending(zxid);
        // DataTree.compareDigest: not while the tree is still fuzzy (before the snapshot's digest zxid).
        if (pending || !rec.digest || rec.digest.version !== DIGEST_VERSION) continue;
        result.digestsCompared++;
        if (rec.digest.treeDigest !== tree.digest) {
          mismatches++;
          mismatch ??= `txn ${zxidHex(zxid)} in version-2/${log.name}: recorded digest ${hex(rec.digest.treeDigest)}, the replayed tree's is ${hex(tree.digest)}`;
        }
      }
    }
  } catch (err) {
    if (signal?.aborted) throw err;
    return fail(`replay of ${logs.length} transaction log${logs.length === 1 ? '' : 's'}`, (err as Error).message);
  }

  if (pending) {
    const p = pending as { zxid: bigint };
    snapDigestNote = `recorded at ${zxidHex(p.zxid)}, past the archive's last txn ${zxidHex(lastZxid)}: the snapshot was written under writes and the archive holds no logs to reach that point; not checked`;
  }
  if (snapDigestNote) checks.push({ what: digestWhat, ok: true, detail: snapDigestNote });
  if (logs.length) {
    const what = `transaction digests: ${result.digestsCompared} of ${result.txns} replayed txns compared`;
    checks.push(mismatch ? { what, ok: false, detail: `digest mismatch on ${mismatches} txn${mismatches === 1 ? '' : 's'}; first: ${mismatch}` } : { what, ok: true });
  }
  // The running sum against a recomputation: catches a slip in this drill's own bookkeeping.
  const full = tree.recomputeDigest();
  if (full !== tree.digest) checks.push({ what: 'digest bookkeeping', ok: false, detail: `running digest ${hex(tree.digest)} != recomputed ${hex(full)} (a bug in the drill)` });

  const broken = tree.checkStructure();
  let ephemerals = 0;
  for (const set of tree.ephemerals.values()) ephemerals += set.size;
  checks.push(broken
    ? { what: `znodes: ${tree.size}`, ok: false, detail: `the replayed tree is inconsistent: ${broken}` }
    : { what: `znodes: ${tree.size} (${ephemerals} ephemeral, ${sessions.size} sessions${stats.ignoredErrors ? `, ${stats.ignoredErrors} replayed ops ignored as ZooKeeper does over a fuzzy snapshot` : ''})`, ok: true });
  checks.push(lastZxid === manifestLastZxid
    ? { what: `last zxid ${zxidHex(lastZxid)} = manifest`, ok: true }
    : { what: 'last zxid', ok: false, detail: `the replayed data ends at ${zxidHex(lastZxid)}, the archive's manifest says ${zxidHex(manifestLastZxid)}` });
  Object.assign(result, { znodes: tree.size, ephemerals, sessions: sessions.size, lastZxid });
  return result;
}
