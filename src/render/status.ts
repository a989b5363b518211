/** `hbr status` for a person: the daemon's /status as a short table and the problems under it. */
import type { DaemonStatus, PolicyStatus } from '../daemon/status.js';

export function humanAge(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  const s = Math.round(seconds);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)}h`;
  return `${(s / 86_400).toFixed(1)}d`;
}

function relative(iso: string | undefined, now: string): string {
  if (!iso) return '-';
  const d = (Date.parse(iso) - Date.parse(now)) / 1000;
  return d >= 0 ? `in ${humanAge(d)}` : `${humanAge(-d)} ago`;
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

function health(p: PolicyStatus): string {
  if (p.held?.length) return `HELD (${p.held.map((h) => h.reason).join(', ')})`;
  if (p.rpoBreached) return 'RPO BREACHED';
  if (p.lastRun && !p.lastRun.ok) return `FAILING (${p.consecutiveFailures}x)`;
  if (p.drill?.last && !p.drill.last.ok) return 'DRILL FAILED';
  if (p.audit?.findings.length) return `AUDIT: ${p.audit.findings.length} finding(s)`;
  if (!p.lastRun) return 'not run yet';
  return 'ok';
}

/** True when something needs a person: a breached RPO, a failing policy, invalid policy files, audit findings. */
export function needsAttention(s: DaemonStatus): boolean {
  return s.lastLoad.errors.length > 0 || s.policies.some((p) => p.rpoBreached || (p.held?.length ?? 0) > 0 || (p.lastRun !== undefined && !p.lastRun.ok) || p.drill?.last?.ok === false || (p.audit?.findings.length ?? 0) > 0);
}

export function renderStatusText(s: DaemonStatus): string {
  const out: string[] = [];
  const lead = s.leadership === 'leader' ? 'leader (acting)' : s.leadership === 'suspended' ? 'suspended (cut off from ZooKeeper; starts nothing new)' : 'follower (standing by)';
  out.push(`hbr daemon pid ${s.pid} on ${s.host}, up since ${s.startedAt}: ${lead}${s.stopping ? ', STOPPING' : ''}`);
  if (s.coordination) out.push(`coordination: zookeeper ${s.coordination.connect} ${s.coordination.path}`);
  out.push(`policies from: ${s.policyFiles.join(', ')}`);
  if (s.lastLoad.errors.length) {
    out.push(`\nThe policy files on disk are INVALID (since ${s.lastLoad.at}); the last valid policies keep running:`);
    for (const e of s.lastLoad.errors) out.push(`  ${e}`);
  }
  if (s.policies.length === 0) {
    out.push('\nNo policies.');
    return out.join('\n') + '\n';
  }
  const rows = [['POLICY', 'SCHEDULE', 'LAST RUN', 'NEXT RUN', 'RPO', 'SOURCE', 'DR', 'STORE', 'PENDING', 'STATE']];
  for (const p of s.policies) {
    const site = (name: string) => {
      const r = p.recoveryPoints.find((x) => x.site === name);
      if (!r) return '-';
      return `${r.ageSeconds === undefined ? 'none' : humanAge(r.ageSeconds)}${r.breached ? '!' : ''}`;
    };
    rows.push([
      p.name,
      p.schedule,
      p.running ? 'running' : p.lastRun ? `${relative(p.lastRun.finishedAt, s.now)} ${p.lastRun.ok ? 'ok' : 'FAILED'}` : '-',
      p.running ? '-' : relative(p.nextRunAt, s.now),
      p.rpoSeconds === undefined ? '-' : humanAge(p.rpoSeconds),
      site('source'),
      site('dr'),
      site('store'),
      String(p.pendingSteps.length),
      health(p),
    ]);
  }
  out.push('', pad(rows));
  for (const p of s.policies) {
    const moved = p.recoveryPoints.filter((r) => r.where !== undefined);
    if (moved.length) out.push('', `${p.name}: ${moved.map((r) => `${r.site.toUpperCase()} is ${r.where}`).join('; ')}`);
    for (const h of p.held ?? []) out.push('', `${p.name}: HELD since ${h.since} (${h.reason}): ${h.message}`);
  }
  for (const p of s.policies) {
    if (!p.audit?.findings.length) continue;
    out.push('', `${p.name}: audit ${relative(p.audit.at, s.now)} found:`);
    for (const f of p.audit.findings) out.push(`  [${f.check}] ${f.message}`);
  }
  const problems = s.policies.filter((p) => p.lastRun && !p.lastRun.ok);
  if (problems.length) {
    out.push('');
    for (const p of problems) {
      out.push(`${p.name}: last run ${p.lastRun!.run} failed${p.nextRunAt ? `; retry ${relative(p.nextRunAt, s.now)}` : ''}`);
      for (const e of p.lastRun!.errors.slice(0, 5)) out.push(`  ${e}`);
    }
  }
  for (const p of s.policies) {
    const d = p.drill;
    if (!d) continue;
    const l = d.last;
    const rto = p.rtoSeconds !== undefined ? `, rto ${humanAge(p.rtoSeconds)}${l?.rtoExceeded ? ' EXCEEDED' : ''}` : '';
    const next = d.running ? '; running now' : d.nextAt ? `; next ${relative(d.nextAt, s.now)}` : '';
    out.push('', l ? `${p.name}: restore drill ${relative(l.finishedAt, s.now)} ${l.ok ? 'passed' : 'FAILED'} in ${l.durationSeconds.toFixed(1)}s${rto} (${l.point || 'did not start'})${next}` : `${p.name}: no restore drill yet${next}`);
    for (const f of l?.failed.slice(0, 5) ?? []) out.push(`  ${f}`);
  }
  out.push('', 'Ages are of the newest recovery point at each site ("!" = older than the rpo).');
  return out.join('\n') + '\n';
}
