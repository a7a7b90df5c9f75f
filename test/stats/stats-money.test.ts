import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDecimals, roundDecimal } from '../../src/sdk/index.ts'
import { ok } from '../graphql/graphql-helpers.ts'
import { pageRows } from '../support/stats-pages.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'
import { insertAccounts, insertRates, insertStatRows } from './stats-seed.ts'

const MONEY = '{ amount exactAmount currency }'
const FIGURES = `currency clicks commission ${MONEY} deposits ${MONEY} epc clickToSignup
  native { currency commission ${MONEY} }`
const STATS = `query Stats($input: StatsInput!) {
  stats(input: $input) {
    currency
    rows { nodes { periodStart accountId ${FIGURES} } }
    totals { ${FIGURES} }
  }
}`

interface Money {
  amount: string
  exactAmount: string
  currency: string
}
interface Figures {
  currency: string | null
  clicks: number | null
  commission: Money | null
  deposits: Money | null
  epc: string | null
  clickToSignup: string | null
  native: { currency: string; commission: Money | null }[]
}
interface StatsData {
  stats: { currency: string | null; rows: { nodes: (Figures & { periodStart: string })[] }; totals: Figures }
}

let t: TestApp
let token: string

beforeAll(async () => {
  t = await createTestApp()
  const ws = await t.workspace('stats-money')
  token = ws.token
  const [usd, gbp, jpy, eur] = await insertAccounts(t.db, ws.id, [
    { programName: 'Dollar' },
    { programName: 'Pound' },
    { programName: 'Yen' },
    { programName: 'Euro' },
  ])
  const days = ['2026-06-01', '2026-06-02', '2026-06-03', '2026-06-04', '2026-06-05']
  // Cents that, times rates of the ECB's usual precision, give factors and amounts with 20 and more decimals.
  await insertStatRows(
    t.db,
    ws.id,
    days.flatMap((day, i) => [
      {
        accountId: usd!,
        day,
        currency: 'USD',
        clicks: 997 + i,
        signups: 31,
        commission: `${1234 + i}.57`,
        deposits: '9999.99',
      },
      {
        accountId: gbp!,
        day,
        currency: 'GBP',
        clicks: 301,
        signups: 7,
        commission: `-${17 + i}.05`,
        deposits: '0.01',
      },
      {
        accountId: jpy!,
        day,
        currency: 'JPY',
        clicks: 13,
        signups: 1,
        commission: `${52_345 + i * 7}`,
        deposits: '1',
      },
      { accountId: eur!, day, currency: 'EUR', clicks: 3, signups: 0, commission: '0.005', deposits: '100' },
    ]),
  )
  // A code a platform may send that ISO 4217 does not list (bitcoin's unofficial XBT), on a day of its own.
  await insertStatRows(t.db, ws.id, [
    { accountId: usd!, day: '2026-07-01', currency: 'XBT', clicks: 4, commission: '0.00012345' },
  ])
  await insertRates(
    t.db,
    days.flatMap((day, i) => [
      { day, currency: 'USD', rate: ['1.0837', '1.0851', '1.0799', '1.0813', '1.0866'][i]! },
      { day, currency: 'GBP', rate: ['0.85873', '0.85911', '0.8579', '0.86002', '0.85956'][i]! },
      { day, currency: 'JPY', rate: ['161.23', '160.87', '161.55', '162.01', '161.9'][i]! },
      { day, currency: 'KWD', rate: ['0.33402', '0.33441', '0.33287', '0.33319', '0.33456'][i]! },
    ]),
  )
})

afterAll(async () => {
  await t?.close()
})

const stats = async (currency: string) =>
  pageRows(
    (
      await ok<StatsData>(t, token, STATS, {
        input: {
          range: { from: '2026-06-01', to: '2026-06-05' },
          granularity: 'DAY',
          groupBy: ['ACCOUNT'],
          currency,
        },
      })
    ).stats,
  )

const fractionDigits = (amount: string) => amount.split('.')[1]?.length ?? 0
const minorUnit: Record<string, number> = { EUR: 2, JPY: 0, KWD: 3 }

