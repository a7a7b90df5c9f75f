/**
 * The one source of "now" for everything that depends on the calendar: today's date on a platform, backfill and
 * lookback windows, due syncs, token expiry, future-date checks. Tests and the fixed-"today" check inject one, so
 * the suite gives the same answer on every day of the year; durations and timeouts keep using the monotonic clock.
 */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/** Always the same instant. */
export function fixedClock(at: Date | string): Clock {
  const t = new Date(at).getTime()
  if (Number.isNaN(t)) throw new Error(`not an instant: ${String(at)}`)
  return { now: () => new Date(t) }
}

/**
 * Reads `at` at the wall-clock instant `since` (default: now) and runs at the real pace from there: "today" is
 * pinned, while tokens still expire and jobs still become due as seconds pass.
 */
export function shiftedClock(at: Date | string, since: number = Date.now()): Clock {
  const start = new Date(at).getTime()
  if (Number.isNaN(start)) throw new Error(`not an instant: ${String(at)}`)
  const offset = start - since
  return { now: () => new Date(Date.now() + offset) }
}
