/**
 * One more HDFS cluster beside the test bed, configured otherwise, for the one suite that needs it
 * (`testbed/up --extra-hdfs`: the same single-DataNode MiniDFSCluster as primary and dr, with extra
 * `-D key=value`). Started by the suite, stopped and purged by it; `testbed/down` stops any left.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { WebHdfs } from '../../src/hadoop/webhdfs.js';
import { repoRoot, testbed } from './testbed.js';
import { freePort } from './zk.js';

export interface ExtraHdfs {
  name: string;
  webhdfs: string;
  fs: string;
  client: WebHdfs;
  stop(): void;
}

function run(args: string[]): void {
  const r = spawnSync('bash', args, { cwd: repoRoot, env: { ...process.env, HBR_TB_STATE: testbed().HBR_TB_STATE }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bash ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}

export async function startExtraHdfs(name: `extra-${string}`, conf: Record<string, string>): Promise<ExtraHdfs> {
  const [nn, http] = [await freePort(), await freePort()];
  const d = Object.entries(conf).flatMap(([k, v]) => ['-D', `${k}=${v}`]);
  run([join('testbed', 'up'), '--extra-hdfs', name, String(nn), String(http), ...d]);
  const webhdfs = `http://127.0.0.1:${http}`;
  return {
    name,
    webhdfs,
    fs: `hdfs://127.0.0.1:${nn}`,
    client: new WebHdfs({ baseUrl: webhdfs, user: testbed().HBR_TB_HDFS_USER }),
    stop: () => run([join('testbed', 'down'), '--purge', name]),
  };
}
