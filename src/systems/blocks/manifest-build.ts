/**
 * Which files a run's manifest holds (docs/blocks.md, "Manifest"), from the manifest step's walk,
 * the newest earlier manifest and the store's block listing. The store and the NameNode are reached
 * only through the two callbacks, so the decisions are testable without either.
 *
 * A file whose blocks are all in the store (with a checksum) goes in as walked. A file skipped by
 * this run (a block changed during the run, unreadable on the cluster, without a checksum in the
 * store; open for write; gone between two calls) whose path is still live keeps the previous
 * manifest's entry, marked `carried`: otherwise the last good version would be referenced by no
 * manifest once the previous one ages out, and gc would delete the only copy.
 */
import pLimit from 'p-limit';
import { blockKey, blockName } from './names.js';
import type { Manifest, ManifestFile } from './types.js';
import type { WalkResult } from './walk.js';

export interface BuildInput {
  walk: Pick<WalkResult, 'files' | 'skipped'>;
  /** the newest manifest before this run, and its key */
  previous?: { key: string; manifest: Manifest } | undefined;
  pool: string;
  /** the store's objects under blocks/<pool>/, by key */
  inStore: Map<string, { sha256?: string | undefined }>;
  concurrency: number;
  /** the object's checksum by HEAD (a listing may not carry it) */
  headSha(key: string): Promise<string | undefined>;
  /** GETFILECHECKSUM of a file (relative path), undefined when it cannot be read */
  fileChecksum(rel: string): Promise<ManifestFile['checksum'] | undefined>;
}

export async function buildManifestFiles(i: BuildInput): Promise<{ files: ManifestFile[]; skipped: Array<{ path: string; reason: string }> }> {
  const prevSha = new Map<string, string>();
  const prevFile = new Map<string, ManifestFile>();
  for (const f of i.previous?.manifest.files ?? []) {
    prevFile.set(f.path, f);
    for (const b of f.blocks) prevSha.set(blockName(b.id, b.gs), b.sha256);
  }
  const limit = pLimit(Math.max(1, i.concurrency));
  const skipped = [...i.walk.skipped];
  const files: ManifestFile[] = [];
  await Promise.all(
    i.walk.files.map((f) =>
      limit(async () => {
        const blocks: ManifestFile['blocks'] = [];
        for (const b of f.blocks) {
          const k = blockKey(i.pool, b.id, b.gs);
          if (b.state !== 'ok' && !i.inStore.has(k)) return skipped.push({ path: f.path, reason: `block ${blockName(b.id, b.gs)} is ${b.state} on the cluster and not in the store` });
          if (!i.inStore.has(k)) return skipped.push({ path: f.path, reason: 'changed during the run: its new blocks are uploaded by the next run' });
          const sha256 = prevSha.get(blockName(b.id, b.gs)) ?? i.inStore.get(k)?.sha256 ?? (await i.headSha(k));
          if (!sha256) return skipped.push({ path: f.path, reason: `block ${blockName(b.id, b.gs)} has no checksum in the store` });
          blocks.push({ id: b.id, gs: b.gs, offset: b.offset, length: b.length, sha256 });
        }
        const prev = prevFile.get(f.path);
        let checksum = f.reused && prev?.fileId === f.fileId && !prev.carried ? prev.checksum : undefined;
        if (!checksum && f.length > 0) checksum = await i.fileChecksum(f.path);
        const { reused: _r, blocks: _b, ...attrs } = f;
        files.push({ ...attrs, ...(checksum ? { checksum } : {}), blocks });
        return undefined;
      }),
    ),
  );
  // Carry forward: a skipped path still live (walked, or skipped by the walk) keeps its last good version.
  const kept = new Set(files.map((f) => f.path));
  const reasons = new Map<string, string>();
  for (const s of skipped) if (!reasons.has(s.path)) reasons.set(s.path, s.reason);
  for (const [path, reason] of reasons) {
    const prev = prevFile.get(path);
    if (!prev || kept.has(path) || !i.previous) continue;
    files.push({ ...prev, carried: { from: prev.carried?.from ?? i.previous.key, reason } });
  }
  return { files, skipped };
}
