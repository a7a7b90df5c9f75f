import type { FxSource } from '../fx/ecb-format.ts'
import { type FxPeriod, type FxPolicy, fxRatesSql } from '../fx/fx-convert.ts'
import { COUNT_METRICS, type Metric, MONEY_METRICS } from '../sdk/index.ts'
import { METRIC_COLUMNS } from './stat-writer.ts'

/**
 * The unified stats query as ONE SQL statement, exported so that benchmarks time exactly what the API runs
 * (`buildStatsSql`; run it with `Database.prepared`, as the API does: bound values, planner settings of
 * `SERVING_SETTINGS` on PostgreSQL).
 *
 * Shape (every part is scoped by the workspace id: the accounts by `account.workspace_id`, the stat rows by
 * `stat_day.workspace_id` and by the join to those accounts):
 *   acc      the workspace's accounts that pass the account filters, with their account-level keys
 *   fx       the conversion relation (day, currency, factor, …) of src/fx/fx-convert.ts
 *   s1       stat_day folded to (day, currency, group keys): the only pass over the big table, in parallel.
 *            Beyond DAY granularity the rows are stat_rollup's month and week sums where they cover whole months
 *            or weeks of a period, and stat_day's for the other days (see `rollupPiecesOf` and `branches`)
 *   j        s1 joined with fx on (day, currency), so the join is as small as s1. Grouped by account, nothing
 *            folds per day, so j is stat_day itself joined with fx in the same single pass instead
 *   c0       per (period, group keys, currency): sums, converted sums, flags of missing rates, rates used
 *   c / ct   c0 re-aggregated per tag (an account in each of its tags) and per currency for the totals
 *   r / tot  per (period, group keys) and the grand total: counts, converted money (NULL when some amount
 *            had no rate), native amounts and conversions as JSON arrays
 *   ac       accounts contributing per row, by one of three strategies (see `AccountCounting`)
 * Derived ratios (EPC, conversion rates) are computed from the final sums, never averaged.
 */

export const GRANULARITIES = ['DAY', 'WEEK', 'MONTH', 'YEAR', 'TOTAL'] as const
export type Granularity = (typeof GRANULARITIES)[number]
export const DIMENSIONS = ['ACCOUNT', 'PROGRAM', 'PLATFORM', 'BRAND', 'CAMPAIGN', 'TAG'] as const
export type Dimension = (typeof DIMENSIONS)[number]
export type { FxPolicy }

export interface StatsFilter {
  accountIds?: readonly string[] | null
  platformIds?: readonly string[] | null
  /** Accounts carrying any of these tags. When grouping by TAG, only these tags form groups. */
  tags?: readonly string[] | null
  brands?: readonly string[] | null
  campaigns?: readonly string[] | null
}

export interface StatsFxOptions {
  policy: FxPolicy
  /** FIXED_DATE: the day whose rate converts every amount. */
  date?: string | null
  source?: FxSource | null
}

export interface StatsQuery {
  /** Inclusive range of platform days (each account's own reporting days), YYYY-MM-DD. */
  from: string
  to: string
  granularity: Granularity
  groupBy: readonly Dimension[]
  filter?: StatsFilter | null
  /** Report currency; without it money stays in native currencies, one row per currency. */
  currency?: string | null
  fx?: StatsFxOptions | null
  /** Compute the grand total too (default true). */
  totals?: boolean
  /** Count the accounts contributing to each row and to the total (default true); 0 when false. */
  accounts?: boolean
  /** The metrics to sum (default all); the others come back null. Derived ratios need their two metrics. */
  metrics?: readonly Metric[] | null
  /** Build `native`, the amounts per native currency (default true); `[]` when false. */
  native?: boolean
  /** Build `conversions`, the rates used (default true); `[]` when false, and no rate is tracked per row. */
  conversions?: boolean
  /**
   * Read the month and week sums of stat_rollup where they cover whole months or weeks of a period (default
   * true); false reads every day, the reference the rollups are tested against.
   */
  rollups?: boolean
}

export interface SqlStatement {
  /** PostgreSQL `$n` placeholders (node-postgres binds them as they are). */
  sql: string
  params: unknown[]
}

/**
 * How `accountsContributing` is found, chosen from the query's shape:
 * - `row`: grouping by ACCOUNT, so every row is one account (the total counts distinct accounts of the rows);
 * - `probe`: coarse periods and account-level keys only: one index probe per account and period on the primary
 *   key (account_id, day, …) asks whether the account has any row there: thousands of probes instead of a
 *   second pass over millions of rows;
 * - `scan`: per-day periods, brand/campaign keys or native currencies: a second grouping set of the same pass
 *   keeps (period, keys, account).
 */
export type AccountCounting = 'row' | 'probe' | 'scan'

