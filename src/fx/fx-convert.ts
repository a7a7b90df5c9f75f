import type { Database } from '../db/database.ts'
import { isDecimalString, normalizeDecimal } from '../sdk/decimal.ts'
import { FX_SOURCES, type FxSource, isCurrencyCode, isValidDay } from './ecb-format.ts'

/**
 * The currency-conversion policy as one SQL relation the stats query joins, so that conversion happens in
 * PostgreSQL numeric arithmetic next to the amounts and every converted figure can name the rate it used.
 *
 * Relation (one row per day in [from, to] and currency):
 *   day date, currency text, factor numeric, rate_day date, source text, reason text, rate numeric,
 *   report_rate numeric
 * `amount_in_currency * factor` is the amount in the report currency. factor = report_rate / rate, where both
 * rates are EUR-based (1 EUR = rate units) and come from the same publication (`rate_day`, `source`); EUR itself
 * has rate 1. A currency converted into itself has factor 1 and no rate (rate_day, source, rates NULL).
 * When no usable rate exists, factor is NULL and `reason` says why; reason is NULL whenever factor is not.
 */

export type FxPolicy = 'DAILY' | 'PERIOD_END' | 'FIXED_DATE'
export const FX_POLICIES: readonly FxPolicy[] = ['DAILY', 'PERIOD_END', 'FIXED_DATE']

/** PERIOD_END only: the period whose last day gives each day its rate. */
export type FxPeriod = 'day' | 'week' | 'month' | 'quarter' | 'year' | 'total'
export const FX_PERIODS: readonly FxPeriod[] = ['day', 'week', 'month', 'quarter', 'year', 'total']

/**
 * Why a factor is NULL. UNKNOWN_CURRENCY: no rate was ever stored for the currency (or for the report
 * currency). NO_RATE: the currency is known, but no publication lies in the accepted window.
 */
export type FxReason = 'NO_RATE' | 'UNKNOWN_CURRENCY'

/** A rate older than this many days before the day it serves is not used (the longest TARGET gap is 4 days). */
export const DEFAULT_MAX_RATE_AGE_DAYS = 7
/** Longest range one relation may span, to keep a typo from generating millions of rows. */
export const MAX_RANGE_DAYS = 366 * 40

export interface FxRatesOptions {
  policy: FxPolicy
  reportCurrency: string
  /** First and last day of the relation, inclusive (YYYY-MM-DD). */
  from: string
  to: string
  /** FIXED_DATE: every day uses the last rate published on or before this day. */
  fixedDate?: string
  /**
   * PERIOD_END: each day uses the last rate published on or before the end of its period, the end capped at
   * `to`. Default 'total': one rate for the whole range, the last published on or before `to`. Weeks start on
   * Monday (ISO).
   */
  period?: FxPeriod
  /** Only this source; by default both, preferring 'ECB' over 'ECB-SIMULATED' for the same day. */
  source?: FxSource
  /**
   * The currencies to produce rows for (e.g. those of the stats being converted), so that a currency without
   * any stored rate gets a row with reason UNKNOWN_CURRENCY. Default: every currency with a stored rate, EUR and
   * the report currency.
   */
  currencies?: readonly string[]
  /**
   * Instead of `currencies`: a relation of the enclosing statement (a CTE name) whose `currency` column holds the
   * currencies to produce rows for, e.g. the stats rows being converted. A dashboard's rows carry two or three
   * currencies; a rate grid of every stored currency (31 with the ECB's) cost more than the aggregation itself.
   */
  currenciesFrom?: string
  /** Default DEFAULT_MAX_RATE_AGE_DAYS. */
  maxAgeDays?: number
}

export interface SqlQuery {
  /** `?` placeholders, bound in order by `params` (the `db.query` convention). */
  sql: string
  params: unknown[]
}

/** Invalid arguments to the conversion functions. */
export class FxQueryError extends Error {
  readonly code = 'FX_QUERY_INVALID' as const
  override readonly name = 'FxQueryError'
}

/** A piece of SQL and the values of its placeholders, in text order. */
interface Fragment {
  readonly text: string
  readonly values: readonly unknown[]
}

