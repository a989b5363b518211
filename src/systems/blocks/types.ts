/**
 * The HDFS block backup system's policy, store layout, manifest, observation and step types
 * (docs/blocks.md; research behind it: docs/design/blocks-proposal.md).
 *
 * hbr copies every block of the files under an HDFS path into a store, once per block, keyed by
 * block pool, block id and generation stamp; one manifest per run says which blocks make which file.
 * Everything here is rebuilt by listing the store: no local cache of remote state.
 *
 * This file is the contract between the backup path (walk, upload, manifest, gc) and the restore
 * path (restore plan, restore executor, `hbr restore blocks`): change it in one commit with both.
 */
import type { Keep, PolicyBase, Schedule } from '../../model/policy.js';
import type { Step } from '../../model/plan.js';

export interface BlocksLocation {
  cluster: string;
  /** absolute HDFS path of the directory backed up */
  path: string;
}

/** Block-level backup of one HDFS directory into a store, on a schedule, with manifest retention. */
export interface BlocksPolicy extends PolicyBase {
  kind: 'hdfs-blocks';
  source: BlocksLocation;
  backup: {
    /** store name */
    to: string;
    schedule: Schedule;
    /** a block no retained manifest references is deleted only once it is older than this, ms */
    gcGrace: number;
    /** GFS retention of the policy's manifests (the newest is never deleted) */
    keep: Keep;
    /** parallel WebHDFS requests and block uploads */
    concurrency: number;
    /** every Nth run re-reads every file's block list instead of reusing an unchanged file's (absent: never) */
    verifyEvery?: number;
    /** a run that lost or rewrote more than this share (0..1) of the newest manifest's files or bytes is held (./mass-change.ts); absent: 0.5 */
    maxChange?: number;
  };
}

export function isBlocksPolicy(p: PolicyBase | undefined): p is BlocksPolicy {
  return p !== undefined && p.kind === 'hdfs-blocks';
}

// ---------------------------------------------------------------------------------------------
// Store layout (keys relative to the store's own prefix; ./names.ts formats and parses them):
//   blocks/<blockPoolId>/<blockId>_<genStamp>          one object per block, x-amz-meta-sha256
//   manifests/<policy>/<yyyy-MM-ddTHH-mm-ssZ>.json     one per finished run, put-if-absent
//   runs/<policy>/<yyyy-MM-ddTHH-mm-ssZ>.open          written before a run's first upload, deleted
//                                                      by its manifest step: "a run is unfinished"
//   runs/<policy>/<run UTC>.<beat UTC>.beat            its heartbeat, renewed while the run works

/** One block of a file, as the manifest records it. */
export interface ManifestBlock {
  /** block id (a safe integer: EC files, whose ids are negative longs, are skipped) */
  id: number;
  /** generation stamp */
  gs: number;
  /** offset of the block in the file */
  offset: number;
  /** bytes of the block in the file */
  length: number;
  /** hex SHA-256 of the block's bytes (the store object's sha256) */
  sha256: string;
}

export interface ManifestFile {
  /** relative to the policy's source path, no leading slash ("a/b.bin") */
  path: string;
  /** HDFS inode id (fileId in LISTSTATUS): a CREATE with overwrite gives a new one */
  fileId: number;
  length: number;
  /** modificationTime, ms */
  mtime: number;
  owner: string;
  group: string;
  /** octal, as WebHDFS reports it ("644") */
  permission: string;
  replication: number;
  blockSize: number;
  /** GETFILECHECKSUM of the file when it was backed up; absent when it could not be read */
  checksum?: { algorithm: string; bytes: string; length: number };
  blocks: ManifestBlock[];
  /**
   * Set when this run skipped the file (changed during the run, a block unreadable, open for
   * write…) while its path is still live: the entry is the previous manifest's, carried forward so
   * its blocks stay referenced and a restore still finds that version (docs/blocks.md, "Manifest").
   * `from` is the manifest the version was first recorded in.
   */
  carried?: { from: string; reason: string };
}

