import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FxConversion } from '../../src/stats/stats.service.ts'
import { ok } from '../graphql/graphql-helpers.ts'
import { globalId } from '../support/global-ids.ts'
import { pageRows } from '../support/stats-pages.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'
import { insertAccounts, insertRates, insertStatRows } from './stats-seed.ts'

const CONVERSION = `currency factor minFactor maxFactor rate reportRate rateDate firstRateDate lastRateDate source
  firstDayWithoutRate lastDayWithoutRate reason`
const MONEY = '{ amount exactAmount currency }'
const FIGURES = `clicks commission ${MONEY} netRevenue ${MONEY} currency accountsContributing
  native { currency commission ${MONEY} } conversions { ${CONVERSION} }`
const STATS = `query Stats($input: StatsInput!) {
  stats(input: $input) {
    currency fxPolicy
    rows { nodes { periodStart accountId tag ${FIGURES} } }
    totals { ${FIGURES} }
  }
}`

/** The GraphQL answer has the service's shape. */
type Conversion = FxConversion
interface Money {
  amount: string
  exactAmount: string
  currency: string
}
/** A money figure: the amount rounded to cents (half away from zero) and the exact one the factors give. */
const money = (amount: string, exactAmount: string, currency = 'EUR'): Money => ({
  amount,
  exactAmount,
  currency,
})
interface Figures {
  clicks: number | null
  commission: Money | null
  netRevenue: Money | null
  currency: string | null
  accountsContributing: number
  native: { currency: string; commission: Money | null }[]
  conversions: Conversion[]
}
interface Row extends Figures {
  periodStart: string
  accountId: string | null
  tag: string | null
}
interface StatsData {
  stats: { currency: string | null; fxPolicy: string | null; rows: { nodes: Row[] }; totals: Figures }
}

let t: TestApp
let token: string
let eur: string
let usd: string
let sek: string

beforeAll(async () => {
  t = await createTestApp()
  const ws = await t.workspace('stats-fx')
  token = ws.token
  ;[eur, usd, sek] = (
    await insertAccounts(t.db, ws.id, [
      { programName: 'Euro', tags: ['eu'] },
      { programName: 'Dollar', tags: ['eu', 'us'] },
      { programName: 'Krona' },
    ])
  ).map((id) => globalId('Account', id)) as [string, string, string]
  await insertStatRows(t.db, ws.id, [
    { accountId: eur, day: '2026-03-02', currency: 'EUR', clicks: 10, commission: '10' },
    { accountId: usd, day: '2026-03-02', currency: 'USD', clicks: 20, commission: '20', netRevenue: '100' },
    { accountId: usd, day: '2026-03-09', currency: 'USD', clicks: 5, commission: '-5.5' },
    { accountId: usd, day: '2026-05-20', currency: 'USD', clicks: 7, commission: '8' },
    { accountId: sek, day: '2026-03-02', currency: 'SEK', clicks: 1, commission: '100' },
  ])
  // 1 EUR = rate units. Rates chosen so that every factor is an exact decimal.
  await insertRates(t.db, [
    { day: '2026-03-02', currency: 'USD', rate: '1.25' },
    { day: '2026-03-09', currency: 'USD', rate: '1.6' },
    { day: '2026-03-31', currency: 'USD', rate: '2' },
    { day: '2026-03-02', currency: 'GBP', rate: '0.8' },
  ])
})

afterAll(async () => {
  await t?.close()
})

const stats = async (input: Record<string, unknown>) =>
  pageRows((await ok<StatsData>(t, token, STATS, { input })).stats)
const march = { from: '2026-03-01', to: '2026-03-31' }
const dollarAndEuro = () => ({ accountIds: [eur, usd] })

