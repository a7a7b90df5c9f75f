import { performance } from 'node:perf_hooks'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { FxRateRow, FxSource } from '../../src/fx/ecb-format.ts'
import { SIMULATED_CURRENCY_CODES, simulatedDays } from '../../src/fx/ecb-simulator.ts'
import { storeRates } from '../../src/fx/fx.service.ts'
import { convertAmount, FxQueryError, type FxRatesOptions, fxRatesSql } from '../../src/fx/fx-convert.ts'
import { openTestDatabase, type TestDatabase } from '../support/test-database.ts'

interface FxRow {
  day: string
  currency: string
  factor: string | null
  rate_day: string | null
  source: string | null
  reason: string | null
}

/** The relation as text, so both drivers give the same values. */
async function relation(db: TestDatabase, options: FxRatesOptions): Promise<FxRow[]> {
  const { sql, params } = fxRatesSql(options)
  return db.query<FxRow>(
    `select fx.day::text as day, fx.currency, fx.factor::text as factor, fx.rate_day::text as rate_day, fx.source, fx.reason
     from (${sql}) fx order by fx.day, fx.currency`,
    params,
  )
}

function rowOf(rows: FxRow[], day: string, currency: string): FxRow {
  const row = rows.find((r) => r.day === day && r.currency === currency)
  if (!row) throw new Error(`no row for ${currency} on ${day}`)
  return row
}

/** a / b rounded half away from zero to `scale` decimals, computed with integers only. */
function quotient(a: string, b: string, scale: number): string {
  const digits = (x: string) => (x.split('.')[1] ?? '').length
  const shift = Math.max(digits(a), digits(b))
  const int = (x: string) => BigInt(x.replace('.', '') + '0'.repeat(shift - digits(x)))
  const numerator = int(a) * 10n ** BigInt(scale + 1)
  const raw = numerator / int(b)
  const rounded = (raw + 5n) / 10n
  const text = rounded.toString().padStart(scale + 1, '0')
  return `${text.slice(0, -scale)}.${text.slice(-scale)}`
}

const rates = (source: FxSource, day: string, values: Record<string, string>) =>
  Object.entries(values).map(([currency, rate]): FxRateRow & { source: FxSource } => ({
    source,
    day,
    currency,
    rate,
  }))

async function store(db: TestDatabase, rows: (FxRateRow & { source: FxSource })[]): Promise<void> {
  for (const source of ['ECB', 'ECB-SIMULATED'] as const) {
    const mine = rows
      .filter((r) => r.source === source)
      .map(({ day, currency, rate }) => ({ day, currency, rate }))
    if (mine.length) await storeRates(db, source, mine)
  }
}

