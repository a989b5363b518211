/**
 * The ledger of remote drill scratch (docs/drills.md, "Scratch a killed drill left"). A drill that
 * makes a scratch place on a cluster (System.drill: an HDFS drill restores into a directory beside
 * the DR target) records it here *before* making it and forgets it only *after* removing it, in
 * `<state-dir>/drills/scratch/<id>.json`. A drill killed in between leaves the record; the next
 * drill of the same policy removes what it left beside its own targets, but a policy since removed,
 * a `verify:` dropped or a target moved has no next drill there: its scratch (a full copy of the
 * tree) would stay on the DR cluster forever. `sweepDrillScratch` removes every recorded place
 * whose drill is no longer running, through the system that made it (System.removeDrillScratch,
 * which checks the name is a drill scratch before it deletes anything).
 *
 * A record belongs to a running drill while the process that wrote it is alive (same pid *and* the
 * same command line, so a recycled pid is not mistaken for it) and, in this process, while the
 * drill that wrote it has not finished. Runs from a drill (runDrill) and when a daemon starts to lead.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../model/policy.js';
import { cmdline } from '../hadoop/children.js';
import { systemForPolicyKind } from '../systems/index.js';
import type { DrillScratchRef } from '../systems/types.js';
import { writeFileDurable } from './journal.js';

export interface ScratchRecord {
  id: string;
  policy: string;
  /** the policy kind whose system made it (and removes it) */
  kind: string;
  ref: DrillScratchRef;
  pid: number;
  cmdline: string;
  recordedAt: string;
}

/** Records of this process whose drill is still running (ids). */
const inFlight = new Set<string>();

function dir(stateDir: string): string {
  return join(stateDir, 'drills', 'scratch');
}

function ownCmdline(): string {
  return cmdline(process.pid) ?? process.argv.join(' ');
}

/** Records a scratch place before it is made; returns the id to forget it by. Durable (fsynced). */
export function recordDrillScratch(stateDir: string, policy: string, kind: string, ref: DrillScratchRef): string {
  const id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  mkdirSync(dir(stateDir), { recursive: true, mode: 0o700 });
  const rec: ScratchRecord = { id, policy, kind, ref, pid: process.pid, cmdline: ownCmdline(), recordedAt: new Date().toISOString() };
  inFlight.add(id);
  writeFileDurable(join(dir(stateDir), `${id}.json`), JSON.stringify(rec) + '\n');
  return id;
}

/** Forgets a record once its place is removed. */
export function forgetDrillScratch(stateDir: string, id: string): void {
  rmSync(join(dir(stateDir), `${id}.json`), { force: true });
  inFlight.delete(id);
}

/** The drill that wrote this record has finished (its place is removed or left to the sweep). */
export function drillScratchDone(id: string): void {
  inFlight.delete(id);
}

function running(r: ScratchRecord): boolean {
  if (r.pid === process.pid) return inFlight.has(r.id);
  const cmd = cmdline(r.pid);
  return cmd !== undefined && cmd === r.cmdline;
}

/** Every record in the ledger (a damaged one is dropped: it names nothing hbr could check). */
export function readDrillScratch(stateDir: string): ScratchRecord[] {
  let names: string[];
  try {
    names = readdirSync(dir(stateDir)).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: ScratchRecord[] = [];
  for (const n of names) {
    try {
      const r = JSON.parse(readFileSync(join(dir(stateDir), n), 'utf8')) as ScratchRecord;
      if (r && typeof r.id === 'string' && `${r.id}.json` === n && typeof r.kind === 'string' && r.ref && typeof r.ref === 'object') out.push(r);
      else rmSync(join(dir(stateDir), n), { force: true });
    } catch {
      rmSync(join(dir(stateDir), n), { force: true });
    }
  }
  return out;
}

/** The records whose drill is no longer running (what a sweep removes). */
export function staleDrillScratch(stateDir: string): ScratchRecord[] {
  return readDrillScratch(stateDir).filter((r) => !running(r));
}

/**
 * Removes the scratch of every recorded drill that is no longer running; returns how many places
 * went. A place that cannot be removed now (its cluster down, no longer configured) keeps its record
 * and is said in the log; the next sweep tries again. Never throws.
 */
export async function sweepDrillScratch(config: Config, stateDir: string, log: (m: string) => void): Promise<number> {
  let removed = 0;
  for (const r of staleDrillScratch(stateDir)) {
    const system = systemForPolicyKind(r.kind);
    if (!system?.removeDrillScratch) {
      log(`drill scratch of ${r.policy} (${JSON.stringify(r.ref)}) was made by a kind this hbr does not know (${r.kind}): left, remove it by hand`);
      continue;
    }
    try {
      await system.removeDrillScratch(config, r.ref, log);
      forgetDrillScratch(stateDir, r.id);
      removed++;
    } catch (err) {
      log(`could not remove the drill scratch a killed drill of ${r.policy} left (the next drill tries again): ${(err as Error).message}`);
    }
  }
  return removed;
}
