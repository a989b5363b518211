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
      "description": "An HDFS cluster reached through WebHDFS (observation) and its hdfs:// URI (Hadoop tools).",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "webhdfs",
        "fs"
      ],
      "properties": {
        "webhdfs": {
          "$ref": "#/$defs/httpUrl",
          "title": "WebHDFS URL",
          "description": "WebHDFS base URL of the active NameNode, e.g. http://nn.prod:9870"
        },
        "fs": {
          "title": "File system URI",
          "description": "File system URI used by Hadoop tools (distcp, hdfs dfs), e.g. hdfs://nn.prod:8020",
          "type": "string",
          "pattern": "^hdfs://\\S+$",
          "patternErrorMessage": "expected an hdfs:// URI, e.g. hdfs://nn.prod:8020"
        },
        "user": {
          "title": "WebHDFS user",
          "description": "Simple-auth user name sent to WebHDFS (user.name). Absent: none is sent.",
          "type": "string",
          "minLength": 1
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
