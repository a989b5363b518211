/**
 * Executor of retention's chain delete (./retention.ts): read the sessions again, check the ids are
 * still one whole chain that is not the newest and that HBase's cascade stays inside it, run
 * `hbase backup delete -l <ids>`, and observe that every id is gone (the command exits 0 when it
 * deleted nothing or was locked out, printing "Deleted -1 backups": docs/design/hbase-notes.md).
 * Idempotent: ids already gone are not asked for again.
 */
import type { Executor } from '../types.js';
import { chainsOf } from './chains.js';
import { failureText, runHbase } from './cli.js';
import { sameRoot } from './observe.js';
import { rootUri } from './load.js';
import { HbaseRest } from './rest.js';
import { cascadeEscapes, chainIds } from './retention.js';
import { hbaseClusterOf } from './steps.js';
import { isHbasePolicy, type DeleteParams, type ObservedBackup } from './types.js';

export const deleteChain: Executor<DeleteParams> = async (step, ctx) => {
  const p = ctx.config.policies[step.policy];
  const root = isHbasePolicy(p) ? rootUri(ctx.config, p) : undefined;
  if (!isHbasePolicy(p) || !root) throw new Error(`policy ${step.policy} is not an hbase policy`);
  const cluster = hbaseClusterOf(ctx.config, step.params.hbase);
  const rest = new HbaseRest(cluster.rest);
  const sessions = async (): Promise<ObservedBackup[]> => (await rest.sessions()).filter((s) => sameRoot(s.root, root)).map((s) => ({ ...s, image: 'unchecked' as const }));
  const before = await sessions();
  const left = step.params.ids.filter((id) => before.some((s) => s.id === id));
  if (!left.length) return { note: 'already deleted' };
  if (before.some((s) => s.state === 'RUNNING') || (await rest.locked())) throw new Error('a backup session is RUNNING or the backup lock is held: not deleting');
  // The chain as it stands now (images are not looked at here: membership is by state, type and time).
  const chains = chainsOf(before.map((s) => ({ ...s, image: 'ok' as const })));
  const chain = chains.find((c) => c.full.id === step.params.ids[0]);
  if (chain && JSON.stringify(chainIds(chain)) !== JSON.stringify(step.params.ids)) throw new Error(`the chain of ${chain.full.id} is now ${chainIds(chain).join(',')}, not the planned ${step.params.ids.join(',')}: plan again`);
  if (chain && chains[chains.length - 1] === chain) throw new Error(`the chain of ${chain.full.id} is the newest: not deleting`);
  const escapes = cascadeEscapes(left, before);
  if (escapes.length) throw new Error(`hbase backup delete of ${left.join(',')} would cascade to ${escapes.map((e) => e.id).join(', ')}: not deleting`);

  const r = await runHbase(ctx, cluster, 'backup', ['delete', '-l', left.join(',')], step.id);
  const printed = /Deleted (-?\d+) backups/.exec(r.output)?.[1];
  const after = await sessions();
  const still = left.filter((id) => after.some((s) => s.id === id));
  if (still.length) throw new Error(`hbase backup delete left ${still.join(', ')} (printed "Deleted ${printed ?? '?'} backups", exit ${r.code ?? r.signal}): ${failureText(r.output)}`);
  return { note: `deleted ${left.join(', ')} (HBase: "Deleted ${printed ?? '?'} backups")` };
};
