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
 * Without Kerberos nothing changes: `hadoop distcp` as before.
 */
import { realpathSync } from 'node:fs';
import type { HdfsCluster } from './cluster.js';
import type { DistcpRun } from './distcp.js';
import type { KerberosLogin } from './jvm-login.js';
import { ownerTag, rmWebappFromConfDir } from './yarn.js';

/** The identity behind a deployment's owner tag: its state dir's real path (proposal §5.1). */
function identity(stateDir: string): string {
  try {
    return realpathSync(stateDir);
  } catch {
    return stateDir;
  }
}

/** DistcpRun's `login` and `yarn` for a copy between `clusters` (source first). */
export function distcpAccess(clusters: readonly HdfsCluster[], run: { stateDir: string; hadoop: string; policy?: string }): Pick<DistcpRun, 'login' | 'yarn'> {
  const k = clusters.find((c) => c.auth?.kind === 'kerberos');
  if (!k?.auth) return {};
  const confDir = k.confDir ?? clusters.find((c) => c.confDir)?.confDir;
  const login: KerberosLogin = {
    principal: k.auth.principal,
    keytab: k.auth.keytab,
    ...(k.auth.krb5Conf !== undefined && { krb5Conf: k.auth.krb5Conf }),
    ...(confDir !== undefined && { confDir }),
  };
  const webapp = confDir ? rmWebappFromConfDir(confDir) : undefined;
  if (!webapp) return { login };
  return {
    login,
    yarn: {
      rm: { webapp, login, hadoop: run.hadoop, ...(k.caBundle !== undefined && { caPem: k.caBundle }) },
      ownerTag: ownerTag(identity(run.stateDir)),
      ...(run.policy !== undefined && { policy: run.policy }),
    },
  };
}
