import { describe, expect, it } from 'vitest'
import { createGroundTruth, FaultController, mergeRows, reportRow } from '../../src/sdk/index.ts'

describe('simulator helpers', () => {
  it('given a fault that starts after one request and lasts two, when requests arrive, then only the second and third are affected', () => {
    const faults = new FaultController()
    faults.inject('truncated', { after: 1, times: 2 })
    const seen = [1, 2, 3, 4].map(() => faults.take('truncated') !== undefined)
    expect(seen).toEqual([false, true, true, false])
    expect(faults.hits('truncated')).toBe(2)
  })

  it('given a cleared fault, when requests arrive, then none is affected', () => {
    const faults = new FaultController()
    faults.inject('outage')
    faults.clear('outage')
    expect(faults.take('outage')).toBeUndefined()
    expect(faults.hits('outage')).toBe(0)
  })

  it('given one seed, when two truths are built, then they agree row for row; another seed differs', () => {
    const account = { key: 'acct-1', brands: ['Brand A'], currencies: ['EUR'], campaigns: ['main'] }
    const window = { from: '2026-03-01', to: '2026-03-10' }
    const a = createGroundTruth('same').rows(account, window)
    const b = createGroundTruth('same').rows(account, window)
    const c = createGroundTruth('other').rows(account, window)
    expect(a.length).toBeGreaterThan(5)
    expect(b).toEqual(a)
    expect(c).not.toEqual(a)
  })

  it('given a revised day, when the truth is read again, then only that day changed', () => {
    const truth = createGroundTruth('revise')
    const account = { key: 'acct-1', brands: ['Brand A'], currencies: ['EUR'], campaigns: ['main'] }
    const window = { from: '2026-03-01', to: '2026-03-05' }
    const before = truth.rows(account, window)
    truth.revise('acct-1', '2026-03-03')
    const after = truth.rows(account, window)
    const byDay = (rows: typeof before) => {
      const days = new Map<string, string>()
      for (const r of rows) days.set(r.date, `${days.get(r.date) ?? ''}${JSON.stringify(r)}`)
      return days
    }
    const was = byDay(before)
    const now = byDay(after)
    const changed = [...new Set([...was.keys(), ...now.keys()])].filter((d) => was.get(d) !== now.get(d))
    expect(changed).toEqual(['2026-03-03'])
  })

  it('given rows sharing a key, some metrics null, when merged in a window, then figures add up exactly, all-null stays null and rows outside are dropped', () => {
    const base = { date: '2026-03-02', brand: 'B', campaign: null, currency: 'EUR' }
    const rows = [
      reportRow({ ...base, clicks: 3, commission: '0.10', ftds: null }),
      reportRow({ ...base, clicks: null, commission: '0.20', ftds: null }),
      reportRow({ ...base, clicks: 4, commission: '1.005', ftds: null }),
      reportRow({ ...base, date: '2026-03-09', clicks: 100 }),
    ]
    const before = JSON.stringify(rows)
    const merged = mergeRows(rows, { from: '2026-03-01', to: '2026-03-05' })
    expect(merged).toHaveLength(1)
    expect(merged[0]).toMatchObject({ clicks: 7, commission: '1.305', ftds: null, deposits: null })
    expect(JSON.stringify(rows), 'inputs are not mutated').toBe(before)
  })
})
