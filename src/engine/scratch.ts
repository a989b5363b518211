/**
 * Local scratch space of a run: `<state-dir>/tmp/`. Executors put temporary files there (an archive
 * on its way to a store), never in the system's /tmp, so that what a killed run left is found and
 * removed by the next one: `clearScratch` runs under the state-dir lock, when no step can be using it.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export function scratchRoot(stateDir: string): string {
  return join(stateDir, 'tmp');
}

/** A fresh private directory under the run's scratch space. */
export function scratchDir(stateDir: string, prefix: string): string {
  const root = scratchRoot(stateDir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  return mkdtempSync(join(root, prefix));
}

/** Removes what earlier (killed) runs left in the scratch space; returns how many entries went. Call with the lock held. */
export function clearScratch(stateDir: string): number {
  const root = scratchRoot(stateDir);
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return 0;
  }
  for (const n of names) rmSync(join(root, n), { recursive: true, force: true });
  return names.length;
}