describe('currency conversion', () => {
  let db: TestDatabase

  beforeAll(async () => {
    db = await openTestDatabase()
  })
  afterAll(async () => {
    await db?.close()
  })
  beforeEach(async () => {
    await db.query('delete from fx_rate')
    // Thursday, Friday, then Monday; nothing over the weekend of 9-10 March 2024.
    await store(db, [
      ...rates('ECB', '2024-03-07', { USD: '1.0875', GBP: '0.8505', JPY: '159.80' }),
      ...rates('ECB', '2024-03-08', { USD: '1.2500', GBP: '0.8500', JPY: '160.00' }),
      ...rates('ECB', '2024-03-11', { USD: '1.0925', GBP: '0.85123', JPY: '160.5' }),
    ])
  })

  it('given known rates, when 100 USD is converted to GBP, then the result is the exact numeric cross rate through EUR', async () => {
    const exact = await convertAmount(db, {
      amount: '100',
      currency: 'USD',
      day: '2024-03-08',
      reportCurrency: 'GBP',
    })
    expect(exact).toEqual({
      amount: '68',
      factor: '0.68',
      rateDay: '2024-03-08',
      source: 'ECB',
      reason: null,
      rate: '1.2500',
      reportRate: '0.8500',
    })
    const yen = await convertAmount(db, {
      amount: '1000',
      currency: 'JPY',
      day: '2024-03-08',
      reportCurrency: 'USD',
    })
    expect(yen.amount).toBe('7.8125')

    // 0.85123 / 1.0925 does not terminate: the factor is the correctly rounded quotient at numeric's own scale.
    const { sql, params } = fxRatesSql({
      policy: 'DAILY',
      reportCurrency: 'GBP',
      from: '2024-03-11',
      to: '2024-03-11',
    })
    const [row] = await db.query<{ factor: string }>(
      `select factor::text as factor from (${sql}) fx where currency = 'USD'`,
      params,
    )
    const scale = row!.factor.split('.')[1]!.length
    expect(scale).toBeGreaterThanOrEqual(16)
    expect(row!.factor).toBe(quotient('0.85123', '1.0925', scale))
  })

  it("given a weekend, when converted daily, then Friday's rate is used and rate_day says Friday", async () => {
    const rows = await relation(db, {
      policy: 'DAILY',
      reportCurrency: 'GBP',
      from: '2024-03-08',
      to: '2024-03-11',
    })
    for (const day of ['2024-03-08', '2024-03-09', '2024-03-10']) {
      expect(rowOf(rows, day, 'USD'), day).toEqual({
        day,
        currency: 'USD',
        factor: '0.68000000000000000000',
        rate_day: '2024-03-08',
        source: 'ECB',
        reason: null,
      })
    }
    expect(rowOf(rows, '2024-03-11', 'USD').rate_day).toBe('2024-03-11')
    const saturday = await convertAmount(db, {
      amount: '100',
      currency: 'USD',
      day: '2024-03-09',
      reportCurrency: 'GBP',
    })
    expect(saturday).toMatchObject({ amount: '68', rateDay: '2024-03-08' })
  })

  it('given the relation, when listed without a currency filter, then it has EUR, the report currency and every stored currency, typed as documented', async () => {
    const rows = await relation(db, {
      policy: 'DAILY',
      reportCurrency: 'CAD',
      from: '2024-03-08',
      to: '2024-03-08',
    })
    expect(rows.map((r) => r.currency)).toEqual(['CAD', 'EUR', 'GBP', 'JPY', 'USD'])
    // CAD has no rate at all: only the identity row converts.
    expect(rowOf(rows, '2024-03-08', 'CAD')).toMatchObject({
      factor: '1',
      rate_day: null,
      source: null,
      reason: null,
    })
    expect(rowOf(rows, '2024-03-08', 'USD')).toMatchObject({ factor: null, reason: 'UNKNOWN_CURRENCY' })

    const { sql, params } = fxRatesSql({
      policy: 'DAILY',
      reportCurrency: 'EUR',
      from: '2024-03-08',
      to: '2024-03-08',
    })
    const [types] = await db.query<Record<string, string>>(
      `select pg_typeof(day)::text as day, pg_typeof(currency)::text as currency, pg_typeof(factor)::text as factor,
         pg_typeof(rate_day)::text as rate_day, pg_typeof(source)::text as source, pg_typeof(reason)::text as reason
       from (${sql}) fx limit 1`,
      params,
    )
    expect(types).toEqual({
      day: 'date',
      currency: 'text',
      factor: 'numeric',
      rate_day: 'date',
      source: 'text',
      reason: 'text',
    })
  })

  it('given EUR on either side, when converted, then the single EUR-based rate is applied', async () => {
    const toEur = await convertAmount(db, {
      amount: '125',
      currency: 'USD',
      day: '2024-03-08',
      reportCurrency: 'EUR',
    })
    expect(toEur).toMatchObject({ amount: '100', rateDay: '2024-03-08', rate: '1.2500', reportRate: '1' })
    const fromEur = await convertAmount(db, {
      amount: '100',
      currency: 'EUR',
      day: '2024-03-10',
      reportCurrency: 'GBP',
    })
    expect(fromEur).toMatchObject({ amount: '85', rateDay: '2024-03-08' })
    const same = await convertAmount(db, {
      amount: '-12.34',
      currency: 'EUR',
      day: '2020-01-01',
      reportCurrency: 'EUR',
    })
    expect(same).toEqual({
      amount: '-12.34',
      factor: '1',
      rateDay: null,
      source: null,
      reason: null,
      rate: null,
      reportRate: null,
    })
  })

  it('given a day before any rate, or more than 7 days after the last one, when converted, then the factor is NULL with reason NO_RATE', async () => {
    const before = await convertAmount(db, {
      amount: '100',
      currency: 'USD',
      day: '2024-03-06',
      reportCurrency: 'GBP',
    })
    expect(before).toMatchObject({ amount: null, factor: null, rateDay: null, reason: 'NO_RATE' })
    const rows = await relation(db, {
      policy: 'DAILY',
      reportCurrency: 'GBP',
      from: '2024-03-18',
      to: '2024-03-19',
    })
    expect(rowOf(rows, '2024-03-18', 'USD')).toMatchObject({ rate_day: '2024-03-11', reason: null })
    expect(rowOf(rows, '2024-03-19', 'USD')).toMatchObject({
      factor: null,
      rate_day: null,
      reason: 'NO_RATE',
    })
  })

  it('given a currency without any stored rate, on either side, when converted, then the reason is UNKNOWN_CURRENCY', async () => {
    const unknown = await convertAmount(db, {
      amount: '5',
      currency: 'XYZ',
      day: '2024-03-08',
      reportCurrency: 'GBP',
    })
    expect(unknown).toMatchObject({ amount: null, factor: null, reason: 'UNKNOWN_CURRENCY' })
    const unknownReport = await convertAmount(db, {
      amount: '5',
      currency: 'USD',
      day: '2024-03-08',
      reportCurrency: 'CHF',
    })
    expect(unknownReport).toMatchObject({ amount: null, reason: 'UNKNOWN_CURRENCY' })
    const rows = await relation(db, {
      policy: 'DAILY',
      reportCurrency: 'GBP',
      from: '2024-03-08',
      to: '2024-03-08',
      currencies: ['USD', 'XYZ', 'usd'],
    })
    expect(rows.map((r) => [r.currency, r.reason])).toEqual([
      ['USD', null],
      ['XYZ', 'UNKNOWN_CURRENCY'],
      ['usd', 'UNKNOWN_CURRENCY'],
    ])
  })

  it('given a cross rate whose currencies were published on different days, when converted, then both rates come from the same day', async () => {
    // 12 March: USD only (GBP "N/A"); the USD→GBP factor must not mix 12 March USD with 11 March GBP.
    await store(db, rates('ECB', '2024-03-12', { USD: '2.0000' }))
    const rows = await relation(db, {
      policy: 'DAILY',
      reportCurrency: 'GBP',
      from: '2024-03-12',
      to: '2024-03-12',
    })
    expect(rowOf(rows, '2024-03-12', 'USD')).toMatchObject({ rate_day: '2024-03-11', reason: null })
    const toEur = await relation(db, {
      policy: 'DAILY',
      reportCurrency: 'EUR',
      from: '2024-03-12',
      to: '2024-03-12',
    })
    expect(rowOf(toEur, '2024-03-12', 'USD')).toMatchObject({
      factor: '0.50000000000000000000',
      rate_day: '2024-03-12',
    })
  })

  it('given FIXED_DATE on a Saturday, when converting a range, then every day uses the Friday before it', async () => {
    const rows = await relation(db, {
      policy: 'FIXED_DATE',
      fixedDate: '2024-03-09',
      reportCurrency: 'GBP',
      from: '2024-03-01',
      to: '2024-03-11',
    })
    expect(rows.filter((r) => r.currency === 'USD')).toHaveLength(11)
    for (const row of rows.filter((r) => r.currency === 'USD')) {
      expect(row, row.day).toMatchObject({
        factor: '0.68000000000000000000',
        rate_day: '2024-03-08',
        reason: null,
      })
    }
    const fixed = await convertAmount(db, {
      amount: '100',
      currency: 'USD',
      day: '2024-03-11',
      reportCurrency: 'GBP',
      policy: 'FIXED_DATE',
      fixedDate: '2024-03-08',
    })
    expect(fixed).toMatchObject({ amount: '68', rateDay: '2024-03-08' })
  })

  it('given PERIOD_END, when converting a range, then every day uses the last rate on or before the end (or of its period)', async () => {
    const total = await relation(db, {
      policy: 'PERIOD_END',
      reportCurrency: 'GBP',
      from: '2024-03-07',
      to: '2024-03-10',
    })
    expect(new Set(total.filter((r) => r.currency === 'USD').map((r) => r.rate_day))).toEqual(
      new Set(['2024-03-08']),
    )

    await store(db, [
      ...rates('ECB', '2024-02-28', { USD: '1.0800', GBP: '0.8550' }),
      ...rates('ECB', '2024-02-29', { USD: '1.1000', GBP: '0.8800' }),
    ])
    const monthly = await relation(db, {
      policy: 'PERIOD_END',
      period: 'month',
      reportCurrency: 'GBP',
      from: '2024-02-27',
      to: '2024-03-31',
    })
    const usd = monthly.filter((r) => r.currency === 'USD')
    expect(
      usd
        .filter((r) => r.day < '2024-03-01')
        .every((r) => r.rate_day === '2024-02-29' && r.factor === '0.80000000000000000000'),
    ).toBe(true)
    // March is not over in the data: its end is capped at the last publication (11 March).
    expect(usd.filter((r) => r.day >= '2024-03-01').every((r) => r.rate_day === '2024-03-11')).toBe(true)

    const single = await convertAmount(db, {
      amount: '100',
      currency: 'USD',
      day: '2024-03-07',
      periodEnd: '2024-03-10',
      reportCurrency: 'GBP',
      policy: 'PERIOD_END',
    })
    expect(single).toMatchObject({ amount: '68', rateDay: '2024-03-08' })
  })

  it('given ECB and simulated rates, when converted, then the ECB rate wins on a shared day, the simulated one fills in, and `source` can force one', async () => {
    await store(db, [
      ...rates('ECB-SIMULATED', '2024-03-08', { USD: '1.0000', GBP: '0.5000' }),
      ...rates('ECB-SIMULATED', '2024-03-12', { USD: '1.0000', GBP: '0.9000' }),
    ])
    const rows = await relation(db, {
      policy: 'DAILY',
      reportCurrency: 'GBP',
      from: '2024-03-08',
      to: '2024-03-12',
    })
    expect(rowOf(rows, '2024-03-08', 'USD')).toMatchObject({
      source: 'ECB',
      factor: '0.68000000000000000000',
    })
    expect(rowOf(rows, '2024-03-12', 'USD')).toMatchObject({
      source: 'ECB-SIMULATED',
      rate_day: '2024-03-12',
      factor: '0.90000000000000000000',
    })
    const simulated = await relation(db, {
      policy: 'DAILY',
      reportCurrency: 'GBP',
      from: '2024-03-08',
      to: '2024-03-08',
      source: 'ECB-SIMULATED',
    })
    expect(rowOf(simulated, '2024-03-08', 'USD')).toMatchObject({
      source: 'ECB-SIMULATED',
      factor: '0.50000000000000000000',
    })
  })

  it('given stats rows, when joined to the relation on day and currency, then each amount converts and says which rate it used', async () => {
    const { sql, params } = fxRatesSql({
      policy: 'DAILY',
      reportCurrency: 'GBP',
      from: '2024-03-06',
      to: '2024-03-10',
      currencies: ['USD', 'GBP', 'XYZ'],
    })
    const rows = await db.query<Record<string, string | null>>(
      `select s.day::text as day, s.currency, (s.amount * fx.factor)::text as converted, fx.rate_day::text as rate_day,
         coalesce(fx.reason, case when fx.currency is null then 'UNKNOWN_CURRENCY' end) as reason
       from (values ('2024-03-06'::date, 'USD', 10.00::numeric), ('2024-03-09'::date, 'USD', 10.00::numeric),
                    ('2024-03-09'::date, 'GBP', 3.50::numeric), ('2024-03-09'::date, 'XYZ', 1::numeric))
            s (day, currency, amount)
       left join (${sql}) fx on fx.day = s.day and fx.currency = s.currency
       order by s.day, s.currency`,
      params,
    )
    expect(
      rows.map((r) => [
        r.day,
        r.currency,
        r.converted && Number(r.converted).toFixed(2),
        r.rate_day,
        r.reason,
      ]),
    ).toEqual([
      ['2024-03-06', 'USD', null, null, 'NO_RATE'],
      ['2024-03-09', 'GBP', '3.50', null, null],
      ['2024-03-09', 'USD', '6.80', '2024-03-08', null],
      ['2024-03-09', 'XYZ', null, null, 'UNKNOWN_CURRENCY'],
    ])
  })

  it('given invalid arguments, when the relation is built, then an FxQueryError names them', () => {
    const base: FxRatesOptions = {
      policy: 'DAILY',
      reportCurrency: 'GBP',
      from: '2024-03-01',
      to: '2024-03-31',
    }
    const cases: [Partial<FxRatesOptions>, RegExp][] = [
      [{ reportCurrency: 'gbp' }, /report currency/],
      [{ from: '2024-02-30' }, /from must be a date/],
      [{ from: '2024-04-01' }, /is after to/],
      [{ policy: 'FIXED_DATE' }, /fixedDate must be a date/],
      [{ policy: 'HOURLY' as never }, /unknown conversion policy/],
      [{ period: 'decade' as never }, /unknown period/],
      [{ source: 'FED' as never }, /unknown rate source/],
      [{ from: '1900-01-01' }, /longer than/],
      [{ currencies: [] }, /at least one currency/],
      [{ currenciesFrom: 's1; drop table fx_rate' }, /relation name/],
      [{ currenciesFrom: 's1', currencies: ['USD'] }, /excludes currencies/],
    ]
    for (const [change, message] of cases) {
      expect(() => fxRatesSql({ ...base, ...change }), message.source).toThrow(FxQueryError)
      expect(() => fxRatesSql({ ...base, ...change })).toThrow(message)
    }
  })
})

