/**
 * Stage 3 of loading: the whole config across files. Names (duplicates across files), clusters and
 * stores (each by the system or store kind its key names), coordination and webhooks, then each
 * policy through its system (System.load), and last the claims: what every policy acts on,
 * canonical by endpoint (System.claims), must not overlap another's.
 */
import { NOTIFY_EVENTS } from '../model/policy.js';
import type { Cluster, ClusterReport, Config, SourceLocation, Store } from '../model/policy.js';
import { systemForCluster, systemForPolicy, SYSTEMS } from '../systems/index.js';
import type { Claim, LoadContext } from '../systems/types.js';
import { parseDuration } from './duration.js';
import type { PolicyError } from './errors.js';
import { orList, suggest } from './wording.js';
import { fmtAt, locate, segmentsToKey, toAt, type ParsedFile, type RawCluster, type RawStore, type Segment } from './yaml.js';

export type LoadResult = { config: Config } | { errors: PolicyError[] };

/** ZooKeeper session timeout when the policy files give none: a dead leader is replaced within it. */
const DEFAULT_SESSION_TIMEOUT = 15_000;

interface LocatedClaim extends Claim {
  policy: string;
  loc: PolicyError;
}

export function buildConfig(files: ParsedFile[]): LoadResult {
  const errors: PolicyError[] = [];
  const config: Config = { clusters: {}, stores: {}, policies: {}, webhooks: {}, files: files.map((f) => f.file) };
  const declared = { clusters: new Map<string, SourceLocation>(), stores: new Map<string, SourceLocation>(), policies: new Map<string, SourceLocation>() };
  const what = { clusters: 'cluster', stores: 'store', policies: 'policy' } as const;
  const err = (f: ParsedFile, segs: Segment[], where: 'key' | 'value', message: string) =>
    errors.push({ ...locate(f, segs, where), key: segmentsToKey(segs), message });

  // names, across files
  const entries: Array<{ f: ParsedFile; section: keyof typeof declared; name: string; at: SourceLocation }> = [];
  for (const f of files) {
    for (const section of ['clusters', 'stores', 'policies'] as const) {
      for (const name of Object.keys(f.data[section] ?? {})) {
        const at = toAt(locate(f, [section, name], 'key'));
        const prev = declared[section].get(name);
        if (prev) {
          err(f, [section, name], 'key', `${what[section]} '${name}' is already defined at ${fmtAt(prev)}`);
          continue;
        }
        declared[section].set(name, at);
        entries.push({ f, section, name, at });
      }
    }
  }

  for (const { f, section, name, at } of entries) {
    if (section === 'clusters') {
      const raw = f.data.clusters![name]!;
      const kind = Object.keys(raw)[0]!;
      config.clusters[name] = normalizeCluster(name, raw, at, (segs, where, message, severity) => {
        const full: Segment[] = ['clusters', name, kind, ...segs];
        if (severity === 'warning') {
          const l = locate(f, full, where);
          process.stderr.write(`${l.file}:${l.line}:${l.col}: warning: ${message}\n`);
        } else err(f, full, where, message);
      });
    }
    else if (section === 'stores') config.stores[name] = normalizeStore(name, f.data.stores![name]!, at);
  }

  // daemon settings: coordination in one file; webhooks by name across files
  for (const f of files) {
    const co = f.data.coordination;
    if (co) {
      const at = toAt(locate(f, ['coordination'], 'key'));
      if (config.coordination) {
        err(f, ['coordination'], 'key', `coordination is already defined at ${fmtAt(config.coordination.at)}; declare it in one policy file only`);
      } else {
        const zk = co.zookeeper;
        config.coordination = {
          zookeeper: { connect: zk.connect, path: zk.path, sessionTimeout: zk.session_timeout !== undefined ? parseDuration(zk.session_timeout) : DEFAULT_SESSION_TIMEOUT },
          at,
        };
      }
    }
    for (const [name, raw] of Object.entries(f.data.notifications?.webhooks ?? {})) {
      const at = toAt(locate(f, ['notifications', 'webhooks', name], 'key'));
      const prev = config.webhooks[name];
      if (prev) {
        err(f, ['notifications', 'webhooks', name], 'key', `webhook '${name}' is already defined at ${fmtAt(prev.at)}`);
        continue;
      }
      config.webhooks[name] = {
        name,
        ...(raw.url !== undefined && { url: raw.url }),
        ...(raw.url_env !== undefined && { urlEnv: raw.url_env }),
        ...(raw.bearer_env !== undefined && { bearerEnv: raw.bearer_env }),
        events: raw.events ?? [...NOTIFY_EVENTS],
        at,
      };
    }
  }

  // policies, each through its system
  const claims: LocatedClaim[] = [];
  for (const { f, section, name, at } of entries) {
    if (section !== 'policies') continue;
    const raw = f.data.policies![name]! as unknown as Record<string, unknown>;
    const base: Segment[] = ['policies', name];
    const system = systemForPolicy(raw);
    if (!system) {
      // the schema requires exactly one system key; this is only reached if it did not run
      err(f, base, 'key', `one of ${orList(SYSTEMS.map((s) => s.key))} is required`);
      continue;
    }
    const ctx: LoadContext = {
      config,
      base,
      error: (segs, where, message) => err(f, [...base, ...segs], where, message),
      suggest,
      where: fmtAt,
    };
    const policy = system.load(ctx, name, raw, at);
    if (!policy) continue;
    // Restore drills and the RTO: generic keys, for any system with a drill (docs/drills.md).
    const { verify, rto } = f.data.policies![name]!;
    for (const [k, v] of [['verify', verify], ['rto', rto]] as const) {
      if (v !== undefined && !system.drill) err(f, [...base, k], 'key', `policies of kind ${policy.kind} have no restore drill: '${k}' is for systems with one`);
    }
    if (verify !== undefined) policy.verify = { every: parseDuration(verify.every) };
    if (rto !== undefined) policy.rto = parseDuration(rto);
    config.policies[name] = policy;
    for (const c of system.claims(policy, config)) {
      claims.push({ ...c, policy: name, loc: { ...locate(f, [...base, ...c.segs], 'value'), key: segmentsToKey([...base, ...c.segs]), message: '' } });
    }
  }

  errors.push(...overlaps(claims));
  if (errors.length > 0) return { errors };
  return { config };
}

