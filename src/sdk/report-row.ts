import { z } from 'zod'
import { addDecimals, isDecimalString, normalizeDecimal } from './decimal.ts'

/** Metrics counted in units (never money). */
export const COUNT_METRICS = [
  'impressions',
  'clicks',
  'signups',
  'ftds',
  'depositCount',
  'cpaCount',
  'salesCount',
  'refundCount',
  'chargebackCount',
] as const

/** Metrics that are money in the row's currency, as exact decimal strings. */
export const MONEY_METRICS = [
  'deposits',
  'netRevenue',
  'commission',
  'salesAmount',
  'refundAmount',
  'chargebackAmount',
] as const

export const METRICS = [...COUNT_METRICS, ...MONEY_METRICS] as const
export type CountMetric = (typeof COUNT_METRICS)[number]
export type MoneyMetric = (typeof MONEY_METRICS)[number]
export type Metric = (typeof METRICS)[number]

export const BREAKDOWNS = ['brand', 'campaign'] as const
export type Breakdown = (typeof BREAKDOWNS)[number]

const count = z.number().int().nonnegative().nullable()
const money = z
  .string()
  .refine(isDecimalString, 'must be a decimal string such as "12.34"')
  .transform((v) => normalizeDecimal(v))
  .nullable()

const countShape = Object.fromEntries(COUNT_METRICS.map((m) => [m, count.default(null)])) as Record<
  CountMetric,
  z.ZodDefault<typeof count>
>
const moneyShape = Object.fromEntries(MONEY_METRICS.map((m) => [m, money.default(null)])) as Record<
  MoneyMetric,
  z.ZodDefault<typeof money>
>

/**
 * One account × day × brand × campaign × currency. `date` is the platform's own reporting day (in the time zone
 * its manifest declares). A metric the platform does not deliver is null, never 0. `currency` is null only for
 * rows that carry no money metric.
 */
export const reportRowSchema = z.object({
  date: z.iso.date(),
  brand: z.string().min(1).max(200).nullable().default(null),
  campaign: z.string().min(1).max(200).nullable().default(null),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')
    .nullable()
    .default(null),
  ...countShape,
  ...moneyShape,
})

export type ReportRow = z.output<typeof reportRowSchema>
export type ReportRowInput = z.input<typeof reportRowSchema>

/** Inclusive window of platform days, `YYYY-MM-DD`. */
export interface DateWindow {
  from: string
  to: string
}

/** Builds a full row with nulls for every metric not given; validates and normalises. */
export function reportRow(input: ReportRowInput): ReportRow {
  return reportRowSchema.parse(input)
}

/** Stable key of a row's dimensions, for comparing and merging rows. */
export function rowKey(row: Pick<ReportRow, 'date' | 'brand' | 'campaign' | 'currency'>): string {
  return [row.date, row.brand ?? '', row.campaign ?? '', row.currency ?? ''].join('\u0000')
}

/**
 * Folds rows that share date, brand, campaign and currency into one, adding their figures: platforms that report
 * finer than the unified row (tracking ids, sub-ids, one line per product) become one row per key. A metric null
 * on every folded row stays null; null beside a number counts as nothing. With a window, rows outside it are
 * dropped (platforms that answer for whole months or pages do). Rows are copied, never mutated.
 */
export function mergeRows(rows: Iterable<ReportRow>, window?: DateWindow): ReportRow[] {
  const merged = new Map<string, ReportRow>()
  for (const row of rows) {
    if (window && (row.date < window.from || row.date > window.to)) continue
    const key = rowKey(row)
    const existing = merged.get(key)
    if (!existing) {
      merged.set(key, { ...row })
      continue
    }
    for (const m of COUNT_METRICS) {
      const a = existing[m]
      const b = row[m]
      existing[m] = a === null ? b : b === null ? a : a + b
    }
    for (const m of MONEY_METRICS) {
      const a = existing[m]
      const b = row[m]
      existing[m] = a === null ? b : b === null ? a : addDecimals(a, b)
    }
  }
  return [...merged.values()]
}
