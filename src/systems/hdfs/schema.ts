/** The HDFS snapshot system's part of the policy schema (composed by src/schema/compose.ts). */
import { exactlyOneSchedule, maxChangeKey, scheduleKeys } from '../../schema/parts.js';
import type { SchemaPart } from '../types.js';
import { ALL_PRESERVE } from './preserve.js';

export const hdfsSchema: SchemaPart = {
  describes: 'HDFS snapshots of a directory (source {cluster, path} + snapshots [+ replicate])',
  policy: {
    "snapshots": {
      "title": "Snapshots",
      "description": "Schedule (exactly one of 'every' or 'cron') and retention of the snapshots.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        ...scheduleKeys,
        "keep": {
          "$ref": "#/$defs/keep"
        }
      },
      ...exactlyOneSchedule,
    },
    "preserve": {
      "title": "Attributes every copy preserves",
      "description": "What every DistCp copy of the policy (replication, repair, restore) carries over besides the bytes, as DistCp's -p flags. Absent: all of them. List only those to keep, e.g. leave out user and group when hbr's user is not an HDFS superuser on the target. acl and xattr are dropped (with a plan warning) when a cluster has dfs.namenode.acls.enabled / dfs.namenode.xattrs.enabled off.",
      "type": "array",
      "uniqueItems": true,
      "items": {
        "type": "string",
        "enum": ALL_PRESERVE
      }
    },
    "replicate": {
      "title": "DR replication",
      "description": "Targets the snapshots are replicated to (snapshot-diff distcp).",
      "type": "array",
      "items": {
        "title": "Replication target",
        "type": "object",
        "additionalProperties": false,
        "required": [
          "to"
        ],
        "properties": {
          "to": {
            "$ref": "#/$defs/hdfsLocation",
            "title": "Target",
            "description": "Target directory: { cluster, path }."
          },
          "keep": {
            "$ref": "#/$defs/keep",
            "description": "Retention on the DR side. Absent: keep only what the safety floors require."
          },
          ...maxChangeKey,
          "distcp": {
            "title": "DistCp options",
            "description": "How the copies to this target run (docs/policies.md): the YARN queue (mapreduce.job.queuename), DistCp's -m (maps) and -bandwidth (MB/s per map).",
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "queue": { "type": "string", "pattern": "^[A-Za-z0-9_.-]+$", "maxLength": 255, "description": "YARN queue, e.g. root.dr" },
              "maps": { "type": "integer", "minimum": 1, "maximum": 10000, "description": "Maximum number of simultaneous copies (DistCp -m)" },
              "bandwidth": { "type": "number", "exclusiveMinimum": 0, "maximum": 100000, "description": "MB/s per map (DistCp -bandwidth)" }
            }
          },
        }
      }
    }
  },
  clusters: {
    "hdfs": {
      "title": "HDFS cluster",
      "description": "An HDFS cluster reached through WebHDFS (observation) and its hdfs:// URI (Hadoop tools). One NameNode: webhdfs + fs. HA: nameservice + namenodes. Kerberized: auth.kerberos (+ ca_bundle for https://). docs/security.md",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "webhdfs": {
          "$ref": "#/$defs/httpUrl",
          "title": "WebHDFS URL",
          "description": "WebHDFS base URL of the NameNode, e.g. http://nn.prod:9870 (https://nn.prod:9871 when Kerberized). For an HA cluster give 'namenodes' instead."
        },
        "fs": {
          "title": "File system URI",
          "description": "File system URI used by Hadoop tools (distcp, hdfs dfs), e.g. hdfs://nn.prod:8020. For an HA cluster hdfs://<nameservice>, the default there.",
          "type": "string",
          "pattern": "^hdfs://\\S+$",
          "patternErrorMessage": "expected an hdfs:// URI, e.g. hdfs://nn.prod:8020"
        },
        "user": {
          "title": "WebHDFS user",
          "description": "Simple-auth user name sent to WebHDFS (user.name). Absent: none is sent. Not with auth.kerberos.",
          "type": "string",
          "minLength": 1
        },
        "nameservice": {
          "title": "HA nameservice",
          "description": "The logical name of an HA cluster's NameNodes (dfs.nameservices), e.g. prod-ns; its endpoint and fs are hdfs://<nameservice>.",
          "type": "string",
          "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$",
          "patternErrorMessage": "expected a nameservice name such as prod-ns (letters, digits, '.', '_', '-')"
        },
        "namenodes": {
          "title": "HA NameNodes",
          "description": "The NameNodes of the nameservice by their dfs.ha.namenodes names, each { http: its WebHDFS URL, rpc: host:port }. hbr acts through whichever is active and fails over on a StandbyException or a refused connection.",
          "type": "object",
          "minProperties": 2,
          "additionalProperties": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "http"
            ],
            "properties": {
              "http": {
                "$ref": "#/$defs/httpUrl",
                "title": "WebHDFS URL",
                "description": "This NameNode's WebHDFS base URL, e.g. https://nn1.prod:9871"
              },
              "rpc": {
                "title": "RPC address",
                "description": "This NameNode's RPC host:port (dfs.namenode.rpc-address.<ns>.<nn>), for the Hadoop tools' client configuration.",
                "type": "string",
                "pattern": "^[^\\s/:]+:[0-9]+$",
                "patternErrorMessage": "expected host:port, e.g. nn1.prod:8020"
              }
            }
          }
        },
        "conf_dir": {
          "$ref": "#/$defs/absolutePath",
          "title": "Hadoop configuration directory",
          "description": "HADOOP_CONF_DIR for the Hadoop tools hbr runs against this cluster (dtutil, distcp), e.g. /etc/hadoop/conf."
        },
        "auth": {
          "title": "Authentication",
          "description": "How hbr authenticates. Absent: simple auth (user.name).",
          "type": "object",
          "additionalProperties": false,
          "required": [
            "kerberos"
          ],
          "properties": {
            "kerberos": {
              "title": "Kerberos",
              "description": "hbr logs in from a keytab (paths only: never a secret in a policy) to fetch an HDFS delegation token (hadoop dtutil), which WebHDFS takes as delegation=.",
              "type": "object",
              "additionalProperties": false,
              "required": [
                "principal",
                "keytab"
              ],
              "properties": {
                "principal": {
                  "title": "Principal",
                  "description": "hbr's Kerberos principal, e.g. hbr/edge1.prod@PROD.EXAMPLE.COM",
                  "type": "string",
                  "pattern": "^[^\\s@]+@[^\\s@]+$",
                  "patternErrorMessage": "expected a principal with its realm, e.g. hbr@EXAMPLE.COM"
                },
                "keytab": {
                  "$ref": "#/$defs/absolutePath",
                  "title": "Keytab",
                  "description": "Path of the keytab holding the principal's key; readable by hbr, by nobody else (mode 600)."
                },
                "krb5_conf": {
                  "$ref": "#/$defs/absolutePath",
                  "title": "krb5.conf",
                  "description": "Kerberos configuration for the JVM hbr runs (java.security.krb5.conf). Absent: the system's."
                }
              }
            }
          }
        },
        "ca_bundle": {
          "$ref": "#/$defs/absolutePath",
          "title": "CA bundle",
          "description": "PEM file of the CA certificate(s) that signed the NameNodes' and DataNodes' HTTPS certificates. Absent: Node's default trust store."
        }
      }
    }
  },
  defs: {
    "hdfsLocation": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "cluster",
        "path"
      ],
      "properties": {
        "cluster": {
          "title": "Cluster",
          "description": "Name of an hdfs cluster declared under 'clusters'.",
          "type": "string",
          "minLength": 1
        },
        "path": {
          "$ref": "#/$defs/absolutePath",
          "description": "Absolute HDFS directory path, e.g. /warehouse"
        }
      }
    }
  },
};
