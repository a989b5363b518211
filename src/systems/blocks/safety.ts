/**
 * The floors of a block backup's deletes (docs/blocks.md, "Garbage collection and its floors";
 * docs/architecture.md, "Safety"). Each is also handed to the planner as a keep-rule, and
 * checkSafety (src/planner/check.ts) re-checks every delete of a finished plan against them.
 *
 * blocks.gc, per block key:
 *   foreign     the key is not blocks/<pool>/<id>_<gs> of the policy's pool: hbr did not name it
 *   referenced  a manifest in the store (of ANY policy: collection is store-wide) or a file the
 *               plan's walk saw (the manifest this run writes) references it; and when a manifest
 *               could not be read, every block is (it may reference any)
 *   grace       younger than gc_grace, or dated in the future
 *   unfinished  a run of the policy is unfinished: an unresolved blocks.* intent in the journal, a
 *               runs/<policy>/*.open marker of a live or dead run without its manifest (runMarkers;
 *               one dated in the future holds nothing), or a manifest this plan still writes
 * blocks.sweep: only uploads of hbr-named block keys (an incomplete upload is never a visible object),
 *             none while a run of the policy is alive, and only run markers and heartbeats of the
 *             policy whose run wrote its manifest or died (stale)
 * blocks.manifest.delete, per manifest key:
 *   foreign               not manifests/<policy>/<UTC>.json of the step's policy
 *   future                dated in the future (not trusted)
 *   last-recovery-point   the newest manifest of the policy, the newest one read and validated,
 *                         and the last manifest before a mass deletion (lastGoodManifest)
 *   unverifiable          every manifest, while one in the store cannot be read or is not hbr-named
 *   planned               the manifest this plan writes
 * every gc and manifest delete, rule `held`: none while the plan holds the policy (mass change)
 */
import { trustedUntil } from '../../model/names.js';
import type { Observed } from '../../model/observed.js';
import type { Plan, Step } from '../../model/plan.js';
import type { Config } from '../../model/policy.js';
import { checkNow, type Floor } from '../../planner/safety.js';
import type { DeleteChecker, Violation } from '../types.js';
import { DEFAULT_MAX_CHANGE } from './mass-change.js';
import { blockName, manifestKey, parseBlockKey, parseBlockRef, parseManifestKey, parseOpenRunKey, parseReleasedKey, parseRunBeatKey, RUN_STALE_MS } from './names.js';
import { isBlocksPolicy, KIND, type BlocksObserved, type BlocksParams, type BlocksPolicy, type BlocksPolicyObserved } from './types.js';

export function blocksPart(observed: Observed, policy: string): BlocksPolicyObserved | undefined {
  return (observed.parts?.blocks as BlocksObserved | undefined)?.policies[policy];
}

/** The policy's run markers and heartbeats as the plan judges them at `now` (docs/blocks.md, "Run markers"). */
export interface RunMarkers {
  /** what the sweep removes: markers of finished runs (their manifest, same time, is written) and of dead runs, their heartbeats, and heartbeats without a marker older than RUN_STALE_MS */
  stale: string[];
  /** markers of live runs: the marker or a heartbeat of the run is younger than RUN_STALE_MS */
  open: string[];
  /** markers of dead runs: no manifest, and nothing from the run for RUN_STALE_MS (also in `stale`) */
  dead: string[];
  /** markers and heartbeats dated in the future: reported, never trusted as a live run, never deleted, hold nothing */
  future: string[];
}

/**
 * A marker proves its run alive only by its own time or a heartbeat within RUN_STALE_MS of now,
 * judged on names hbr formed (level-triggered). A name dated in the future proves nothing (a clock
 * ahead): it is reported and holds nothing, so it cannot hold garbage collection forever; the
 * blocks such a run uploads are kept by gc_grace meanwhile (their object time is the store's).
 */
