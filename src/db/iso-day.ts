/**
 * A `date` column as `YYYY-MM-DD`, whatever the driver returned: PGlite and pg hand back Date objects at UTC
 * midnight for some columns and strings for others, and a Date passed on to GraphQL's String would print as epoch
 * milliseconds.
 */
export function isoDay(value: unknown): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10)
  return String(value).slice(0, 10)
}

const DAY_TEXT = /^\d{4}-\d{2}-\d{2}$/

/**
 * A real calendar day written `YYYY-MM-DD`, from 0001-01-01 to 9999-12-31: what every date input accepts.
 * `Date.parse` takes 2026-02-30 (rolling over into March) and year 0000, which PostgreSQL's `date` refuses; a day
 * that round-trips unchanged is a real one.
 */
export function isCalendarDay(value: unknown): value is string {
  if (typeof value !== 'string' || !DAY_TEXT.test(value) || value.startsWith('0000')) return false
  const time = Date.parse(`${value}T00:00:00Z`)
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === value
}

/**
 * An ISO 8601 instant whose calendar part is a real day between the years 0001 and 9999 (`new Date` rolls
 * 2026-02-30 over into March and reaches year 275760, beyond what PostgreSQL stores).
 */
export function parseInstant(value: unknown): Date | null {
  if (typeof value !== 'string') return null
  const match = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.exec(value)
  if (!match || !isCalendarDay(match[1])) return null
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return null
  const year = date.getUTCFullYear()
  return year >= 1 && year <= 9999 ? date : null
}
