/**
 * How a DistCp between clusters logs in and where it runs, from the clusters as the policies
 * declare them (./cluster.ts; docs/security.md): shared by every system that copies with DistCp.
 *
 * - Kerberos: the first of the clusters with `auth: kerberos` (the source's when both have it: one
 *   principal must be trusted by both, as for any DistCp between Kerberized clusters) logs the JVM
 *   in from its keytab through hbr's launcher (./jvm-login.ts), with that cluster's `conf_dir` (or
 *   the other's) as HADOOP_CONF_DIR; DistCp then gets the jobs' delegation tokens for both sides.
 * - YARN: when that conf dir says `mapreduce.framework.name=yarn`, the job runs on its
 *   ResourceManager, tagged with this deployment's owner tag, and is killed through the RM's REST
 *   API on abort and by the next start's reaping (./yarn.ts, ./yarn-reap.ts).
 * - HA nameservices: every cluster with `nameservice` and `namenodes` with `rpc` is described to
 *   the job as `-D` properties (dfs.nameservices, dfs.ha.namenodes.<ns>, the rpc addresses, the
 *   failover proxy provider), added to the conf dir's own nameservices, so a DistCp between two HA
 *   clusters needs no client configuration that names both (./ha-conf.ts).
 * Without Kerberos or HA nothing changes: `hadoop distcp` as before.
 */
import { realpathSync } from 'node:fs';
import type { HdfsCluster } from './cluster.js';
import type { DistcpRun } from './distcp.js';
import type { KerberosLogin } from './jvm-login.js';
import { confDirNameservices, nameserviceConf } from './ha-conf.js';
import { ownerTag, rmWebappFromConfDir } from './yarn.js';

/** The identity behind a deployment's owner tag: its state dir's real path (proposal §5.1). */
function identity(stateDir: string): string {
  try {
    return realpathSync(stateDir);
  } catch {
    return stateDir;
  }
}

/** DistcpRun's `login`, `yarn` and `conf` for a copy between `clusters` (source first). */
export function distcpAccess(clusters: readonly HdfsCluster[], run: { stateDir: string; hadoop: string; policy?: string }): Pick<DistcpRun, 'login' | 'yarn' | 'conf'> {
  const k = clusters.find((c) => c.auth?.kind === 'kerberos');
  // the conf dir the DistCp JVM reads: a conf_dir only with a Kerberos login (below), else the environment's
  const known = confDirNameservices(k ? (k.confDir ?? clusters.find((c) => c.confDir)?.confDir) : undefined);
  const ha = known ? nameserviceConf(clusters, known) : {};
  const conf = Object.keys(ha).length ? { conf: ha } : {};
  if (!k?.auth) return conf;
  const confDir = k.confDir ?? clusters.find((c) => c.confDir)?.confDir;
  const login: KerberosLogin = {
    principal: k.auth.principal,
    keytab: k.auth.keytab,
    ...(k.auth.krb5Conf !== undefined && { krb5Conf: k.auth.krb5Conf }),
    ...(confDir !== undefined && { confDir }),
  };
  const webapp = confDir ? rmWebappFromConfDir(confDir) : undefined;
  if (!webapp) return { login, ...conf };
  return {
    ...conf,
    login,
    yarn: {
      rm: { webapp, login, hadoop: run.hadoop, ...(k.caBundle !== undefined && { caPem: k.caBundle }) },
      ownerTag: ownerTag(identity(run.stateDir)),
      ...(run.policy !== undefined && { policy: run.policy }),
    },
  };
}
