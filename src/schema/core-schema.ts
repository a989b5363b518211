/**
 * The core of the policy schema: the file format, names, durations, clusters/stores/policies maps,
 * coordination and notifications. Each system adds its policy keys, cluster kinds and definitions
 * (System.schema); src/schema/compose.ts puts them together, and schema/hbr-policy.schema.json is
 * that result, written for editors by `npm run schema`.
 */
export const coreSchema = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://hbr.dev/schema/hbr-policy.schema.json",
  "title": "hbr policy file",
  "description": "Declarative backup and disaster-recovery policies for Hadoop (hbr). Several files may be loaded together: their clusters, stores and policies merge into one configuration. Credentials never belong here: they come from the environment.",
  "type": "object",
  "additionalProperties": false,
  "required": [
    "version"
  ],
  "properties": {
    "version": {
      "title": "Policy file format version",
      "description": "Format version of this file. Must be 1.",
      "const": 1
    },
    "clusters": {
      "title": "Clusters",
      "description": "Named clusters hbr talks to: HDFS (through WebHDFS and the hdfs:// URI) or ZooKeeper.",
      "type": [
        "object",
        "null"
      ],
      "propertyNames": {
        "$ref": "#/$defs/name"
      },
      "additionalProperties": {
        "$ref": "#/$defs/cluster"
      }
    },
    "stores": {
      "title": "Stores",
      "description": "Named object stores or local directories that receive backups and archives.",
      "type": [
        "object",
        "null"
      ],
      "propertyNames": {
        "$ref": "#/$defs/name"
      },
      "additionalProperties": {
        "$ref": "#/$defs/store"
      }
    },
    "policies": {
      "title": "Policies",
      "description": "Named policies: what to protect, how often, how long to keep it and where to replicate it.",
      "type": [
        "object",
        "null"
      ],
      "propertyNames": {
        "$ref": "#/$defs/name"
      },
      "additionalProperties": {
        "$ref": "#/$defs/policy"
      }
    },
    "coordination": {
      "title": "Coordination",
      "description": "Several `hbr daemon`s on different hosts agree on one leader through ZooKeeper; only the leader applies. Without this section a daemon uses a local lock file in its state dir. Put it in one policy file only.",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "zookeeper"
      ],
      "properties": {
        "zookeeper": {
          "title": "ZooKeeper coordination",
          "type": "object",
          "additionalProperties": false,
          "required": [
            "connect",
            "path"
          ],
          "properties": {
            "connect": {
              "title": "Connect string",
              "description": "ZooKeeper client connect string, e.g. zk1:2181,zk2:2181,zk3:2181",
              "type": "string",
              "minLength": 1,
              "pattern": "^[^\\s/]+(/[^\\s]*)?$",
              "patternErrorMessage": "expected host:port[,host:port...] (optionally followed by a chroot path)"
            },
            "path": {
              "$ref": "#/$defs/absolutePath",
              "title": "Znode path",
              "description": "A znode path for hbr alone, e.g. /hbr/prod: the election and the apply lock live under it. Daemons that share it share one leader."
            },
            "session_timeout": {
              "$ref": "#/$defs/duration",
              "title": "Session timeout",
              "description": "ZooKeeper session timeout: how long after a leader dies (or is cut off) another daemon takes over. Default 15s; the server clamps it to between 2 and 20 ticks (4s–40s with tickTime 2000)."
            }
          }
        }
      }
    },
    "notifications": {
      "title": "Notifications",
      "description": "Where the daemon reports run failures, RPO breaches and recoveries.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "webhooks": {
          "title": "Webhooks",
          "description": "Named webhooks: each gets a JSON POST for the events it lists.",
          "type": [
            "object",
            "null"
          ],
          "propertyNames": {
            "$ref": "#/$defs/name"
          },
          "additionalProperties": {
            "$ref": "#/$defs/webhook"
          }
        }
      }
    }
  },
  "$defs": {
    "name": {
      "title": "Name",
      "description": "Lowercase letters, digits and '-', starting with a letter, at most 63 characters.",
      "type": "string",
      "pattern": "^[a-z][a-z0-9-]{0,62}$",
      "patternErrorMessage": "names are lowercase letters, digits and '-', start with a letter and are at most 63 characters long"
    },
    "duration": {
      "title": "Duration",
      "description": "A positive duration: whole numbers with units w (weeks), d (days), h (hours), m (minutes), s (seconds), largest unit first, e.g. 90s, 15m, 2h, 7d, 1w, 1h30m.",
      "type": "string",
      "pattern": "^(?=[0-9])([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$",
      "patternErrorMessage": "expected a duration such as 90s, 15m, 2h, 7d, 1w or 1h30m (units w, d, h, m, s, largest first)",
      "examples": [
        "15m",
        "1h",
        "1h30m",
        "24h",
        "7d"
      ]
    },
    "httpUrl": {
      "type": "string",
      "pattern": "^https?://[^\\s/?#]+(/[^\\s]*)?$",
      "patternErrorMessage": "expected an http:// or https:// URL, e.g. http://host:9870"
    },
    "keyPrefix": {
      "title": "Key prefix",
      "description": "A prefix of object keys or file names in a store: relative, so it cannot start with '/' nor hold a '..' segment (it would reach outside the store's own prefix or directory).",
      "type": "string",
      "pattern": "^(?!/)(?!(?:[^/]*/)*\\.\\.(?:/|$))",
      "patternErrorMessage": "a key prefix is relative: it may not start with '/' nor hold a '..' segment"
    },
    "absolutePath": {
      "title": "Absolute path",
      "description": "An absolute path: starts with '/', no trailing '/' (except the root itself), no empty, '.' or '..' components.",
      "type": "string",
      "pattern": "^(/|(/(?!\\.\\.?(/|$))[^/]+)+)$",
      "patternErrorMessage": "expected an absolute path such as /warehouse (starts with '/', no trailing '/', no '//', '.' or '..')"
    },
    "cluster": {
      "title": "Cluster",
      "description": "(composed from the systems: src/schema/compose.ts)",
      "type": "object",
      "additionalProperties": false,
      "minProperties": 1,
      "maxProperties": 1,
      "properties": {}
    },
    "store": {
      "title": "Store",
      "description": "Exactly one of 's3' or 'local'.",
      "type": "object",
      "additionalProperties": false,
      "minProperties": 1,
      "maxProperties": 1,
      "properties": {
        "s3": {
          "title": "S3 bucket",
          "description": "An S3 (or S3-compatible) bucket. Credentials come from the AWS default chain, never from this file.",
          "type": "object",
          "additionalProperties": false,
          "required": [
            "bucket"
          ],
          "properties": {
            "bucket": {
              "title": "Bucket",
              "description": "Bucket name.",
              "type": "string",
              "minLength": 1
            },
            "prefix": {
              "$ref": "#/$defs/keyPrefix",
              "title": "Key prefix",
              "description": "Prefix prepended to every object key, e.g. prod/. Relative: no leading '/', no '..' segment. Default: empty.",
              "default": ""
            },
            "region": {
              "title": "Region",
              "description": "AWS region, e.g. eu-west-1. Absent: from the environment.",
              "type": "string",
              "minLength": 1
            },
            "endpoint": {
              "$ref": "#/$defs/httpUrl",
              "title": "Endpoint URL",
              "description": "Endpoint of an S3-compatible service (MinIO, Ceph, ...), e.g. http://minio:9000"
            },
            "force_path_style": {
              "title": "Path-style addressing",
              "description": "Use path-style URLs (http://host/bucket/key), as most S3-compatible services need.",
              "type": "boolean"
            }
          }
        },
        "local": {
          "title": "Local directory",
          "description": "A directory on the machine running hbr.",
          "type": "object",
          "additionalProperties": false,
          "required": [
            "path"
          ],
          "properties": {
            "path": {
              "$ref": "#/$defs/absolutePath",
              "description": "Absolute path of the store directory, e.g. /srv/hbr-store"
            }
          }
        }
      }
    },
    "count": {
      "type": "integer",
      "minimum": 0
    },
    "keep": {
      "title": "Retention (GFS counts)",
      "description": "How many snapshots to keep per rule; a snapshot kept by any rule is kept. An absent count is 0. Safety floors always apply.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "last": {
          "$ref": "#/$defs/count",
          "description": "Keep the N most recent."
        },
        "hourly": {
          "$ref": "#/$defs/count",
          "description": "Keep the newest of each of the last N hours (UTC)."
        },
        "daily": {
          "$ref": "#/$defs/count",
          "description": "Keep the newest of each of the last N days (UTC)."
        },
        "weekly": {
          "$ref": "#/$defs/count",
          "description": "Keep the newest of each of the last N ISO weeks (UTC)."
        },
        "monthly": {
          "$ref": "#/$defs/count",
          "description": "Keep the newest of each of the last N months (UTC)."
        },
        "yearly": {
          "$ref": "#/$defs/count",
          "description": "Keep the newest of each of the last N years (UTC)."
        }
      }
    },
    "policy": {
      "title": "Policy",
      "description": "(composed from the systems: src/schema/compose.ts)",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "source"
      ],
      "properties": {
        "source": {
          "title": "Source",
          "description": "What to protect: a cluster declared under 'clusters', and a path in it for systems that protect a directory (HDFS snapshots); { cluster } alone for a ZooKeeper archive.",
          "type": "object",
          "additionalProperties": false,
          "required": [
            "cluster"
          ],
          "properties": {
            "cluster": {
              "title": "Cluster",
              "description": "Name of a cluster declared under 'clusters'.",
              "type": "string",
              "minLength": 1
            },
            "path": {
              "$ref": "#/$defs/absolutePath",
              "description": "Absolute HDFS directory path, e.g. /warehouse (HDFS snapshot policies only)."
            }
          }
        },
        "rpo": {
          "$ref": "#/$defs/duration",
          "title": "Recovery point objective",
          "description": "Maximum tolerated age of the newest snapshot (and of the newest replicated one). Must not be shorter than 'every'."
        },
        "verify": {
          "title": "Restore drills",
          "description": "How often the daemon runs a restore drill of the policy (`hbr verify` runs one at once): the newest recovery point of each site is restored into a scratch place, compared with what was protected, and cleaned up (docs/drills.md). Only for systems with drills.",
          "type": "object",
          "additionalProperties": false,
          "required": [
            "every"
          ],
          "properties": {
            "every": {
              "$ref": "#/$defs/duration",
              "title": "Interval",
              "description": "Time between drills, e.g. 7d."
            }
          }
        },
        "rto": {
          "$ref": "#/$defs/duration",
          "title": "Recovery time objective",
          "description": "Longest tolerated restore time: a drill that takes longer is reported (hbr_restore_drill_duration_seconds against hbr_rto_seconds; docs/drills.md)."
        }
      }
    },
    "envName": {
      "type": "string",
      "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
      "patternErrorMessage": "expected the name of an environment variable, e.g. HBR_WEBHOOK_OPS"
    },
    "webhook": {
      "title": "Webhook",
      "description": "A JSON POST endpoint. Give `url` when the URL holds no secret, or `url_env` to read it from the environment (Slack-style URLs are themselves the secret). `bearer_env` names a variable whose value is sent as `Authorization: Bearer`.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "url": {
          "$ref": "#/$defs/httpUrl",
          "title": "URL"
        },
        "url_env": {
          "$ref": "#/$defs/envName",
          "title": "URL from the environment"
        },
        "bearer_env": {
          "$ref": "#/$defs/envName",
          "title": "Bearer token from the environment"
        },
        "events": {
          "title": "Events",
          "description": "Which events to send; all when absent.",
          "type": "array",
          "minItems": 1,
          "uniqueItems": true,
          "items": {
            "enum": [
              "run.failed",
              "run.recovered",
              "rpo.breached",
              "rpo.recovered",
              "pair.held",
              "pair.released",
              "drill.failed",
              "drill.recovered"
            ]
          }
        }
      },
      "anyOf": [
        {
          "required": [
            "url"
          ]
        },
        {
          "required": [
            "url_env"
          ]
        }
      ],
      "not": {
        "required": [
          "url",
          "url_env"
        ]
      }
    }
  }
};