export function runMarkers(p: BlocksPolicy, o: BlocksPolicyObserved, now: number): RunMarkers {
  const until = trustedUntil(now);
  const written = new Set((o.store?.manifests ?? []).filter((k) => parseManifestKey(k)?.policy === p.name));
  const beats = new Map<number, Array<{ key: string; time: number }>>();
  for (const k of o.store?.runBeats ?? []) {
    const b = parseRunBeatKey(k);
    if (!b || b.policy !== p.name) continue;
    let list = beats.get(b.run);
    if (!list) beats.set(b.run, (list = []));
    list.push({ key: k, time: b.time });
  }
  const out: RunMarkers = { stale: [], open: [], dead: [], future: [] };
  const markerRuns = new Set<number>();
  for (const k of o.store?.openRuns ?? []) {
    const t = parseOpenRunKey(k)?.time;
    if (t === undefined) continue;
    markerRuns.add(t);
    const own = beats.get(t) ?? [];
    out.future.push(...own.filter((b) => b.time > until).map((b) => b.key));
    if (written.has(manifestKey(p.name, t))) {
      out.stale.push(k, ...own.filter((b) => b.time <= until).map((b) => b.key));
      continue;
    }
    if (t > until) {
      out.future.push(k);
      continue;
    }
    const last = Math.max(t, ...own.map((b) => b.time).filter((x) => x <= until));
    if (now - last < RUN_STALE_MS) out.open.push(k);
    else {
      out.dead.push(k);
      out.stale.push(k, ...own.filter((b) => b.time <= until).map((b) => b.key));
    }
  }
  // heartbeats whose marker is gone (removed between a beat and its own removal): once stale
  for (const [run, list] of beats) {
    if (markerRuns.has(run)) continue;
    for (const b of list) {
      if (b.time > until) out.future.push(b.key);
      else if (now - b.time >= RUN_STALE_MS) out.stale.push(b.key);
    }
  }
  out.stale.sort();
  out.future.sort();
  return out;
}

/**
 * The policy's release records no block needs any more: released more than gc_grace ago (not dated
 * in the future). Every block they name is past its grace from that release, so collected or
 * referenced again; the sweep removes them.
 */
export function staleReleases(p: BlocksPolicy, o: BlocksPolicyObserved, now: number): string[] {
  const until = trustedUntil(now);
  return Object.entries(o.store?.released?.records ?? {})
    .filter(([k, t]) => parseReleasedKey(k)?.policy === p.name && t <= until && now - t >= p.backup.gcGrace)
    .map(([k]) => k)
    .sort();
}

/** Why no garbage may be collected for the policy now, or undefined when a run is finished. */
export function unfinishedRun(p: BlocksPolicy, o: BlocksPolicyObserved, observed: Observed, manifestPlanned: boolean, now: number): string | undefined {
  const intents = observed.unfinished.filter((u) => u.policy === p.name && u.kind.startsWith('blocks.') && u.kind !== KIND.gc && u.kind !== KIND.restore);
  if (intents.length) return `a run of policy ${p.name} is unfinished (journal: ${intents.map((u) => u.stepId).slice(0, 2).join(', ')} started, no outcome)`;
  const { open, dead } = runMarkers(p, o, now);
  if (open.length) return `a run of policy ${p.name} is unfinished (${open.slice(0, 2).join(', ')} in the store, alive: a heartbeat within ${RUN_STALE_MS / 60_000} min)`;
  if (dead.length) return `a run of policy ${p.name} died (${dead.slice(0, 2).join(', ')}: nothing from it for ${RUN_STALE_MS / 60_000} min); its marker is swept first`;
  if (manifestPlanned) return `this plan writes a new manifest of policy ${p.name} first`;
  return undefined;
}

/** The refs (`<pool>/<id>_<gs>`) of every block a live file of the walk holds. */
export function liveRefs(o: BlocksPolicyObserved): Set<string> {
  const out = new Set<string>();
  const pool = o.live?.blockPoolId ?? o.store?.pool;
  for (const f of o.live?.files ?? []) for (const b of f.blocks) out.add(`${pool}/${blockName(b.id, b.gs)}`);
  return out;
}

