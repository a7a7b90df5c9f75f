import {
  type Breakdown,
  type CountMetric,
  CsvError,
  type Metric,
  type MoneyMetric,
  normalizeDecimal,
  parseCsvRecords,
  type ReportRow,
  ResponseFormatError,
  reportRow,
} from '../../src/sdk/index.ts'

/**
 * Columns of the "Member Report – Detailed" CSV, by unified metric. The exact headers are not public: the first
 * name of each list is what the simulator sends, the others are spellings affgraph also accepts. Headers are
 * compared case-insensitively with spaces, dashes, underscores and dots ignored ("Net Revenue" = "net_revenue").
 */
export const COUNT_COLUMNS = {
  impressions: ['Impressions', 'Views'],
  clicks: ['Clicks', 'Hits'],
  signups: ['Signups', 'Sign Ups', 'Registrations', 'New Signups'],
  ftds: ['FTD', 'FTDs', 'First Time Depositors', 'First Time Depositing Customers', 'New Depositors'],
  cpaCount: ['CPA Count', 'CPA', 'Qualified CPA'],
} as const satisfies Partial<Record<CountMetric, readonly string[]>>

export const MONEY_COLUMNS = {
  deposits: ['Deposits', 'Deposit Amount', 'Total Deposits'],
  netRevenue: ['Net Revenue', 'NetRevenue', 'Net Gaming Revenue'],
  commission: ['Commission', 'Total Commission'],
} as const satisfies Partial<Record<MoneyMetric, readonly string[]>>

export const DATE_COLUMNS = ['Date', 'Day', 'Period']
/** The brand of a row is its merchant: IA programs list their brands as merchants. */
export const BRAND_COLUMNS = ['Merchant', 'Brand', 'Merchant Name', 'Brand Name']
export const CURRENCY_COLUMNS = ['Currency', 'Currency Code']

type MappedCount = keyof typeof COUNT_COLUMNS
type MappedMoney = keyof typeof MONEY_COLUMNS

export const MAPPED_COUNT_METRICS = Object.keys(COUNT_COLUMNS) as MappedCount[]
export const MAPPED_MONEY_METRICS = Object.keys(MONEY_COLUMNS) as MappedMoney[]
/** What the plugin delivers; the simulator projects its ground truth onto exactly this. */
export const MAPPED_METRICS: Metric[] = [...MAPPED_COUNT_METRICS, ...MAPPED_MONEY_METRICS]
export const MAPPED_BREAKDOWNS: Breakdown[] = ['brand']

function fail(message: string): never {
  throw new ResponseFormatError(`Income Access report: ${message}`)
}

const normHeader = (name: string) => name.toLowerCase().replace(/[\s_.\-–/]+/g, '')

/** The report CSV: a leading BOM, CRLF or LF, quoted cells with doubled quotes; blank lines dropped. */
export function parseCsv(text: string): string[][] {
  try {
    return parseCsvRecords(text, {
      bom: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      skip_empty_lines: true,
    }) as string[][]
  } catch (error) {
    fail(
      `the CSV is not well-formed (${error instanceof CsvError ? error.code : 'unreadable'}; the answer was cut off?)`,
    )
  }
}

function findColumn(headers: string[], names: readonly string[]): number {
  const wanted = names.map(normHeader)
  return headers.findIndex((h) => wanted.includes(normHeader(h)))
}

function toDay(value: string, line: number): string | 'total' {
  const text = value.trim()
  if (/^(grand\s+)?totals?:?$/i.test(text)) return 'total'
  // `2026-01-05`, `2026-01-05 00:00:00`, `2026-01-05T00:00:00` and `2026/01/05` name the program's own day.
  const match = /^(\d{4})[-/](\d{2})[-/](\d{2})(?:$|[T ])/.exec(text)
  if (!match) fail(`line ${line} has no usable date`)
  const day = `${match[1]}-${match[2]}-${match[3]}`
  if (Number.isNaN(Date.parse(`${day}T00:00:00Z`))) fail(`line ${line} has no usable date`)
  return day
}

