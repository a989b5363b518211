/**
 * What protects a cluster's data, and what an audit found wrong with it (docs/audit.md). Plain
 * data shared by the systems (System.protects, System.findings in src/systems/types.ts), the
 * planner (PlanBuilder.protections) and the daemon (/status, hbr_audit_findings).
 */

/** One path a policy protects, as its system says (System.protects), canonical by endpoint. */
export interface Protection {
  /** the policy that protects it */
  policy: string;
  /** canonical identity of the NameNode/server (src/hadoop/cluster.ts hdfsEndpoint), e.g. hdfs://nn:8020 */
  endpoint: string;
  /** the cluster's name in the policies, for messages */
  cluster: string;
  /** the directory protected (it and everything under it) */
  path: string;
  /**
   * How: `snapshots` (point-in-time copies on the same cluster), `replication` (a DR pair: a copy on
   * another cluster), `backup` (a copy in a store). A system may name others.
   */
  by: 'snapshots' | 'replication' | 'backup' | (string & {});
  /**
   * For `replication`: the endpoint of the other side of the pair. A pair within one NameNode does
   * not survive the loss of that cluster, so an audit does not count it as a DR copy.
   */
  copyAt?: string;
}

/** One thing an audit found: a check, where, how many items, and a sentence for the operator. */
export interface Finding {
  /** the check's stable name (a metric label): e.g. `missing-blocks`, `trash`, `low-replication` */
  check: string;
  cluster: string;
  path?: string;
  /** how many items (blocks, files, quotas) the finding counts; the hbr_audit_findings gauge sums them */
  count: number;
  message: string;
}

/**
 * What an audit of one policy checked and found. `checked` lists the (cluster, check) pairs that
 * could be observed: a check missing from it is unknown (its gauge is dropped), not clear.
 */
export interface AuditReport {
  checked: Array<{ cluster: string; check: string }>;
  findings: Finding[];
}
