/** Reading PromQL and Prometheus text in tests (the deploy suite, the daemon suite). */

/**
 * Metric names in a PromQL expression: identifiers starting with hbr_, process_ or nodejs_, and
 * `up`; string literals, comments and $variables are ignored. A histogram's _bucket/_sum/_count
 * series count as the histogram when `known` has the histogram's name.
 */
export function metricNames(expr: string, known: ReadonlySet<string>): string[] {
  const code = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/#[^\n]*/g, '');
  const names = new Set<string>();
  for (const m of code.matchAll(/(?<![\w$:.])[A-Za-z_:][\w:]*/g)) {
    const id = m[0];
    if (!/^(hbr_|process_|nodejs_)/.test(id) && id !== 'up') continue;
    const base = id.replace(/_(bucket|sum|count)$/, '');
    names.add(!known.has(id) && known.has(base) ? base : id);
  }
  return [...names];
}

/** One sample of Prometheus text exposition: name, labels, value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text format (as prom-client writes it). */
export function parseMetrics(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)/.exec(line);
    if (t) {
      types.set(t[1]!, t[2]!);
      continue;
    }
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

/** The value of the one sample named `name` whose labels include `labels`; undefined if none. */
export function sample(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