function toCount(value: string, column: string, line: number): number {
  // Counts may come as "1,234" or "12.0"; anything fractional or negative is not a count.
  const text = value.trim().replace(/^(\d{1,3}(?:,\d{3})+)(?=$|\.)/, (m) => m.replace(/,/g, ''))
  if (text === '') return 0
  const match = /^(\d+)(?:\.0+)?$/.exec(text)
  if (!match?.[1]) fail(`line ${line}: ${column} is not a count`)
  const count = Number(match[1])
  if (!Number.isSafeInteger(count)) fail(`line ${line}: ${column} is out of range`)
  return count
}

function toMoney(value: string, column: string, line: number): string {
  let text = value.trim().replace(/\s+/g, '')
  if (text === '') return '0'
  // Accounting negatives "(12.34)" and thousands separators "1,234.56" are read; amounts never pass through floats.
  const negative = /^\(.*\)$/.test(text)
  if (negative) text = text.slice(1, -1)
  text = text.replace(/^([+-]?)(\d{1,3}(?:,\d{3})+)(?=$|\.)/, (_, sign: string, digits: string) => {
    return sign + digits.replace(/,/g, '')
  })
  try {
    const amount = normalizeDecimal(text)
    return negative ? normalizeDecimal(`-${amount}`) : amount
  } catch {
    fail(`line ${line}: ${column} is not a decimal amount`)
  }
}

/**
 * A whole CSV answer to unified rows. Every mapped metric column must be present (a report without them is not
 * the Member Report – Detailed); the merchant column is optional (a one-merchant report); a totals line is skipped.
 */
export function mapReportCsv(text: string): ReportRow[] {
  if (/^\s*</.test(text)) fail('the answer is a web or XML page, not the CSV report')
  const [headers, ...lines] = parseCsv(text)
  if (!headers) return []
  const dateAt = findColumn(headers, DATE_COLUMNS)
  if (dateAt < 0) fail(`no date column among: ${headers.slice(0, 20).join(', ').slice(0, 300)}`)
  const brandAt = findColumn(headers, BRAND_COLUMNS)
  const currencyAt = findColumn(headers, CURRENCY_COLUMNS)
  if (currencyAt < 0) fail('no currency column')
  const countAt = MAPPED_COUNT_METRICS.map((m) => [m, findColumn(headers, COUNT_COLUMNS[m])] as const)
  const moneyAt = MAPPED_MONEY_METRICS.map((m) => [m, findColumn(headers, MONEY_COLUMNS[m])] as const)
  const missing = [...countAt, ...moneyAt].filter(([, at]) => at < 0).map(([m]) => m)
  if (missing.length)
    fail(`the report lacks the columns for ${missing.join(', ')} (is it the Member Report – Detailed?)`)

  const rows: ReportRow[] = []
  lines.forEach((cells, index) => {
    const line = index + 2
    if (cells.length !== headers.length)
      fail(`line ${line} has ${cells.length} fields, the header has ${headers.length}`)
    const date = toDay(cells[dateAt]!, line)
    if (date === 'total') return
    const brandText = brandAt < 0 ? '' : cells[brandAt]!.trim().slice(0, 200)
    const currency = cells[currencyAt]!.trim().toUpperCase()
    if (!/^[A-Z]{3}$/.test(currency)) fail(`line ${line} has no ISO currency`)
    const counts: Partial<Record<CountMetric, number>> = {}
    for (const [metric, at] of countAt) counts[metric] = toCount(cells[at]!, headers[at]!, line)
    const money: Partial<Record<MoneyMetric, string>> = {}
    for (const [metric, at] of moneyAt) money[metric] = toMoney(cells[at]!, headers[at]!, line)
    try {
      rows.push(reportRow({ date, brand: brandText || null, campaign: null, currency, ...counts, ...money }))
    } catch {
      fail(`line ${line} does not form a valid statistics row`)
    }
  })
  return rows
}
