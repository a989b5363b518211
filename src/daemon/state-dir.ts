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
import { setTokenStateDir } from '../hadoop/dtoken.js';
import { reapOrphanApps } from '../hadoop/yarn-reap.js';
import type { UnfinishedStep } from '../model/observed.js';
import { supersedingKinds } from '../systems/index.js';

export async function openStateDir(stateDir: string, command: string, log: Logger): Promise<{ lock: Lock; leftovers: UnfinishedStep[] }> {
  mkdirSync(stateDir, { recursive: true });
  setTokenStateDir(stateDir); // delegation tokens are cached under it (docs/security.md)
  const lock = acquireLock(stateDir, command);
  for (const r of reapOrphans(stateDir, (m) => log.warn(m))) log.warn({ step: r.step, pid: r.pid }, 'stopped a child process left running by an earlier hbr');
  for (const a of await reapOrphanApps(stateDir, (m) => log.warn(m))) log.warn({ step: a.step, apps: a.killed }, 'killed YARN jobs left running by an earlier hbr');
  if (clearScratch(stateDir)) log.warn('removed temporary files an earlier hbr left in its state dir');
  const c = compactJournal(stateDir); // before the journal is opened
  if (c.dropped) log.info(c, 'journal compacted');
  const leftovers = readUnfinished(stateDir, supersedingKinds);
  for (const u of leftovers) log.warn({ policy: u.policy, step: u.stepId, kind: u.kind }, 'a step of an earlier run has no outcome (the process died); its policy is observed and repaired first');
  return { lock, leftovers };
}
