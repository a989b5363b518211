/**
 * HBase's REST gateway, the one way hbr observes an HBase cluster (no JVM per call): backup sessions
 * in `backup:system` (row `session:<id>`, column `session:context`, a protobuf BackupInfo decoded by
 * ./backup-info.ts), the backup lock (row `activesession:`, column `session:c`), the tables of a
 * namespace. Facts in docs/design/hbase-notes.md; the paths are those of hbase-rest's
 * TableResource/RowResource/NamespacesInstanceResource (RowSpec: a `prefix*` row globs a prefix scan).
 */
import { stripUserinfo, transportReason } from '../../model/errors.js';
import { decodeBackupInfo, type BackupSession } from './backup-info.js';

interface CellSet { Row?: { key: string; Cell?: { column: string; $: string }[] }[] }

const enc = encodeURIComponent;
const unb64 = (s: string): Buffer => Buffer.from(s, 'base64');

export class HbaseRest {
  constructor(readonly base: string, private readonly timeoutMs = 30_000) {}

  private async get(path: string, accept = 'application/json'): Promise<Response> {
    const send = () => fetch(`${this.base}${path}`, { headers: { Accept: accept }, signal: AbortSignal.timeout(this.timeoutMs) });
    try {
      return await send();
    } catch (err) {
      // A kept-alive socket the gateway closed: a GET is idempotent, send it once more.
      if ((err as { cause?: { code?: string } }).cause?.code === 'UND_ERR_SOCKET') {
        try { return await send(); } catch (e) { err = e; }
      }
      throw new Error(`HBase REST ${stripUserinfo(this.base)}: ${transportReason(err)}`);
    }
  }

  private async ok(res: Response, what: string): Promise<Response> {
    if (!res.ok) throw new Error(`HBase REST ${what}: HTTP ${res.status} ${(await res.text()).split('\n')[0]?.slice(0, 200) ?? ''}`);
    return res;
  }

  /** A table's schema answers 404 when it does not exist (a scan of a missing table answers 500). */
  async tableExists(table: string): Promise<boolean> {
    const res = await this.get(`/${enc(table)}/schema`);
    if (res.status === 404) return false;
    await this.ok(res, `schema of ${table}`);
    return true;
  }

  /** `namespace:qualifier` of every table of a namespace, sorted; undefined when the namespace does not exist. */
  async namespaceTables(ns: string): Promise<string[] | undefined> {
    const exists = await this.get(`/namespaces/${enc(ns)}`);
    if (exists.status === 404) return undefined;
    await this.ok(exists, `namespace ${ns}`);
    const res = await this.ok(await this.get(`/namespaces/${enc(ns)}/tables`), `tables of namespace ${ns}`);
    const body = (await res.json()) as { table?: { name: string }[] };
    return (body.table ?? []).map((t) => (t.name.includes(':') ? t.name : `${ns}:${t.name}`)).sort();
  }

  /** Every backup session in backup:system, decoded, oldest first; [] before the first backup made the table. */
  async sessions(): Promise<BackupSession[]> {
    if (!(await this.tableExists('backup:system'))) return [];
    const res = await this.get(`/${enc('backup:system')}/${enc('session:')}*/${enc('session:context')}`);
    if (res.status === 404) return []; // no session row
    const set = (await (await this.ok(res, 'scan of backup:system sessions')).json()) as CellSet;
    return (set.Row ?? [])
      .flatMap((r) => (r.Cell ?? []).map((c) => decodeBackupInfo(unb64(c.$))))
      .sort((a, b) => a.startTs - b.startTs || (a.id < b.id ? -1 : 1));
  }

  /** The backup lock: `yes` while a session (or a crashed one) holds it. */
  async locked(): Promise<boolean> {
    if (!(await this.tableExists('backup:system'))) return false;
    const res = await this.get(`/${enc('backup:system')}/${enc('activesession:')}/${enc('session:c')}`, 'application/octet-stream');
    if (res.status === 404) return false;
    return (await (await this.ok(res, 'read of the backup lock')).text()) === 'yes';
  }

  /**
   * Rows of a table, counted through a REST scanner (hbase-rest ScannerResource: POST a scanner, GET
   * its pages until 204, DELETE it); a row split over two pages is counted once.
   */
  async countRows(table: string): Promise<number> {
    const res = await fetch(`${this.base}/${enc(table)}/scanner`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ batch: 1000 }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    await this.ok(res, `scanner on ${table}`);
    const loc = res.headers.get('location');
    if (!loc) throw new Error(`HBase REST scanner on ${table}: no Location`);
    let rows = 0;
    let last: string | undefined;
    try {
      for (;;) {
        const page = await fetch(loc, { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) });
        if (page.status === 204) break;
        const set = (await (await this.ok(page, `scan of ${table}`)).json()) as CellSet;
        for (const r of set.Row ?? []) {
          if (r.key !== last) rows++;
          last = r.key;
        }
      }
    } finally {
      await fetch(loc, { method: 'DELETE', signal: AbortSignal.timeout(this.timeoutMs) }).catch(() => undefined);
    }
    return rows;
  }

  /** Drops a table (hbase-rest SchemaResource DELETE: disable, then delete); a missing one is not an error. */
  async dropTable(table: string): Promise<void> {
    const res = await fetch(`${this.base}/${enc(table)}/schema`, { method: 'DELETE', signal: AbortSignal.timeout(this.timeoutMs) });
    if (res.status === 404) return;
    await this.ok(res, `drop of ${table}`);
  }
}
