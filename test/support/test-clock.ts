/** The instant tests treat as "now" when `AFFGRAPH_TEST_NOW` is not set: fixed, so no test depends on the day it runs. */
export const DEFAULT_TEST_NOW = '2026-06-15T12:00:00Z'

/**
 * "Now" for tests that need a calendar: `AFFGRAPH_TEST_NOW` (an ISO instant, as the fixed-today check sets it) when
 * set, else DEFAULT_TEST_NOW. Never the wall clock.
 */
export function testNow(): Date {
  const raw = process.env.AFFGRAPH_TEST_NOW?.trim()
  const at = new Date(raw || DEFAULT_TEST_NOW)
  if (Number.isNaN(at.getTime())) throw new Error(`AFFGRAPH_TEST_NOW is not an ISO instant: "${raw}"`)
  return at
}
