import {
  type Breakdown,
  type CountMetric,
  centsToDecimal,
  type Metric,
  type MoneyMetric,
  normalizeDecimal,
  type ReportRow,
  ResponseFormatError,
  reportRow,
} from 'affgraph/sdk'

/** Report columns affgraph asks for, and the unified metric each one feeds. */
export const COUNT_COLUMNS = {
  visits_count: 'clicks',
  registrations_count: 'signups',
  first_deposits_count: 'ftds',
  deposits_count: 'depositCount',
} as const satisfies Record<string, CountMetric>

export const MONEY_COLUMNS = {
  deposits_sum: 'deposits',
  ngr: 'netRevenue',
  partner_income: 'commission',
} as const satisfies Record<string, MoneyMetric>

/** What the plugin delivers; the simulator projects its ground truth onto exactly this. */
export const MAPPED_METRICS: Metric[] = [...Object.values(COUNT_COLUMNS), ...Object.values(MONEY_COLUMNS)]
export const MAPPED_BREAKDOWNS: Breakdown[] = ['brand', 'campaign']

export type ReportColumn = keyof typeof COUNT_COLUMNS | keyof typeof MONEY_COLUMNS

export const REPORT_COLUMNS = [...Object.keys(COUNT_COLUMNS), ...Object.keys(MONEY_COLUMNS)] as ReportColumn[]

/** Older instances name some columns differently; the canonical name wins when a row carries both. */
export const LEGACY_ALIASES: Partial<Record<ReportColumn, string>> = {
  first_deposits_count: 'ftd_count',
  ngr: 'casino_ngr',
}

/**
 * Cell names that hold the day, the brand and the campaign of a grouped row, the name first. Some instances name
 * the campaign cell `campaign_id` (a working client reads both): without it every campaign would collapse into one.
 */
export const DATE_CELLS = ['date', 'day']
export const BRAND_CELLS = ['brand', 'brand_name']
export const CAMPAIGN_CELLS = ['campaign', 'campaign_name', 'campaign_id']

interface Cell {
  name: string
  value: unknown
}

