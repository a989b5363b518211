/** The audit system's part of the policy schema (composed by src/schema/compose.ts). */
import { scheduleKeys } from '../../schema/parts.js';
import type { SchemaPart } from '../types.js';

export const auditSchema: SchemaPart = {
  describes: 'a protection audit of an HDFS directory (source {cluster, path} + audit): read only, it reports and changes nothing',
  policy: {
    "audit": {
      "title": "Protection audit",
      "description": "Reports what protects the source directory and what does not (docs/audit.md): missing, corrupt and low-redundancy blocks, trash, replication factors, quotas near full, no snapshot policy or DR copy. Plans no steps.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "every": { ...scheduleKeys.every, "description": "How often the daemon audits, e.g. 15m (default 15m). Mutually exclusive with 'cron'." },
        "cron": scheduleKeys.cron,
        "min_replication": {
          "title": "Lowest replication factor",
          "description": "Files under the path with a lower replication factor are reported (a LISTSTATUS walk of the tree; erasure-coded files are left out). Absent: no walk.",
          "type": "integer",
          "minimum": 1,
          "maximum": 512
        },
        "min_trash": {
          "$ref": "#/$defs/duration",
          "title": "Shortest trash",
          "description": "The NameNode's fs.trash.interval shorter than this is reported, e.g. 1d. Trash off is reported whether or not this is set."
        },
        "quota_full": {
          "title": "Quota near full",
          "description": "A name, space or storage-type quota on the path or an ancestor used to this share or more is reported. Default 90%.",
          "type": "string",
          "pattern": "^(100|[1-9]?[0-9])(\\.[0-9]+)?%$",
          "patternErrorMessage": "a percentage from 0% to 100%, e.g. 90%"
        },
        "concurrency": {
          "title": "Parallel requests",
          "description": "LISTSTATUS requests the walk keeps in flight (default 8).",
          "type": "integer",
          "minimum": 1,
          "maximum": 64
        }
      },
      "not": { "required": ["every", "cron"] }
    }
  },
};
