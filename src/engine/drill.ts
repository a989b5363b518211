/**
 * Restore drills (docs/drills.md): the core around System.drill. The system restores its newest
 * recovery point into a scratch place, compares and cleans up; here the drill is timed (the
 * system never reads the clock for the RTO), a drill that cannot start (it threw) becomes a failed
 * drill, and the result is recorded durably in `<state-dir>/drills/<policy>.json` (written to a
 * temporary file, fsynced, renamed), so a fresh `hbr`, `hbr status` and a restarted daemon show
 * the last drill without running one. Used by `hbr verify` (src/cli/verify.ts) and the daemon's
 * `verify:` schedule (src/daemon/drills.ts).
 */
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { stripUserinfo } from '../model/errors.js';
import type { Config } from '../model/policy.js';
import { systemOf } from '../systems/index.js';
import type { DrillCheck, DrillScratchRef } from '../systems/types.js';
import { drillScratchDone, forgetDrillScratch, recordDrillScratch, sweepDrillScratch } from './drill-scratch.js';
import { writeFileDurable } from './journal.js';

/** One drill as recorded: what the system returned, timed by the core. */
export interface DrillRecord {
  policy: string;
  kind: string;
  /** the recovery point drilled; "" when the drill could not start */
  point: string;
  ok: boolean;
  checks: DrillCheck[];
  bytes?: number;
  files?: number;
  startedAt: string;
  finishedAt: string;
  /** wall-clock time of the whole drill (restore, compare, clean-up), seconds */
  durationSeconds: number;
  /** the policy's rto when the drill ran, seconds */
  rtoSeconds?: number;
  /** durationSeconds > rtoSeconds */
  rtoExceeded: boolean;
  /** the finish of the last drill that passed (this one, or carried over from the record before) */
  lastSuccessAt?: string;
}

export interface DrillOptions {
  config: Config;
  policy: string;
  stateDir: string;
  hadoop: string;
  signal: AbortSignal;
  log: (message: string) => void;
  /** the clock for choosing recovery points (HBR_NOW-aware in the CLI) */
  now: number;
  /** the real clock the drill is timed with (tests may replace it); Date.now by default */
  clock?: () => number;
}

function drillsDir(stateDir: string): string {
  return join(stateDir, 'drills');
}

function recordFile(stateDir: string, policy: string): string {
  return join(drillsDir(stateDir), `${encodeURIComponent(policy)}.json`);
}

/** The last recorded drill of a policy, if any (a damaged record counts as none). */
export function readDrillRecord(stateDir: string, policy: string): DrillRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(recordFile(stateDir, policy), 'utf8')) as DrillRecord;
    return r && typeof r === 'object' && r.policy === policy ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Every recorded drill in a state dir, by policy. */
export function readDrillRecords(stateDir: string): Map<string, DrillRecord> {
  const out = new Map<string, DrillRecord>();
  let names: string[] = [];
  try {
    names = readdirSync(drillsDir(stateDir));
  } catch {
    return out;
  }
  for (const n of names) {
    if (!n.endsWith('.json')) continue;
    const policy = decodeURIComponent(n.slice(0, -5));
    const r = readDrillRecord(stateDir, policy);
    if (r) out.set(policy, r);
  }
  return out;
}

/** Atomically replaces the policy's record: temp file, fsync, rename, fsync of the directory. */
export function writeDrillRecord(stateDir: string, r: DrillRecord): void {
  const dir = drillsDir(stateDir);
  mkdirSync(dir, { recursive: true });
  writeFileDurable(recordFile(stateDir, r.policy), JSON.stringify(r, null, 2) + '\n', 0o644);
}

/** Pure: what a finished (or failed-to-start) drill is recorded as. */
export function drillRecord(
  policy: { name: string; kind: string; rto?: number },
  r: { point: string; ok: boolean; checks: DrillCheck[]; bytes?: number; files?: number },
  startedAt: number,
  finishedAt: number,
  previous: DrillRecord | undefined,
): DrillRecord {
  const durationSeconds = Math.max(0, finishedAt - startedAt) / 1000;
  const rtoSeconds = policy.rto === undefined ? undefined : policy.rto / 1000;
  const lastSuccessAt = r.ok ? new Date(finishedAt).toISOString() : previous?.lastSuccessAt;
  return {
    policy: policy.name,
    kind: policy.kind,
    point: r.point,
    ok: r.ok,
    checks: r.checks,
    ...(r.bytes !== undefined && { bytes: r.bytes }),
    ...(r.files !== undefined && { files: r.files }),
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    durationSeconds,
    ...(rtoSeconds !== undefined && { rtoSeconds }),
    rtoExceeded: rtoSeconds !== undefined && durationSeconds > rtoSeconds,
    ...(lastSuccessAt !== undefined && { lastSuccessAt }),
  };
}

/**
 * Runs the policy's drill, times it, records it. Never throws for a drill that fails or cannot
 * start (that is a failed drill, recorded); throws only when the policy has no drill.
 */
export async function runDrill(o: DrillOptions): Promise<DrillRecord> {
  const p = o.config.policies[o.policy];
  if (!p) throw new Error(`no policy '${o.policy}'`);
  const system = systemOf(p);
  if (!system.drill) throw new Error(`policy '${o.policy}' (${p.kind}) has no restore drill`);
  const clock = o.clock ?? Date.now;
  const previous = readDrillRecord(o.stateDir, o.policy);
  // What earlier killed drills left (of any policy: one since removed has no drill of its own);
  // before the clock starts: the RTO is this drill's restore, not that clean-up
  await sweepDrillScratch(o.config, o.stateDir, o.log);
  const startedAt = clock();
  const ids: string[] = [];
  const scratch = {
    made: (ref: DrillScratchRef) => {
      const id = recordDrillScratch(o.stateDir, p.name, p.kind, ref);
      ids.push(id);
      return id;
    },
    removed: (id: string) => forgetDrillScratch(o.stateDir, id),
  };
  let result;
  try {
    result = await system.drill(p, { config: o.config, stateDir: o.stateDir, signal: o.signal, log: o.log, hadoop: o.hadoop, now: o.now, scratch });
  } catch (err) {
    const message = o.signal.aborted ? `interrupted: ${(err as Error)?.message ?? String(err)}` : ((err as Error)?.message ?? String(err));
    result = { point: '', ok: false, checks: [{ what: 'drill', ok: false, detail: message }] };
  } finally {
    // a place the drill could not remove is the next sweep's (its record stays)
    for (const id of ids) drillScratchDone(id);
  }
  // What a check says goes to the record, /status and webhooks: no URL userinfo in it (as run errors).
  result = { ...result, checks: result.checks.map((c) => (c.detail === undefined ? c : { ...c, detail: stripUserinfo(c.detail) })) };
  // a system that says ok with a failed check is not believed
  const ok = result.ok && result.checks.every((c) => c.ok) && result.checks.length > 0;
  const rec = drillRecord(p, { ...result, ok }, startedAt, clock(), previous);
  writeDrillRecord(o.stateDir, rec);
  return rec;
}
