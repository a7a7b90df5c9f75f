import type { RevisionHorizon } from '../sdk/index.ts'
import { addDays } from '../sdk/index.ts'
import { platformToday } from '../sync/sync-engine.ts'
import type { LoadedPlatform } from './platform-registry.ts'

/**
 * Settled and provisional days. Platforms keep changing a day's figures after it (conversions approved or
 * reversed, refunds, revenue share final only with the month's statement); a report that shows those days as
 * final misleads. These functions are pure: "today" is an argument, a platform day in the account's time zone,
 * so that every caller decides it from the injected clock.
 */

/** A horizon as the host applies it: the platform's own, or the default, which says it is one. */
export interface EffectiveHorizon {
  days: number | null
  monthCloseAfterDays: number | null
  /** The plugin's `revisions` fact the horizon rests on; null for the default. */
  evidence: string | null
  isDefault: boolean
}

/**
 * The horizon of a platform that declares none. Long on purpose: calling a day settled too early misleads a
 * user, calling it provisional too long only delays the word "final". 90 days covers the longest approval and
 * locking periods the bundled plugins document (CJ's extended locking, Impact's brand locking periods), and the
 * monthly statement of revenue-share programs.
 */
export const DEFAULT_REVISION_HORIZON: EffectiveHorizon = {
  days: 90,
  monthCloseAfterDays: null,
  evidence: null,
  isDefault: true,
}

export function effectiveHorizon(declared: RevisionHorizon | undefined): EffectiveHorizon {
  if (!declared) return DEFAULT_REVISION_HORIZON
  return {
    days: declared.days ?? null,
    monthCloseAfterDays: declared.monthClose?.afterDays ?? null,
    evidence: declared.evidence,
    isDefault: false,
  }
}

/** The horizon the host applies to a platform's accounts; a missing plugin gets the default. */
export function horizonOf(platform: LoadedPlatform | undefined): EffectiveHorizon {
  return effectiveHorizon(platform?.definition.capabilities.revisionHorizon)
}

const epochDay = (day: string) => Date.parse(`${day}T00:00:00Z`)
const dayString = (t: number) => new Date(t).toISOString().slice(0, 10)

/** The last day of the month before `day`'s month. */
function endOfPreviousMonth(day: string): string {
  return addDays(`${day.slice(0, 8)}01`, -1)
}

function requireDay(day: string, name: string): void {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(epochDay(day)) || dayString(epochDay(day)) !== day)
    throw new RangeError(`${name} must be a YYYY-MM-DD day, got "${day}"`)
}

/**
 * The last settled day when the platform's day is `platformToday`. Today itself is never over, so it never counts
 * as a passed day: with `days: 0` yesterday is settled, with `days: n` the day n + 1 days ago.
 */
export function settledThrough(horizon: EffectiveHorizon | RevisionHorizon, platformToday: string): string {
  requireDay(platformToday, 'platformToday')
  const h = 'isDefault' in horizon ? horizon : effectiveHorizon(horizon)
  const bounds: string[] = []
  if (h.days !== null) bounds.push(addDays(platformToday, -(h.days + 1)))
  // A month is settled once afterDays full days of the next month have passed: the 1st of that month is at most
  // `today - afterDays`, so every month before the month of that day is settled.
  if (h.monthCloseAfterDays !== null)
    bounds.push(endOfPreviousMonth(addDays(platformToday, -h.monthCloseAfterDays)))
  if (!bounds.length) bounds.push(addDays(platformToday, -1))
  return bounds.sort()[0]!
}

/** True once `day`'s figures no longer change on the platform. */
export function isSettled(
  horizon: EffectiveHorizon | RevisionHorizon,
  day: string,
  platformToday: string,
): boolean {
  requireDay(day, 'day')
  return day <= settledThrough(horizon, platformToday)
}

/** The last settled day of an account: its platform's horizon, counted in the account's own time zone. */
export function accountSettledThrough(
  platform: LoadedPlatform | undefined,
  timeZone: string,
  now: Date,
): string {
  return settledThrough(horizonOf(platform), platformToday(timeZone, now))
}
