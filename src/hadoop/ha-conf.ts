/**
 * An HA cluster described to a Hadoop client JVM by `-D` properties, from the policy's
 * `nameservice` and `namenodes` (with `rpc`), so neither DistCp between two HA clusters nor
 * `dtutil get hdfs://<ns>` needs a client configuration that names every nameservice
 * (docs/security.md "HA"). Used by ./distcp-access.ts and ./dtoken.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HdfsCluster } from './cluster.js';
import { siteProperties } from './yarn.js';

/**
 * The client properties that let one JVM reach every HA cluster of `clusters` by its nameservice
 * (hdfs-default.xml: dfs.nameservices, dfs.ha.namenodes.<ns>, dfs.namenode.rpc-address.<ns>.<nn>,
 * dfs.client.failover.proxy.provider.<ns>), for the nameservices the client's conf dir does not
 * define already (`known`, its dfs.nameservices), which stay listed: the client resolves a logical
 * URI only through that list (DFSUtilClient.getAddresses → getNameServiceIds). A cluster whose
 * NameNodes lack `rpc` is left to the conf dir. Pure.
 */
export function nameserviceConf(clusters: readonly HdfsCluster[], known: readonly string[]): Record<string, string> {
  const ha = clusters.filter((c) => c.nameservice && !known.includes(c.nameservice) && c.namenodes?.length && c.namenodes.every((n) => n.rpc));
  if (!ha.length) return {};
  const out: Record<string, string> = { 'dfs.nameservices': [...new Set([...known, ...ha.map((c) => c.nameservice!)])].join(',') };
  for (const c of ha) {
    const ns = c.nameservice!;
    out[`dfs.ha.namenodes.${ns}`] = c.namenodes!.map((n) => n.name).join(',');
    for (const n of c.namenodes!) out[`dfs.namenode.rpc-address.${ns}.${n.name}`] = n.rpc!;
    out[`dfs.client.failover.proxy.provider.${ns}`] = 'org.apache.hadoop.hdfs.server.namenode.ha.ConfiguredFailoverProxyProvider';
  }
  return out;
}

/**
 * dfs.nameservices of the conf dir the JVM will read: `confDir` (a policy's conf_dir), else
 * $HADOOP_CONF_DIR, else $HADOOP_HOME/etc/hadoop (the `hadoop` launcher's own default); undefined
 * when none can be read — then nothing is added, as one cannot tell what the list would drop.
 */
export function confDirNameservices(confDir: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const dir = confDir ?? env.HADOOP_CONF_DIR ?? (env.HADOOP_HOME ? join(env.HADOOP_HOME, 'etc', 'hadoop') : undefined);
  if (!dir) return undefined;
  let xml: string;
  try {
    xml = readFileSync(join(dir, 'hdfs-site.xml'), 'utf8');
  } catch {
    return undefined;
  }
  return (siteProperties(xml).get('dfs.nameservices') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** As generic options (`-Dk=v`, before a Tool's own arguments); none when the conf dir is unknown. */
export function nameserviceOptions(clusters: readonly HdfsCluster[], confDir: string | undefined): string[] {
  const known = confDirNameservices(confDir);
  return known ? Object.entries(nameserviceConf(clusters, known)).map(([k, v]) => `-D${k}=${v}`) : [];
}