function fragment(strings: TemplateStringsArray, ...parts: Fragment[]): Fragment {
  let text = strings[0] ?? ''
  const values: unknown[] = []
  parts.forEach((part, i) => {
    text += part.text + (strings[i + 1] ?? '')
    values.push(...part.values)
  })
  return { text, values }
}

const bind = (value: unknown, cast: string): Fragment => ({ text: `?::${cast}`, values: [value] })
const raw = (text: string): Fragment => ({ text, values: [] })
const join = (parts: Fragment[], separator: string): Fragment => ({
  text: parts.map((p) => p.text).join(separator),
  values: parts.flatMap((p) => p.values),
})

function dayNumber(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / 86_400_000
}

function checkDay(name: string, value: string | undefined): string {
  if (value === undefined || !isValidDay(value)) {
    throw new FxQueryError(`${name} must be a date (YYYY-MM-DD), got ${JSON.stringify(value)}`)
  }
  return value
}

/** The relation described at the top of this file, as SQL to use in a FROM clause or a CTE. */
export function fxRatesSql(options: FxRatesOptions): SqlQuery {
  const { policy, reportCurrency } = options
  if (!FX_POLICIES.includes(policy))
    throw new FxQueryError(`unknown conversion policy ${JSON.stringify(policy)}`)
  if (!isCurrencyCode(reportCurrency)) {
    throw new FxQueryError(
      `the report currency must be a 3-letter code, got ${JSON.stringify(reportCurrency)}`,
    )
  }
  const from = checkDay('from', options.from)
  const to = checkDay('to', options.to)
  if (from > to) throw new FxQueryError(`from (${from}) is after to (${to})`)
  if (dayNumber(to) - dayNumber(from) + 1 > MAX_RANGE_DAYS) {
    throw new FxQueryError(`the range ${from}..${to} is longer than ${MAX_RANGE_DAYS} days`)
  }
  const period = options.period ?? 'total'
  if (!FX_PERIODS.includes(period)) throw new FxQueryError(`unknown period ${JSON.stringify(period)}`)
  const fixedDate = policy === 'FIXED_DATE' ? checkDay('fixedDate', options.fixedDate) : undefined
  if (options.source !== undefined && !FX_SOURCES.includes(options.source)) {
    throw new FxQueryError(`unknown rate source ${JSON.stringify(options.source)}`)
  }
  const sources = options.source ? [options.source] : [...FX_SOURCES]
  const maxAge = options.maxAgeDays ?? DEFAULT_MAX_RATE_AGE_DAYS
  if (!Number.isInteger(maxAge) || maxAge < 0 || maxAge > 366) {
    throw new FxQueryError('maxAgeDays must be a whole number of days between 0 and 366')
  }
  const currencies = options.currencies ? [...new Set(options.currencies)] : undefined
  if (currencies?.some((c) => typeof c !== 'string' || c.length === 0 || c.length > 32)) {
    throw new FxQueryError('currencies must be non-empty strings of at most 32 characters')
  }
  if (currencies?.length === 0)
    throw new FxQueryError('currencies, when given, must name at least one currency')
  const currenciesFrom = options.currenciesFrom
  if (currenciesFrom !== undefined && (currencies || !/^[a-z_][a-z0-9_]*$/.test(currenciesFrom))) {
    throw new FxQueryError('currenciesFrom must be a relation name, and excludes currencies')
  }

  const report = () => bind(reportCurrency, 'text')
  const sourceFilter = (alias: string) =>
    sources.length === 1
      ? fragment`${raw(alias)}.source = ${bind(sources[0], 'text')}`
      : fragment`${raw(alias)}.source in (${join(
          sources.map((s) => bind(s, 'text')),
          ', ',
        )})`
  // With no publication after it, a later target cannot be told apart from the last publication day: capping the
  // target there keeps "this month, converted at month end" working before the month has ended.
  const latest = fragment`(select greatest(${join(
    sources.map((s) => fragment`(select max(day) from fx_rate where source = ${bind(s, 'text')})`),
    ', ',
  )}))`
  let lookupDay: Fragment
  if (policy === 'DAILY') lookupDay = raw('g::date')
  else if (policy === 'FIXED_DATE') lookupDay = fragment`least(${bind(fixedDate, 'date')}, ${latest})`
  else if (period === 'total') lookupDay = fragment`least(${bind(to, 'date')}, ${latest})`
  else {
    const length = period === 'quarter' ? '3 months' : `1 ${period}`
    const periodEnd = raw(`(date_trunc('${period}', g) + interval '${length}' - interval '1 day')::date`)
    lookupDay = fragment`least(${periodEnd}, ${bind(to, 'date')}, ${latest})`
  }
  const currencyList = currencies
    ? fragment`(values ${join(
        currencies.map((c) => fragment`(${bind(c, 'text')})`),
        ', ',
      )})`
    : currenciesFrom
      ? fragment`(select currency from ${raw(currenciesFrom)} where currency is not null union select ${report()})`
      : fragment`(select currency from fx_seen where currency is not null union select 'EUR' union select ${report()})`
  const inRange = (alias: string) =>
    fragment`${raw(alias)}.day between (select lo from fx_bounds) and (select hi from fx_bounds)`
  const currencyFilter = (alias: string) =>
    currencies || currenciesFrom
      ? fragment` and ${raw(alias)}.currency in (select currency from fx_currency)`
      : raw('')
  // Publications usable for a cross rate: a day on which both the currency and the report currency have a rate
  // from the same source, so a factor never mixes two days or two sources. EUR, the base, has rate 1 every day.
  const pairs =
    reportCurrency === 'EUR'
      ? fragment`select a.currency, a.day, a.source, a.rate, 1::numeric as report_rate
    from fx_rate a
    where ${inRange('a')} and ${sourceFilter('a')}${currencyFilter('a')}`
      : fragment`select a.currency, a.day, a.source, a.rate, b.rate as report_rate
    from fx_rate a
    join fx_rate b on b.source = a.source and b.day = a.day and b.currency = ${report()}
    where ${inRange('a')} and ${sourceFilter('a')} and a.currency <> ${report()}${currencyFilter('a')}
    union all
    select 'EUR', b.day, b.source, 1::numeric, b.rate
    from fx_rate b
    where b.currency = ${report()} and ${inRange('b')} and ${sourceFilter('b')}`

  // With both sources, an 'ECB' publication hides the simulated one of the same day and currency. A sort, not an
  // anti-join: the plan must stay sane on a table never analysed (PGlite has no autovacuum).
  const pairCtes =
    sources.length === 1
      ? fragment`fx_pair (currency, day, source, rate, report_rate) as (
  ${pairs}
)`
      : fragment`fx_pair (currency, day, source, rate, report_rate) as (
  select distinct on (p.currency, p.day) p.currency, p.day, p.source, p.rate, p.report_rate
  from (
    ${pairs}
  ) p
  order by p.currency, p.day, case p.source when 'ECB' then 0 else 1 end
)`

  // fx_seen walks the (currency, day) index one currency at a time instead of reading every stored rate.
  // fx_grid holds every calendar day of every currency, so a window over the preceding `maxAge` rows is the
  // preceding `maxAge` days: its max(day) is the newest usable publication, found without a lookup per row.
  const query = fragment`with recursive
fx_seen (currency) as (
  (select currency from fx_rate order by currency limit 1)
  union all
  select (select f.currency from fx_rate f where f.currency > s.currency order by f.currency limit 1)
  from fx_seen s where s.currency is not null
),
fx_currency (id, currency, known) as (
  select row_number() over (), c.currency,
    (c.currency = 'EUR' or c.currency in (select currency from fx_seen where currency is not null))
  from ${currencyList} c (currency)
),
fx_day (day, lookup_day) as (
  select g::date, ${lookupDay}
  from generate_series(${bind(from, 'timestamp')}, ${bind(to, 'timestamp')}, interval '1 day') g
),
fx_bounds (lo, hi) as (
  select min(lookup_day) - ${bind(maxAge, 'int')}, max(lookup_day) from fx_day
),
${pairCtes},
fx_grid (currency, known, day, rate_day) as (
  select c.currency, c.known, g::date,
    max(p.day) over (partition by c.id order by g rows between ${bind(maxAge, 'int')} preceding and current row)
  from fx_currency c
  cross join fx_bounds bounds
  cross join generate_series(bounds.lo::timestamp, bounds.hi::timestamp, interval '1 day') g
  left join fx_pair p on p.currency = c.currency and p.day = g::date
),
fx_resolved (lookup_day, currency, known, rate_day, source, rate, report_rate) as (
  select grid.day, grid.currency, grid.known, p.day, p.source, p.rate, p.report_rate
  from fx_grid grid
  left join fx_pair p on p.currency = grid.currency and p.day = grid.rate_day
  where grid.day in (select lookup_day from fx_day)
),
fx_report (known) as (
  select ${report()} = 'EUR' or ${report()} in (select currency from fx_seen where currency is not null)
)
select d.day,
  r.currency::text as currency,
  (case when r.currency = ${report()} then 1 else r.report_rate / r.rate end)::numeric as factor,
  (case when r.currency = ${report()} then null else r.rate_day end)::date as rate_day,
  (case when r.currency = ${report()} then null else r.source end)::text as source,
  (case
    when r.currency = ${report()} then null
    when not r.known or not (select known from fx_report) then 'UNKNOWN_CURRENCY'
    when r.rate_day is null then 'NO_RATE'
  end)::text as reason,
  (case when r.currency = ${report()} then null else r.rate end)::numeric as rate,
  (case when r.currency = ${report()} then null else r.report_rate end)::numeric as report_rate
from fx_day d
join fx_resolved r on r.lookup_day = d.lookup_day`
  return { sql: query.text, params: [...query.values] }
}