function isNested(outer: string, inner: string): boolean {
  if (outer === inner) return false;
  return outer === '/' || inner.startsWith(`${outer}/`);
}

/** Every `outer` with isNested(outer, path): the prefixes of `path` that end before one of its slashes ('/' for the first). */
function outerPaths(path: string): string[] {
  const out = path === '/' ? [] : ['/'];
  for (let i = path.indexOf('/', 1); i !== -1; i = path.indexOf('/', i + 1)) {
    const outer = path.slice(0, i);
    if (outer !== '/' && isNested(outer, path)) out.push(outer);
  }
  return out;
}

/**
 * Every resource hbr manages belongs to one role of one policy: claims of one endpoint must not
 * be the same directory, nested directories, or prefixes of one another. Compared by canonical
 * endpoint, so two cluster (or store) names for one NameNode (or bucket) cannot hide an overlap.
 */
function overlaps(claims: LocatedClaim[]): PolicyError[] {
  const errors: PolicyError[] = [];
  const at = (c: LocatedClaim) => `${c.loc.file}:${c.loc.line}:${c.loc.col}`;
  const describeClaim = (c: LocatedClaim) => `${c.role === 'source' ? 'the source' : 'a replication target'} of policy '${c.policy}' (${at(c)})`;
  // Directory claims: the candidates are found through maps (the same path, an ancestor, a
  // descendant) instead of comparing every pair, which took most of the loading of 1,000 policies
  // (bench/plan); the first candidate in declaration order is reported, as the pairwise scan did.
  const firstAt = new Map<string, number>(); // endpoint + path → first claim there
  const firstBelow = new Map<string, number>(); // endpoint + path → first claim nested below it
  const dirKeyOf = (c: LocatedClaim, path: string) => `${c.endpoint}\u0000${path}`;
  const candidates = (c: LocatedClaim): number[] => {
    const out: number[] = [];
    const same = firstAt.get(dirKeyOf(c, c.path));
    if (same !== undefined) out.push(same);
    for (const a of outerPaths(c.path)) {
      const j = firstAt.get(dirKeyOf(c, a));
      if (j !== undefined) out.push(j);
    }
    const below = firstBelow.get(dirKeyOf(c, c.path));
    if (below !== undefined) out.push(below);
    return out.sort((x, y) => x - y);
  };
  for (let i = 0; i < claims.length; i++) {
    const c = claims[i]!;
    const scan = c.match === 'dir' ? candidates(c) : claims.keys();
    if (c.match === 'dir') {
      const k = dirKeyOf(c, c.path);
      if (!firstAt.has(k)) firstAt.set(k, i);
      for (const a of outerPaths(c.path)) if (!firstBelow.has(dirKeyOf(c, a))) firstBelow.set(dirKeyOf(c, a), i);
    }
    for (const j of scan) {
      if (j >= i) break;
      const p = claims[j]!;
      if (p.endpoint !== c.endpoint || p.match !== c.match) continue;
      let message: string | undefined;
      if (c.match === 'prefix') {
        if (c.path.startsWith(p.path) || p.path.startsWith(c.path)) {
          message = `${c.display}${c.within ? ` in ${c.within}` : ''} overlaps ${p.display} of policy '${p.policy}' (${at(p)}): their retention would delete each other's ${c.noun}`;
        }
      } else if (p.path === c.path) {
        const where = c.display;
        if (c.policy === p.policy && c.role === 'target' && p.role === 'source') message = `replication target ${where} is the policy's own source`;
        else if (c.policy === p.policy) message = `replication target ${where} is listed twice`;
        else if (c.role === 'source' && p.role === 'source') message = `${where} is already protected by policy '${p.policy}' (${at(p)})`;
        else if (c.role === 'target' && p.role === 'target') message = `replication target ${where} is already used by policy '${p.policy}' (${at(p)})`;
        else message = `${where} is already ${describeClaim(p)}`;
      } else if (isNested(p.path, c.path) || isNested(c.path, p.path)) {
        const rel = isNested(p.path, c.path) ? 'inside' : 'above';
        message = `${c.display} is nested ${rel} ${p.display}, ${describeClaim(p)}: paths managed by hbr must not overlap`;
      }
      if (message) {
        errors.push({ ...c.loc, message });
        break; // one conflict per path is enough
      }
    }
  }
  return errors;
}

/** A cluster is loaded by the system that defines its kind (the one key under it). */
function normalizeCluster(name: string, raw: RawCluster, at: SourceLocation, report: ClusterReport): Cluster {
  const kind = Object.keys(raw)[0]!;
  const system = systemForCluster(kind);
  if (!system?.loadCluster) throw new Error(`no system defines cluster kind '${kind}'`); // the schema allows only those
  return system.loadCluster(kind, name, (raw as Record<string, Record<string, unknown>>)[kind] ?? {}, at, report);
}

function normalizeStore(name: string, raw: RawStore, at: SourceLocation): Store {
  if (raw.s3) {
    const s = raw.s3;
    return {
      name,
      kind: 's3',
      bucket: s.bucket,
      prefix: s.prefix ?? '',
      ...(s.region !== undefined && { region: s.region }),
      ...(s.endpoint !== undefined && { endpoint: s.endpoint }),
      ...(s.force_path_style !== undefined && { forcePathStyle: s.force_path_style }),
      at,
    };
  }
  if (raw.local) return { name, kind: 'local', path: raw.local.path, at };
  throw new Error(`store '${name}' is neither s3 nor local`); // the schema allows only those
}
