/**
 * What every DistCp copy of a policy carries over besides the bytes (docs/policies.md, "preserve"):
 * one `-p<letters>` argument built here and nowhere else, so replication (bootstrap, -diff,
 * repair, re-sync), restore and any later copy (failback) preserve the same attributes.
 *
 * DistCp's letters (hadoop-tools/hadoop-distcp/src/main/java/org/apache/hadoop/tools/DistCpOptions.java,
 * FileAttribute): r replication, b block size, u user, g group, p permission, c checksum type,
 * a ACL, x xattr, t timestamps. With -update, DistCp compares length and checksum; a block size
 * that differs makes HDFS checksums (MD5 of per-block MD5s of CRCs) differ for equal bytes, so
 * `block-size` (and `checksum-type`) keep -update's skip of unchanged files working, and restores'
 * checksum verification meaningful.
 *
 * ACLs and xattrs: DistCp refuses to start when -pa / -px is asked and either file system does not
 * support them (CopyListing.validatePaths → DistCpUtils.checkFileSystemAclSupport /
 * checkFileSystemXAttrSupport: "ACLs not supported for file system"). The NameNode switches are
 * dfs.namenode.acls.enabled and dfs.namenode.xattrs.enabled (both true by default since Hadoop 3.3;
 * hdfs-default.xml). So `a` and `x` are dropped when a side says it is off, and the plan says so.
 */
import type { HdfsCluster } from '../../hadoop/cluster.js';
import { readNameNodeConf } from '../../hadoop/health.js';

/** The attribute names a policy's `preserve` lists, with DistCp's letter for each, in DistCp's order. */
export const PRESERVE_ATTRS = {
  replication: 'r',
  'block-size': 'b',
  user: 'u',
  group: 'g',
  permission: 'p',
  'checksum-type': 'c',
  acl: 'a',
  xattr: 'x',
  times: 't',
} as const;

export type PreserveAttr = keyof typeof PRESERVE_ATTRS;
export const ALL_PRESERVE = Object.keys(PRESERVE_ATTRS) as PreserveAttr[];

/** What a NameNode supports of what DistCp may be asked to preserve; undefined = could not tell. */
export interface FsFeatures {
  acls?: boolean;
  xattrs?: boolean;
}

/** Attributes wanted but not supported by one of the clusters (`acl`, `xattr`), each with why. */
export function unsupported(wanted: readonly PreserveAttr[], sides: Array<{ name: string; features: FsFeatures | undefined }>): Array<{ attr: PreserveAttr; why: string }> {
  const out: Array<{ attr: PreserveAttr; why: string }> = [];
  const check = (attr: PreserveAttr, key: keyof FsFeatures, conf: string) => {
    if (!wanted.includes(attr)) return;
    const off = sides.filter((s) => s.features?.[key] === false).map((s) => s.name);
    if (off.length) out.push({ attr, why: `${conf}=false on ${off.join(' and ')}` });
  };
  check('acl', 'acls', 'dfs.namenode.acls.enabled');
  check('xattr', 'xattrs', 'dfs.namenode.xattrs.enabled');
  return out;
}

/** DistCp's `-p…` argument for these attributes minus the unsupported ones; none when nothing is preserved. */
export function preserveArgs(wanted: readonly PreserveAttr[], drop: readonly PreserveAttr[] = []): string[] {
  const letters = ALL_PRESERVE.filter((a) => wanted.includes(a) && !drop.includes(a))
    .map((a) => PRESERVE_ATTRS[a])
    .join('');
  return letters ? [`-p${letters}`] : [];
}

/**
 * Observes a NameNode's ACL and xattr switches through its /conf servlet (src/hadoop/health.ts).
 * A servlet that cannot be read leaves them unknown: DistCp is then asked anyway, and says itself
 * if they are off.
 */
export async function observeFeatures(cluster: HdfsCluster, timeoutMs?: number): Promise<FsFeatures> {
  const [acls, xattrs] = await Promise.all([
    readNameNodeConf(cluster, 'dfs.namenode.acls.enabled', timeoutMs),
    readNameNodeConf(cluster, 'dfs.namenode.xattrs.enabled', timeoutMs),
  ]);
  const bool = (v: string | undefined) => (v === undefined ? undefined : v.trim().toLowerCase() === 'true');
  const out: FsFeatures = {};
  const a = bool(acls);
  const x = bool(xattrs);
  if (a !== undefined) out.acls = a;
  if (x !== undefined) out.xattrs = x;
  return out;
}
