/**
 * The protection audit (docs/audit.md): read only. It observes what protects an HDFS directory and
 * reports what does not, as plan warnings, /status rows and hbr_audit_findings; it plans no steps,
 * claims nothing (it never writes, so it sits beside any snapshot or backup policy of the path).
 */
import type { System } from '../types.js';
import { auditFindings } from './findings.js';
import { loadAuditPolicy } from './load.js';
import { observeAudits } from './observe.js';
import { observationOf, planAudits } from './plan.js';
import { auditSchema } from './schema.js';
import { CHECKS, type AuditPolicy } from './types.js';

export const audit: System<AuditPolicy> = {
  name: 'audit',
  policyKind: 'hdfs-audit',
  key: 'audit',
  schema: auditSchema,
  load: loadAuditPolicy,
  claims: () => [],
  stepClaims: (step) => [`${step.target.cluster}\u0000${step.target.path}`],
  schedule: (p) => p.audit.schedule,
  scope: (p) => [p.source.cluster],
  observe: observeAudits,
  // Its plan makes warnings only: what it observes never makes a saved plan stale (docs/audit.md).
  digestPart: () => undefined,
  plan: (b, policies, observed, _now, config) => planAudits(b, policies, observed, config),
  checkStep: (step) => [`the audit plans no steps; ${step.kind} is not one of its`],
  safety: () => () => {},
  kinds: {},
  deletes: [],
  recoveryPoints: () => [],
  findings: (p, observed, ctx) => auditFindings(p, observationOf(observed, p.name), ctx.config, ctx.protections),
};

/** The checks the audit makes (docs/audit.md), for documentation and tests. */
export const AUDIT_CHECKS = CHECKS;
