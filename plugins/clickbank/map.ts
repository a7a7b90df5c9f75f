import {
  type Breakdown,
  type CountMetric,
  type Metric,
  type MoneyMetric,
  normalizeDecimal,
  type ReportRow,
  ResponseFormatError,
  reportRow,
} from 'affgraph/sdk'

/** Analytics columns affgraph selects, and the unified metric each one feeds. */
export const COUNT_COLUMNS = {
  HOP_COUNT: 'clicks',
  SALE_COUNT: 'salesCount',
  REFUND_COUNT: 'refundCount',
  CHARGEBACK_COUNT: 'chargebackCount',
} as const satisfies Record<string, CountMetric>

export const MONEY_COLUMNS = {
  SALE_AMOUNT: 'salesAmount',
  REFUND_AMOUNT: 'refundAmount',
  CHARGEBACK_AMOUNT: 'chargebackAmount',
  NET_SALE_AMOUNT: 'commission',
} as const satisfies Record<string, MoneyMetric>

export type AnalyticsColumn = keyof typeof COUNT_COLUMNS | keyof typeof MONEY_COLUMNS

export const SELECT_COLUMNS = [
  ...Object.keys(COUNT_COLUMNS),
  ...Object.keys(MONEY_COLUMNS),
] as AnalyticsColumn[]

export const MAPPED_METRICS: Metric[] = [...Object.values(COUNT_COLUMNS), ...Object.values(MONEY_COLUMNS)]
/** The TRACKING_ID dimension gives one row per tracking id (TID), which is the unified campaign. */
export const MAPPED_BREAKDOWNS: Breakdown[] = ['campaign']

/** The label of the TRACKING_ID row that gathers hops and sales without a tracking id. */
export const NO_TRACKING_ID = 'Not Set'

/** ClickBank pays affiliates in US dollars; the analytics amounts carry no currency. */
export const CURRENCY = 'USD'

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function fail(message: string): never {
  throw new ResponseFormatError(`ClickBank analytics: ${message}`)
}

/** XML heritage: a one-element list arrives as the element itself, an empty one as null, "" or nothing. */
export function asList(value: unknown): unknown[] {
  if (value === undefined || value === null || value === '') return []
  return Array.isArray(value) ? value : [value]
}

/**
 * A scalar as ClickBank sends it: `{"@type": "xs:int", "$": "5"}`, sometimes a bare string or number. A nil
 * (`{"@xsi.nil": "true"}` or any object without `$`) is null.
 */
export function scalar(value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'string') return value.trim()
  if (typeof value === 'number') return String(value)
  if (isRecord(value)) {
    const inner = value.$
    if (inner === undefined || inner === null) return null
    if (typeof inner === 'string') return inner.trim()
    if (typeof inner === 'number') return String(inner)
  }
  return fail('a value is neither a string nor a {"$": …} wrapper')
}

function toCount(text: string | null, column: string, index: number): number | null {
  if (text === null || text === '') return null
  const match = /^(\d+)(?:\.0+)?$/.exec(text)
  if (!match?.[1]) fail(`row ${index}: ${column} is not a count`)
  const n = Number(match[1])
  if (!Number.isSafeInteger(n)) fail(`row ${index}: ${column} is out of range`)
  return n
}

function toAmount(text: string | null, column: string, index: number): string | null {
  if (text === null || text === '') return null
  try {
    return normalizeDecimal(text.replace(/^\$/, ''))
  } catch {
    fail(`row ${index}: ${column} is not a decimal amount`)
  }
}

/** One `rows.row[]` entry of `/analytics/AFFILIATE/TRACKING_ID` to a unified row of `day`. */
export function mapAnalyticsRow(row: unknown, day: string, index = 0): ReportRow {
  if (!isRecord(row)) fail(`row ${index} is not an object`)
  const values = new Map<string, string | null>()
  for (const entry of asList(row.data)) {
    if (!isRecord(entry) || typeof entry.attribute !== 'string')
      fail(`row ${index} has a value without an attribute`)
    values.set(entry.attribute.toUpperCase(), scalar(entry.value))
  }
  const tid = scalar(row.dimensionValue)
  // Hops and sales without a tracking id are one bucket labelled "Not Set": no campaign. Tracking ids keep their case.
  const campaign = tid === null || tid === '' || tid === NO_TRACKING_ID ? null : tid.slice(0, 200)

  const counts: Partial<Record<CountMetric, number | null>> = {}
  for (const [column, metric] of Object.entries(COUNT_COLUMNS)) {
    counts[metric] = toCount(values.get(column) ?? null, column, index)
  }
  const money: Partial<Record<MoneyMetric, string | null>> = {}
  for (const [column, metric] of Object.entries(MONEY_COLUMNS)) {
    money[metric] = toAmount(values.get(column) ?? null, column, index)
  }
  try {
    return reportRow({ date: day, brand: null, campaign, currency: CURRENCY, ...counts, ...money })
  } catch {
    fail(`row ${index} does not form a valid statistics row`)
  }
}

/** A whole answer, `{"rows": {"row": [...] | {...}}, "totals": …}`; `totals` is ignored. */
export function mapAnalyticsPage(body: unknown, day: string): ReportRow[] {
  if (!isRecord(body)) fail('the answer is not a JSON object')
  const rows = body.rows
  if (rows !== undefined && rows !== null && rows !== '' && !isRecord(rows)) fail('rows is not an object')
  const list = isRecord(rows) ? asList(rows.row) : []
  return list.map((row, index) => mapAnalyticsRow(row, day, index))
}
