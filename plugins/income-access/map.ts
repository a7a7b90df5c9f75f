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
} from 'affgraph/sdk'

/**
 * Columns of the "Member Report – Detailed" CSV, by unified metric. No header of that report is public: these are
 * spellings affgraph accepts, compared case-insensitively with spaces, dashes, underscores and dots ignored
 * ("Net Revenue" = "net_revenue"). A metric whose column the report lacks stays null.
 */
export const COUNT_COLUMNS = {
  impressions: ['Impressions', 'Views'],
  clicks: ['Clicks', 'Hits', 'Unique Clicks'],
  signups: ['Signups', 'Sign Ups', 'Registrations', 'New Signups', 'Sign-ups'],
  ftds: [
    'FTD',
    'FTDs',
    'First Time Depositors',
    'First Time Depositing Customers',
    'New Depositors',
    'First Deposits',
    'NDC',
  ],
  cpaCount: ['CPA Count', 'CPA', 'Qualified CPA', 'CPA Qualified'],
} as const satisfies Partial<Record<CountMetric, readonly string[]>>

export const MONEY_COLUMNS = {
  deposits: ['Deposits', 'Deposit Amount', 'Total Deposits', 'Net Deposits'],
  netRevenue: ['Net Revenue', 'NetRevenue', 'Net Gaming Revenue', 'NGR'],
  commission: ['Commission', 'Total Commission', 'Earnings', 'Affiliate Commission'],
} as const satisfies Partial<Record<MoneyMetric, readonly string[]>>

export const DATE_COLUMNS = ['Date', 'Day', 'Stats Date', 'Activity Date']
/** The brand of a row is its merchant: IA programs list their brands as merchants. */
export const BRAND_COLUMNS = ['Merchant', 'Brand', 'Merchant Name', 'Brand Name']
/** Read when a program's report has one; otherwise the connection's currency labels every amount. */
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

const isTotal = (text: string) => /^(grand\s+)?totals?:?$/i.test(text.trim())

function toDay(value: string, line: number): string {
  // `2026-01-05`, `2026-01-05 00:00:00`, `2026-01-05T00:00:00` and `2026/01/05` name the program's own day.
  const match = /^(\d{4})[-/](\d{2})[-/](\d{2})(?:$|[T ])/.exec(value.trim())
  if (!match) fail(`line ${line}: "${value.trim().slice(0, 20)}" is not a day`)
  const day = `${match[1]}-${match[2]}-${match[3]}`
  const t = new Date(`${day}T00:00:00Z`)
  if (Number.isNaN(t.getTime()) || !t.toISOString().startsWith(day))
    fail(`line ${line}: "${day}" is not a day`)
  return day
}

function toCount(value: string, column: string, line: number): number | null {
  // Counts may come as "1,234" or "12.0"; anything fractional or negative is not a count.
  const text = value.trim().replace(/^(\d{1,3}(?:,\d{3})+)(?=$|\.)/, (m) => m.replace(/,/g, ''))
  if (text === '') return null
  const match = /^(\d+)(?:\.0+)?$/.exec(text)
  if (!match?.[1]) fail(`line ${line}: ${column} is not a count`)
  const count = Number(match[1])
  if (!Number.isSafeInteger(count)) fail(`line ${line}: ${column} is out of range`)
  return count
}

