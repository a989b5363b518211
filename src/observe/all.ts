/**
 * Observes everything the (targeted) policies name: each system observes its own policies, all in
 * parallel, merged into one Observed. The one entry point of `hbr plan`/`apply` and the daemon.
 */
import { stripUserinfo } from '../model/errors.js';
import type { Observed, UnfinishedStep } from '../model/observed.js';
import type { Config } from '../model/policy.js';
import { SYSTEMS, policiesOf } from '../systems/index.js';
import type { ObservedPart } from '../systems/types.js';

export interface ObserveAllOptions {
  /** limit to these policies */
  targets?: string[];
  /** journal intents without an outcome, passed through to the planner */
  unfinished?: UnfinishedStep[];
  /** the clock (Observed.at) */
  now?: () => number;
  /** per request, ms */
  timeoutMs?: number;
}

export async function observeAll(config: Config, opts: ObserveAllOptions = {}): Promise<Observed> {
  const parts = await Promise.all(
    SYSTEMS.map((system) => {
      const policies = policiesOf(config, system, opts.targets?.length ? opts.targets : undefined);
      if (policies.length === 0) return Promise.resolve<ObservedPart>({ errors: [] });
      return system.observe(config, policies, { ...(opts.timeoutMs && { timeoutMs: opts.timeoutMs }), ...(opts.now && { now: opts.now }) });
    }),
  );
  const observed: Observed = { at: (opts.now ?? Date.now)(), dirs: {}, stores: {}, unfinished: opts.unfinished ?? [], errors: [] };
  for (const [i, part] of parts.entries()) {
    if (part.part !== undefined) (observed.parts ??= {})[SYSTEMS[i]!.name] = part.part;
    Object.assign(observed.dirs, part.dirs);
    Object.assign(observed.stores!, part.stores);
    // These messages reach `hbr plan`, saved plans, /status, webhooks and logs: no URL credentials.
    observed.errors.push(...part.errors.map((e) => ({ ...e, message: stripUserinfo(e.message) })));
  }
  return observed;
}
