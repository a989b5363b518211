/**
 * The WebHDFS wire: the JSON shapes the NameNode answers (Hadoop's JsonUtil) and how an error
 * answer becomes a WebHdfsError, shared by the client (./webhdfs.ts) and its streaming writes
 * (./webhdfs-write.ts). Reference:
 * https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-hdfs/WebHDFS.html
 */

import { redactSecrets } from '../model/errors.js';

export interface WebHdfsOptions {
  /** e.g. http://nn.prod:9870 (with nameNodes: the first of them) */
  baseUrl: string;
  /** sent as user.name (simple auth); omitted when undefined, and never sent with `token` */
  user?: string | undefined;
  /** per-request timeout in ms (default 30 s) */
  timeoutMs?: number;
  /** HA: the NameNodes of one nameservice, tried through the active one (./namenodes.ts) */
  nameNodes?: { key: string; names: string[]; urls: string[] };
  /** PEM CA bundle trusted for https:// NameNodes and DataNodes (the cluster's ca_bundle) */
  ca?: Buffer;
  /**
   * Kerberos: the delegation token each request carries as delegation= (./dtoken.ts). Called with the
   * token the NameNode just refused, it returns a fresh one.
   */
  token?: (refused?: string) => Promise<string>;
  /** for messages: the cluster's name and its ca_bundle path */
  cluster?: string;
  caBundle?: string;
}

export interface FileStatus {
  pathSuffix: string;
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK';
  length: number;
  owner: string;
  group: string;
  permission: string;
  modificationTime: number;
  accessTime: number;
  replication: number;
  blockSize: number;
  fileId: number;
  childrenNum: number;
  snapshotEnabled?: boolean;
}

export interface ContentSummary {
  directoryCount: number;
  fileCount: number;
  length: number;
  spaceConsumed: number;
  quota: number;
  spaceQuota: number;
  snapshotLength?: number;
  snapshotFileCount?: number;
  snapshotDirectoryCount?: number;
}

/** GETQUOTAUSAGE (JsonUtil.toJsonMap(QuotaUsage)): -1 = no quota; typeQuota lists only the storage types with one. */
export interface QuotaUsage {
  fileAndDirectoryCount: number;
  quota: number;
  spaceConsumed: number;
  spaceQuota: number;
  typeQuota?: Record<string, { quota: number; consumed: number }>;
}

/** GETSERVERDEFAULTS (JsonUtil.toJsonMap(FsServerDefaults)), the fields hbr reads. */
export interface ServerDefaults {
  blockSize: number;
  replication: number;
  /** fs.trash.interval of the NameNode, minutes; 0 = no trash */
  trashInterval: number;
}

export interface FileChecksum {
  algorithm: string;
  bytes: string;
  length: number;
}

export interface SnapshotDiffEntry {
  type: 'CREATE' | 'DELETE' | 'MODIFY' | 'RENAME';
  /** path relative to the snapshot root, as WebHDFS returns it (e.g. "a/b.txt", "" for the root) */
  sourcePath: string;
  targetPath?: string;
}

export interface SnapshotDiffReport {
  snapshotRoot: string;
  fromSnapshot: string;
  toSnapshot: string;
  diffList: SnapshotDiffEntry[];
}

/**
 * One entry of GETSNAPSHOTTABLEDIRECTORYLIST, as hadoop-hdfs JsonUtil.toJsonMap(SnapshottableDirectoryStatus)
 * writes it: no full path, but the parent's and the directory's own name (dirStatus.pathSuffix);
 * see `snapshottablePath`.
 */
export interface SnapshottableDirectory {
  snapshotNumber: number;
  snapshotQuota: number;
  /** null for the root directory */
  parentFullPath: string | null;
  dirStatus: FileStatus;
}

/** The full path of a snapshottable directory list entry. */
export function snapshottablePath(d: SnapshottableDirectory): string {
  const parent = d.parentFullPath ?? '';
  const name = d.dirStatus.pathSuffix;
  if (!name) return parent || '/';
  return parent === '/' || parent === '' ? `/${name}` : `${parent}/${name}`;
}

export interface SnapshotStatus {
  snapshotID: number;
  deletionStatus: 'ACTIVE' | 'DELETED';
  fullPath: string;
  parentFullPath: string;
  dirStatus: FileStatus;
}

/** A WebHDFS RemoteException, or a transport failure, with the operation that caused it. */
export class WebHdfsError extends Error {
  constructor(
    message: string,
    readonly op: string,
    readonly path: string,
    readonly status: number | undefined,
    /** e.g. "FileNotFoundException", "SnapshotException"; undefined for transport errors */
    readonly exception: string | undefined,
    /** a transport failure's Node code (ECONNREFUSED, SELF_SIGNED_CERT_IN_CHAIN, …) */
    readonly code?: string,
  ) {
    super(redactSecrets(message));
    this.name = 'WebHdfsError';
  }
  get notFound(): boolean {
    return this.status === 404 || this.exception === 'FileNotFoundException';
  }
}

/** The RemoteException of an error answer's JSON body, if it has one. */
export function remoteException(text: string): { exception: string; message: string } | undefined {
  try {
    const e = (JSON.parse(text) as { RemoteException?: { exception: string; message: string } }).RemoteException;
    return e && typeof e.exception === 'string' ? e : undefined;
  } catch {
    return undefined;
  }
}

/** An error answer (status >= 400) as a WebHdfsError naming the operation, the path and the exception. */
export async function toError(res: Response, op: string, path: string): Promise<WebHdfsError> {
  const text = await res.text().catch(() => '');
  const e = remoteException(text);
  return e
    ? new WebHdfsError(`${op} ${path}: ${e.exception}: ${firstLine(e.message)}`, op, path, res.status, e.exception)
    : new WebHdfsError(`${op} ${path}: HTTP ${res.status} ${firstLine(text)}`, op, path, res.status, undefined);
}

export function firstLine(s: string): string {
  return (s.split('\n')[0] ?? '').slice(0, 300);
}
