/**
 * `hbr restore blocks --policy P [--path GLOB]... [--at TIME] [--to DIR] [--overwrite]`
 * (docs/blocks.md "Restore"): rebuilds files of a block backup policy from a manifest in its store
 * (the newest, or the newest at or before --at), as a plan first. Observes (the store's manifests,
 * each destination's status and, where the lengths match, its HDFS checksum; the NameNode's list of
 * files with a missing block), decides (./restore-plan.ts, pure), shows the plan; ./restore-exec.ts
 * carries it out file by file, each only if its destination is still what the plan saw.
 *
 * A destination that exists and differs refuses the whole restore unless --overwrite (it names
 * them). A file that is the manifest's own version with a block missing or corrupt is unreadable:
 * it is replaced without --overwrite (shown -/+). A second run finds the files restored and plans nothing.
 */
import type { Command } from 'commander';
import pLimit from 'p-limit';
import { UserError } from '../../model/errors.js';
import { formatBytes, iso } from '../../model/format.js';
import type { Config } from '../../model/policy.js';
import { trustedUntil } from '../../model/names.js';
import { hdfsClusterOf } from '../../hadoop/cluster.js';
import { readCorruptFiles } from '../../hadoop/corrupt-files.js';
import type { RestoreCommand, RestoreContext, RestorePlan } from '../types.js';
import { readManifest, restoreClients, restoreFiles } from './restore-exec.js';
import { chooseManifest, cleanGlob, compareDestinations, insideSource, joinPath, selectFiles, type Destination } from './restore-plan.js';
import { isBlocksPolicy, type ManifestFile } from './types.js';
import type { StoreClient } from '../../stores/types.js';

interface Options {
  policy: string;
  path: string[];
  at?: string;
  to?: string;
  overwrite?: boolean;
}

const SHOW = 200;