function toMoney(value: string, column: string, line: number): string | null {
  // Accounting negatives "(12.34)", thousands separators "1,234.56" and a leading currency sign are read;
  // amounts never pass through floats.
  let text = value.trim().replace(/\s+/g, '')
  if (text === '') return null
  const negative = /^\(.*\)$/.test(text)
  if (negative) text = text.slice(1, -1)
  text = text.replace(/^([+-]?)[$€£]/, '$1')
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

/** Which of the report's columns affgraph reads, found by their headers. */
export interface ReportColumns {
  headers: string[]
  date: number
  brand: number
  currency: number
  metrics: { metric: MappedCount | MappedMoney; money: boolean; at: number }[]
  /** Metrics whose column the report lacks: they stay null. */
  missing: (MappedCount | MappedMoney)[]
}

/** Finds the columns by their headers; a report with none of the metric columns is not one affgraph can read. */
export function discoverColumns(headers: string[]): ReportColumns {
  const counts = MAPPED_COUNT_METRICS.map((metric) => ({
    metric,
    money: false,
    at: findColumn(headers, COUNT_COLUMNS[metric]),
  }))
  const money = MAPPED_MONEY_METRICS.map((metric) => ({
    metric,
    money: true,
    at: findColumn(headers, MONEY_COLUMNS[metric]),
  }))
  const all = [...counts, ...money]
  const metrics = all.filter((m) => m.at >= 0)
  const missing = all.filter((m) => m.at < 0).map((m) => m.metric)
  if (metrics.length === 0) {
    const found = headers.map((h) => `"${h.trim().slice(0, 40)}"`).join(', ') || 'none'
    fail(
      `none of the expected metric columns is in the report (found: ${found.slice(0, 400)}; missing: ${missing
        .map(
          (m) =>
            [...(m in COUNT_COLUMNS ? COUNT_COLUMNS[m as MappedCount] : MONEY_COLUMNS[m as MappedMoney])][0],
        )
        .join(', ')}). Is the URL generated for the "Member Report – Detailed" in CSV?`,
    )
  }
  return {
    headers,
    date: findColumn(headers, DATE_COLUMNS),
    brand: findColumn(headers, BRAND_COLUMNS),
    currency: findColumn(headers, CURRENCY_COLUMNS),
    metrics,
    missing,
  }
}

export interface MappedReport {
  rows: ReportRow[]
  columns: ReportColumns
}

/**
 * A whole CSV answer to unified rows, read by header. Rows carry their own day when the report has a date
 * column; otherwise every line belongs to `day`, the one day the report was asked for (without it, a report
 * without a date column is refused). Totals lines are skipped; amounts are labelled with the report's currency
 * column when it has one, else `currency`.
 */
export function mapReportCsv(text: string, options: { currency: string; day?: string }): MappedReport {
  if (/^\s*</.test(text))
    fail('the answer is a web or XML page, not the CSV report: generate the URL with the CSV format')
  const [headers, ...lines] = parseCsv(text)
  if (!headers) fail('the answer is empty (not even a header line)')
  const columns = discoverColumns(headers)
  if (columns.date < 0 && options.day === undefined)
    fail(`the report has no date column (found: ${headers.slice(0, 20).join(', ').slice(0, 300)})`)

  const rows: ReportRow[] = []
  lines.forEach((cells, index) => {
    const line = index + 2
    const cell = (at: number) => (at < 0 ? '' : (cells[at] ?? '').trim())
    if (isTotal(cells[0] ?? '') || isTotal(cell(columns.date)) || isTotal(cell(columns.brand))) return
    if (cells.length !== headers.length)
      fail(`line ${line} has ${cells.length} fields, the header has ${headers.length}`)
    const date = columns.date < 0 ? options.day! : toDay(cell(columns.date), line)
    const currency = (cell(columns.currency) || options.currency).toUpperCase()
    if (!/^[A-Z]{3}$/.test(currency)) fail(`line ${line}: "${currency.slice(0, 10)}" is not a currency code`)
    const input: Record<string, unknown> = {
      date,
      brand: cell(columns.brand).slice(0, 200) || null,
      currency,
    }
    for (const { metric, money, at } of columns.metrics) {
      const header = headers[at]!.trim()
      input[metric] = money ? toMoney(cells[at]!, header, line) : toCount(cells[at]!, header, line)
    }
    try {
      rows.push(reportRow(input as Parameters<typeof reportRow>[0]))
    } catch {
      fail(`line ${line} does not form a valid statistics row`)
    }
  })
  return { rows, columns }
}