describe(`stats in a report currency on ${TEST_DATABASE_KIND}`, () => {
  it('given daily rates, when converted per day, then each day uses its own rate and says which', async () => {
    const result = await stats({ range: march, granularity: 'DAY', currency: 'EUR', filter: dollarAndEuro() })
    expect(result.fxPolicy).toBe('DAILY')
    expect(result.rows.map((r) => [r.periodStart, r.commission, r.currency])).toEqual([
      ['2026-03-02', money('26.00', '26'), 'EUR'],
      ['2026-03-09', money('-3.44', '-3.4375'), 'EUR'],
    ])
    expect(result.rows[0]!.native).toEqual([
      { currency: 'EUR', commission: money('10.00', '10') },
      { currency: 'USD', commission: money('20.00', '20', 'USD') },
    ])
    expect(result.rows[0]!.conversions).toEqual([
      {
        currency: 'USD',
        factor: '0.8',
        minFactor: '0.8',
        maxFactor: '0.8',
        rate: '1.25',
        reportRate: '1',
        rateDate: '2026-03-02',
        firstRateDate: '2026-03-02',
        lastRateDate: '2026-03-02',
        source: 'ECB',
        firstDayWithoutRate: null,
        lastDayWithoutRate: null,
        reason: null,
      },
    ])
    expect(result.rows[1]!.conversions[0]).toMatchObject({
      factor: '0.625',
      rate: '1.6',
      rateDate: '2026-03-09',
    })
  })

  it('given a month of daily rates, when summed per month, then amounts are converted before summing and the spread of rates is given', async () => {
    const result = await stats({
      range: march,
      granularity: 'MONTH',
      currency: 'EUR',
      filter: dollarAndEuro(),
    })
    const [row] = result.rows
    // 10 EUR + 20 USD × 0.8 − 5.5 USD × 0.625
    expect(row).toMatchObject({
      commission: money('22.56', '22.5625'),
      netRevenue: money('80.00', '80'),
      clicks: 35,
      currency: 'EUR',
      accountsContributing: 2,
    })
    expect(row!.conversions).toEqual([
      expect.objectContaining({
        currency: 'USD',
        factor: null,
        minFactor: '0.625',
        maxFactor: '0.8',
        rateDate: null,
        firstRateDate: '2026-03-02',
        lastRateDate: '2026-03-09',
        source: 'ECB',
        firstDayWithoutRate: null,
      }),
    ])
    expect(result.totals).toMatchObject({
      commission: money('22.56', '22.5625'),
      currency: 'EUR',
      accountsContributing: 2,
    })
  })

  it('given PERIOD_END, when summed per month, then every day of the month uses the month-end rate', async () => {
    const result = await stats({
      range: march,
      granularity: 'MONTH',
      currency: 'EUR',
      filter: dollarAndEuro(),
      fx: { policy: 'PERIOD_END' },
    })
    // 10 EUR + (20 − 5.5) USD × 0.5
    expect(result.rows[0]).toMatchObject({ commission: money('17.25', '17.25') })
    expect(result.rows[0]!.conversions[0]).toMatchObject({
      factor: '0.5',
      rate: '2',
      rateDate: '2026-03-31',
      firstRateDate: '2026-03-31',
    })
  })

  it('given FIXED_DATE, when converted, then every amount uses the rate of that date', async () => {
    const result = await stats({
      range: march,
      currency: 'EUR',
      filter: dollarAndEuro(),
      fx: { policy: 'FIXED_DATE', date: '2026-03-09' },
    })
    // 10 EUR + 14.5 USD × 0.625
    expect(result.totals).toMatchObject({ commission: money('19.06', '19.0625') })
    expect(result.totals.conversions[0]).toMatchObject({ factor: '0.625', rateDate: '2026-03-09' })
  })

  it('given a report currency other than EUR, when converted, then cross rates of the same day are used and the identity currency is not converted', async () => {
    const result = await stats({ range: march, currency: 'USD', filter: dollarAndEuro() })
    // 10 EUR × 1.25 + 20 USD − 5.5 USD
    expect(result.totals).toMatchObject({ commission: money('27.00', '27', 'USD'), currency: 'USD' })
    expect(result.totals.conversions).toEqual([
      expect.objectContaining({
        currency: 'EUR',
        factor: '1.25',
        rate: '1',
        reportRate: '1.25',
        rateDate: '2026-03-02',
      }),
    ])
  })

  it('given a day with no rate close enough, when converted, then the figure is null with the reason and the native amount stays', async () => {
    const result = await stats({ range: { from: '2026-05-01', to: '2026-05-31' }, currency: 'EUR' })
    expect(result.totals).toMatchObject({
      commission: null,
      clicks: 7,
      native: [{ currency: 'USD', commission: money('8.00', '8', 'USD') }],
    })
    expect(result.totals.conversions).toEqual([
      expect.objectContaining({
        currency: 'USD',
        factor: null,
        firstDayWithoutRate: '2026-05-20',
        lastDayWithoutRate: '2026-05-20',
        reason: 'NO_RATE',
      }),
    ])
  })

  it('given a currency never rated, when converted, then its rows are null with UNKNOWN_CURRENCY while the others convert', async () => {
    const result = await stats({ range: march, currency: 'EUR', groupBy: ['ACCOUNT'] })
    const byAccount = new Map(result.rows.map((r) => [r.accountId, r]))
    expect(byAccount.get(sek)).toMatchObject({
      commission: null,
      native: [{ currency: 'SEK', commission: money('100.00', '100', 'SEK') }],
      conversions: [expect.objectContaining({ currency: 'SEK', factor: null, reason: 'UNKNOWN_CURRENCY' })],
    })
    expect(byAccount.get(usd)).toMatchObject({ commission: money('12.56', '12.5625') })
    // One unconvertible amount makes the total unknown: it is never silently left out.
    expect(result.totals).toMatchObject({ commission: null, clicks: 36, accountsContributing: 3 })
  })

  it('given tags and a report currency, when grouped by tag, then converted totals count each account once', async () => {
    const result = await stats({ range: march, currency: 'EUR', groupBy: ['TAG'], filter: dollarAndEuro() })
    expect(result.rows.map((r) => [r.tag, r.commission, r.accountsContributing])).toEqual([
      ['eu', money('22.56', '22.5625'), 2],
      ['us', money('12.56', '12.5625'), 1],
    ])
    expect(result.totals).toMatchObject({ commission: money('22.56', '22.5625'), accountsContributing: 2 })
  })
})
