/**
 * The plan of a block backup policy (docs/blocks.md, "What a run does"). Pure: the walk and the
 * store listing come in as observed data (Observed.parts.blocks). In order:
 *   sweep     abort the uploads a killed run left under blocks/ (before any upload)
 *   upload    the blocks live files hold that the store lacks, in batches (UPLOAD_BATCH blocks or
 *             UPLOAD_BATCH_BYTES per step), each with its own claim so they run in parallel
 *   manifest  one per due run, even with nothing new (the RPO), after every upload
 *   manifest.delete  retention (src/planner/retention.ts) of the policy's manifests, floors as keep-rules
 *   gc        blocks no manifest and no live file references, past gc_grace, only when no run is
 *             unfinished (safety.ts)
 */
import { iso } from '../../model/format.js';
import { trustedUntil } from '../../model/names.js';
import type { Observed } from '../../model/observed.js';
import { Action, stepId } from '../../model/plan.js';
import type { PlanBuilder } from '../../planner/builder.js';
import { formatKeep, keepWhere, prune, rulesForKeep, type Candidate } from '../../planner/retention.js';
import { isDue } from '../../planner/schedule.js';
import { DEFAULT_MAX_CHANGE, describeMassChange, massChange, massChangeWord } from './mass-change.js';
import { BLOCKS_PREFIX, blockName, blockRef, manifestKey, parseManifestKey, RUN_STALE_MS } from './names.js';
import { blocksPart, gcFloors, manifestFloors, runMarkers, staleReleases, unfinishedRun } from './safety.js';
import { KIND, type BlocksParams, type BlocksPolicy } from './types.js';

export const UPLOAD_BATCH = 256;
export const UPLOAD_BATCH_BYTES = 1024 ** 3;
export const GC_BATCH = 1000;

type UploadBlock = NonNullable<BlocksParams['blocks']>[number];