/** The floors for blocks.gc of policy `p` (refs `<pool>/<id>_<gs>`). */
export function gcFloors(p: BlocksPolicy, o: BlocksPolicyObserved, observed: Observed, manifestPlanned: boolean, now: number): Floor[] {
  const store = o.store;
  const pool = store?.pool;
  const referenced = store?.referenced ? new Set(store.referenced) : undefined;
  const live = o.live ? liveRefs(o) : undefined;
  const until = trustedUntil(now);
  const unfinished = unfinishedRun(p, o, observed, manifestPlanned, now);
  const objOf = (ref: string) => {
    const b = parseBlockRef(ref);
    return b && b.pool === pool ? store?.blocks[blockName(b.id, b.gs)] : undefined;
  };
  return [
    { rule: 'foreign', why: `not a block key hbr names in pool ${pool ?? '(unknown)'}`, protects: (ref) => parseBlockRef(ref)?.pool !== pool || pool === undefined },
    {
      rule: 'referenced',
      why: referenced && live ? 'referenced by a manifest in the store or by a file the walk saw' : 'a manifest could not be read, or the source was not walked: any block may be referenced',
      protects: (ref) => !referenced || !live || referenced.has(ref) || live.has(ref),
    },
    {
      rule: 'grace',
      why: `uploaded or released (its last referencing manifest deleted) less than gc_grace ago, not observed, or dated in the future`,
      protects: (ref) => {
        const obj = objOf(ref);
        if (!obj || obj.lastModified > until || now - obj.lastModified < p.backup.gcGrace) return true;
        // gc_grace counts from when the last manifest referencing it was deleted (released/ records)
        if (!store?.released) return true;
        const rel = store.released.refs[ref];
        return rel !== undefined && (rel > until || now - rel < p.backup.gcGrace);
      },
    },
    { rule: 'unfinished', why: unfinished ?? '', protects: () => unfinished !== undefined },
  ];
}

/**
 * The last good manifest of the policy: walking its read manifests oldest first, the newest one
 * that did not shrink by more than max_change from the last good one before it (files or bytes).
 * A run after a mass deletion the operator allowed writes a smaller manifest; this one stays the
 * recovery point until the source holds that much again (mass-change.ts, docs/blocks.md).
 */
export function lastGoodManifest(p: BlocksPolicy, o: BlocksPolicyObserved, now: number): string | undefined {
  const until = trustedUntil(now);
  const sizes = o.store?.sizes ?? {};
  const keep = 1 - (p.backup.maxChange ?? DEFAULT_MAX_CHANGE);
  let good: { key: string; files: number; bytes: number } | undefined;
  for (const k of o.store?.manifests ?? []) {
    const t = parseManifestKey(k);
    const sz = sizes[k];
    if (!sz || !t || t.policy !== p.name || t.time > until) continue;
    if (!good || keep <= 0 || (sz.files >= good.files * keep && sz.bytes >= good.bytes * keep)) good = { key: k, ...sz };
  }
  return good?.key;
}

/** The floors for blocks.manifest.delete of policy `p` (manifest keys). */
export function manifestFloors(p: BlocksPolicy, o: BlocksPolicyObserved, plannedKey: string | undefined, now: number): Floor[] {
  const until = trustedUntil(now);
  let newest: { key: string; time: number } | undefined;
  let newestRead: string | undefined;
  for (const k of o.store?.manifests ?? []) {
    const t = parseManifestKey(k);
    if (t && t.policy === p.name && t.time <= until && (!newest || t.time > newest.time)) newest = { key: k, time: t.time };
    if (t && t.policy === p.name && t.time <= until && o.store?.sizes?.[k]) newestRead = k;
  }
  const good = lastGoodManifest(p, o, now);
  const unreadable = !o.store?.referenced;
  return [
    { rule: 'foreign', why: `not a manifest hbr names for policy ${p.name}`, protects: (k) => parseManifestKey(k)?.policy !== p.name },
    { rule: 'future', why: 'named in the future (not trusted: check the clocks)', protects: (k) => (parseManifestKey(k)?.time ?? -Infinity) > until },
    { rule: 'planned', why: 'written by this plan', protects: (k) => k === plannedKey },
    { rule: 'last-recovery-point', why: `newest manifest of policy ${p.name}, or the newest one read and validated`, protects: (k) => k === newest?.key || k === newestRead },
    { rule: 'last-recovery-point', why: `the last manifest of policy ${p.name} before a mass deletion (max_change): the recovery point until the source holds as much again`, protects: (k) => k === good },
    { rule: 'unverifiable', why: 'a manifest in the store could not be read or is not named by hbr: retention waits until every manifest reads', protects: () => unreadable },
  ];
}