export interface ReportPage {
  rows: ReportRow[]
  currentPage: number | undefined
  totalPages: number | undefined
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function fail(message: string): never {
  throw new ResponseFormatError(`SoftSwiss report: ${message}`)
}

function toCells(row: unknown, index: number): Map<string, unknown> {
  if (!Array.isArray(row)) fail(`row ${index} is not an array of cells`)
  const cells = new Map<string, unknown>()
  for (const cell of row as unknown[]) {
    if (!isRecord(cell) || typeof cell.name !== 'string') fail(`row ${index} has a cell without a name`)
    const { name, value } = cell as unknown as Cell
    cells.set(name, value)
  }
  return cells
}

function pick(cells: Map<string, unknown>, names: readonly string[]): unknown {
  for (const name of names) if (cells.has(name)) return cells.get(name)
  return undefined
}

function toDay(value: unknown, index: number): string {
  // `2026-01-05T00:00:00Z` names the platform's own day; its first ten characters are that day.
  const match = typeof value === 'string' ? /^(\d{4}-\d{2}-\d{2})(?:$|[T ])/.exec(value.trim()) : null
  if (!match?.[1]) fail(`row ${index} has no usable date`)
  return match[1]
}

/** Brands and campaigns come as plain names or as `{id, name}` objects depending on the instance. */
function toLabel(value: unknown, what: string, index: number): string | null {
  if (value === null || value === undefined) return null
  let label: unknown = value
  if (isRecord(value)) label = value.name ?? value.title ?? value.id ?? null
  if (label === null || label === undefined) return null
  if (typeof label === 'number') label = String(label)
  if (typeof label !== 'string') fail(`row ${index} has an unreadable ${what}`)
  const trimmed = label.trim().slice(0, 200)
  return trimmed === '' ? null : trimmed
}

function toCount(value: unknown, column: string, index: number): number | null {
  if (value === null || value === undefined) return null
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : ''
  // Some instances send counts as "12" or "12.0"; anything fractional or negative is not a count.
  const match = /^(\d+)(?:\.0+)?$/.exec(text)
  if (!match?.[1]) fail(`row ${index}: ${column} is not a count`)
  const count = Number(match[1])
  if (!Number.isSafeInteger(count)) fail(`row ${index}: ${column} is out of range`)
  return count
}

interface Money {
  currency: string
  amount: string
}

function toMoney(value: unknown, column: string, index: number): Money | null {
  if (value === null || value === undefined) return null
  if (!isRecord(value)) fail(`row ${index}: ${column} is not a money object`)
  const currency = typeof value.currency === 'string' ? value.currency.trim().toUpperCase() : ''
  if (!/^[A-Z]{3}$/.test(currency)) fail(`row ${index}: ${column} has no ISO currency`)
  const raw = value.amount_cents ?? value.amount
  if (raw === null || raw === undefined) return null
  if (typeof raw !== 'string' && typeof raw !== 'number') fail(`row ${index}: ${column} has no amount`)
  // normalizeDecimal throws a ResponseFormatError with no context; re-throw with the column named.
  try {
    const amount =
      value.amount_cents !== undefined && value.amount_cents !== null
        ? centsToDecimal(raw)
        : normalizeDecimal(raw)
    return { currency, amount }
  } catch {
    fail(`row ${index}: ${column} is not a decimal amount`)
  }
}

/** One wire row (an array of `{name, value, type}` cells) to a unified row. */
export function mapReportRow(row: unknown, index = 0): ReportRow {
  const cells = toCells(row, index)
  const date = toDay(pick(cells, DATE_CELLS), index)
  const brand = toLabel(pick(cells, BRAND_CELLS), 'brand', index)
  const campaign = toLabel(pick(cells, CAMPAIGN_CELLS), 'campaign', index)

  const counts: Partial<Record<CountMetric, number | null>> = {}
  for (const [column, metric] of Object.entries(COUNT_COLUMNS)) {
    const names = [column, LEGACY_ALIASES[column as ReportColumn]].filter((n): n is string => n !== undefined)
    counts[metric] = toCount(pick(cells, names), column, index)
  }

  let currency: string | null = null
  const money: Partial<Record<MoneyMetric, string | null>> = {}
  for (const [column, metric] of Object.entries(MONEY_COLUMNS)) {
    const names = [column, LEGACY_ALIASES[column as ReportColumn]].filter((n): n is string => n !== undefined)
    const value = toMoney(pick(cells, names), column, index)
    money[metric] = value?.amount ?? null
    if (!value) continue
    // The platform splits a group into one row per currency, so two currencies in one row means we misread it.
    if (currency !== null && currency !== value.currency) fail(`row ${index} mixes currencies`)
    currency = value.currency
  }

  try {
    return reportRow({ date, brand, campaign, currency, ...counts, ...money })
  } catch {
    fail(`row ${index} does not form a valid statistics row`)
  }
}

function optionalPageNumber(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null) return undefined
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) fail(`${what} is not a page number`)
  return n
}

/** A whole `/report` answer: `{rows: {data: [[cell…]…]}, totals, current_page, total_pages}`. */
export function mapReportPage(body: unknown): ReportPage {
  if (!isRecord(body)) fail('the answer is not a JSON object')
  const rows = body.rows
  // An empty report is sometimes `rows: []` instead of `rows: {data: []}`.
  const data = Array.isArray(rows) ? rows : isRecord(rows) ? rows.data : undefined
  if (!Array.isArray(data)) fail('the answer has no rows.data list')
  return {
    rows: data.map((row, index) => mapReportRow(row, index)),
    currentPage: optionalPageNumber(body.current_page, 'current_page'),
    totalPages: optionalPageNumber(body.total_pages, 'total_pages'),
  }
}

/** Column names of `/report/attributes`: strings, or objects naming themselves, depending on the instance. */
export function mapAvailableColumns(body: unknown): string[] {
  if (!isRecord(body) || !Array.isArray(body.available_columns)) {
    fail('the attributes answer has no available_columns list')
  }
  const names: string[] = []
  for (const entry of body.available_columns as unknown[]) {
    const name =
      typeof entry === 'string' ? entry : isRecord(entry) ? (entry.name ?? entry.key ?? entry.id) : undefined
    if (typeof name === 'string' && name !== '') names.push(name)
  }
  return names
}

/**
 * Which column to request for each wanted one: the canonical name when the instance lists it, its legacy alias
 * when only that is listed, the canonical name when the instance lists neither (an empty list tells us nothing).
 */
export function chooseColumns(available: readonly string[]): string[] {
  const listed = new Set(available)
  return REPORT_COLUMNS.map((column) => {
    const alias = LEGACY_ALIASES[column]
    return !listed.has(column) && alias !== undefined && listed.has(alias) ? alias : column
  })
}
