/**
 * Observes everything the (targeted) policies name: HDFS directories and store listings, in
 * parallel, merged into one Observed. The one entry point of `hbr plan`/`apply` and the daemon.
 */
import type { Observed, UnfinishedStep } from '../model/observed.js';
import type { Config } from '../model/policy.js';
import { observeHdfs } from './hdfs/observe.js';
import { observeStores } from './store.js';

export interface ObserveAllOptions {
  /** limit to these policies */
  targets?: string[];
  /** journal intents without an outcome, passed through to the planner */
  unfinished?: UnfinishedStep[];
  /** the clock (Observed.at) */
  now?: () => number;
  /** per WebHDFS request, ms */
  timeoutMs?: number;
}

export async function observeAll(config: Config, opts: ObserveAllOptions = {}): Promise<Observed> {
  const t = opts.targets?.length ? { targets: opts.targets } : {};
  const [hdfs, stores] = await Promise.all([
    observeHdfs(config, {
      ...t,
      ...(opts.unfinished && { unfinished: opts.unfinished }),
      ...(opts.now && { now: opts.now }),
      ...(opts.timeoutMs && { timeoutMs: opts.timeoutMs }),
    }),
    observeStores(config, t),
  ]);
  return { ...hdfs, stores: stores.stores, errors: [...hdfs.errors, ...stores.errors] };
}
