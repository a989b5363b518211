/** The ZooKeeper archive system's part of the policy schema (composed by src/schema/compose.ts). */
import { exactlyOneSchedule, scheduleKeys } from '../../schema/parts.js';
import type { SchemaPart } from '../types.js';

export const zookeeperSchema: SchemaPart = {
  describes: 'archives of a ZooKeeper ensemble (source {cluster} + archive)',
  policy: {
    "archive": {
      "title": "Archive",
      "description": "Archives of a ZooKeeper ensemble in a store: where, key prefix, schedule (exactly one of 'every' or 'cron') and retention.",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "to",
        "prefix"
      ],
      "properties": {
        "to": {
          "title": "Store",
          "description": "Name of a store declared under 'stores'.",
          "type": "string",
          "minLength": 1
        },
        "prefix": {
          "$ref": "#/$defs/keyPrefix",
          "title": "Key prefix",
          "description": "Archive keys are <prefix><UTC yyyy-MM-ddTHH-mm-ssZ>.tar.gz under the store's prefix, e.g. zookeeper-backup-eu-west1-",
          "type": "string",
          "pattern": "^[A-Za-z0-9._/-]*$",
          "patternErrorMessage": "letters, digits, '.', '_', '-' and '/' only"
        },
        ...scheduleKeys,
        "keep": {
          "$ref": "#/$defs/keep",
          "description": "Retention of the archives (GFS counts). The newest good archive is always kept."
        }
      },
      ...exactlyOneSchedule,
    }
  },
  clusters: {
    "zookeeper": {
      "title": "ZooKeeper ensemble",
      "description": "A ZooKeeper ensemble, reached through its AdminServer and/or client port.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "admin": {
          "$ref": "#/$defs/httpUrl",
          "title": "AdminServer URL",
          "description": "ZooKeeper AdminServer base URL, e.g. http://zk1:8080"
        },
        "connect": {
          "title": "Connect string",
          "description": "ZooKeeper client connect string, e.g. zk1:2181,zk2:2181",
          "type": "string",
          "minLength": 1
        },
        "datadir": {
          "$ref": "#/$defs/absolutePath",
          "title": "Data dir",
          "description": "The server's dataDir (holding version-2/), when hbr runs beside ZooKeeper: archives in mode 'datadir' are read from it while the server runs."
        },
        "mode": {
          "title": "Archive mode",
          "description": "How archives are taken: 'admin' streams a snapshot from the AdminServer (ZooKeeper 3.9+; digest auth from HBR_ZK_ADMIN_AUTH=user:password), 'datadir' packs the newest snapshot and the logs after it from 'datadir'. Default: admin when 'admin' is set, else datadir.",
          "enum": [
            "admin",
            "datadir"
          ]
        }
      }
    }
  },
};