const DAY_MS = 86_400_000
const COUNT_COLUMNS = COUNT_METRICS.map((m) => METRIC_COLUMNS[m])
const MONEY_COLUMNS = MONEY_METRICS.map((m) => METRIC_COLUMNS[m])

/** Column of each dimension inside the statement; TAG is carried as the account's tag array until exploded. */
const DIMENSION_SQL: Record<Dimension, { expr: string; column: string }> = {
  ACCOUNT: { expr: 's.account_id', column: 'd_account' },
  PROGRAM: { expr: 'a.program', column: 'd_program' },
  PLATFORM: { expr: 'a.platform_id', column: 'd_platform' },
  BRAND: { expr: 's.brand', column: 'd_brand' },
  CAMPAIGN: { expr: 's.campaign', column: 'd_campaign' },
  TAG: { expr: 'a.tags', column: 'd_tags' },
}
/** Output column of each dimension, after the tag array became one tag per row. */
export const DIMENSION_COLUMNS: Record<Dimension, string> = {
  ACCOUNT: 'd_account',
  PROGRAM: 'd_program',
  PLATFORM: 'd_platform',
  BRAND: 'd_brand',
  CAMPAIGN: 'd_campaign',
  TAG: 'd_tag',
}
const ACCOUNT_LEVEL: ReadonlySet<Dimension> = new Set(['ACCOUNT', 'PROGRAM', 'PLATFORM', 'TAG'])

/**
 * The program an account belongs to: its program name (the user's or the platform's), else its label, the user's
 * own name for the account. Never the host of its base URL: several programs share a platform's host, and a host
 * is not what anyone calls a program. '' only for an account with neither. No `?` may appear in the text
 * (MikroORM binds every `?`).
 */
const PROGRAM_SQL = `coalesce(nullif(btrim(a.program_name), ''), nullif(btrim(a.label), ''), '')`

/** Collects values and hands out `$n` placeholders; a value used twice is bound once. */
class Params {
  readonly values: unknown[] = []
  add(value: unknown, cast: string): string {
    this.values.push(value)
    return `$${this.values.length}::${cast}`
  }
  /** A whole list as ONE array value: the text stays the same whatever the list's length. */
  array(values: readonly unknown[], cast: string): string {
    return this.add([...values], `${cast}[]`)
  }
  /** Embeds SQL written with `?` placeholders (the fx relation), binding its values here. */
  embed(fragment: { sql: string; params: readonly unknown[] }): string {
    let index = 0
    const sql = fragment.sql.replace(/\?/g, () => {
      if (index >= fragment.params.length)
        throw new Error('more placeholders than values in an embedded fragment')
      this.values.push(fragment.params[index++])
      return `$${this.values.length}`
    })
    if (index !== fragment.params.length)
      throw new Error('more values than placeholders in an embedded fragment')
    return sql
  }
}

const dayNumber = (day: string) => Date.parse(`${day}T00:00:00Z`) / DAY_MS
const dayOf = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10)
export const addDays = (day: string, days: number) => dayOf(dayNumber(day) + days)

/** First day of the bucket a day falls in (ISO weeks start on Monday); TOTAL has one bucket starting at `from`. */
export function periodStartOf(day: string, granularity: Granularity, from: string): string {
  switch (granularity) {
    case 'DAY':
      return day
    case 'WEEK': {
      const weekday = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7
      return addDays(day, -weekday)
    }
    case 'MONTH':
      return `${day.slice(0, 7)}-01`
    case 'YEAR':
      return `${day.slice(0, 4)}-01-01`
    case 'TOTAL':
      return from
  }
}

/** Last day of the bucket starting at `start` (natural end, not clipped to the range). */
export function periodEndOf(start: string, granularity: Granularity, to: string): string {
  switch (granularity) {
    case 'DAY':
      return start
    case 'WEEK':
      return addDays(start, 6)
    case 'MONTH': {
      const [y, m] = start.split('-').map(Number) as [number, number]
      return dayOf(Date.UTC(y, m, 1) / DAY_MS - 1)
    }
    case 'YEAR':
      return `${start.slice(0, 4)}-12-31`
    case 'TOTAL':
      return to
  }
}

/** The buckets of a range: natural start, and first and last day inside the range. */
export function periodsOf(from: string, to: string, granularity: Granularity) {
  const periods: { start: string; first: string; last: string }[] = []
  let cursor = from
  while (cursor <= to) {
    const start = periodStartOf(cursor, granularity, from)
    const end = periodEndOf(start, granularity, to)
    const last = end < to ? end : to
    periods.push({ start, first: cursor, last })
    cursor = addDays(last, 1)
  }
  return periods
}

