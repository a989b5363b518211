/**
 * The policy files while the daemon runs (src/daemon/daemon.ts): watched with chokidar, one reload
 * per burst of changes, and what a valid reload changes in the running policies — added, removed,
 * or changed (by fingerprint: its schedule restarts).
 */
import { resolve } from 'node:path';
import chokidar, { type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import type { HbrMetrics } from '../metrics/registry.js';
import type { Config } from '../model/policy.js';
import { formatPolicyError, loadConfig, type PolicyError } from '../schema/load.js';
import { policyScope } from './reconcile.js';
import { scheduleCron, scheduleOf, type PolicyRuntime } from './runtime.js';

/**
 * Watches the policy files and directories; `reload` is called once per burst of changes.
 * `cancel` drops a burst not reloaded yet (the daemon is stopping).
 */
export function watchPolicyFiles(paths: string[], log: Logger, reload: () => void): { watcher: FSWatcher; cancel: () => void } {
  const abs = paths.map((p) => resolve(p));
  let reloadTimer: NodeJS.Timeout | undefined;
  const watcher = chokidar.watch(abs, {
    ignoreInitial: true,
    depth: 0,
    awaitWriteFinish: { stabilityThreshold: 150, pollInterval: 50 },
  });
  watcher.on('all', (_event, path) => {
    if (!abs.includes(resolve(path)) && !/\.ya?ml$/i.test(path)) return;
    if (reloadTimer) clearTimeout(reloadTimer);
    // Editors write in bursts (temp file, rename, chmod): one reload per burst.
    reloadTimer = setTimeout(() => {
      reloadTimer = undefined;
      reload();
    }, 250);
  });
  watcher.on('error', (err) => log.error({ err }, 'watching the policy files failed'));
  return {
    watcher,
    cancel: () => {
      if (reloadTimer) clearTimeout(reloadTimer);
    },
  };
}

/** Logs the errors of policy files that did not load; the last valid policies keep running. */
export function logLoadErrors(log: Logger, errors: PolicyError[]): void {
  for (const e of errors) log.error({ file: e.file, line: e.line, col: e.col, key: e.key }, `policy error: ${formatPolicyError(e)}`);
  log.error({ errors: errors.length }, `the changed policy files are invalid (${errors.length} error(s)); the last valid policies keep running`);
}

/** A reload that threw, as the load error it counts as (at the first policy path). */
export function reloadError(paths: string[], err: unknown): PolicyError {
  return { file: paths[0] ?? '(policy files)', line: 1, col: 1, message: `reload failed: ${err instanceof Error ? err.message : String(err)}` };
}

/** Coordination is read at start only: a changed one is logged, and `next` keeps the running one. */
export function keepCoordination(prev: Config, next: Config, log: Logger): void {
  if (JSON.stringify(stripAt(prev.coordination)) !== JSON.stringify(stripAt(next.coordination))) {
    log.warn('coordination changed in the policy files; it takes effect when the daemon restarts');
    if (prev.coordination) next.coordination = prev.coordination;
    else delete next.coordination;
  }
}

/**
 * Brings the running policies to `next` (the daemon's configuration already): removes those gone,
 * adds the new ones, and restarts the schedule of those whose fingerprint changed.
 */
export function applyPolicyChanges(
  next: Config,
  policies: ReadonlyMap<string, PolicyRuntime>,
  addPolicy: (name: string) => void,
  removePolicy: (name: string) => void,
): { added: string[]; removed: string[]; changed: string[] } {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const name of [...policies.keys()]) {
    if (!next.policies[name]) {
      removed.push(name);
      removePolicy(name);
    }
  }
  for (const name of Object.keys(next.policies).sort()) {
    const rt = policies.get(name);
    if (!rt) {
      added.push(name);
      addPolicy(name);
      continue;
    }
    const fp = fingerprint(next, name);
    if (fp === rt.fingerprint) continue;
    changed.push(name);
    rt.fingerprint = fp;
    rt.loop.schedule = scheduleOf(next.policies[name]!);
    rt.points.clear(); // the sites may have moved: start from what the next run observes
    scheduleCron(name, rt);
    rt.loop.trigger('policy changed');
  }
  return { added, removed, changed };
}

/** What a policy's reconcile depends on, `at` (line numbers) left out: moving a policy in its file changes nothing. */
export function fingerprint(config: Config, name: string): string {
  return JSON.stringify({
    policy: stripAt(config.policies[name]),
    clusters: policyScope(config, name).map((c) => stripAt(config.clusters[c] ?? config.stores[c])),
  });
}

function stripAt<T>(o: T): unknown {
  return o === undefined ? undefined : JSON.parse(JSON.stringify(o, (k, v: unknown) => (k === 'at' ? undefined : v)));
}

/**
 * Loads the changed policy files and sets hbr_policy_load_errors (and the last success). Invalid
 * files: each error logged with its file:line:col, no config returned (the running one stays).
 * Never rejects: a throw (a bug, the file system) is one more load error.
 */
export async function loadPolicies(paths: string[], log: Logger, metrics: HbrMetrics, now: number): Promise<{ config?: Config; lastLoad: { at: number; errors: PolicyError[] } }> {
  try {
    const loaded = await loadConfig(paths);
    if ('errors' in loaded) {
      metrics.policyLoadErrors.set(loaded.errors.length);
      logLoadErrors(log, loaded.errors);
      return { lastLoad: { at: now, errors: loaded.errors } };
    }
    metrics.policyLoadErrors.set(0);
    metrics.policyLastLoadSuccess.set(now / 1000);
    return { config: loaded.config, lastLoad: { at: now, errors: [] } };
  } catch (err) {
    return { lastLoad: reloadFailure(paths, err, log, metrics, now) };
  }
}

/** A reload that threw, counted and logged as a load error. Never throws. */
export function reloadFailure(paths: string[], err: unknown, log: Logger, metrics: HbrMetrics, now: number): { at: number; errors: PolicyError[] } {
  const errors = [reloadError(paths, err)];
  try {
    metrics.policyLoadErrors.set(errors.length);
    logLoadErrors(log, errors);
  } catch {
    /* the reload path never rejects */
  }
  return { at: now, errors };
}
