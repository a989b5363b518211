/**
 * HA from outside (issue 15; docs/security.md "HA"; docs/design/secure-proposal.md §4.1–4.2): which
 * NameNode of a nameservice is active, found by WebHDFS itself (the only probe a delegation token
 * passes: /isActive and /jmx want SPNEGO), and the failover of one request to the other NameNodes.
 *
 * The last active NameNode is kept in memory per nameservice, never persisted (level-triggered).
 * What a failed attempt means:
 *   - `standby`: 403 StandbyException. The standby refused before doing anything (its token check,
 *     DelegationTokenSecretManager.retrievePassword, calls checkOperation(READ) first; §2.6):
 *     try the next NameNode, for a read or a mutation alike.
 *   - `unreachable`: connection refused / host unknown / 503 (starting): the request never ran: try the next.
 *   - `uncertain`: the connection dropped after the request was sent (reset, timeout). A read is
 *     tried again; a mutation may or may not have been applied by the old active, and WebHDFS calls
 *     are not in the NameNode's retry cache (RetryCache.skipRetryCache: not an RPC invocation), so
 *     the caller's `recheck` looks on the new active whether it was done; without one, only an
 *     idempotent mutation is sent again, anything else fails the request (the executor, idempotent
 *     by design, converges on the next run).
 * A full round with no active NameNode waits (0.5 s doubling to 4 s, as the Java client's
 * failover sleeps) and tries again until `windowMs` (a failover takes 1–3 s: testbed/secure.md);
 * then "no active NameNode in nameservice X: nn1 (url) standby, nn2 (url) connection refused".
 */
import { WebHdfsError } from './webhdfs-wire.js';

export type Outcome = 'standby' | 'unreachable' | 'uncertain' | 'fatal';

/** What the failover loop knows of one request. */
export interface Attempt<T> {
  /** the request against one NameNode's base URL */
  run(base: string): Promise<T>;
  /** whether it changes the namespace (not a GET) */
  mutation: boolean;
  /** a mutation sent again as is gives the same result (MKDIRS, SETPERMISSION, …) */
  idempotent: boolean;
  /** after an uncertain failure of a mutation: asks the new active whether it was done; a value = done */
  recheck?: (base: string) => Promise<{ done: true; value: T } | { done: false }>;
}

const active = new Map<string, number>();

export interface NameNodeSet {
  /** the nameservice (or the cluster name) */
  key: string;
  names: string[];
  urls: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The NameNode hbr would try first (for /status and tests): the last one seen active. */
export function activeNameNode(set: NameNodeSet): string | undefined {
  const i = active.get(set.key);
  return i === undefined ? undefined : set.names[i];
}

/** Run `a` through the active NameNode of `set`, failing over as the file's comment says. */
export async function throughActive<T>(set: NameNodeSet, a: Attempt<T>, classify: (err: unknown) => Outcome, windowMs = 30_000): Promise<T> {
  const n = set.urls.length;
  const deadline = Date.now() + windowMs;
  let uncertainMutation = false;
  for (let round = 0; ; round++) {
    const seen: string[] = [];
    const start = active.get(set.key) ?? 0;
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n;
      const base = set.urls[i]!;
      if (uncertainMutation && !a.recheck && !a.idempotent) {
        throw new WebHdfsError(`the connection to the active NameNode of ${set.key} dropped during a request that changes the namespace; it is not sent again blindly (WebHDFS has no retry cache): the next run observes and converges`, 'FAILOVER', '', undefined, 'UncertainMutation');
      }
      try {
        if (uncertainMutation && a.recheck) {
          const r = await a.recheck(base);
          if (r.done) {
            active.set(set.key, i);
            return r.value;
          }
        }
        const v = await a.run(base);
        active.set(set.key, i);
        return v;
      } catch (err) {
        const o = classify(err);
        if (o === 'fatal' || n === 1) throw err;
        if (o === 'uncertain' && a.mutation) uncertainMutation = true;
        seen.push(`${set.names[i]} (${base}) ${o === 'standby' ? 'standby' : (err as Error).message.replace(/^.*?: /, '')}`);
      }
    }
    if (Date.now() >= deadline) {
      throw new WebHdfsError(`no active NameNode in nameservice ${set.key}: ${seen.join(', ')}`, 'FAILOVER', '', undefined, 'NoActiveNameNode');
    }
    await sleep(Math.min(500 * 2 ** round, 4000, Math.max(0, deadline - Date.now())));
  }
}
