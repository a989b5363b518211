/** Schema pieces several systems' parts use (src/systems/<name>/schema.ts): a schedule's keys, a DR target's max_change. */

/** `every` or `cron`, as the properties of a section that schedules something. */
export const scheduleKeys = {
  every: {
    $ref: '#/$defs/duration',
    description: "Take a snapshot at this interval, e.g. 1h. Mutually exclusive with 'cron'.",
  },
  cron: {
    title: 'Cron schedule',
    description:
      "5-field cron expression (minute hour day-of-month month day-of-week), evaluated in UTC, e.g. '0 */6 * * *'. Quote it in YAML. Mutually exclusive with 'every'.",
    type: 'string',
    minLength: 1,
  },
} as const;

/** Exactly one of `every` and `cron` (the loader words both failures: src/schema/wording.ts). */
export const exactlyOneSchedule = {
  not: { required: ['every', 'cron'] },
  anyOf: [{ required: ['every'] }, { required: ['cron'] }],
} as const;

/**
 * `max_change` of a snapshot DR target (HDFS and Ozone; the hold is src/planner/mass-change.ts,
 * read by the loader with parseMaxChange, src/schema/values.ts).
 */
export const maxChangeKey = {
  max_change: {
    title: 'Largest change replicated without the operator',
    description:
      "A copy that would delete or overwrite more than this share of the target's files since the last replicated snapshot (a mass deletion, ransomware on the primary) is held for the operator, and retention on both sides deletes nothing meanwhile. Default 50%; 100% turns the check off.",
    type: 'string',
    pattern: '^(100|[1-9]?[0-9])(\\.[0-9]+)?%$',
    patternErrorMessage: 'a percentage from 0% to 100%, e.g. 25%',
  },
} as const;
