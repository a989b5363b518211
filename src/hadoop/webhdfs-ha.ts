/**
 * The rule for sending a WebHDFS request again on another NameNode after a failover (./namenodes.ts,
 * docs/security.md "HA"): which failures mean "not done", and per mutating op whether it is sent
 * again as is (idempotent), re-checked first on the new active, or not sent again at all.
 */
import { webhdfsRefusal } from './auth-errors.js';
import type { Outcome } from './namenodes.js';
import { WebHdfsError } from './webhdfs-wire.js';

/** The NameNode leg of these only answers with a DataNode's address: nothing changes, so it is a read. */
export const REDIRECT_ONLY = new Set(['CREATE', 'APPEND', 'OPEN', 'GETFILECHECKSUM']);

/** Sent twice, these leave the namespace as sent once (and answer the same). */
export const IDEMPOTENT = new Set(['MKDIRS', 'SETPERMISSION', 'SETOWNER', 'SETREPLICATION', 'ALLOWSNAPSHOT', 'DISALLOWSNAPSHOT', 'MODIFYACLENTRIES', 'SETTIMES']);

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN', 'ENETUNREACH']);

/** What a failed attempt on one NameNode means for trying another. */
export function classifyFailure(err: unknown): Outcome {
  if (!(err instanceof WebHdfsError)) return 'fatal';
  if (err.status === 403 && webhdfsRefusal(err.exception, err.message) === 'standby') return 'standby';
  if (err.status === 503) return 'unreachable';
  if (err.status !== undefined) return 'fatal';
  if (err.code !== undefined && UNREACHABLE.has(err.code)) return 'unreachable';
  if (err.code === undefined || ['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET', 'TimeoutError', 'ECONNABORTED'].includes(err.code)) return 'uncertain';
  return 'fatal'; // TLS and the like: another NameNode of the same cluster would say the same
}

type Stat = (base: string, path: string) => Promise<boolean>;
type Xattrs = (base: string, path: string) => Promise<Record<string, string>>;
type Done = { done: true; value: Response } | { done: false };

const json = (v: unknown): Done => ({ done: true, value: new Response(JSON.stringify(v), { status: 200, headers: { 'content-type': 'application/json' } }) });
const empty = (): Done => ({ done: true, value: new Response(null, { status: 200 }) });
const snap = (path: string, name: unknown) => `${path === '/' ? '' : path}/.snapshot/${String(name)}`;

/**
 * After a dropped connection, on the new active: was the mutation done? (the answer it would have
 * given when it was). Ops with no entry and not IDEMPOTENT are not sent again.
 */
export function recheckFor(op: string, path: string, params: Record<string, unknown>, exists: Stat, xattrs: Xattrs): ((base: string) => Promise<Done>) | undefined {
  switch (op) {
    case 'CREATESNAPSHOT':
      return async (b) => ((await exists(b, snap(path, params.snapshotname))) ? json({ Path: snap(path, params.snapshotname) }) : { done: false });
    case 'DELETESNAPSHOT':
      return async (b) => ((await exists(b, snap(path, params.snapshotname))) ? { done: false } : empty());
    case 'RENAMESNAPSHOT':
      return async (b) => ((await exists(b, snap(path, params.snapshotname))) && !(await exists(b, snap(path, params.oldsnapshotname))) ? empty() : { done: false });
    case 'DELETE':
      return async (b) => ((await exists(b, path)) ? { done: false } : json({ boolean: true }));
    case 'RENAME':
      return async (b) => (!(await exists(b, path)) && (await exists(b, String(params.destination))) ? json({ boolean: true }) : { done: false });
    case 'SETXATTR':
      return async (b) => ((await xattrs(b, path))[String(params['xattr.name'])] === String(params['xattr.value']).replace(/^"|"$/g, '') ? empty() : { done: false });
    case 'REMOVEXATTR':
      return async (b) => ((await xattrs(b, path))[String(params['xattr.name'])] === undefined ? empty() : { done: false });
    default:
      return undefined;
  }
}
