/**
 * Which files the NameNode knows have a block with no live replica (missing, or every replica
 * corrupt), read from JMX without a superuser (docs/design/blocks-proposal.md §3.2 (a), from the
 * Hadoop 3.4.3 classes):
 *   GET <webhdfs>/jmx?qry=Hadoop:service=NameNode,name=NameNodeInfo
 *   → { "beans": [ { "name": "Hadoop:service=NameNode,name=NameNodeInfo",
 *                    "CorruptFiles": "[\"blk_1073741826\\t1\\t/src/a.bin\"]", "CorruptFilesCount": 1, … } ] }
 * CorruptFiles is a JSON-encoded string of `blk_<id>\t<replication or EC policy>\t<path>` entries
 * (no generation stamp): 3.4.3's FSNamesystem$CorruptFileBlockInfo.toString (FSNamesystem.java
 * l.6177-6178, read with javap from the test bed's jar) writes block name, replication (or the EC
 * policy's name) and path; older releases wrote `blk_<id>\t<path>`, which is parsed too.
 * FSNamesystem.getCorruptFilesList → listCorruptFileBlocks("/", null), capped at
 * dfs.corruptfilesreturned.max (500). That method catches IOException and returns "[]", so "[]"
 * while the FSNamesystem bean counts missing or corrupt blocks means "could not tell".
 * The counts are ./health.ts's (FSNamesystem MissingBlocks, CorruptBlocks).
 */
import type { HdfsCluster } from './cluster.js';
import { observeHdfsHealth } from './health.js';
import { transportReason } from '../model/errors.js';

const NAMENODE_INFO_BEAN = 'Hadoop:service=NameNode,name=NameNodeInfo';

export interface CorruptFiles {
  /** MissingBlocks + CorruptBlocks (FSNamesystem bean) */
  badBlocks: number;
  /** the files, with the block ids the NameNode names; [] when badBlocks is 0 */
  files: Array<{ path: string; blockId: number }>;
  /** the list could not tell which files (empty despite a count, or at the 500 cap) */
  incomplete?: string;
}

export async function readCorruptFiles(cluster: HdfsCluster, timeoutMs = 10_000): Promise<CorruptFiles> {
  const health = await observeHdfsHealth(cluster, { timeoutMs });
  const badBlocks = health.missingBlocks + health.corruptBlocks;
  if (badBlocks === 0) return { badBlocks, files: [] };
  const u = new URL(cluster.webhdfs.replace(/\/+$/, '') + '/jmx');
  u.searchParams.set('qry', NAMENODE_INFO_BEAN);
  if (cluster.user !== undefined) u.searchParams.set('user.name', cluster.user);
  const what = `NameNodeInfo of cluster '${cluster.name}'`;
  let body: unknown;
  try {
    const res = await fetch(u, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`HTTP ${res.status}`);
    }
    body = await res.json();
  } catch (err) {
    throw new Error(`${what}: ${transportReason(err)}`);
  }
  const beans = (body as { beans?: unknown } | null)?.beans;
  const bean = Array.isArray(beans) ? (beans as Array<Record<string, unknown>>).find((b) => b?.name === NAMENODE_INFO_BEAN) : undefined;
  if (!bean || typeof bean.CorruptFiles !== 'string') throw new Error(`${what}: no CorruptFiles in the answer`);
  const files = parseCorruptFiles(bean.CorruptFiles);
  const out: CorruptFiles = { badBlocks, files };
  if (files.length === 0) out.incomplete = `the NameNode counts ${badBlocks} missing or corrupt block(s) but its CorruptFiles list is empty (it could not tell)`;
  else if (files.length >= 500) out.incomplete = `CorruptFiles is at its cap (dfs.corruptfilesreturned.max, 500): more files may be damaged`;
  return out;
}

/** `"[\"blk_1\\t/a\"]"` → [{ path: '/a', blockId: 1 }]; entries that do not parse are left out. */
export function parseCorruptFiles(raw: string): Array<{ path: string; blockId: number }> {
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  const out: Array<{ path: string; blockId: number }> = [];
  for (const e of list) {
    const m = typeof e === 'string' ? /^blk_(-?\d+)\t(?:[^\t/]*\t)?(\/.*)$/.exec(e) : null;
    if (m) out.push({ blockId: Number(m[1]), path: m[2]! });
  }
  return out;
}
