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
import { activeJmx } from './health.js';

const NAMENODE_INFO_BEAN = 'Hadoop:service=NameNode,name=NameNodeInfo';
const FSNAMESYSTEM_BEAN = 'Hadoop:service=NameNode,name=FSNamesystem';

export interface CorruptFiles {
  /** MissingBlocks + CorruptBlocks (FSNamesystem bean) */
  badBlocks: number;
  /** the files, with the block ids the NameNode names; [] when badBlocks is 0 */
  files: Array<{ path: string; blockId: number }>;
  /** the list could not tell which files (empty despite a count, or at the 500 cap) */
  incomplete?: string;
}

export async function readCorruptFiles(cluster: HdfsCluster, timeoutMs = 10_000): Promise<CorruptFiles> {
  // One request while healthy: the FSNamesystem counts (the bean ./health.ts reads; not
  // observeHdfsHealth itself, which also asks /conf for the trash interval).
  const fsn = await readBean(cluster, FSNAMESYSTEM_BEAN, timeoutMs);
  const count = (k: string) => (typeof fsn[k] === 'number' && Number.isSafeInteger(fsn[k]) ? (fsn[k] as number) : undefined);
  const missing = count('MissingBlocks');
  const corrupt = count('CorruptBlocks');
  if (missing === undefined || corrupt === undefined) throw new Error(`${FSNAMESYSTEM_BEAN} of cluster '${cluster.name}': no MissingBlocks / CorruptBlocks counts`);
  const badBlocks = missing + corrupt;
  if (badBlocks === 0) return { badBlocks, files: [] };
  const info = await readBean(cluster, NAMENODE_INFO_BEAN, timeoutMs);
  if (typeof info.CorruptFiles !== 'string') throw new Error(`NameNodeInfo of cluster '${cluster.name}': no CorruptFiles in the answer`);
  const files = parseCorruptFiles(info.CorruptFiles);
  const out: CorruptFiles = { badBlocks, files };
  if (files.length === 0) out.incomplete = `the NameNode counts ${badBlocks} missing or corrupt block(s) but its CorruptFiles list is empty (it could not tell)`;
  else if (files.length >= 500) out.incomplete = `CorruptFiles is at its cap (dfs.corruptfilesreturned.max, 500): more files may be damaged`;
  return out;
}

/** One bean of the active NameNode's /jmx JSON servlet (its auth, CA bundle and HA as ./health.ts reads it). */
async function readBean(cluster: HdfsCluster, bean: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const what = `${bean} of cluster '${cluster.name}'`;
  const { jmx } = await activeJmx(cluster, timeoutMs, undefined, bean);
  const beans = (jmx as { beans?: unknown } | null)?.beans;
  const found = Array.isArray(beans) ? (beans as Array<Record<string, unknown>>).find((b) => b?.name === bean) : undefined;
  if (!found) throw new Error(`${what}: not in the answer (not a NameNode, or it is still starting)`);
  return found;
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
