/** Schema pieces several systems' parts use (src/systems/<name>/schema.ts): a schedule's keys. */

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
