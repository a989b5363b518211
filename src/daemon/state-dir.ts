/**
 * What a daemon does with its state dir before it observes anything (docs/daemon.md): takes the
 * lock, stops what an interrupted hbr left running (child processes, and their YARN jobs through
 * the ResourceManager: src/hadoop/children.ts, src/hadoop/yarn-reap.ts), removes its scratch
 * files, compacts the journal (it only grows; a long-lived daemon starts from its tail) and reads
 * the steps that have no outcome, which their policies' first runs observe and repair.
 */
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { compactJournal, readUnfinished } from '../engine/journal.js';
import { acquireLock, type Lock } from '../engine/lock.js';
import { clearScratch } from '../engine/scratch.js';
import { reapOrphans } from '../hadoop/children.js';
import { isHdfsCluster } from '../hadoop/cluster.js';
import { yarnSweep } from '../hadoop/distcp-access.js';
import { setTokenStateDir } from '../hadoop/dtoken.js';
import { reapOrphanApps } from '../hadoop/yarn-reap.js';
import type { UnfinishedStep } from '../model/observed.js';
import type { Config } from '../model/policy.js';
import { supersedingKinds } from '../systems/index.js';

export async function openStateDir(stateDir: string, command: string, log: Logger): Promise<{ lock: Lock; leftovers: UnfinishedStep[] }> {
  mkdirSync(stateDir, { recursive: true });
  setTokenStateDir(stateDir); // delegation tokens are cached under it (docs/security.md)
  const lock = acquireLock(stateDir, command);
  reapChildren(stateDir, log);
  for (const a of await reapOrphanApps(stateDir, (m) => log.warn(m))) log.warn({ step: a.step, apps: a.killed }, 'killed YARN jobs left running by an earlier hbr');
  if (clearScratch(stateDir)) log.warn('removed temporary files an earlier hbr left in its state dir');
  const c = compactJournal(stateDir); // before the journal is opened
  if (c.dropped) log.info(c, 'journal compacted');
  const leftovers = readUnfinished(stateDir, supersedingKinds);
  for (const u of leftovers) log.warn({ policy: u.policy, step: u.stepId, kind: u.kind }, 'a step of an earlier run has no outcome (the process died); its policy is observed and repaired first');
  return { lock, leftovers };
}

/**
 * When a daemon becomes leader (docs/daemon.md): stops the child processes a previous term of ours
 * (or a crashed predecessor on this host) left, then kills, through each ResourceManager the policies'
 * clusters run DistCp on, every unfinished job carrying this deployment's owner tag — with
 * coordination the ZooKeeper path's, so also the jobs of a leader that died mid-copy and may still
 * be writing into a DR target (src/hadoop/distcp-access.ts `yarnSweep`). Only the leader calls it:
 * it holds the apply lock. Never throws; an RM that cannot be reached is logged, and the loops start
 * anyway: a copy needs that RM too, so none runs there.
 */
export async function reapBeforeLeading(config: Config, stateDir: string, hadoop: string, log: Logger): Promise<void> {
  reapChildren(stateDir, log);
  const co = config.coordination;
  const sweep = yarnSweep(Object.values(config.clusters).filter(isHdfsCluster), { stateDir, hadoop, ...(co && { coordination: co.zookeeper }) });
  if (sweep.length === 0) return;
  const t0 = Date.now();
  const killed = await reapOrphanApps(stateDir, (m) => log.warn({ component: 'yarn' }, m), sweep);
  for (const a of killed) log.warn({ component: 'yarn', step: a.step, apps: a.killed }, `killed YARN job(s) ${a.killed.join(', ')} left running by an earlier leader or run`);
  log.info({ component: 'yarn', ms: Date.now() - t0, resourceManagers: sweep.map((s) => s.rm.webapp) }, "swept this deployment's unfinished YARN jobs before leading");
}

/** Stops the child processes an earlier hbr on this state dir left running (src/hadoop/children.ts). */
function reapChildren(stateDir: string, log: Logger): void {
  for (const r of reapOrphans(stateDir, (m) => log.warn(m))) log.warn({ step: r.step, pid: r.pid }, 'stopped a child process left running by an earlier hbr');
}