/**
 * The whole calendar months and ISO weeks (as date_trunc gives them) whose rollups answer for their days: each
 * period of the range is covered by its whole months first, then by the whole weeks of what remains, the rest
 * being read day by day. A piece never straddles a period, so the period of its first day is its period.
 */
export function rollupPiecesOf(from: string, to: string, granularity: Granularity) {
  const months: string[] = []
  const weeks: string[] = []
  const addWeeks = (first: string, last: string) => {
    for (let w = periodStartOf(addDays(first, 6), 'WEEK', from); addDays(w, 6) <= last; w = addDays(w, 7))
      weeks.push(w)
  }
  if (granularity === 'DAY') return { months, weeks }
  for (const { first, last } of periodsOf(from, to, granularity)) {
    let rest = first
    let month = first.endsWith('-01')
      ? first
      : addDays(periodEndOf(periodStartOf(first, 'MONTH', from), 'MONTH', to), 1)
    while (periodEndOf(month, 'MONTH', to) <= last) {
      if (rest < month) addWeeks(rest, addDays(month, -1))
      months.push(month)
      rest = addDays(periodEndOf(month, 'MONTH', to), 1)
      month = rest
    }
    if (rest <= last) addWeeks(rest, last)
  }
  return { months, weeks }
}

/** The days the pieces cover, as a datemultirange literal (one bound value whatever the number of pieces). */
function coveredDays(pieces: { months: string[]; weeks: string[] }): string {
  const ranges = [
    ...pieces.months.map((m) => [m, addDays(periodEndOf(m, 'MONTH', m), 1)]),
    ...pieces.weeks.map((w) => [w, addDays(w, 7)]),
  ]
  return `{${ranges.map(([a, b]) => `[${a},${b})`).join(',')}}`
}

const FX_PERIOD: Record<Granularity, FxPeriod> = {
  DAY: 'day',
  WEEK: 'week',
  MONTH: 'month',
  YEAR: 'year',
  TOTAL: 'total',
}

export function accountCounting(query: StatsQuery): AccountCounting {
  const dims = new Set(query.groupBy)
  if (dims.has('ACCOUNT')) return 'row'
  const accountLevel = [...dims].every((d) => ACCOUNT_LEVEL.has(d))
  return query.currency && query.granularity !== 'DAY' && accountLevel ? 'probe' : 'scan'
}