export interface ConvertAmountInput {
  /** A decimal string, e.g. "100" or "-12.34". */
  amount: string
  currency: string
  day: string
  reportCurrency: string
  /** Default DAILY. */
  policy?: FxPolicy
  /** FIXED_DATE: the day whose rate applies. */
  fixedDate?: string
  /** PERIOD_END: the last day of the period `day` belongs to (default: `day` itself). */
  periodEnd?: string
  source?: FxSource
  maxAgeDays?: number
}

export interface ConvertedAmount {
  /** In the report currency, exact numeric (trailing zeros dropped); null when no rate can be used. */
  amount: string | null
  factor: string | null
  /** Publication day of the rates used; null for an identity conversion or when no rate was found. */
  rateDay: string | null
  source: FxSource | null
  reason: FxReason | null
  /** EUR-based rates used: of `currency` and of the report currency. */
  rate: string | null
  reportRate: string | null
}

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null
  return String(value)
}

/** Converts one amount with the same SQL the stats query joins. */
export async function convertAmount(db: Database, input: ConvertAmountInput): Promise<ConvertedAmount> {
  if (typeof input.amount !== 'string' || !isDecimalString(input.amount.trim())) {
    throw new FxQueryError(`amount must be a decimal string, got ${JSON.stringify(input.amount)}`)
  }
  const day = checkDay('day', input.day)
  const policy = input.policy ?? 'DAILY'
  const to = policy === 'PERIOD_END' ? checkDay('periodEnd', input.periodEnd ?? day) : day
  if (to < day) throw new FxQueryError(`periodEnd (${to}) is before day (${day})`)
  const relation = fxRatesSql({
    policy,
    reportCurrency: input.reportCurrency,
    from: day,
    to,
    fixedDate: input.fixedDate,
    source: input.source,
    currencies: [input.currency],
    maxAgeDays: input.maxAgeDays,
  })
  // Everything leaves the database as text: numeric and date types arrive differently from the two drivers.
  const rows = await db.query<Record<string, unknown>>(
    `select (?::numeric * fx.factor)::text as amount, fx.factor::text as factor, fx.rate_day::text as rate_day,
       fx.source, fx.reason, fx.rate::text as rate, fx.report_rate::text as report_rate
     from (${relation.sql}) fx
     where fx.day = ?::date`,
    [input.amount.trim(), ...relation.params, day],
  )
  const row = rows[0]
  if (!row) throw new Error(`the conversion relation has no row for ${input.currency} on ${day}`)
  const amount = text(row.amount)
  const factor = text(row.factor)
  return {
    amount: amount === null ? null : normalizeDecimal(amount),
    factor: factor === null ? null : normalizeDecimal(factor),
    rateDay: text(row.rate_day),
    source: text(row.source) as FxSource | null,
    reason: text(row.reason) as FxReason | null,
    rate: text(row.rate),
    reportRate: text(row.report_rate),
  }
}