describe('conversion over three years of thirty currencies', () => {
  let db: TestDatabase

  beforeAll(async () => {
    db = await openTestDatabase()
    const days = simulatedDays('volume', '2021-12-20', '2024-12-31')
    await storeRates(
      db,
      'ECB-SIMULATED',
      days.flatMap((d) => d.rates.map((r) => ({ day: d.day, ...r }))),
    )
  }, 120_000)
  afterAll(async () => {
    await db?.close()
  })

  it('given daily rates for 2022-2024, when the DAILY relation into GBP is computed, then every day and currency converts in one quick statement', async () => {
    const { sql, params } = fxRatesSql({
      policy: 'DAILY',
      reportCurrency: 'GBP',
      from: '2022-01-01',
      to: '2024-12-31',
    })
    const started = performance.now()
    const [result] = await db.query<{ rows: number; converted: number; stale: number }>(
      `select count(*)::int as rows, count(factor)::int as converted,
         count(*) filter (where day - rate_day > 4)::int as stale
       from (${sql}) fx`,
      params,
    )
    const elapsed = performance.now() - started
    expect(result).toEqual({
      rows: 1096 * (SIMULATED_CURRENCY_CODES.length + 1),
      converted: 1096 * 31,
      stale: 0,
    })
    // Generous: the point is "one set-based statement", not a benchmark on a shared machine.
    expect(elapsed).toBeLessThan(15_000)
  })
})
