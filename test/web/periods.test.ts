import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'

type Range = { from: string; to: string }
/** The browser module as the web app loads it: plain JavaScript, no build step. */
interface PeriodsModule {
  utcToday(now?: number): string
  presetRanges(preset: string, today: string, custom?: Range): { current: Range; previous: Range }
  isPartialPeriod(start: string, end: string, granularity: 'DAY' | 'WEEK' | 'MONTH'): boolean
}
let utcToday: PeriodsModule['utcToday']
let presetRanges: PeriodsModule['presetRanges']
let isPartialPeriod: PeriodsModule['isPartialPeriod']

beforeAll(async () => {
  const module = (await import(
    pathToFileURL(resolve(import.meta.dirname, '../../web/periods.js')).href
  )) as PeriodsModule
  ;({ utcToday, presetRanges, isPartialPeriod } = module)
})

describe('report periods of the web page', () => {
  it('given an instant late in the evening west of UTC, when today is taken, then it is the UTC day the platforms count in', () => {
    expect(utcToday(Date.parse('2026-03-31T23:30:00-05:00'))).toBe('2026-04-01')
  })

  it('given each preset on an ordinary day, when ranges are made, then each covers its days and the previous one is as long and just before', () => {
    const today = '2026-06-15'
    expect(presetRanges('today', today)).toEqual({
      current: { from: '2026-06-15', to: '2026-06-15' },
      previous: { from: '2026-06-14', to: '2026-06-14' },
    })
    expect(presetRanges('yesterday', today)).toEqual({
      current: { from: '2026-06-14', to: '2026-06-14' },
      previous: { from: '2026-06-13', to: '2026-06-13' },
    })
    expect(presetRanges('last7', today)).toEqual({
      current: { from: '2026-06-09', to: '2026-06-15' },
      previous: { from: '2026-06-02', to: '2026-06-08' },
    })
    expect(presetRanges('last30', today)).toEqual({
      current: { from: '2026-05-17', to: '2026-06-15' },
      previous: { from: '2026-04-17', to: '2026-05-16' },
    })
    expect(presetRanges('custom', today, { from: '2026-06-01', to: '2026-06-10' })).toEqual({
      current: { from: '2026-06-01', to: '2026-06-10' },
      previous: { from: '2026-05-22', to: '2026-05-31' },
    })
  })

  it('given calendar presets at awkward days, when ranges are made, then they compare with the same stretch of the month or year before, clamped to its length', () => {
    // Month to date on 31 March compares with all of February (28 days in 2026), not with 3 March.
    expect(presetRanges('mtd', '2026-03-31')).toEqual({
      current: { from: '2026-03-01', to: '2026-03-31' },
      previous: { from: '2026-02-01', to: '2026-02-28' },
    })
    // Last month in January is December of the year before, compared with November.
    expect(presetRanges('lastMonth', '2026-01-10')).toEqual({
      current: { from: '2025-12-01', to: '2025-12-31' },
      previous: { from: '2025-11-01', to: '2025-11-30' },
    })
    // Year to date on 29 February has no twin the year before: it ends on the 28th.
    expect(presetRanges('ytd', '2028-02-29')).toEqual({
      current: { from: '2028-01-01', to: '2028-02-29' },
      previous: { from: '2027-01-01', to: '2027-02-28' },
    })
    expect(presetRanges('mtd', '2028-03-30').previous).toEqual({ from: '2028-02-01', to: '2028-02-29' })
  })

  it('given periods cut by a range, when asked whether they are partial, then whole weeks and months are not and cut ones are', () => {
    expect(isPartialPeriod('2026-06-01', '2026-06-30', 'MONTH')).toBe(false)
    expect(isPartialPeriod('2026-06-03', '2026-06-30', 'MONTH')).toBe(true)
    expect(isPartialPeriod('2026-02-01', '2026-02-28', 'MONTH')).toBe(false)
    expect(isPartialPeriod('2026-06-01', '2026-06-07', 'WEEK')).toBe(false)
    expect(isPartialPeriod('2026-06-04', '2026-06-07', 'WEEK')).toBe(true)
    expect(isPartialPeriod('2026-06-04', '2026-06-04', 'DAY')).toBe(false)
  })
})