export function planBlocksPolicy(b: PlanBuilder, p: BlocksPolicy, observed: Observed, now: number): void {
  const P = p.name;
  const to = p.backup.to;
  const o = blocksPart(observed, P);
  const store = o?.store;
  if (!o || !store) {
    const why = observed.errors.find((e) => e.cluster === to)?.message;
    b.notPlanned(P, `store ${to} was not observed${why ? ` (${why})` : ''}: nothing planned for this policy`);
    return;
  }
  const until = trustedUntil(now);
  const mine = store.manifests.map((k) => ({ key: k, time: parseManifestKey(k)?.time ?? Infinity }));
  const trusted = mine.filter((m) => m.time <= until);
  const future = mine.filter((m) => m.time > until);
  if (future.length) {
    b.warn(`store ${to} has ${future.length} manifest${future.length === 1 ? '' : 's'} of policy ${P} dated in the future (${future.slice(0, 3).map((m) => m.key).join(', ')}; now is ${iso(now)}): not counted as recovery points and never deleted; check the clocks`, P);
  }
  const newest = trusted[trusted.length - 1];
  if (Object.keys(p.backup.keep).length === 0) {
    b.warn(`policy ${P} declares no backup.keep: only the newest manifest (and the last good one before a mass deletion) is kept, so there is no older recovery point; declare e.g. keep: { daily: 7 }`, P);
  }
  const unfinished = observed.unfinished.filter((u) => u.policy === P && (u.kind === KIND.upload || u.kind === KIND.manifest));
  const markers = runMarkers(p, o, now);
  if (unfinished.length || markers.open.length) {
    b.warn(`a run of policy ${P} did not finish (${[...unfinished.map((u) => u.stepId), ...markers.open].slice(0, 3).join(', ')}): the next due run uploads what is missing and writes a manifest; nothing is collected until it has`, P);
  }

  if (markers.future.length) {
    b.warn(`store ${to} has ${markers.future.length} run marker${markers.future.length === 1 ? '' : 's'} or heartbeat${markers.future.length === 1 ? '' : 's'} of policy ${P} dated in the future (${markers.future.slice(0, 3).join(', ')}; now is ${iso(now)}): not trusted as a live run, so ${markers.future.length === 1 ? 'it holds' : 'they hold'} nothing (gc_grace still keeps fresh blocks); check the clocks`, P);
  }
  // A live run's uploads are in flight: never aborted under it (finding 8); the next plan sweeps them.
  const uploads = markers.open.length ? [] : store.incompleteUploads;
  if (markers.open.length && store.incompleteUploads.length) {
    b.warn(`${store.incompleteUploads.length} incomplete upload${store.incompleteUploads.length === 1 ? '' : 's'} under ${BLOCKS_PREFIX} not swept: a run of policy ${P} is alive (${markers.open[0]}) and may own them`, P);
  }
  const releases = staleReleases(p, o, now);
  let sweep: string | undefined;
  if (uploads.length || markers.stale.length || releases.length) {
    const n = uploads.length;
    const finished = markers.stale.length - markers.dead.length;
    const why = [
      ...(n ? [`${n} upload${n === 1 ? '' : 's'} a killed run left under ${BLOCKS_PREFIX} (never visible objects)`] : []),
      ...(markers.dead.length ? [`${markers.dead.length} run marker${markers.dead.length === 1 ? '' : 's'} of dead runs (no heartbeat for ${RUN_STALE_MS / 60_000} min, no manifest: ${markers.dead.slice(0, 2).join(', ')})`] : []),
      ...(finished > 0 ? [`${finished} run marker${finished === 1 ? '' : 's'} or heartbeat${finished === 1 ? '' : 's'} of runs whose manifest is written`] : []),
      ...(releases.length ? [`${releases.length} release record${releases.length === 1 ? '' : 's'} older than gc_grace`] : []),
    ];
    sweep = b.add({
      id: stepId(KIND.sweep, { cluster: to, path: BLOCKS_PREFIX }),
      kind: KIND.sweep,
      action: Action.Delete,
      policy: P,
      target: { cluster: to, path: BLOCKS_PREFIX },
      params: { uploads: uploads.map((u) => ({ key: u.key, uploadId: u.uploadId })), keys: [...markers.stale, ...releases] } satisfies BlocksParams,
      reason: why.join('; '),
      dependsOn: [],
    });
  }

  // A mass deletion or rewrite of the source (mass-change.ts) is held for the operator: no upload,
  // no manifest, no retention, no gc, whether or not a run is due.
  const maxChange = p.backup.maxChange ?? DEFAULT_MAX_CHANGE;
  const word = massChangeWord(p);
  const allowMassChange = b.allowsOverwrite(word);
  const mc = o.live ? massChange(store.newest, o.live.files, maxChange) : undefined;
  if (mc && !allowMassChange) {
    const what = describeMassChange(mc, word, `the newest manifest ${newest?.key ?? ''}`.trim(), maxChange);
    b.hold({
      policy: P,
      target: word,
      source: word,
      reason: 'mass-change',
      message:
        `block backup ${P} is held: ${what}. No manifest is written, and no manifest or block is deleted, until you decide: ` +
        `restore ${word} from the backup (hbr restore), or, if the change is intended, allow it with: hbr apply --allow-overwrite ${word}`,
    });
    return;
  }

  const due = isDue(p.backup.schedule, newest ? { name: newest.key, time: newest.time } : undefined, now);
  if (!due.due && due.error) b.warn(`schedule: ${due.error}`, P);
  let manifestId: string | undefined;
  let planned: string | undefined;
  if (due.due) {
    const live = o.live;
    if (!live) {
      const why = observed.errors.find((e) => e.cluster === p.source.cluster)?.message;
      b.notPlanned(P, `${p.source.cluster}:${p.source.path} was not walked${why ? ` (${why})` : ''}: no backup run`);
    } else {
      const uploads = uploadsOf(b, p, live, store.blocks);
      const ids: string[] = [];
      const pool = live.blockPoolId ?? '';
      for (let i = 0; i < uploads.length; ) {
        const batch: UploadBlock[] = [];
        let bytes = 0;
        while (i < uploads.length && batch.length < UPLOAD_BATCH && (batch.length === 0 || bytes + uploads[i]!.length <= UPLOAD_BATCH_BYTES)) {
          bytes += uploads[i]!.length;
          batch.push(uploads[i++]!);
        }
        const first = batch[0]!;
        ids.push(
          b.add({
            id: stepId(KIND.upload, { cluster: to, path: `${BLOCKS_PREFIX}${blockRef(pool, first.id, first.gs)}` }),
            kind: KIND.upload,
            action: Action.Create,
            policy: P,
            target: { cluster: to, path: `${BLOCKS_PREFIX}${blockRef(pool, first.id, first.gs)}` },
            params: { blocks: batch, runAt: now } satisfies BlocksParams,
            reason: `${batch.length} block${batch.length === 1 ? '' : 's'} not in the store`,
            dependsOn: sweep ? [sweep] : [],
            estimate: { bytes },
          }),
        );
      }
      const key = manifestKey(P, now);
      if (!store.manifests.includes(key)) {
        planned = key;
        manifestId = b.add({
          id: stepId(KIND.manifest, { cluster: to, path: key }),
          kind: KIND.manifest,
          action: mc ? Action.Replace : Action.Create,
          policy: P,
          target: { cluster: to, path: key },
          params: { runAt: now, ...(allowMassChange ? { allowMassChange: true } : {}) } satisfies BlocksParams,
          reason: `${mc ? `REPLACES the newest manifest as the newest recovery point (${describeMassChange(mc, word, newest?.key ?? '', maxChange)}; allowed by the operator); ` : ''}${due.reason.replace(/snapshot/g, 'backup')}: ${live.files.length} files, ${uploads.length} new blocks`,
          dependsOn: [...(sweep ? [sweep] : []), ...ids],
        });
      }
    }
  }

  // Manifest retention: candidates carry the time their key encodes; the floors are keep-rules.
  const candidates: Candidate[] = trusted.map((m) => ({ name: m.key, time: m.time, planned: false }));
  if (planned) candidates.push({ name: planned, time: now, planned: true });
  const mFloors = manifestFloors(p, o, planned, now);
  const { destroy } = prune(candidates, [...rulesForKeep(p.backup.keep), ...mFloors.map((f) => keepWhere(`floor:${f.rule}`, f.protects))]);
  for (const c of destroy) {
    if (c.planned) continue;
    b.add({
      id: stepId(KIND.manifestDelete, { cluster: to, path: c.name }),
      kind: KIND.manifestDelete,
      action: Action.Delete,
      policy: P,
      target: { cluster: to, path: c.name },
      params: { keys: [c.name], runAt: now } satisfies BlocksParams,
      reason: `outside keep ${formatKeep(p.backup.keep)}; no safety floor holds it (its blocks are collected gc_grace after this delete)`,
      dependsOn: manifestId ? [manifestId] : [],
    });
  }

  planGc(b, p, observed, now, manifestId !== undefined);
}

