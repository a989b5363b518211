/** A policy error: where (file:line:col, the dotted key) and what. */
export interface PolicyError {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  col: number;
  /** dotted path of the offending key, e.g. policies.warehouse.snapshots.every, replicate[0] for list items */
  key?: string;
  message: string;
}

/** file:line:col: key: message */
export function formatPolicyError(e: PolicyError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.key ? `${e.key}: ` : ''}${e.message}`;
}
