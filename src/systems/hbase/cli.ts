/**
 * HBase's `hbase backup …` / `hbase restore …` through the Hadoop CLI launcher (src/hadoop/cli.ts:
 * argv arrays, its own process group, pdeathsig, killed with hbr), recorded as a child so a later run
 * reaps one a kill left behind. The launcher is HBR_HBASE, else `hbase` on PATH; its own config dir
 * (HBASE_CONF_DIR) carries the backup keys, and hbr points it at the policy's cluster with
 * `-Dhbase.zookeeper.quorum` (BackupDriver and RestoreDriver run through Hadoop's ToolRunner, which
 * takes generic -D options before the command: seen on the test bed).
 *
 * Exit codes lie (docs/design/hbase-notes.md): callers parse what was printed and observe again.
 */
import { randomBytes } from 'node:crypto';
import { trackChild, untrackChild } from '../../hadoop/children.js';
import { runHadoop, type HadoopRunResult } from '../../hadoop/cli.js';
import type { ExecContext } from '../types.js';
import type { HbaseCluster } from './types.js';

export function hbaseBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.HBR_HBASE || 'hbase';
}

/** `hbase <command> -D… ARGS`; resolves whatever the exit code (they lie). */
export async function runHbase(
  ctx: Pick<ExecContext, 'stateDir' | 'signal'> & { log?: (m: string) => void },
  cluster: HbaseCluster,
  command: 'backup' | 'restore',
  args: readonly string[],
  stepId: string,
): Promise<HadoopRunResult & { output: string }> {
  const marker = `hbr-step=${randomBytes(6).toString('hex')}`;
  let pid: number | undefined;
  const r = await runHadoop([command, `-Dhbr.step=${marker}`, `-Dhbase.zookeeper.quorum=${cluster.zookeeper}`, ...args], {
    hadoop: hbaseBinary(),
    signal: ctx.signal,
    onSpawn: (p) => {
      pid = p;
      trackChild(ctx.stateDir, { pid: p, marker, startedAt: Date.now(), step: stepId });
    },
  }).finally(() => {
    if (pid !== undefined) untrackChild(ctx.stateDir, pid);
  });
  return { ...r, output: `${r.stdout}\n${r.stderr}` };
}

/** The id a `backup create` printed: "Backup session backup_<ms> finished. Status: SUCCESS". */
export function parseCreated(output: string): { id?: string; success: boolean } {
  const m = /Backup session (backup_\d+) finished\. Status: (\w+)/.exec(output);
  return m ? { id: m[1]!, success: m[2] === 'SUCCESS' } : { success: false };
}

/** The cause a failed command printed, without Java stack frames or log noise: its last lines (a message may span lines). */
export function failureText(output: string): string {
  return output
    .split('\n')
    .filter((l) => l.trim() && !/^\s+at |^\s+\.\.\. \d+ more|^\d{4}-\d\d-\d\dT[\d:,]+ (WARN|INFO|DEBUG) /.test(l))
    .slice(-4)
    .join(' | ')
    .slice(0, 600);
}
