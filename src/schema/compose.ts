/**
 * The policy schema = the core's part (./core-schema.ts) + each system's part (System.schema), in
 * the order of the list (src/systems/index.ts). The loader validates with the composed schema;
 * schema/hbr-policy.schema.json is the same object written for editors (`npm run schema`; a unit
 * test fails when the file is out of date).
 */
import { SYSTEMS } from '../systems/index.js';
import type { SchemaPart } from '../systems/types.js';
import { coreSchema } from './core-schema.js';

type Obj = Record<string, unknown>;

const quoteList = (keys: string[]): string => {
  const q = keys.map((k) => `'${k}'`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
};

export function composeSchema(parts: readonly SchemaPart[] = SYSTEMS.map((s) => s.schema)): Obj {
  const schema = structuredClone(coreSchema) as Obj;
  const defs = schema.$defs as Record<string, Obj>;
  const policy = defs.policy!;
  const cluster = defs.cluster!;
  const { source, rpo, ...rest } = policy.properties as Obj;
  const policyProps: Obj = { source };
  const clusterProps: Obj = {};
  const keys: string[] = [];
  for (const part of parts) {
    for (const [k, v] of Object.entries(part.policy)) {
      if (k in policyProps || k === 'rpo' || k in rest) throw new Error(`schema: policy key '${k}' is declared twice`);
      policyProps[k] = v;
    }
    keys.push(Object.keys(part.policy)[0]!);
    for (const [k, v] of Object.entries(part.clusters ?? {})) {
      if (k in clusterProps) throw new Error(`schema: cluster kind '${k}' is declared twice`);
      clusterProps[k] = v;
    }
    for (const [k, v] of Object.entries(part.defs ?? {})) {
      if (k in defs) throw new Error(`schema: definition '${k}' is declared twice`);
      defs[k] = v as Obj;
    }
  }
  Object.assign(policyProps, rest, { rpo });
  policy.properties = policyProps;
  policy.description = `One of: ${parts.map((p) => p.describes).join(', or ')}.`;
  // Exactly one system key per policy: at least one (anyOf), and no two together (not).
  const pairs = keys.flatMap((a, i) => keys.slice(i + 1).map((b) => [a, b]));
  if (pairs.length === 1) policy.not = { required: pairs[0] };
  else if (pairs.length > 1) policy.allOf = pairs.map((p) => ({ not: { required: p } }));
  policy.anyOf = keys.map((k) => ({ required: [k] }));
  cluster.properties = clusterProps;
  cluster.description = `Exactly one of ${quoteList(Object.keys(clusterProps))}.`;
  return schema;
}
