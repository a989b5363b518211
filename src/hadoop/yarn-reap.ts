/**
 * The next start's orphan reaping, for YARN jobs (docs/design/secure-proposal.md §5.2): a `kill -9`
 * of hbr ends the DistCp client (pdeathsig, or ./children.ts reapOrphans) but not its MapReduce job,
 * which would go on writing into the DR target the new run is about to observe and repair. Under
 * hbr's lock, after reapOrphans, this kills through the ResourceManager's REST API (./yarn.ts):
 * the recorded application (when the client had logged its id), every unfinished application
 * tagged with the record's step marker (the gap before that line), and every unfinished application
 * tagged with this deployment's owner tag (no live hbr of this owner can be running one: the lock).
 */
import { rmSync } from 'node:fs';
import { pendingAppsDir, readRecords } from './children.js';
import { killApp, killTagged, type RmAccess } from './yarn.js';

export interface ReapedApps {
  step: string;
  killed: string[];
}

/**
 * Kills the YARN jobs of interrupted runs recorded under stateDir, and, on each RM named there or in
 * `sweep`, every unfinished job carrying the owner tag. A record whose RM could not be reached stays
 * for the next start (and the error is logged); nothing here throws.
 */
export async function reapOrphanApps(
  stateDir: string,
  log: (m: string) => void = () => {},
  sweep: { rm: RmAccess; ownerTag: string }[] = [],
): Promise<ReapedApps[]> {
  const out: ReapedApps[] = [];
  const owners = new Map<string, { rm: RmAccess; ownerTag: string }>();
  for (const s of sweep) owners.set(`${s.rm.webapp} ${s.ownerTag}`, s);
  for (const { path, rec } of readRecords(pendingAppsDir(stateDir))) {
    if (!rec.yarn) {
      rmSync(path, { force: true });
      continue;
    }
    const { rm, tags, appId } = rec.yarn;
    try {
      const killed = new Set<string>();
      if (appId) {
        log(`killing YARN application ${appId} of ${rec.step}, left running by an interrupted run`);
        await killApp(rm, appId);
        killed.add(appId);
      }
      const step = tags.find((t) => t.startsWith('hbr-step-'));
      if (step) for (const id of await killTagged(rm, step, log)) killed.add(id);
      const owner = tags.find((t) => t.startsWith('hbr-owner-'));
      if (owner) owners.set(`${rm.webapp} ${owner}`, { rm, ownerTag: owner });
      out.push({ step: rec.step, killed: [...killed] });
      rmSync(path, { force: true });
    } catch (err) {
      log(`could not stop the YARN job of ${rec.step} (kept for the next start): ${(err as Error).message}`);
    }
  }
  for (const { rm, ownerTag } of owners.values()) {
    try {
      const killed = await killTagged(rm, ownerTag, log);
      if (killed.length) out.push({ step: ownerTag, killed });
    } catch (err) {
      log(`could not list this deployment's YARN jobs on ${rm.webapp}: ${(err as Error).message}`);
    }
  }
  return out;
}
