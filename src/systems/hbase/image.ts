/**
 * hbr's check that a backup image is whole (HBASE-15227's "partial data" check, issue 13): when a
 * backup it ran is COMPLETE, hbr records the image's file count and bytes beside it, in
 * `<root>/<backup id>/.hbr-image.json`; every observation compares the image's content summary
 * with that record. HBase's own `.backup.manifest` (a BackupImage protobuf) names no files, so it
 * cannot tell a file missing (seen on the test bed: docs/hbase.md, "Images").
 *
 * The record lives inside the image directory, so HBase's own `backup delete` removes it with the
 * image and no record outlives its backup.
 */
import type { WebHdfs } from '../../hadoop/webhdfs.js';
import type { ImageRecord } from './types.js';

export const RECORD = '.hbr-image.json';

export function imageDir(rootPath: string, id: string): string {
  return `${rootPath.replace(/\/+$/, '')}/${id}`;
}

/** Reads the record, or undefined when there is none (a 404). */
export async function readRecord(fs: WebHdfs, rootPath: string, id: string): Promise<ImageRecord | undefined> {
  const path = `${imageDir(rootPath, id)}/${RECORD}`;
  const st = await fs.stat(path);
  if (!st) return undefined;
  const rec = JSON.parse((await fs.open(path)).toString('utf8')) as ImageRecord;
  if (rec.version !== 1 || rec.id !== id || !Number.isInteger(rec.files) || !Number.isInteger(rec.bytes)) throw new Error(`${path} is not an hbr image record of ${id}`);
  return rec;
}

/** Files and bytes of the image, the record left out. */
export async function summarize(fs: WebHdfs, rootPath: string, id: string): Promise<{ files: number; bytes: number } | undefined> {
  const dir = imageDir(rootPath, id);
  if (!(await fs.stat(dir))) return undefined;
  const cs = await fs.getContentSummary(dir);
  const rec = await fs.stat(`${dir}/${RECORD}`);
  return { files: cs.fileCount - (rec ? 1 : 0), bytes: cs.length - (rec ? rec.length : 0) };
}

/** Compares an image with its record: undefined when it matches, else what differs. */
export function compareImage(rec: ImageRecord, now: { files: number; bytes: number } | undefined): string | undefined {
  if (!now) return `the image directory is gone (recorded ${rec.files} files, ${rec.bytes} bytes)`;
  if (now.files === rec.files && now.bytes === rec.bytes) return undefined;
  return `the image has ${now.files} files, ${now.bytes} bytes; hbr recorded ${rec.files} files, ${rec.bytes} bytes when it completed`;
}

/** Writes the record of a COMPLETE backup's image (overwriting one a killed run left half-written). */
export async function writeRecord(fs: WebHdfs, rootPath: string, id: string, tables: string[], rows?: Record<string, number>): Promise<ImageRecord> {
  const s = await summarize(fs, rootPath, id);
  if (!s) throw new Error(`backup ${id} is COMPLETE but its image ${imageDir(rootPath, id)} does not exist`);
  const rec: ImageRecord = { version: 1, id, files: s.files, bytes: s.bytes, tables, ...(rows ? { rows } : {}) };
  await fs.create(`${imageDir(rootPath, id)}/${RECORD}`, Buffer.from(JSON.stringify(rec) + '\n'), { overwrite: true });
  return rec;
}
