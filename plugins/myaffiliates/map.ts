import {
  type Breakdown,
  type CountMetric,
  CsvError,
  type DateWindow,
  type Metric,
  type MoneyMetric,
  mergeRows,
  normalizeDecimal,
  parseCsvRecords,
  type ReportRow,
  ResponseFormatError,
  reportRow,
} from '../../src/sdk/index.ts'

export const MAPPED_METRICS: Metric[] = [
  'clicks',
  'impressions',
  'signups',
  'ftds',
  'deposits',
  'netRevenue',
  'commission',
]
export const MAPPED_BREAKDOWNS: Breakdown[] = ['brand']

/**
 * Currency of rows when the CSV has no `currency` column. Assumed: nothing public says what MyAffiliates sends;
 * a fixed default keeps rows valid and is documented in the README.
 */
export const DEFAULT_CURRENCY = 'EUR'

/** Header aliases, normalised (lower case, `_` as space, single spaces). The first of each list is what the simulator sends. */
export const COUNT_HEADERS: Record<CountMetric & ('clicks' | 'impressions' | 'signups' | 'ftds'), string[]> =
  {
    clicks: ['clicks', 'unique clicks'],
    impressions: ['impressions', 'views'],
    signups: ['signups', 'registrations', 'sign ups'],
    ftds: ['ftds', 'first deposit count', 'ndc', 'ftd', 'first time depositors'],
  }
export const MONEY_HEADERS: Record<MoneyMetric & ('deposits' | 'netRevenue' | 'commission'), string[]> = {
  deposits: ['net deposits', 'deposits'],
  netRevenue: ['ngr', 'total ngr', 'net revenue', 'net gaming revenue'],
  commission: ['commission', 'income', 'earnings'],
}
export const BRAND_HEADERS = ['channel', 'brand']
export const DATE_HEADERS = ['date', 'day', 'pay period', 'period']
export const CURRENCY_HEADERS = ['currency']

/**
 * The statistics CSV as exported: a UTF-8 BOM, CRLF or LF (portals mix them), quoted cells with embedded commas or
 * newlines, blank lines. A quote left open means a cut-off body, which must not pass as data.
 */
export function parseCsv(text: string, delimiter = ','): string[][] {
  try {
    return parseCsvRecords(text, {
      bom: true,
      delimiter,
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      skip_empty_lines: true,
      ltrim: true,
    }) as string[][]
  } catch (error) {
    const code = error instanceof CsvError ? error.code : 'unreadable'
    throw new ResponseFormatError(`the statistics CSV is not well-formed (${code}; cut off?)`)
  }
}

const normHeader = (h: string) =>
  h
    .trim()
    .toLowerCase()
    .replace(/[_\s]+/g, ' ')

function findColumn(headers: string[], aliases: readonly string[]): number | undefined {
  for (const alias of aliases) {
    const index = headers.indexOf(alias)
    if (index >= 0) return index
  }
  return undefined
}

/** `2026-01-05`, `2026/01/05` or a datetime starting with either; anything else (e.g. a month) is refused. */
export function parseDay(value: string): string | undefined {
  const match = /^(\d{4})[-/](\d{2})[-/](\d{2})(?:$|[T ])/.exec(value.trim())
  if (!match) return undefined
  const day = `${match[1]}-${match[2]}-${match[3]}`
  const t = Date.parse(`${day}T00:00:00Z`)
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== day) return undefined
  return day
}

function parseCount(value: string, where: string): number | null {
  const text = value
    .trim()
    .replace(/^(\d{1,3})((?:,\d{3})+)(?=$|\.)/, (_, a: string, b: string) => a + b.replace(/,/g, ''))
  if (text === '') return null
  if (!/^\d+(?:\.0+)?$/.test(text)) throw new ResponseFormatError(`${where}: not a whole count`)
  return Number.parseInt(text, 10)
}

function parseMoney(value: string, where: string): string | null {
  let text = value.trim()
  if (text === '') return null
  // Thousands separators ("1,234.56", only ever inside a quoted field) and accounting negatives "(12.50)".
  const negative = /^\(.*\)$/.test(text)
  if (negative) text = text.slice(1, -1).trim()
  text = text.replace(
    /^([+-]?\d{1,3})((?:,\d{3})+)(?=$|\.)/,
    (_, a: string, b: string) => a + b.replace(/,/g, ''),
  )
  try {
    const n = normalizeDecimal(text)
    return negative && n !== '0' ? `-${n.replace(/^-/, '')}` : n
  } catch {
    throw new ResponseFormatError(`${where}: not a decimal amount`)
  }
}

const isTotalLabel = (v: string) => /^(grand )?totals?:?$/i.test(v.trim())

/**
 * Maps the statistics CSV (one row per channel and day, possibly per currency) to report rows in the window.
 * Rows outside the window and trailing "Total" lines are dropped; two lines with the same day, channel and
 * currency are added up. Unknown columns are ignored; a metric whose column is missing stays null.
 */
export function mapStatisticsCsv(text: string, window: DateWindow): ReportRow[] {
  const table = parseCsv(text)
  if (table.length === 0)
    throw new ResponseFormatError('the statistics CSV is empty (not even a header line)')
  const headers = table[0]!.map(normHeader)
  const dateCol = findColumn(headers, DATE_HEADERS)
  if (dateCol === undefined)
    throw new ResponseFormatError('the statistics CSV has no date column (expected "date")')
  const brandCol = findColumn(headers, BRAND_HEADERS)
  const currencyCol = findColumn(headers, CURRENCY_HEADERS)
  const countCols = Object.entries(COUNT_HEADERS)
    .map(([metric, aliases]) => [metric, findColumn(headers, aliases)] as const)
    .filter((e): e is readonly [string, number] => e[1] !== undefined)
  const moneyCols = Object.entries(MONEY_HEADERS)
    .map(([metric, aliases]) => [metric, findColumn(headers, aliases)] as const)
    .filter((e): e is readonly [string, number] => e[1] !== undefined)
  if (countCols.length + moneyCols.length === 0)
    throw new ResponseFormatError('the statistics CSV has none of the expected metric columns')

  const rows: ReportRow[] = []
  table.slice(1).forEach((cells, index) => {
    const line = index + 2
    const cell = (col: number | undefined) => (col === undefined ? '' : (cells[col] ?? '').trim())
    const dateText = cell(dateCol)
    if (dateText === '' || isTotalLabel(dateText) || isTotalLabel(cell(brandCol))) return
    const date = parseDay(dateText)
    if (!date)
      throw new ResponseFormatError(`statistics CSV line ${line}: "${dateText.slice(0, 20)}" is not a day`)
    if (date < window.from || date > window.to) return
    if (cells.length < headers.length)
      throw new ResponseFormatError(`statistics CSV line ${line}: ${cells.length} of ${headers.length} cells`)
    const currency = (cell(currencyCol) || DEFAULT_CURRENCY).toUpperCase()
    if (!/^[A-Z]{3}$/.test(currency))
      throw new ResponseFormatError(
        `statistics CSV line ${line}: "${currency.slice(0, 10)}" is not a currency`,
      )
    const input: Record<string, unknown> = { date, brand: cell(brandCol) || null, currency }
    for (const [metric, col] of countCols)
      input[metric] = parseCount(cell(col), `line ${line}, ${headers[col]}`)
    for (const [metric, col] of moneyCols)
      input[metric] = parseMoney(cell(col), `line ${line}, ${headers[col]}`)
    rows.push(reportRow(input as Parameters<typeof reportRow>[0]))
  })
  return mergeRows(rows)
}