describe(`money figures on ${TEST_DATABASE_KIND}`, () => {
  it.each(['EUR', 'JPY', 'KWD'])(
    'given daily ECB-like rates, when totals are converted into %s, then every amount is rounded to its minor unit and the exact one is there too',
    async (currency) => {
      const result = await stats(currency)
      expect(result.rows.length).toBe(20)
      const figures = [...result.rows, result.totals]
      for (const f of figures) {
        for (const money of [f.commission!, f.deposits!]) {
          expect(money.currency).toBe(currency)
          expect(fractionDigits(money.amount), money.amount).toBe(minorUnit[currency])
          expect(money.amount).toBe(roundDecimal(money.exactAmount, minorUnit[currency]!))
        }
      }
      // The exact converted total is what used to come back as the figure: long, and now only on request.
      expect(fractionDigits(result.totals.commission!.exactAmount)).toBeGreaterThan(10)
    },
  )

  it('given converted rows, when their amounts are added up, then the exact ones make the exact total and the rounded ones stay within half a cent per row of the rounded total', async () => {
    const result = await stats('EUR')
    for (const metric of ['commission', 'deposits'] as const) {
      const exact = result.rows.map((r) => r[metric]!.exactAmount)
      const rounded = result.rows.map((r) => r[metric]!.amount)
      // The total is summed from exact amounts and rounded once: it equals the rows' exact sum to the last digit…
      expect(addDecimals(...exact)).toBe(addDecimals(result.totals[metric]!.exactAmount))
      expect(result.totals[metric]!.amount).toBe(roundDecimal(addDecimals(...exact), 2))
      // …while the sum of rounded rows may differ from it by at most half a cent per row (the rounding of each).
      const drift = addDecimals(addDecimals(...rounded), `-${result.totals[metric]!.amount}`)
      expect(Math.abs(Number(drift))).toBeLessThanOrEqual(0.005 * rounded.length)
    }
  })

  it('given rows in their own currencies, when no report currency is asked, then each row is in its minor unit and totals in several currencies are null with the breakdown in native', async () => {
    const result = pageRows(
      (
        await ok<StatsData>(t, token, STATS, {
          input: { range: { from: '2026-06-01', to: '2026-06-01' }, groupBy: ['ACCOUNT'] },
        })
      ).stats,
    )
    const byCurrency = new Map(result.rows.map((r) => [r.currency, r]))
    expect(byCurrency.get('JPY')!.commission).toEqual({
      amount: '52345',
      exactAmount: '52345',
      currency: 'JPY',
    })
    expect(byCurrency.get('USD')!.commission).toEqual({
      amount: '1234.57',
      exactAmount: '1234.57',
      currency: 'USD',
    })
    // Half a cent rounds away from zero.
    expect(byCurrency.get('EUR')!.commission).toEqual({
      amount: '0.01',
      exactAmount: '0.005',
      currency: 'EUR',
    })
    expect(result.totals.currency).toBeNull()
    expect(result.totals.commission).toBeNull()
    expect(result.totals.native.map((n) => [n.currency, n.commission?.amount])).toEqual([
      ['EUR', '0.01'],
      ['GBP', '-17.05'],
      ['JPY', '52345'],
      ['USD', '1234.57'],
    ])
  })

  it('given a stored currency ISO 4217 does not list, when read back, then it serialises as sent and its amounts round to 2 places', async () => {
    const result = pageRows(
      (await ok<StatsData>(t, token, STATS, { input: { range: { from: '2026-07-01', to: '2026-07-01' } } }))
        .stats,
    )
    expect(result.rows.map((r) => [r.currency, r.commission, r.native[0]?.currency])).toEqual([
      ['XBT', { amount: '0.00', exactAmount: '0.00012345', currency: 'XBT' }, 'XBT'],
    ])
    expect(result.totals.commission).toEqual({ amount: '0.00', exactAmount: '0.00012345', currency: 'XBT' })
    expect(result.rows[0]!.epc).toBe('0.0000')
  })

  it('given ratios, when asked, then EPC and conversion rates have exactly four decimal places', async () => {
    const result = await stats('EUR')
    for (const f of [...result.rows, result.totals]) {
      expect(f.epc).toMatch(/^-?\d+\.\d{4}$/)
      expect(f.clickToSignup).toMatch(/^\d+\.\d{4}$/)
    }
    const usd = result.rows.find((r) => r.native[0]?.currency === 'USD' && r.periodStart === '2026-06-01')!
    // 31 signups of 997 clicks.
    expect(usd.clickToSignup).toBe('0.0311')
  })
})