export function blocksDeleteChecker(plan: Plan, config: Config, observed: Observed): DeleteChecker {
  return (step, violation) => checkDelete(step as Step<BlocksParams>, plan, config, observed, violation);
}

function checkDelete(step: Step<BlocksParams>, plan: Plan, config: Config, observed: Observed, violation: Violation): void {
  const p = config.policies[step.policy];
  if (!isBlocksPolicy(p) || p.backup.to !== step.target.cluster) {
    violation('unverifiable', `no block backup policy ${step.policy} writes to store ${step.target.cluster}`);
    return;
  }
  const o = blocksPart(observed, p.name);
  if (!o?.store) {
    violation('unverifiable', `the store ${p.backup.to} of policy ${p.name} was not observed`);
    return;
  }
  const now = checkNow(plan, observed);
  const manifest = plan.steps.find((s) => s.kind === KIND.manifest && s.policy === p.name);
  if (step.kind === KIND.sweep) {
    // An incomplete upload is never a visible object (nothing to restore from); only hbr-named block keys.
    for (const u of step.params.uploads ?? []) if (!parseBlockKey(u.key)) violation('foreign', `${u.key}: not a block key hbr names`);
    const { stale } = runMarkers(p, o, checkNow(plan, observed));
    for (const k of step.params.keys ?? []) {
      if (parseReleasedKey(k)?.policy === p.name) {
        if (!staleReleases(p, o, now).includes(k)) violation('grace', `${k}: released less than gc_grace ago (or dated in the future)`);
      } else if (parseOpenRunKey(k)?.policy !== p.name && parseRunBeatKey(k)?.policy !== p.name) violation('foreign', `${k}: not a run marker of policy ${p.name}`);
      else if (!stale.includes(k)) violation('unfinished', `${k}: its run has no manifest and is alive (or dated in the future)`);
    }
    if ((step.params.uploads ?? []).length && runMarkers(p, o, now).open.length) violation('unfinished', 'a live run may own these uploads: none is aborted while one runs');
    return;
  }
  const keys = step.params.keys ?? [];
  const hold = plan.holds?.find((h) => h.policy === p.name);
  if (hold) violation('held', `policy ${p.name} is held for the operator (${hold.reason}): nothing is deleted`);
  if (!keys.length) violation('unverifiable', 'the step names no keys');
  if (step.kind === KIND.gc) {
    const floors = gcFloors(p, o, observed, manifest !== undefined, now);
    for (const k of keys) for (const f of floors) if (f.protects(k)) violation(f.rule, `${k}: ${f.why}`);
  } else if (step.kind === KIND.manifestDelete) {
    const floors = manifestFloors(p, o, manifest?.target.path, now);
    for (const k of keys) for (const f of floors) if (f.protects(k)) violation(f.rule, `${k}: ${f.why}`);
    if (keys.some((k) => k !== step.target.path)) violation('unverifiable', 'a manifest delete names one key, its target');
    if (manifest && !step.dependsOn.includes(manifest.id)) violation('delete-order', `must run after step ${manifest.id}`);
  } else {
    violation('unverifiable', `${step.kind} is not a delete the block backup's floors know`);
  }
}
