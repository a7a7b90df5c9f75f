import { type Clock, shiftedClock } from '../../src/clock.ts'

/**
 * "Now" for the whole suite: a fixed instant, so that results do not depend on the day the suite runs. The
 * fixed-today check (`test/tooling/fixed-today.test.ts`) runs the date-sensitive files again with
 * `AFFGRAPH_TEST_NOW` set to the awkward days of the calendar (month ends, 29 February, 31 December, DST changes).
 */
export const DEFAULT_TEST_NOW = '2026-06-15T12:00:00Z'

export function testNow(): Date {
  const raw = process.env.AFFGRAPH_TEST_NOW?.trim() || DEFAULT_TEST_NOW
  const at = new Date(raw)
  if (Number.isNaN(at.getTime())) throw new Error(`AFFGRAPH_TEST_NOW is not an ISO instant: "${raw}"`)
  return at
}

/**
 * Starts at the suite's "now" when this module loads and runs at the real pace, so tokens expire and jobs fall
 * due as time passes. One per test file: the apps it builds and the processes it starts agree on the time.
 */
export const suiteClock: Clock = shiftedClock(testNow())

const DAY_MS = 86_400_000

/** The UTC day `offset` days from the suite's "today" (negative: in the past). */
export function testDay(offset = 0, now: Date = testNow()): string {
  return new Date(now.getTime() + offset * DAY_MS).toISOString().slice(0, 10)
}

/** The inclusive window of `length` days ending `endDaysAgo` days before the suite's "today". */
export function testWindow(endDaysAgo: number, length: number, now: Date = testNow()) {
  return { from: testDay(-(endDaysAgo + length - 1), now), to: testDay(-endDaysAgo, now) }
}
