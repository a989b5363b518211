/**
 * The loader's checks of an HDFS cluster's security and HA keys (docs/security.md,
 * docs/design/secure-proposal.md §7.1, §7.3): what the schema cannot say. Reported at the key's
 * file:line:col through `report`; a keytab that others may read is a warning, not an error.
 */
import { accessSync, constants, statSync } from 'node:fs';
import type { ClusterReport } from '../model/policy.js';
import type { HdfsCluster } from './cluster.js';

function readable(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return 'is not a file';
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable by this user' : `cannot be read (${code ?? String(err)})`;
  }
}

export function checkHdfsCluster(c: HdfsCluster, raw: Record<string, unknown>, report: ClusterReport): void {
  const has = (k: string) => raw[k] !== undefined;
  if (!has('webhdfs') && !has('namenodes')) report([], 'key', "missing 'webhdfs' (one NameNode's WebHDFS URL) or 'namenodes' (an HA nameservice's)");
  if (has('webhdfs') && has('namenodes')) report(['webhdfs'], 'key', "'webhdfs' is the one-NameNode shorthand of 'namenodes': give one of them");
  if (has('namenodes') && !has('nameservice')) report(['namenodes'], 'key', "'namenodes' needs 'nameservice' (the HA cluster's logical name, dfs.nameservices)");
  if (has('nameservice') && !has('namenodes')) report(['nameservice'], 'key', "'nameservice' needs 'namenodes' (each NameNode's WebHDFS URL)");
  if (c.nameservice !== undefined && has('fs')) {
    const want = `hdfs://${c.nameservice}`;
    if (c.fs.replace(/\/+$/, '').toLowerCase() !== want.toLowerCase()) {
      report(['fs'], 'value', `an HA cluster's fs is its nameservice, ${want} (or leave fs out)`);
    }
  }
  if (!has('fs') && c.nameservice === undefined) report([], 'key', "missing 'fs' (the hdfs:// URI Hadoop tools use, e.g. hdfs://nn.prod:8020)");
  if (c.caBundle !== undefined) {
    const why = readable(c.caBundle);
    if (why) report(['ca_bundle'], 'value', `ca_bundle ${c.caBundle} ${why}`);
  }
  if (c.confDir !== undefined) {
    try {
      if (!statSync(c.confDir).isDirectory()) report(['conf_dir'], 'value', `conf_dir ${c.confDir} is not a directory`);
    } catch {
      report(['conf_dir'], 'value', `conf_dir ${c.confDir} does not exist`);
    }
  }
  const k = c.auth;
  if (!k) return;
  if (has('user')) report(['user'], 'key', "'user' cannot go with auth.kerberos: hbr's delegation token names the user (the principal's)");
  const plain: Array<[Array<string | number>, string]> = [];
  if (has('webhdfs')) plain.push([['webhdfs'], c.webhdfs]);
  for (const n of c.namenodes ?? []) plain.push([['namenodes', n.name, 'http'], n.http]);
  for (const [segs, url] of plain) {
    if (/^http:\/\//i.test(url)) report(segs, 'value', `${url} is plain HTTP: with auth.kerberos hbr sends a delegation token, a bearer secret, so the NameNode must be reached over https:// (dfs.http.policy=HTTPS_ONLY)`);
  }
  const segsK = ['auth', 'kerberos'];
  const why = readable(k.keytab);
  if (why) {
    report([...segsK, 'keytab'], 'value', `keytab ${k.keytab} ${why}: hbr logs in as ${k.principal} from it`);
  } else if ((statSync(k.keytab).mode & 0o077) !== 0) {
    report([...segsK, 'keytab'], 'value', `keytab ${k.keytab} can be read by group or others (mode ${(statSync(k.keytab).mode & 0o777).toString(8)}): chmod 600 it`, 'warning');
  }
  if (k.krb5Conf !== undefined) {
    const w = readable(k.krb5Conf);
    if (w) report([...segsK, 'krb5_conf'], 'value', `krb5_conf ${k.krb5Conf} ${w}`);
  }
}
