/**
 * A ZooKeeper restore never rewrites hbr's own coordination znodes (docs/restore.md, "ZooKeeper";
 * the znodes: docs/daemon.md). The AdminServer's restore command replaces the server's whole data
 * tree with the snapshot's (ZooKeeper 3.9 ZooKeeperServer.restoreFromSnapshot deserializes the
 * snapshot into a new ZKDatabase and swaps it in); it cannot leave a subtree out. Restored into the
 * ensemble `coordination:` names, it would replace `<path>/lock` — the apply lock this very restore
 * holds — and the daemons' `<path>/election/` with whatever the archive had. So a restore through
 * an AdminServer that serves a client port of the coordination ensemble is refused: restore into
 * another ensemble, or into a stopped server's data dir.
 */
import { lookup } from 'node:dns/promises';
import { UserError } from '../../model/errors.js';
import type { Config } from '../../model/policy.js';
import { adminRequest, commandUrl, readBody } from './admin.js';

/** `host` as an address (127.0.0.1 and localhost are one server); unresolvable: as written. */
async function address(host: string): Promise<string> {
  const h = host.replace(/^\[|\]$/g, '');
  return (await lookup(h).catch(() => ({ address: h.toLowerCase() }))).address;
}

/** Throws UserError when `adminUrl` is a server of the coordination ensemble (or cannot be told apart from one). */
export async function refuseCoordinationEnsemble(config: Config, adminUrl: string): Promise<void> {
  const coord = config.coordination?.zookeeper;
  if (!coord) return;
  const url = new URL(adminUrl);
  const host = await address(url.hostname);
  const members = await Promise.all(
    coord.connect
      .replace(/\/.*$/, '') // a chroot suffix
      .split(',')
      .map(async (hp) => {
        const i = hp.lastIndexOf(':');
        return { host: await address(i > 0 ? hp.slice(0, i) : hp), port: i > 0 ? Number(hp.slice(i + 1)) : 2181 };
      }),
  );
  const sameHost = members.filter((m) => m.host === host);
  if (!sameHost.length) return;
  // The AdminServer's `conf` command says which client port it serves (ZooKeeperServer.getConf → ZooKeeperServerConf: client_port).
  let port: number | undefined;
  try {
    const res = await adminRequest(commandUrl(adminUrl, 'conf'), { method: 'GET', timeoutMs: 30_000 });
    const m = /"client_port"\s*:\s*(\d+)/.exec(await readBody(res));
    port = m ? Number(m[1]) : undefined;
  } catch {
    port = undefined;
  }
  const why = `restoring through the AdminServer replaces the whole data tree, hbr's coordination znodes under ${coord.path} (the apply lock this restore holds, the daemons' election) with them`;
  if (port === undefined) {
    throw new UserError(`${adminUrl} is on a host of the coordination ensemble (${coord.connect}) and its client port could not be read (/commands/conf): ${why}; restore into another ensemble or with --to-datadir`);
  }
  if (sameHost.some((m) => m.port === port)) {
    throw new UserError(`${adminUrl} serves the coordination ensemble (${coord.connect}): ${why}; restore into another ensemble or with --to-datadir`);
  }
}
