import { describe, expect, it } from 'vitest'
import { splitWindow } from '../../src/platform/window.ts'
import { eachDay } from '../../src/sdk/index.ts'
import { platformToday, trailingWindow } from '../../src/sync/sync-engine.ts'
import { testNow } from '../support/test-clock.ts'

/**
 * The calendar arithmetic every sync depends on, checked at the suite's "today" — which the fixed-today check sets
 * to month ends, 29 February, 31 December and the days clocks change in New York and London.
 */
const ZONES = ['UTC', 'America/New_York', 'Europe/London', 'Australia/Sydney', 'Pacific/Kiritimati']
const LIMITS = [
  { maxWindowDays: 31 },
  { maxWindowDays: 31, monthAlignedWindows: true },
  { maxWindowDays: 7 },
  { maxWindowDays: 1 },
  { maxWindowDays: 366, monthAlignedWindows: true },
]
const next = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)

describe(`calendar at ${testNow().toISOString()} (TZ=${process.env.TZ ?? 'unset'})`, () => {
  it('given a platform time zone, when its today is asked, then it is the calendar day there at this instant', () => {
    const now = testNow()
    for (const timeZone of ZONES) {
      const today = platformToday(timeZone, now)
      expect(today, timeZone).toMatch(/^\d{4}-\d{2}-\d{2}$/)
      // The zone's midnight that starts `today` is at or before now, and the next one is after it.
      const parts = new Intl.DateTimeFormat('en-CA', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        hourCycle: 'h23',
      }).formatToParts(now)
      const get = (type: string) => parts.find((p) => p.type === type)?.value
      expect(`${get('year')}-${get('month')}-${get('day')}`, timeZone).toBe(today)
      // Every zone is within a day and a few hours of UTC.
      const utc = now.toISOString().slice(0, 10)
      expect(Math.abs(Date.parse(today) - Date.parse(utc)), timeZone).toBeLessThanOrEqual(86_400_000)
    }
  })

  it('given a lookback of n days, when the trailing window is built, then it holds exactly n days ending on the platform today', () => {
    const now = testNow()
    for (const timeZone of ZONES) {
      for (const days of [1, 2, 7, 30, 31, 90, 366]) {
        const window = trailingWindow(days, timeZone, now)
        expect(window.to, `${timeZone} ${days}`).toBe(platformToday(timeZone, now))
        expect(eachDay(window), `${timeZone} ${days}`).toHaveLength(days)
      }
    }
  })

  it('given any platform limits, when a window around today is split, then the pieces tile it without gaps, overlaps or month crossings where forbidden', () => {
    const now = testNow()
    for (const limits of LIMITS) {
      for (const days of [1, 7, 28, 29, 30, 31, 32, 60, 90, 366]) {
        const window = trailingWindow(days, 'UTC', now)
        const pieces = splitWindow(window, limits)
        expect(pieces[0]!.from).toBe(window.from)
        expect(pieces.at(-1)!.to).toBe(window.to)
        for (const [i, piece] of pieces.entries()) {
          expect(piece.from <= piece.to).toBe(true)
          expect(eachDay(piece).length).toBeLessThanOrEqual(limits.maxWindowDays)
          if (limits.monthAlignedWindows) expect(piece.from.slice(0, 7)).toBe(piece.to.slice(0, 7))
          if (i > 0) expect(piece.from).toBe(next(pieces[i - 1]!.to))
        }
        expect(pieces.flatMap(eachDay)).toEqual(eachDay(window))
      }
    }
  })
})