/** The blocks of live files missing from the store (once each), in file order; files whose blocks cannot be read are warned about. */
function uploadsOf(b: PlanBuilder, p: BlocksPolicy, live: NonNullable<ReturnType<typeof blocksPart>>['live'] & object, inStore: Record<string, { noChecksum?: true }>): UploadBlock[] {
  const seen = new Set<string>();
  const out: UploadBlock[] = [];
  const unreadable: string[] = [];
  for (const f of live.files) {
    for (const blk of f.blocks) {
      const name = blockName(blk.id, blk.gs);
      // an object without its checksum is uploaded again: the upload checks and repairs it (exec-upload.ts)
      if ((name in inStore && !inStore[name]!.noChecksum) || seen.has(name)) continue;
      if (blk.state !== 'ok') {
        unreadable.push(`${f.path} (block ${name} ${blk.state})`);
        continue;
      }
      seen.add(name);
      out.push({ path: f.path, id: blk.id, gs: blk.gs, offset: blk.offset, length: blk.length, fileId: f.fileId });
    }
  }
  if (unreadable.length) {
    b.warn(`${unreadable.length} file${unreadable.length === 1 ? ' has' : 's have'} a block the cluster cannot serve and the store lacks: not in this run's manifest (${unreadable.slice(0, 3).join(', ')})`, p.name);
  }
  return out;
}

function planGc(b: PlanBuilder, p: BlocksPolicy, observed: Observed, now: number, manifestPlanned: boolean): void {
  const o = blocksPart(observed, p.name)!;
  const store = o.store!;
  const pool = store.pool;
  if (pool === undefined) return;
  const floors = gcFloors(p, o, observed, manifestPlanned, now);
  const refs = Object.keys(store.blocks).map((n) => `${pool}/${n}`);
  const held = new Map<string, number>();
  const doomed: string[] = [];
  for (const ref of refs) {
    const f = floors.find((x) => x.protects(ref));
    if (f) held.set(f.rule, (held.get(f.rule) ?? 0) + 1);
    else doomed.push(ref);
  }
  const unreferenced = refs.length - (held.get('referenced') ?? 0) - (held.get('foreign') ?? 0);
  if (unreferenced > 0 && held.get('unfinished')) {
    b.warn(`garbage collection held: ${unfinishedRun(p, o, observed, manifestPlanned, now)}`, p.name);
  }
  if (!store.referenced) b.warn(`garbage collection held: a manifest in store ${p.backup.to} could not be read or is not named by hbr (the warning above names it)`, p.name);
  if (!store.released) b.warn(`garbage collection held: a release record under released/ in store ${p.backup.to} could not be read or is not named by hbr`, p.name);
  doomed.sort();
  for (let i = 0; i < doomed.length; i += GC_BATCH) {
    const keys = doomed.slice(i, i + GC_BATCH);
    b.add({
      id: stepId(KIND.gc, { cluster: p.backup.to, path: `${BLOCKS_PREFIX}${keys[0]}` }),
      kind: KIND.gc,
      action: Action.Delete,
      policy: p.name,
      target: { cluster: p.backup.to, path: `${BLOCKS_PREFIX}${keys[0]}` },
      params: { keys, runAt: now } satisfies BlocksParams,
      reason: `${keys.length} block${keys.length === 1 ? '' : 's'} no manifest references, older than gc_grace`,
      dependsOn: [],
    });
  }
}
