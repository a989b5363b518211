/** The Ozone system's part of the policy schema (composed by src/schema/compose.ts; docs/ozone.md). */
import { exactlyOneSchedule, maxChangeKey, scheduleKeys } from '../../schema/parts.js';
import type { SchemaPart } from '../types.js';

/** Ozone's volume and bucket names: 3-63 characters, lower-case letters, digits, '.' and '-'. */
const ozoneName = (what: string) => ({
  "type": "string",
  "pattern": "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
  "patternErrorMessage": `an Ozone ${what} name: 3-63 characters, lower-case letters, digits, '.' and '-'`,
});

export const ozoneSchema: SchemaPart = {
  describes: 'Ozone bucket snapshots (source {cluster} + ozone {volume, bucket, schedule, keep [, replicate]})',
  policy: {
    "ozone": {
      "title": "Ozone bucket snapshots",
      "description": "Snapshots of an Ozone bucket on a schedule (exactly one of 'every' or 'cron'), their retention, and DR replication to the same-named bucket of other Ozone clusters (docs/ozone.md).",
      "type": "object",
      "additionalProperties": false,
      "required": ["volume", "bucket"],
      "properties": {
        "volume": { ...ozoneName('volume'), "title": "Volume" },
        "bucket": {
          "title": "Bucket",
          "description": "The bucket, or \"*\" for every bucket of the volume, including buckets created later: each gets its own snapshots, retention and replication (docs/ozone.md, \"Volume policies\").",
          "type": "string",
          "pattern": "^(\\*|[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$",
          "patternErrorMessage": "an Ozone bucket name (3-63 characters, lower-case letters, digits, '.' and '-'), or \"*\" for every bucket of the volume"
        },
        ...scheduleKeys,
        "keep": { "$ref": "#/$defs/keep" },
        "replicate": {
          "title": "DR replication",
          "description": "Ozone clusters the bucket's snapshots are replicated to (DistCp -update -diff), into a bucket of the same name.",
          "type": "array",
          "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["to"],
            "properties": {
              "to": { "title": "Target cluster", "description": "Name of an ozone cluster declared under 'clusters'.", "type": "string", "minLength": 1 },
              "volume": { ...ozoneName('volume'), "title": "Target volume", "description": "The volume on the target. Absent: the source's." },
              "keep": { "$ref": "#/$defs/keep", "description": "Retention on the DR side. Absent: keep only what the safety floors require." },
              ...maxChangeKey,
            }
          }
        }
      },
      ...exactlyOneSchedule,
    }
  },
  clusters: {
    "ozone": {
      "title": "Ozone cluster",
      "description": "An Apache Ozone cluster: its OM, its HttpFS gateway (WebHDFS; observation and snapshots) and its ofs:// root (DistCp).",
      "type": "object",
      "additionalProperties": false,
      "required": ["om", "httpfs", "fs"],
      "properties": {
        "om": { "title": "OM address", "description": "The Ozone Manager's RPC address, host:port (ozone.om.address).", "type": "string", "pattern": "^[^\\s:/]+:[0-9]+$", "patternErrorMessage": "expected host:port, e.g. om1:9862" },
        "httpfs": { "$ref": "#/$defs/httpUrl", "title": "HttpFS gateway URL", "description": "Base URL of the cluster's HttpFS gateway (ozone-httpfsgateway), e.g. http://om1:14000" },
        "fs": { "title": "File system URI", "description": "The cluster's root for Hadoop tools, e.g. ofs://om1:9862 (o3fs cannot list snapshots).", "type": "string", "pattern": "^ofs://[^/\\s]+/?$", "patternErrorMessage": "expected an ofs:// root URI, e.g. ofs://om1:9862" },
        "user": { "title": "HttpFS user", "description": "Simple-auth user name sent to the gateway (user.name). Absent: HADOOP_USER_NAME, else the OS user.", "type": "string", "minLength": 1 },
        "replication": { "title": "DistCp replication", "description": "ozone.replication DistCp asks for when writing into this cluster (1 for a single-DataNode cluster). Absent: the cluster's default.", "type": "integer", "enum": [1, 3] }
      }
    }
  },
};
