/**
 * A `date` column as `YYYY-MM-DD`, whatever the driver returned: PGlite and pg hand back Date objects at UTC
 * midnight for some columns and strings for others, and a Date passed on to GraphQL's String would print as epoch
 * milliseconds.
 */
export function isoDay(value: unknown): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10)
  return String(value).slice(0, 10)
}
