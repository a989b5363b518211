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
 *   API on abort and by the next start's reaping (./yarn.ts, ./yarn-reap.ts). The owner is the
 *   deployment when the policies coordinate through ZooKeeper (`ownerIdentity`).
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
import { ownerTag, rmWebappFromConfDir, type RmAccess } from './yarn.js';

/** Where several hbr processes coordinate (the policies' `coordination.zookeeper`). */
export interface Coordinated {
  connect: string;
  path: string;
}

/**
 * The identity behind the owner tag of hbr's YARN jobs (proposal §5.1). With coordination it is the
 * deployment's (its ZooKeeper hosts, sorted, and path): every daemon and every `hbr apply` of it
 * tags alike, so a daemon that becomes leader finds and kills the jobs of a leader that died
 * mid-copy (docs/daemon.md). Without coordination, this state dir's real path: only processes
 * on this state dir, which hold its lock, ever sweep them.
 */
export function ownerIdentity(stateDir: string, coordination?: Coordinated): string {
  if (coordination) {
    const hosts = coordination.connect.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean).sort().join(',');
    return `zk:${hosts}${coordination.path.replace(/\/+$/, '')}`;
  }
  try {
    return realpathSync(stateDir);
  } catch {
    return stateDir;
  }
}

/** DistcpRun's `login`, `yarn` and `conf` for a copy between `clusters` (source first). */
export function distcpAccess(clusters: readonly HdfsCluster[], run: { stateDir: string; hadoop: string; policy?: string; coordination?: Coordinated }): Pick<DistcpRun, 'login' | 'yarn' | 'conf'> {
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
      ownerTag: ownerTag(ownerIdentity(run.stateDir, run.coordination)),
      ...(run.policy !== undefined && { policy: run.policy }),
    },
  };
}

/**
 * Every ResourceManager a DistCp of these clusters may run on, with this deployment's owner tag:
 * what a process holding hbr's lock sweeps of unfinished jobs before it observes (./yarn-reap.ts;
 * a daemon when it becomes leader, `hbr apply`/`verify`/`restore` under the lock). Each Kerberized
 * cluster with any cluster's `conf_dir` that runs MapReduce on YARN; one entry per RM web app.
 */
export function yarnSweep(clusters: readonly HdfsCluster[], run: { stateDir: string; hadoop: string; coordination?: Coordinated }): { rm: RmAccess; ownerTag: string }[] {
  const out = new Map<string, { rm: RmAccess; ownerTag: string }>();
  const confDirs = [...new Set(clusters.map((c) => c.confDir).filter((d): d is string => d !== undefined))];
  for (const k of clusters.filter((c) => c.auth?.kind === 'kerberos')) {
    for (const dir of confDirs) {
      const y = distcpAccess([{ ...k, confDir: dir }], run).yarn;
      if (y && !out.has(y.rm.webapp)) out.set(y.rm.webapp, { rm: y.rm, ownerTag: y.ownerTag });
    }
  }
  return [...out.values()];
}
