import { describe, expect, it } from 'vitest'
import { BUNDLED_PLUGIN_DIR, loadPlugin } from '../../src/platform/plugin-loader.ts'
import {
  accountSettledThrough,
  DEFAULT_REVISION_HORIZON,
  effectiveHorizon,
  horizonOf,
  isSettled,
  settledThrough,
} from '../../src/platform/revision-horizon.ts'
import { platformManifestSchema } from '../../src/sdk/index.ts'

describe('revision horizon', () => {
  it('given a rolling horizon, when today is given, then the last settled day is days + 1 before it', () => {
    expect(settledThrough({ days: 0, evidence: 'x' }, '2026-03-15')).toBe('2026-03-14')
    expect(settledThrough({ days: 30, evidence: 'x' }, '2026-03-15')).toBe('2026-02-12')
    expect(settledThrough({ days: 7, evidence: 'x' }, '2027-01-03')).toBe('2026-12-26')
  })

  it('given a rolling horizon across a leap day, when counted, then Feb 29 is a day like any other', () => {
    expect(settledThrough({ days: 1, evidence: 'x' }, '2028-03-01')).toBe('2028-02-28')
    expect(settledThrough({ days: 0, evidence: 'x' }, '2028-03-01')).toBe('2028-02-29')
    expect(isSettled({ days: 365, evidence: 'x' }, '2028-02-29', '2029-03-01')).toBe(true)
    expect(isSettled({ days: 365, evidence: 'x' }, '2028-02-29', '2029-02-28')).toBe(false)
  })

  it('given a month-close horizon, when afterDays of the next month have not all passed, then the month is provisional', () => {
    const h = { monthClose: { afterDays: 10 }, evidence: 'x' }
    // The 10th is not over on the 10th: December settles on 11 January.
    expect(settledThrough(h, '2027-01-10')).toBe('2026-11-30')
    expect(settledThrough(h, '2027-01-11')).toBe('2026-12-31')
    expect(isSettled(h, '2026-12-31', '2027-01-10')).toBe(false)
    expect(isSettled(h, '2026-12-01', '2027-01-11')).toBe(true)
    expect(isSettled(h, '2027-01-01', '2027-02-28')).toBe(true)
  })

  it('given a month-close horizon longer than the next month, when February is short, then the close reaches into March', () => {
    const h = { monthClose: { afterDays: 41 }, evidence: 'x' }
    // January 2028 settles once 41 full days from 1 February have passed: on 13 March of the leap year.
    expect(settledThrough(h, '2028-03-12')).toBe('2027-12-31')
    expect(settledThrough(h, '2028-03-13')).toBe('2028-01-31')
    // February 2028 (29 days) settles on 11 April.
    expect(isSettled(h, '2028-02-29', '2028-04-10')).toBe(false)
    expect(isSettled(h, '2028-02-29', '2028-04-11')).toBe(true)
  })

  it('given a month-close horizon of 0 days, when the month is over, then it settles on the 1st of the next', () => {
    const h = { monthClose: { afterDays: 0 }, evidence: 'x' }
    expect(settledThrough(h, '2028-03-01')).toBe('2028-02-29')
    expect(settledThrough(h, '2028-02-29')).toBe('2028-01-31')
  })

  it('given both forms, when either has not passed, then the day is provisional', () => {
    const h = { days: 20, monthClose: { afterDays: 5 }, evidence: 'x' }
    // The month closed on 6 February, but 20 days after 31 January is 21 February.
    expect(settledThrough(h, '2027-02-10')).toBe('2027-01-20')
    expect(settledThrough(h, '2027-02-22')).toBe('2027-01-31')
    expect(isSettled(h, '2027-02-01', '2027-03-05')).toBe(false)
    expect(isSettled(h, '2027-02-01', '2027-03-06')).toBe(true)
  })

  it('given no declared horizon, when the effective one is asked, then it is the default and says so', () => {
    expect(effectiveHorizon(undefined)).toBe(DEFAULT_REVISION_HORIZON)
    expect(horizonOf(undefined).isDefault).toBe(true)
    expect(settledThrough(DEFAULT_REVISION_HORIZON, '2027-01-01')).toBe('2026-10-02')
    expect(effectiveHorizon({ days: 3, evidence: 'revisions' })).toEqual({
      days: 3,
      monthCloseAfterDays: null,
      evidence: 'revisions',
      isDefault: false,
    })
  })

  it('given an account far east of UTC, when the instant is still the previous UTC day, then its own day counts', () => {
    const now = new Date('2026-12-31T20:00:00Z')
    expect(accountSettledThrough(undefined, 'Pacific/Kiritimati', now)).toBe(
      settledThrough(DEFAULT_REVISION_HORIZON, '2027-01-01'),
    )
    expect(accountSettledThrough(undefined, 'UTC', now)).toBe(
      settledThrough(DEFAULT_REVISION_HORIZON, '2026-12-31'),
    )
  })

  it('given a day that is not a calendar day, when checked, then it is refused', () => {
    expect(() => settledThrough({ days: 1, evidence: 'x' }, '2027-02-29')).toThrow(RangeError)
    expect(() => isSettled({ days: 1, evidence: 'x' }, '2027-13-01', '2027-02-01')).toThrow(RangeError)
  })

  it('given a manifest whose horizon cites no revisions fact, when validated, then it is refused naming the horizon', async () => {
    const { definition } = await loadPlugin(`${BUNDLED_PLUGIN_DIR}/smartico`)
    expect(horizonOf({ definition } as never)).toMatchObject({
      days: 7,
      evidence: 'revisions',
      isDefault: false,
    })
    for (const evidence of ['no-such-fact', definition.evidence.find((f) => f.topic === 'auth')!.id]) {
      const manifest = {
        ...definition,
        capabilities: { ...definition.capabilities, revisionHorizon: { days: 7, evidence } },
      }
      const result = platformManifestSchema.safeParse(manifest)
      expect(result.success).toBe(false)
      expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual([
        'capabilities.revisionHorizon.evidence',
      ])
    }
    const empty = {
      ...definition,
      capabilities: { ...definition.capabilities, revisionHorizon: { evidence: 'revisions' } },
    }
    expect(platformManifestSchema.safeParse(empty).success).toBe(false)
  })
})