export interface ManifestDir {
  /** relative to the source path; "" is the source directory itself */
  path: string;
  owner: string;
  group: string;
  permission: string;
  mtime: number;
}

export interface Manifest {
  version: 1;
  policy: string;
  /** the cluster's name in the policies, and the path backed up */
  cluster: string;
  path: string;
  /** the run's time, ms (also the time in the manifest's key): when it was planned */
  createdAt: number;
  /**
   * When the manifest step walked the source, ms (absent in manifests written before it was
   * recorded): each file is as the walk saw it between `start` and `end`, later than `createdAt` by
   * the run's uploads. `hbr restore blocks --at T` takes a manifest only if its walk ended at or
   * before T (restore-plan.ts chooseManifest; finding 9).
   */
  walk?: { start: number; end: number };
  blockPoolId: string;
  files: ManifestFile[];
  dirs: ManifestDir[];
  /** files not backed up by this run, and why (under construction, erasure coded, unreadable) */
  skipped: Array<{ path: string; reason: string }>;
}

// ---------------------------------------------------------------------------------------------
// Observation: Observed.parts.blocks (src/model/observed.ts). Plain JSON; only what the plan reads.

/** A file's block as the NameNode reports it now (GET_BLOCK_LOCATIONS). */
export interface LiveBlock {
  id: number;
  gs: number;
  offset: number;
  length: number;
  /** no replica (locations empty): missing; every replica corrupt (isCorrupt): corrupt */
  state: 'ok' | 'missing' | 'corrupt';
}

export interface LiveFile {
  path: string;
  fileId: number;
  length: number;
  mtime: number;
  owner: string;
  group: string;
  permission: string;
  replication: number;
  blockSize: number;
  /** reused from the newest manifest (fileId, length and mtime unchanged): not asked again this run */
  reused?: boolean;
  blocks: LiveBlock[];
}

export interface BlocksPolicyObserved {
  /** the walk of the source; undefined when the cluster could not be walked (an error says why) */
  live?: {
    blockPoolId?: string;
    files: LiveFile[];
    dirs: ManifestDir[];
    skipped: Array<{ path: string; reason: string }>;
    /** WebHDFS requests the walk made (LISTSTATUS, GET_BLOCK_LOCATIONS): its cost, for reading; the plan does not use it */
    requests?: { listStatus: number; blockLocations: number };
  };
  /**
   * Files under the source the NameNode reports with a missing or corrupt block (NameNodeInfo
   * CorruptFiles, each confirmed with GET_BLOCK_LOCATIONS: ./damage.ts); undefined when it could not tell.
   */
  damaged?: Array<{
    /** relative to the source path, as in a manifest */
    path: string;
    blocks: LiveBlock[];
    /** the file's identity now (GETFILESTATUS): its restore is planned only if the manifest's version matches */
    fileId?: number;
    length?: number;
    mtime?: number;
    /**
     * What a restored copy (a new inode) would not keep, read-only (restore-unattended.ts
     * attributeFacts): ACL bit, storage policies, xattr names. With any, the plan shows why apply
     * does not restore the file and the command that does; absent when it could not be read (the
     * executor checks it again, with the SETOWNER probe the plan cannot make).
     */
    attributes?: { aclBit?: boolean; storagePolicy?: number; parentStoragePolicy?: number; xattrs: readonly string[] };
  }>;
  /** why `damaged` may be incomplete or is unknown (the NameNode could not list the files): a plan warning */
  damageWarning?: string;
  /** the store; undefined when it could not be listed */
  store?: {
    /** the pool whose keys `blocks` holds: the walk's, else the newest manifest's (absent: neither known) */
    pool?: string;
    /** `<blockId>_<genStamp>` keys present under blocks/<pool>/, with their time (ms) */
    /** `noChecksum`: the store lists checksums (local) and this object has none (a kill between link and sidecar): uploaded again (repaired) */
    blocks: Record<string, { lastModified: number; size: number; sha256?: string; noChecksum?: true }>;
    /** manifest keys of this policy, oldest first */
    manifests: string[];
    /** the newest manifest of this policy, read whole (reuse of block lists, damaged-file restores) */
    newest?: Manifest;
    /** files and bytes of each manifest of this policy that was read and validated (the last-good floor, safety.ts) */
    sizes?: Record<string, { files: number; bytes: number }>;
    /** every block key any retained manifest of any policy in the store references ("<pool>/<id>_<gs>") */
    referenced?: string[];
    /** runs/<policy>/*.open keys: a run started and did not finish */
    openRuns: string[];
    /** runs/<policy>/<run>.<beat>.beat keys: the heartbeats of runs (safety.ts runMarkers) */
    runBeats?: string[];
    /**
     * released/<policy>/… records of the policy's deleted manifests (key → release time, ms), and
     * for each block ref a deleted manifest referenced, the newest release time: gc_grace counts
     * from it (safety.ts gcFloors). Undefined when a record could not be read (gc then holds).
     */
    released?: { records: Record<string, number>; refs: Record<string, number> };
    /** multipart uploads left under blocks/ (S3 only) */
    incompleteUploads: Array<{ key: string; uploadId: string; initiated: number }>;
  };
}

