/** The block backup system's part of the policy schema (composed by src/schema/compose.ts; docs/blocks.md). */
import { exactlyOneSchedule, scheduleKeys } from '../../schema/parts.js';
import type { SchemaPart } from '../types.js';

export const blocksSchema: SchemaPart = {
  describes: 'block-level backup of an HDFS directory into a store (source {cluster, path} + backup)',
  policy: {
    "backup": {
      "title": "Block backup",
      "description": "Every block of the files under the source path copied once into a store (blocks/<pool>/<id>_<genstamp>), one manifest per run (manifests/<policy>/<UTC>.json): where, schedule (exactly one of 'every' or 'cron'), manifest retention, garbage-collection grace and parallelism. One block backup policy per store.",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "to"
      ],
      "properties": {
        "to": {
          "title": "Store",
          "description": "Name of a store declared under 'stores'.",
          "type": "string",
          "minLength": 1
        },
        ...scheduleKeys,
        "keep": {
          "$ref": "#/$defs/keep",
          "description": "Retention of the policy's manifests (GFS counts). The newest manifest is always kept; a block is kept while any kept manifest references it."
        },
        "gc_grace": {
          "$ref": "#/$defs/duration",
          "title": "Garbage-collection grace",
          "description": "A block no kept manifest references is deleted only once it is older than this (default 1d)."
        },
        "concurrency": {
          "title": "Parallel requests",
          "description": "WebHDFS requests (walk) and block uploads in flight per step (default 4).",
          "type": "integer",
          "minimum": 1,
          "maximum": 64
        },
        "max_change": {
          "title": "Largest change backed up without the operator",
          "description": "A run whose walk lost or rewrote more than this share of the files or bytes of the newest manifest (a mass deletion, a directory recreated empty, ransomware) writes no manifest, and retention and garbage collection delete nothing, until the operator allows it with hbr apply --allow-overwrite <cluster>:<path>. Default 50%; 100% turns the check off.",
          "type": "string",
          "pattern": "^(100|[1-9]?[0-9])(\\.[0-9]+)?%$",
          "patternErrorMessage": "a percentage from 0% to 100%, e.g. 25%"
        },
        "verify_every": {
          "title": "Full block-list refresh",
          "description": "Every Nth run asks the NameNode for the block list of every file, instead of reusing the list of a file whose id, length and modification time are unchanged since the newest manifest. Absent: never.",
          "type": "integer",
          "minimum": 1
        }
      },
      ...exactlyOneSchedule,
    }
  },
};
