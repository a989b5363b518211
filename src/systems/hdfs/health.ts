/** The HDFS system's part of the daemon's health polling: NameNode health (src/hadoop/health.ts) into the hbr_hdfs_* gauges. */
import type { Logger } from 'pino';
import { isHdfsCluster } from '../../hadoop/cluster.js';
import { tokenFacts } from '../../hadoop/dtoken.js';
import { observeHdfsHealth } from '../../hadoop/health.js';
import type { HbrMetrics } from '../../metrics/registry.js';
import type { Config } from '../../model/policy.js';

/**
 * The daemon's leader polls this: the NameNode health of every HDFS cluster into the hbr_hdfs_*
 * gauges. Unknown is not zero: a cluster not observed has its series dropped. For a Kerberized
 * cluster also when hbr refreshes its delegation token and the token's max date (the poll uses the
 * token, so a refresh due is attempted here; a token hbr could not refresh keeps its old refresh
 * time, which the HbrKerberosLoginFailing alert watches: deploy/hbr.rules.yml, docs/security.md).
 */
export async function pollHdfsHealth(config: Config, m: HbrMetrics, log: Logger): Promise<void> {
  const clusters = Object.values(config.clusters).filter(isHdfsCluster);
  await Promise.all(
    clusters.map(async (c) => {
      try {
        const h = await observeHdfsHealth(c, { timeoutMs: 10_000 });
        m.hdfsMissingBlocks.set({ cluster: c.name }, h.missingBlocks);
        m.hdfsCorruptBlocks.set({ cluster: c.name }, h.corruptBlocks);
        m.hdfsUnderReplicatedBlocks.set({ cluster: c.name }, h.underReplicatedBlocks);
        if (h.trashEnabled !== undefined) m.hdfsTrashEnabled.set({ cluster: c.name }, h.trashEnabled ? 1 : 0);
      } catch (err) {
        for (const g of [m.hdfsMissingBlocks, m.hdfsCorruptBlocks, m.hdfsUnderReplicatedBlocks, m.hdfsTrashEnabled]) g.remove({ cluster: c.name });
        log.warn({ cluster: c.name, error: (err as Error).message }, `NameNode health of ${c.name} not observed`);
      }
      const t = c.auth ? tokenFacts(c) : undefined;
      if (t) {
        m.hdfsTokenRefresh.set({ cluster: c.name }, Math.floor(t.refreshAt / 1000));
        m.hdfsTokenMaxDate.set({ cluster: c.name }, Math.floor(t.maxDate / 1000));
      } else {
        for (const g of [m.hdfsTokenRefresh, m.hdfsTokenMaxDate]) g.remove({ cluster: c.name });
      }
    }),
  );
}