/** The unified stats statement for one workspace. Input is assumed validated (see stats.service.ts). */
export function buildStatsSql(query: StatsQuery, workspaceId: string): SqlStatement {
  const p = new Params()
  const ws = p.add(workspaceId, 'uuid')
  const from = p.add(query.from, 'date')
  const to = p.add(query.to, 'date')
  const filter = query.filter ?? {}
  // Only the metrics the answer shows are summed (the rest come back null): most dashboards show a few of 15.
  const wanted = query.metrics ? new Set(query.metrics.map((m) => METRIC_COLUMNS[m])) : null
  let countCols = COUNT_COLUMNS.filter((c) => !wanted || wanted.has(c))
  const moneyCols = MONEY_COLUMNS.filter((c) => !wanted || wanted.has(c))
  if (countCols.length + moneyCols.length === 0) countCols = COUNT_COLUMNS.slice(0, 1)
  const dims = DIMENSIONS.filter((d) => query.groupBy.includes(d))
  const report = query.currency ?? null
  const cur = report ? p.add(report, 'text') : ''
  const counting = query.accounts === false ? 'none' : accountCounting(query)
  const withTotals = query.totals !== false
  const withNative = query.native !== false
  // Which rates were used costs a dozen aggregates per row: only when the answer shows them.
  const withConversions = report !== null && query.conversions !== false
  const tagFilter = filter.tags?.length ? p.array(filter.tags, 'text') : null

  const periodOf = (day: string): string => {
    switch (query.granularity) {
      case 'DAY':
        return day
      case 'WEEK':
        return `date_trunc('week', ${day}::timestamp)::date`
      case 'MONTH':
        return `date_trunc('month', ${day}::timestamp)::date`
      case 'YEAR':
        return `date_trunc('year', ${day}::timestamp)::date`
      case 'TOTAL':
        return from
    }
  }

  // --- accounts of the workspace that pass the account filters -------------------------------------------
  const accountWhere = [`a.workspace_id = ${ws}`]
  const accountIds = filter.accountIds?.length ? p.array(filter.accountIds, 'uuid') : null
  if (accountIds) accountWhere.push(`a.id = any(${accountIds})`)
  if (filter.platformIds?.length)
    accountWhere.push(`a.platform_id = any(${p.array(filter.platformIds, 'text')})`)
  if (tagFilter) accountWhere.push(`a.tags && ${tagFilter}`)
  const acc = `acc as not materialized (
  select a.id, a.platform_id, ${PROGRAM_SQL} as program, a.tags
  from account a
  where ${accountWhere.join(' and ')}
)`

  // --- the one pass over stat_day --------------------------------------------------------------------------
  const rowWhere = [`s.workspace_id = ${ws}`, `s.day between ${from} and ${to}`]
  // Repeated on stat_day so that a few accounts are read through the primary key instead of a range scan.
  if (accountIds) rowWhere.push(`s.account_id = any(${accountIds})`)
  const brands = filter.brands?.length ? p.array(filter.brands, 'text') : null
  const campaigns = filter.campaigns?.length ? p.array(filter.campaigns, 'text') : null
  const brandFilter = brands ? `s.brand = any(${brands})` : null
  const campaignFilter = campaigns ? `s.campaign = any(${campaigns})` : null
  if (brandFilter) rowWhere.push(brandFilter)
  if (campaignFilter) rowWhere.push(campaignFilter)

  const s1Dims = dims.map((d) => DIMENSION_SQL[d].expr)
  const s1DimCols = dims.map((d) => `${DIMENSION_SQL[d].expr} as ${DIMENSION_SQL[d].column}`)
  const dimCols = dims.map((d) => DIMENSION_SQL[d].column)
  const ctes = [acc]
  // Grouping by account leaves nothing to fold per day (one account's rows are few per day): converting row by
  // row in the same pass beats a per-day aggregate as large as the table. Otherwise fold first, convert after.
  const direct = dims.includes('ACCOUNT')

  let fxCte: string | null = null
  if (report) {
    const fx = fxRatesSql({
      // Folded first, the rows name their currencies: rates are looked up for those only.
      ...(direct ? {} : { currenciesFrom: 's1' }),
      policy: query.fx?.policy ?? 'DAILY',
      reportCurrency: report,
      from: query.from,
      to: query.to,
      fixedDate: query.fx?.date ?? undefined,
      period: FX_PERIOD[query.granularity],
      source: query.fx?.source ?? undefined,
    })
    fxCte = `fx as (
${p.embed(fx)}
)`
  }
  // The rate of a (day, currency): identity for the report currency; a currency the relation has no row for
  // has never had a rate stored, which is the reason given.
  const rateCols = (src: string) =>
    report
      ? [
          `case when ${src}.currency = ${cur} then 1::numeric else fx.factor end as factor`,
          ...(withConversions
            ? [
                `case when ${src}.currency = ${cur} then null else fx.rate_day end as rate_day`,
                `case when ${src}.currency = ${cur} then null else fx.source end as source`,
                `case when ${src}.currency = ${cur} then null else fx.rate end as rate`,
                `case when ${src}.currency = ${cur} then null else fx.report_rate end as report_rate`,
                `case when ${src}.currency = ${cur} or fx.factor is not null then null else coalesce(fx.reason, 'UNKNOWN_CURRENCY') end as reason`,
              ]
            : []),
        ]
      : []
  // Rows known to be in the report currency (rollups) need no rate: the same columns, without joining fx.
  const identityCols = () =>
    report
      ? [
          '1::numeric as factor',
          ...(withConversions
            ? [
                'null::date as rate_day',
                'null::text as source',
                'null::numeric as rate',
                'null::numeric as report_rate',
                'null::text as reason',
              ]
            : []),
        ]
      : []
  const fxJoin = (src: string) =>
    report ? `left join fx on fx.day = ${src}.day and fx.currency = ${src}.currency` : ''
  // num_nonnulls() takes at least one argument: with no money asked for, no row has any.
  const moneyPresent = (src: string) =>
    moneyCols.length ? `num_nonnulls(${moneyCols.map((c) => `${src}.${c}`).join(', ')}) > 0` : 'false'
  const metricCols = (src: string) => [...countCols, ...moneyCols].map((c) => `${src}.${c}`)

  // The rows summed, each branch read as `s`: stat_day, or the rollups of the whole months and weeks of each
  // period and the days they leave out. Converted at the day's own rate (DAILY) or a rate chosen per day (the
  // other policies, which also report the days without one), an amount in another currency than the report's
  // needs its days: a rollup replaces only amounts that need no rate, those in the report currency, or any when
  // there is no report currency. The arrays and ranges are bound values, so the text depends on the shape only.
  // Each branch is joined and aggregated on its own, then appended: the planner knows stat_day's statistics
  // (how many days and groups, a parallel hashed aggregate) only when a branch reads the table itself.
  const useRollups = query.rollups !== false && query.granularity !== 'DAY'
  const branches: { from: string; where: string[]; rated: boolean }[] = [
    { from: 'stat_day s', where: rowWhere, rated: true },
  ]
  if (useRollups) {
    const pieces = rollupPiecesOf(query.from, query.to, query.granularity)
    const covered = p.add(coveredDays(pieces), 'datemultirange')
    const months = p.array(pieces.months, 'date')
    const weeks = p.array(pieces.weeks, 'date')
    branches[0]!.where = [
      ...rowWhere,
      report ? `(s.currency <> ${cur} or not ${covered} @> s.day)` : `not ${covered} @> s.day`,
    ]
    const rolled = [
      `r.workspace_id = ${ws}`,
      ...(accountIds ? [`r.account_id = any(${accountIds})`] : []),
      ...(brands ? [`r.brand = any(${brands})`] : []),
      ...(campaigns ? [`r.campaign = any(${campaigns})`] : []),
      `(r.kind = 'month' and r.period_start = any(${months}) or r.kind = 'week' and r.period_start = any(${weeks}))`,
      ...(report ? [`r.currency = ${cur}`] : []),
    ]
    const columns = ['account_id', 'brand', 'campaign', 'currency', ...countCols, ...moneyCols]
    branches.push({
      from: `(select r.period_start as day, ${columns.map((c) => `r.${c}`).join(', ')} from stat_rollup r
    where ${rolled.join(' and ')}) s`,
      where: ['true'],
      rated: false,
    })
  }

  if (direct) {
    if (fxCte) ctes.push(fxCte)
    ctes.push(`j as not materialized (
${branches
  .map(
    (b) => `  select ${[
      's.day',
      's.currency',
      ...s1DimCols,
      ...metricCols('s'),
      `${periodOf('s.day')} as pp`,
      ...(b.rated ? rateCols('s') : identityCols()),
      ...(withConversions ? [`${moneyPresent('s')} as has_money`] : []),
    ].join(', ')}
  from ${b.from}
  join acc a on a.id = s.account_id
  ${b.rated ? fxJoin('s') : ''}
  where ${b.where.join(' and ')}`,
  )
  .join('\n  union all\n')}
)`)
  } else {
    const sums = [...countCols, ...moneyCols].map((c) => `sum(s.${c}) as ${c}`)
    const g1 = ['s.day', 's.currency', ...s1Dims]
    let grouping = g1.join(', ')
    let scanCols: string[] = []
    if (counting === 'scan') {
      // A second grouping set of the same pass: which accounts have rows per (period, keys[, currency]).
      const g2 = [periodOf('s.day'), ...s1Dims, ...(report ? [] : ['s.currency']), 's.account_id']
      grouping = `grouping sets ((${g1.join(', ')}), (${g2.join(', ')}))`
      scanCols = [`${periodOf('s.day')} as ap`, 's.account_id as acct', 'grouping(s.account_id) as g']
    }
    // A (day, currency, keys) group comes from one branch only: a rollup's day is never left to stat_day in its
    // currency. An account may show in both branches' account grouping set, counted once (`countAccounts`).
    ctes.push(`s1 as (
${branches
  .map(
    (b) => `  select s.day, s.currency, ${[...s1DimCols, ...scanCols, ...sums].join(', ')}
  from ${b.from}
  join acc a on a.id = s.account_id
  where ${b.where.join(' and ')}
  group by ${grouping}`,
  )
  .join('\n  union all\n')}
)`)
    if (fxCte) ctes.push(fxCte)
    ctes.push(`j as (
  select ${[
    's1.day',
    's1.currency',
    ...dimCols.map((c) => `s1.${c}`),
    ...metricCols('s1'),
    `${periodOf('s1.day')} as pp`,
    ...rateCols('s1'),
    ...(withConversions ? [`${moneyPresent('s1')} as has_money`] : []),
  ].join(', ')}
  from s1
  ${fxJoin('s1')}
  ${counting === 'scan' ? 'where s1.g = 1' : ''}
)`)
  }

  // Tag groups: one row per tag of the account (restricted to the filtered tags), '' for an untagged account.
  const explode = (alias: string) =>
    !dims.includes('TAG')
      ? ''
      : tagFilter
        ? `join lateral unnest(${alias}.d_tags) as ${alias}_t(tag) on ${alias}_t.tag = any(${tagFilter})`
        : `left join lateral unnest(${alias}.d_tags) as ${alias}_t(tag) on true`
  const keyExprs = (alias: string) =>
    dims.map((d) =>
      d === 'TAG'
        ? `coalesce(${alias}_t.tag, '')`
        : d === 'ACCOUNT'
          ? `${alias}.d_account::text`
          : `${alias}.${DIMENSION_SQL[d].column}`,
    )
  const keyCols = (alias: string) => keyExprs(alias).map((e, i) => `${e} as ${DIMENSION_COLUMNS[dims[i]!]}`)
  const outKeys = dims.map((d) => DIMENSION_COLUMNS[d])

  // --- per currency: sums, converted sums, and which rates were used ----------------------------------------
  // Every aggregate is decomposable (sum, bool_or, min, max) and hashable: per (period, keys, currency) from `j`,
  // then re-aggregated for the tag groups and for the totals, never with DISTINCT or a sort of its own.
  // [output, aggregate, column of j]: the spread of the rates used (one value when min = max).
  const rateAggs: [string, 'min' | 'max', string][] = [
    ['min_factor', 'min', 'factor'],
    ['max_factor', 'max', 'factor'],
    ['first_rate_day', 'min', 'rate_day'],
    ['last_rate_day', 'max', 'rate_day'],
    ['min_source', 'min', 'source'],
    ['max_source', 'max', 'source'],
    ['min_rate', 'min', 'rate'],
    ['max_rate', 'max', 'rate'],
    ['min_report_rate', 'min', 'report_rate'],
    ['max_report_rate', 'max', 'report_rate'],
  ]
  const firstAggs = [
    ...countCols.map((c) => `sum(j.${c}) as ${c}`),
    ...moneyCols.map((c) => `sum(j.${c}) as n_${c}`),
    ...(report
      ? [
          ...moneyCols.map((c) => `sum(j.${c} * j.factor) as x_${c}`),
          ...moneyCols.map((c) => `bool_or(j.${c} is not null and j.factor is null) as miss_${c}`),
        ]
      : []),
    ...(withConversions
      ? [
          'bool_or(j.has_money) as has_money',
          ...rateAggs.map(([name, fn, column]) => `${fn}(j.${column}) filter (where j.has_money) as ${name}`),
          'min(j.day) filter (where j.has_money and j.factor is null) as first_missing_day',
          'max(j.day) filter (where j.has_money and j.factor is null) as last_missing_day',
          // A currency never rated lacks a rate on every day: UNKNOWN_CURRENCY wins over NO_RATE.
          'max(j.reason) filter (where j.has_money and j.factor is null) as reason',
        ]
      : []),
  ].join(',\n    ')
  const reAggs = (a: string) =>
    [
      ...countCols.map((c) => `sum(${a}.${c}) as ${c}`),
      ...moneyCols.map((c) => `sum(${a}.n_${c}) as n_${c}`),
      ...(report
        ? [
            ...moneyCols.map((c) => `sum(${a}.x_${c}) as x_${c}`),
            ...moneyCols.map((c) => `bool_or(${a}.miss_${c}) as miss_${c}`),
          ]
        : []),
      ...(withConversions
        ? [
            `bool_or(${a}.has_money) as has_money`,
            ...rateAggs.map(([name, fn]) => `${fn}(${a}.${name}) as ${name}`),
            `min(${a}.first_missing_day) as first_missing_day`,
            `max(${a}.last_missing_day) as last_missing_day`,
            `max(${a}.reason) as reason`,
          ]
        : []),
    ].join(',\n    ')
  ctes.push(`c0 as (
  select ${['j.pp', ...dimCols.map((c) => `j.${c}`), 'j.currency'].join(', ')},
    ${firstAggs}
  from j
  group by ${['j.pp', ...dimCols.map((c) => `j.${c}`), 'j.currency'].join(', ')}
)`)
  if (dims.includes('TAG')) {
    ctes.push(`c as (
  select ${['c0.pp', ...keyCols('c0'), 'c0.currency'].join(', ')},
    ${reAggs('c0')}
  from c0 ${explode('c0')}
  group by ${['c0.pp', ...keyExprs('c0'), 'c0.currency'].join(', ')}
)`)
  } else {
    ctes.push(`c as (
  select ${['c0.pp', ...keyCols('c0'), 'c0.currency'].join(', ')}, ${[
    ...countCols,
    ...moneyCols.map((m) => `n_${m}`),
    ...(report ? [...moneyCols.map((m) => `x_${m}`), ...moneyCols.map((m) => `miss_${m}`)] : []),
    ...(withConversions
      ? ['has_money', ...rateAggs.map(([name]) => name), 'first_missing_day', 'last_missing_day', 'reason']
      : []),
  ]
    .map((x) => `c0.${x}`)
    .join(', ')}
  from c0
)`)
  }
  if (withTotals) {
    ctes.push(`ct as (
  select c0.currency,
    ${reAggs('c0')}
  from c0
  group by c0.currency
)`)
  }

  // --- accounts contributing --------------------------------------------------------------------------------
  // Rows of `present` and of the account grouping set are unique per (period, keys, account); only the tag
  // explosion or the two branches of s1 could repeat one, so only then is DISTINCT (a sort) paid for.
  const countAccounts = (alias: string) =>
    dims.includes('TAG') || (alias === 's1' && branches.length > 1)
      ? `count(distinct ${alias}.acct)`
      : 'count(*)'
  let accountsJoin = ''
  let accountsExpr = '1'
  let totalAccounts = ''
  if (counting === 'probe') {
    // The periods are generated by the statement from its bound range, so that its text depends on the
    // granularity only, never on the dates.
    const unit = query.granularity.toLowerCase()
    const periodRows =
      query.granularity === 'TOTAL'
        ? `select ${from} as p_start, ${from} as p_first, ${to} as p_last`
        : `select g::date as p_start, greatest(g::date, ${from}) as p_first,
      least((g + interval '1 ${unit}' - interval '1 day')::date, ${to}) as p_last
    from generate_series(date_trunc('${unit}', ${from}::timestamp), ${to}::timestamp, interval '1 ${unit}') g`
    const probeWhere = [
      `s.account_id = a.id`,
      `s.workspace_id = ${ws}`,
      's.day between per.p_first and per.p_last',
    ]
    if (brandFilter) probeWhere.push(brandFilter)
    if (campaignFilter) probeWhere.push(campaignFilter)
    const presentDims = dims.map((d) =>
      d === 'PROGRAM'
        ? 'a.program as d_program'
        : d === 'PLATFORM'
          ? 'a.platform_id as d_platform'
          : 'a.tags as d_tags',
    )
    ctes.push(`per (p_start, p_first, p_last) as (
  ${periodRows}
)`)
    ctes.push(`present as (
  select per.p_start as pp, a.id as acct${presentDims.map((d) => `, ${d}`).join('')}
  from acc a
  cross join per
  cross join lateral (select 1 from stat_day s where ${probeWhere.join(' and ')} limit 1) hit
)`)
    ctes.push(`ac as (
  select present.pp, ${[...keyCols('present'), `${countAccounts('present')} as n`].join(', ')}
  from present ${explode('present')}
  group by ${['present.pp', ...keyExprs('present')].join(', ')}
)`)
    totalAccounts = '(select count(distinct acct) from present)'
  } else if (counting === 'scan') {
    const currencyKey = report ? [] : ['s1.currency']
    ctes.push(`ac as (
  select s1.ap as pp, ${[...keyCols('s1'), ...currencyKey, `${countAccounts('s1')} as n`].join(', ')}
  from s1 ${explode('s1')}
  where s1.g = 0
  group by ${['s1.ap', ...keyExprs('s1'), ...currencyKey].join(', ')}
)`)
    totalAccounts = '(select count(distinct acct) from s1 where g = 0)'
  } else if (counting === 'row') {
    totalAccounts = '(select count(distinct d_account) from c0)'
  } else {
    accountsExpr = '0'
    totalAccounts = '0'
  }
  if (counting === 'probe' || counting === 'scan') {
    const on = [
      'ac.pp = r.pp',
      ...outKeys.map((k) => `ac.${k} = r.${k}`),
      ...(report ? [] : ['ac.currency = r.currency']),
    ]
    accountsJoin = `left join ac on ${on.join(' and ')}`
    accountsExpr = 'coalesce(ac.n, 0)'
  }

  // --- rows and totals ------------------------------------------------------------------------------------------
  const text = (expr: string) => `(${expr})::text`
  // With counts only asked for, an entry names just its currency (no trailing comma for absent money).
  const nativeJson = (alias: string) =>
    `json_build_object(${[`'currency', ${alias}.currency`, ...moneyCols.map((c) => `'${c}', ${alias}.n_${c}::text`)].join(', ')})`
  const single = (min: string, max: string) => `case when ${min} = ${max} then ${min}::text end`
  const conversionJson = (a: string) => `json_build_object('currency', ${a}.currency,
      'factor', ${single(`${a}.min_factor`, `${a}.max_factor`)}, 'minFactor', ${a}.min_factor::text, 'maxFactor', ${a}.max_factor::text,
      'rate', ${single(`${a}.min_rate`, `${a}.max_rate`)}, 'reportRate', ${single(`${a}.min_report_rate`, `${a}.max_report_rate`)},
      'rateDate', ${single(`${a}.first_rate_day`, `${a}.last_rate_day`)}, 'firstRateDate', ${a}.first_rate_day::text, 'lastRateDate', ${a}.last_rate_day::text,
      'source', ${single(`${a}.min_source`, `${a}.max_source`)},
      'firstDayWithoutRate', ${a}.first_missing_day::text, 'lastDayWithoutRate', ${a}.last_missing_day::text, 'reason', ${a}.reason)`
  const computed = new Set([...countCols, ...moneyCols])
  const figure = (expr: string, name: string, needs: string[]) =>
    needs.every((c) => computed.has(c)) ? `${text(expr)} as ${name}` : `null::text as ${name}`
  const figureCols = (alias: string) => [
    ...[...COUNT_COLUMNS, ...MONEY_COLUMNS].map((c) => figure(`${alias}.${c}`, c, [c])),
    figure(`${alias}.commission / nullif(${alias}.clicks, 0)`, 'epc', ['commission', 'clicks']),
    figure(`${alias}.signups::numeric / nullif(${alias}.clicks, 0)`, 'click_to_signup', [
      'signups',
      'clicks',
    ]),
    figure(`${alias}.ftds::numeric / nullif(${alias}.signups, 0)`, 'signup_to_ftd', ['ftds', 'signups']),
  ]

  let rowsSelect: string
  let totalsSelect = ''
  const keyOut = (alias: string) => outKeys.map((k) => `${alias}.${k}`)
  const nullKeys = dims.map((d) => `null::text as ${DIMENSION_COLUMNS[d]}`)
  if (report) {
    const aggregate = (alias: string) => [
      ...countCols.map((c) => `sum(${alias}.${c}) as ${c}`),
      ...moneyCols.map(
        (c) => `case when bool_or(${alias}.miss_${c}) then null else sum(${alias}.x_${c}) end as ${c}`,
      ),
      withNative
        ? `coalesce(json_agg(${nativeJson(alias)} order by ${alias}.currency) filter (where ${alias}.currency <> ''), '[]') as native`
        : `'[]'::json as native`,
      withConversions
        ? `coalesce(json_agg(${conversionJson(alias)} order by ${alias}.currency) filter (where ${alias}.currency not in ('', ${cur}) and ${alias}.has_money), '[]') as conversions`
        : `'[]'::json as conversions`,
    ]
    ctes.push(`r as (
  select c.pp, ${[...keyOut('c'), ...aggregate('c')].join(',\n    ')}
  from c
  group by ${['c.pp', ...keyOut('c')].join(', ')}
)`)
    rowsSelect = `select 'row' as kind, r.pp::text as period, ${[...keyOut('r'), `${cur} as currency`, ...figureCols('r'), `${accountsExpr} as accounts`, 'r.native::text as native', 'r.conversions::text as conversions'].join(', ')}
from r ${accountsJoin}`
    if (withTotals) {
      ctes.push(`tot as (
  select ${aggregate('ct').join(',\n    ')}
  from ct
)`)
      totalsSelect = `select 'total', null, ${[...nullKeys, cur, ...figureCols('tot'), totalAccounts, 'tot.native::text', 'tot.conversions::text'].join(', ')}
from tot`
    }
  } else {
    // Native currencies: the per-currency rows are the result; money stays as reported.
    ctes.push(`r as (
  select c.pp, ${[...keyOut('c'), 'c.currency', ...countCols.map((x) => `c.${x}`), ...moneyCols.map((x) => `c.n_${x} as ${x}`), withNative ? `case when c.currency = '' then '[]'::json else json_build_array(${nativeJson('c')}) end as native` : `'[]'::json as native`].join(', ')}
  from c
)`)
    rowsSelect = `select 'row' as kind, r.pp::text as period, ${[...keyOut('r'), "nullif(r.currency, '') as currency", ...figureCols('r'), `${accountsExpr} as accounts`, 'r.native::text as native', "'[]' as conversions"].join(', ')}
from r ${accountsJoin}`
    if (withTotals) {
      // One currency: its sums. Several: money NULL at the top level, the per-currency sums in `native`.
      const oneCurrency = "count(*) filter (where ct.currency <> '') = 1"
      ctes.push(`tot as (
  select ${[
    ...countCols.map((c) => `sum(ct.${c}) as ${c}`),
    ...moneyCols.map((c) => `case when ${oneCurrency} then sum(ct.n_${c}) end as ${c}`),
    `case when ${oneCurrency} then max(ct.currency) filter (where ct.currency <> '') end as currency`,
    withNative
      ? `coalesce(json_agg(${nativeJson('ct')} order by ct.currency) filter (where ct.currency <> ''), '[]') as native`
      : `'[]'::json as native`,
  ].join(',\n    ')}
  from ct
)`)
      totalsSelect = `select 'total', null, ${[...nullKeys, 'tot.currency', ...figureCols('tot'), totalAccounts, 'tot.native::text', "'[]'"].join(', ')}
from tot`
    }
  }

  const order = ['kind', 'period', ...outKeys, 'currency']
  const body = totalsSelect ? `${rowsSelect}\nunion all\n${totalsSelect}` : rowsSelect
  const sql = `with ${ctes.join(',\n')}\n${body}\norder by ${order.join(', ')}`
  return { sql, params: p.values }
}
