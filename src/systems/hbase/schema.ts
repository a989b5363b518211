/** The HBase backup system's part of the policy schema (composed by src/schema/compose.ts; docs/hbase.md). */
import { exactlyOneSchedule, scheduleKeys } from '../../schema/parts.js';
import type { SchemaPart } from '../types.js';

const schedule = (what: string): object => ({
  title: `${what} schedule`,
  description: `When a new ${what.toLowerCase()} backup is due: exactly one of 'every' or 'cron'.`,
  type: 'object',
  additionalProperties: false,
  properties: { ...scheduleKeys },
  ...exactlyOneSchedule,
});

export const hbaseSchema: SchemaPart = {
  describes: "HBase full and incremental backups with HBase's backup module (source {cluster} + hbase)",
  policy: {
    hbase: {
      title: 'HBase backups',
      description: "Full and incremental backups of tables (or of a namespace) with HBase's own backup module, to a backup root on an HDFS cluster; retention by whole chains (a full and its incrementals). docs/hbase.md",
      type: 'object',
      additionalProperties: false,
      required: ['backup_root', 'full', 'incremental'],
      properties: {
        tables: {
          title: 'Tables',
          description: "Tables to back up together, as 'table' (namespace default) or 'namespace:table'. Exactly one of 'tables' and 'namespace'.",
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { type: 'string', pattern: '^([A-Za-z0-9_]+:)?[A-Za-z0-9_][A-Za-z0-9_.-]*$', patternErrorMessage: "a table name, 'table' or 'namespace:table'" },
        },
        namespace: {
          title: 'Namespace',
          description: "Every table of this namespace (as listed when each backup is planned). Exactly one of 'tables' and 'namespace'.",
          type: 'string',
          pattern: '^[A-Za-z0-9_]+$',
          patternErrorMessage: 'a namespace name: letters, digits and _',
        },
        backup_root: {
          title: 'Backup root',
          description: 'Where the backup images go: an HDFS cluster declared under clusters and an absolute path on it, owned by this policy.',
          type: 'object',
          additionalProperties: false,
          required: ['cluster', 'path'],
          properties: {
            cluster: { title: 'Cluster', description: "Name of an HDFS cluster declared under 'clusters'.", type: 'string', minLength: 1 },
            path: { $ref: '#/$defs/absolutePath', description: 'Absolute path of the backup root, e.g. /hbase-backups/orders.' },
          },
        },
        full: schedule('Full'),
        incremental: schedule('Incremental'),
        keep: {
          $ref: '#/$defs/keep',
          description: 'Retention of whole chains (a full and its incrementals), each dated by its full (GFS counts). The newest good chain is always kept.',
        },
      },
      not: { required: ['tables', 'namespace'] },
      anyOf: [{ required: ['tables'] }, { required: ['namespace'] }],
    },
  },
  clusters: {
    hbase: {
      title: 'HBase cluster',
      description: 'An HBase cluster with the backup module enabled: observed over its REST gateway, driven with its `hbase backup` CLI.',
      type: 'object',
      additionalProperties: false,
      required: ['rest', 'zookeeper', 'fs'],
      properties: {
        rest: { $ref: '#/$defs/httpUrl', title: 'REST gateway', description: 'HBase REST gateway base URL, e.g. http://hbase-rest:8080' },
        zookeeper: {
          title: 'ZooKeeper quorum',
          description: 'hbase.zookeeper.quorum with client ports, e.g. zk1:2181,zk2:2181',
          type: 'string',
          pattern: '^[A-Za-z0-9.-]+:[0-9]+(,[A-Za-z0-9.-]+:[0-9]+)*$',
          patternErrorMessage: 'host:port[,host:port...]',
        },
        fs: {
          title: 'Root directory',
          description: "hbase.rootdir, e.g. hdfs://nn.prod:8020/hbase (/hbase when no path is given). With an hdfs cluster of the same NameNode declared under 'clusters', hbr finds and removes the table snapshots failed backups leave under its .hbase-snapshot/.",
          type: 'string',
          pattern: '^hdfs://\\S+$',
          patternErrorMessage: 'expected an hdfs:// URI, e.g. hdfs://nn.prod:8020',
        },
      },
    },
  },
};