export interface BlocksObserved {
  /** by policy name */
  policies: Record<string, BlocksPolicyObserved>;
}

// ---------------------------------------------------------------------------------------------
// Steps

export const KIND = {
  /** abort multipart uploads and remove temp files a killed run left under blocks/, and stale run markers */
  sweep: 'blocks.sweep',
  /** read a batch of blocks over WebHDFS and put each into the store (put-if-absent) */
  upload: 'blocks.upload',
  /** write the run's manifest (after its uploads), then remove the run's .open marker */
  manifest: 'blocks.manifest',
  /** delete a manifest retention no longer keeps (never the newest) */
  manifestDelete: 'blocks.manifest.delete',
  /** delete blocks no retained manifest references, older than gc_grace */
  gc: 'blocks.gc',
  /** rebuild files from a manifest: write beside, verify, then rename into place */
  restore: 'blocks.restore',
} as const;

/** Parameters of the blocks step kinds. */
export type BlocksParams = {
  /** blocks.upload: the blocks, with where to read each */
  /** `fileId`: the walked file's inode; the upload requires it before OPEN and after the read (exec-upload.ts) */
  blocks?: Array<{ path: string; id: number; gs: number; offset: number; length: number; fileId?: number }>;
  /** blocks.upload, blocks.manifest: the run's time (ms; names the manifest and the .open marker); blocks.gc: the plan's time (its run markers are judged at it); blocks.manifest.delete: the plan's time (dates the release record) */
  runAt?: number;
  /** blocks.manifest.delete: the manifest key; blocks.gc: block keys ("<pool>/<id>_<gs>"); blocks.sweep: stale run markers and release records */
  keys?: string[];
  /** blocks.restore: the manifest restored from, the files (relative paths) and where they go */
  manifest?: string;
  files?: string[];
  /** blocks.restore: the directory the files are written under (default: the policy's source) */
  to?: string;
  /** blocks.restore: an existing file is replaced (the plan shows it as -/+) */
  overwrite?: boolean;
  /**
   * blocks.restore: each file's destination as the plan saw it (null: absent). The executor refuses
   * a file whose destination changed since (a different file now), unless it already is the
   * manifest's version (a re-run after a kill).
   */
  expect?: Record<string, { fileId: number; length: number; mtime: number } | null>;
  /**
   * blocks.restore planned for files with a missing or corrupt block (not asked for by an operator):
   * the executor replaces a file only while the NameNode still reports a block of it lost.
   */
  damaged?: boolean;
  /** blocks.sweep: the incomplete uploads to abort (as observed) */
  uploads?: Array<{ key: string; uploadId: string }>;
  /** blocks.manifest: the operator allowed a mass change (`--allow-overwrite <cluster>:<path>`): the executor does not hold it */
  allowMassChange?: boolean;
};

export type BlocksStep = Step<BlocksParams>;