function collectOption(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function cleanAbsolute(p: string): boolean {
  return p.startsWith('/') && (p === '/' || (!p.endsWith('/') && p.split('/').slice(1).every((s) => s !== '' && s !== '.' && s !== '..')));
}

async function prepare(config: Config, raw: Record<string, unknown>, ctx: RestoreContext): Promise<RestorePlan> {
  const o = raw as unknown as Options;
  const policy = config.policies[o.policy];
  if (!isBlocksPolicy(policy)) throw new UserError(`no block backup policy named '${o.policy}'`);
  const root = policy.source.path;
  const globs = o.path.map((g) => {
    const rel = g.startsWith('/') ? (g.startsWith(`${root === '/' ? '' : root}/`) ? g.slice(root === '/' ? 1 : root.length + 1) : undefined) : g.replace(/\/+$/, '');
    if (rel === undefined || !cleanGlob(rel)) throw new UserError(`--path ${g}: not a path or glob inside ${policy.source.cluster}:${root}`);
    return rel;
  });
  if (o.to !== undefined && !cleanAbsolute(o.to)) throw new UserError(`--to ${JSON.stringify(o.to)} is not a clean absolute path`);
  if (o.to !== undefined && insideSource(root, o.to)) {
    throw new UserError(`--to ${o.to} is inside the policy's source ${policy.source.cluster}:${root}: the restored copies would be backed up again as new blocks; choose a directory outside it`);
  }
  const at = o.at === undefined ? ctx.now : Date.parse(o.at);
  if (Number.isNaN(at)) throw new UserError(`--at is not an ISO-8601 time: ${o.at}`);

  const { fs, store, concurrency } = await restoreClients({ config }, policy.name);
  const keys = (await store.list(`manifests/${policy.name}/`)).map((x) => x.key);
  // --at T: the newest manifest whose walk ended at or before T. One planned at or before T whose
  // walk ended after T holds the tree as it was after T (finding 9): the one before it is taken.
  const passed: string[] = [];
  const skip = new Set<string>();
  let chosen = chooseManifest(policy.name, keys, { at, trusted: trustedUntil(ctx.now) });
  if ('error' in chosen) throw new UserError(chosen.error);
  let manifest = await readManifest(store, chosen.key, ctx.stateDir, ctx.signal);
  while (o.at !== undefined && manifest.walk && manifest.walk.end > at) {
    passed.push(`${chosen.key} (walked ${iso(manifest.walk.start)} to ${iso(manifest.walk.end)}, after --at)`);
    skip.add(chosen.key);
    const next = chooseManifest(policy.name, keys.filter((k) => !skip.has(k)), { at, trusted: trustedUntil(ctx.now) });
    if ('error' in next) throw new UserError(`no manifest of policy ${policy.name} holds the tree at or before ${iso(at)}: ${passed.join('; ')}`);
    chosen = next;
    manifest = await readManifest(store, chosen.key, ctx.stateDir, ctx.signal);
  }
  const { files, unmatched } = selectFiles(manifest, globs);
  if (unmatched.length) throw new UserError(`--path ${unmatched.join(', ')}: no file of ${chosen.key} matches`);
  if (!files.length) throw new UserError(`${chosen.key} has no files`);

  // The destinations, observed now.
  const dest = o.to ?? root;
  const inPlace = dest === root;
  const damagedPaths = new Set<string>();
  let damageNote: string | undefined;
  if (inPlace) {
    // A file that is the manifest's version but has lost a block looks restored by its identity alone.
    try {
      const c = await readCorruptFiles(hdfsClusterOf(config.clusters, policy.source.cluster));
      for (const f of c.files) damagedPaths.add(f.path);
      damageNote = c.incomplete;
    } catch (err) {
      damageNote = `the NameNode's list of files with a missing block could not be read (${(err as Error).message})`;
    }
  }
  const limit = pLimit(8);
  const observed: Record<string, Destination | undefined> = {};
  await Promise.all(
    files.map((f) =>
      limit(async () => {
        const path = joinPath(dest, f.path);
        const st = await fs.stat(path);
        if (!st) return;
        const checksum = st.type === 'FILE' && st.length === f.length && f.checksum ? await fs.getFileChecksum(path).catch(() => undefined) : undefined;
        observed[f.path] = {
          type: st.type,
          fileId: st.fileId,
          length: st.length,
          mtime: st.modificationTime,
          ...(checksum && { checksum }),
          ...(damagedPaths.has(path) && { damaged: true }),
        };
      }),
    ),
  );
  const overwrite = o.overwrite === true;
  const cmp = compareDestinations(files, observed, overwrite);
  if (cmp.blocked.length) {
    throw new UserError(`not restored: ${cmp.blocked.map((b) => `${joinPath(dest, b.file.path)} (${b.why})`).join(', ')}; a file never replaces a directory`);
  }
  if (cmp.refused.length) {
    const names = cmp.refused.slice(0, SHOW).map((r) => `  ${joinPath(dest, r.file.path)}: ${r.why}`);
    throw new UserError(
      `${cmp.refused.length} file${cmp.refused.length === 1 ? '' : 's'} exist${cmp.refused.length === 1 ? 's' : ''} at the destination and differ${cmp.refused.length === 1 ? 's' : ''} from ${chosen.key}; nothing restored (--overwrite replaces ${cmp.refused.length === 1 ? 'it' : 'them'}, or --to DIR restores beside):\n${names.join('\n')}`,
    );
  }

  // Every block the restore reads must be in the store, else the plan says so now (not halfway).
  const lacking = await blocksLacking(store, manifest.blockPoolId, cmp.restore.map((r) => r.file));
  if (lacking.length) {
    throw new UserError(
      `the store lacks blocks of ${lacking.length} file${lacking.length === 1 ? '' : 's'} of ${chosen.key}; nothing restored (an older manifest may have them: --at):\n${lacking
        .slice(0, SHOW)
        .map((l) => `  ${l.path}: ${l.keys.slice(0, 3).join(', ')}${l.keys.length > 3 ? ` and ${l.keys.length - 3} more` : ''}`)
        .join('\n')}`,
    );
  }

  const bytes = cmp.restore.reduce((n, r) => n + r.file.length, 0);
  const where = `${policy.source.cluster}:${dest}`;
  const lines: string[] = [
    `  # manifest ${chosen.key} (${manifest.walk ? `walked ${iso(manifest.walk.start)} to ${iso(manifest.walk.end)}` : iso(manifest.createdAt)}) in store ${policy.backup.to}`,
    ...passed.map((x) => `  # not ${x}`),
  ];
  if (damageNote) lines.push(`  # WARNING: ${damageNote}: a file listed as already restored may still have a lost block (hbr plan shows it when the NameNode does)`);
  if (cmp.restore.length) {
    const sym = cmp.restore.some((r) => r.action === 'replace') ? '-/+' : '+';
    lines.push(`  ${sym} blocks.restore  ${where} <- ${chosen.key}`);
    lines.push(`        ${cmp.restore.length} file${cmp.restore.length === 1 ? '' : 's'}, ${formatBytes(bytes)} to write; ${cmp.same.length} already the manifest's version`);
    for (const r of cmp.restore.slice(0, SHOW)) lines.push(`        ${r.action === 'replace' ? '-/+' : '+'} ${r.file.path} (${formatBytes(r.file.length)})${r.why ? ` REPLACES: ${r.why}` : ''}`);
    if (cmp.restore.length > SHOW) lines.push(`        … and ${cmp.restore.length - SHOW} more (--json lists all)`);
    lines.push(`        each written beside its target as .<name>.hbr-restore-<UTC>, its length and checksum verified, owner/permission/mtime set, then renamed into place`);
  } else lines.push(`    ${where}: all ${cmp.same.length} file${cmp.same.length === 1 ? ' is' : 's are'} already the manifest's version`);
  if (cmp.weak.length) {
    // No checksum in the manifest: another file of the same length and mtime cannot be told apart.
    lines.push(`  # NOTE: ${cmp.weak.length} file${cmp.weak.length === 1 ? '' : 's'} counted as already restored by length and mtime only (no checksum in the manifest; not compared byte for byte):`);
    for (const f of cmp.weak.slice(0, SHOW)) lines.push(`  #   ${joinPath(dest, f.path)}`);
    if (cmp.weak.length > SHOW) lines.push(`  #   … and ${cmp.weak.length - SHOW} more (--json lists all)`);
  }

  const json = {
    restore: {
      policy: policy.name,
      manifest: chosen.key,
      at: iso(manifest.createdAt),
      to: { cluster: policy.source.cluster, path: dest },
      overwrite,
      files: cmp.restore.map((r) => ({ path: r.file.path, bytes: r.file.length, action: r.action, ...(r.why && { why: r.why }) })),
      same: cmp.same.length,
      ...(cmp.weak.length && { sameByLengthAndMtime: cmp.weak.map((f) => f.path) }),
      bytes,
    },
  };
  const expect = Object.fromEntries(
    cmp.restore.map((r) => {
      const d = observed[r.file.path];
      return [r.file.path, d ? { fileId: d.fileId, length: d.length, mtime: d.mtime } : null];
    }),
  );
  return {
    policy: policy.name,
    lines,
    json,
    noChanges: cmp.restore.length === 0,
    run: async (log) => {
      const r = await restoreFiles({
        fs,
        store,
        manifest,
        files: cmp.restore.map((x) => x.file.path),
        root: dest,
        overwrite: cmp.restore.some((x) => x.action === 'replace'),
        expect,
        stateDir: ctx.stateDir,
        signal: ctx.signal ?? new AbortController().signal,
        log,
        concurrency,
      });
      const written = r.restored.reduce((n, f) => n + f.bytes, 0);
      const notOwned = r.restored.filter((f) => !f.owner).length;
      const notCompared = r.restored.filter((f) => f.checksum !== 'verified').length;
      const text = [
        `Restored ${r.restored.length} file${r.restored.length === 1 ? '' : 's'} (${formatBytes(written)}) from ${chosen.key} to ${where}.`,
        r.already.length ? `${r.already.length} already restored.` : '',
        r.swept ? `${r.swept} scratch file(s) of an interrupted restore removed.` : '',
        notCompared ? `${notCompared} file(s) checked by length and per-block SHA-256 only (no comparable HDFS checksum in the manifest).` : '',
        notOwned ? `${notOwned} file(s) keep hbr's user as owner (SETOWNER needs an HDFS superuser).` : '',
      ].filter(Boolean);
      return { text: text.join('\n') + '\n', json: { restored: r.restored, already: r.already, swept: r.swept, manifest: chosen.key } };
    },
  };
}

/** Block keys of `files` absent from the store: one listing of the pool for many blocks, else a HEAD each. */
async function blocksLacking(store: StoreClient, pool: string, files: readonly ManifestFile[]): Promise<Array<{ path: string; keys: string[] }>> {
  const key = (b: { id: number; gs: number }) => `blocks/${pool}/${b.id}_${b.gs}`;
  const wanted = [...new Set(files.flatMap((f) => f.blocks.map(key)))];
  let present: Set<string>;
  if (wanted.length > 256) present = new Set((await store.list(`blocks/${pool}/`)).map((o) => o.key));
  else {
    const limit = pLimit(8);
    const heads = await Promise.all(wanted.map((k) => limit(async () => ((await store.head(k)) ? k : undefined))));
    present = new Set(heads.filter((k): k is string => k !== undefined));
  }
  return files.map((f) => ({ path: f.path, keys: f.blocks.map(key).filter((k) => !present.has(k)) })).filter((l) => l.keys.length > 0);
}

export const blocksRestore: RestoreCommand = {
  name: 'blocks',
  description: 'rebuild files of a block backup policy from a manifest in its store (deleted, missing or corrupt files)',
  options: (cmd: Command) =>
    cmd
      .requiredOption('--policy <name>', 'the block backup policy whose manifests are restored from')
      .option('--path <glob>', "files to restore, relative to the policy's path (or absolute under it); * ? ** globs, a directory means all under it; repeatable; default: all", collectOption, [])
      .option('--at <time>', 'the newest manifest at or before this ISO-8601 time (default: now)')
      .option('--to <dir>', "write the files under this directory instead of the policy's own, on the same cluster")
      .option('--overwrite', 'replace files that exist and differ from the manifest (default: refuse and name them)'),
  prepare,
};
