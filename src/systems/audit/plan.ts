/** The audit's plan: no steps, a warning per finding (pure; docs/audit.md). */
import type { Observed } from '../../model/observed.js';
import type { Config } from '../../model/policy.js';
import type { PlanBuilder } from '../../planner/builder.js';
import { auditFindings } from './findings.js';
import type { AuditPart, AuditPolicy } from './types.js';

export function observationOf(observed: Observed, policy: string): AuditPart[string] | undefined {
  return (observed.parts?.audit as AuditPart | undefined)?.[policy];
}

export function planAudits(b: PlanBuilder, policies: AuditPolicy[], observed: Observed, config: Config): void {
  for (const p of [...policies].sort((x, y) => (x.name < y.name ? -1 : 1))) {
    const o = observationOf(observed, p.name);
    const r = auditFindings(p, o, config, b.protections);
    const unknown = ['blocks', 'trash', 'quotas', ...(p.audit.minReplication !== undefined ? ['walk'] : [])].filter((k) => o?.[k as keyof typeof o] === undefined);
    if (unknown.length) b.warn(`audit ${p.source.cluster}:${p.source.path}: not observed: ${unknown.join(', ')} (see the observation errors)`, p.name);
    for (const f of r.findings) b.warn(`audit [${f.check}] ${f.message}`, p.name);
  }
}
