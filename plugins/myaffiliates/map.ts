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
} from 'affgraph/sdk'

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
 * Header aliases, normalised (lower case, `_` as space, single spaces). The first of each list is the header of
 * the live export as a working client shows it (`Date, Channel, Pay period, Impressions, Clicks, Signups, FTD,
 * FTD Amount, …, Income`); the others are spellings affgraph also accepts. `FTD Amount` (first deposits' sum) has
 * no unified metric and is not read.
 */
export const COUNT_HEADERS: Record<CountMetric & ('clicks' | 'impressions' | 'signups' | 'ftds'), string[]> =
  {
    clicks: ['clicks', 'unique clicks'],
    impressions: ['impressions', 'views'],
    signups: ['signups', 'registrations', 'sign ups'],
    ftds: ['ftd', 'ftds', 'first deposit count', 'ndc', 'first time depositors'],
  }
export const MONEY_HEADERS: Record<MoneyMetric & ('deposits' | 'netRevenue' | 'commission'), string[]> = {
  deposits: ['deposits', 'net deposits', 'deposit amount'],
  netRevenue: ['ngr', 'net revenue', 'total ngr', 'net gaming revenue'],
  commission: ['income', 'commission', 'earnings'],
}
export const BRAND_HEADERS = ['channel', 'brand']
export const DATE_HEADERS = ['date', 'day']
export const CURRENCY_HEADERS = ['currency']

/**
 * The statistics CSV as exported: a UTF-8 BOM, CRLF or LF (portals mix them), quoted cells with embedded commas or
 * newlines, blank lines, and lines of differing lengths (titles between channel blocks). A quote left open means a
 * cut-off body, which must not pass as data.
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

/**
 * A day as the export writes it: `2026-01-05` or `2026/01/05` (a time after it is ignored), or `05/01/2026` day
 * first, as the portal writes the pay period in its title lines. A month or a pay period is not a day.
 */
export function parseDay(value: string): string | undefined {
  const text = value.trim()
  const iso = /^(\d{4})[-/](\d{2})[-/](\d{2})(?:$|[T ])/.exec(text)
  const dayFirst = /^(\d{2})[/.](\d{2})[/.](\d{4})(?:$|[T ])/.exec(text)
  const day = iso
    ? `${iso[1]}-${iso[2]}-${iso[3]}`
    : dayFirst
      ? `${dayFirst[3]}-${dayFirst[2]}-${dayFirst[1]}`
      : undefined
  if (!day) return undefined
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
  // Thousands separators ("1,234.56", only ever inside a quoted field), accounting negatives "(12.50)" and a
  // currency sign in front.
  const negative = /^\(.*\)$/.test(text)
  if (negative) text = text.slice(1, -1).trim()
  text = text.replace(/^([+-]?)[$€£]\s*/, '$1')
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

const isTotalLabel = (v: string) => /^(grand )?(sub)?totals?:?$/i.test(v.trim())

/** The columns of one header line, found by their names. */
interface Block {
  headers: string[]
  date: number
  brand: number | undefined
  currency: number | undefined
  counts: (readonly [string, number])[]
  money: (readonly [string, number])[]
}

const aliasColumns = (headers: string[], table: Record<string, string[]>) =>
  Object.entries(table)
    .map(([metric, aliases]) => [metric, findColumn(headers, aliases)] as const)
    .filter((e): e is readonly [string, number] => e[1] !== undefined)

/** A header line names a date column and at least one metric column; the export repeats it before each channel. */
function headerOf(cells: string[]): Block | undefined {
  const headers = cells.map(normHeader)
  const date = findColumn(headers, DATE_HEADERS)
  if (date === undefined) return undefined
  const counts = aliasColumns(headers, COUNT_HEADERS)
  const money = aliasColumns(headers, MONEY_HEADERS)
  if (counts.length + money.length === 0) return undefined
  return {
    headers,
    date,
    brand: findColumn(headers, BRAND_HEADERS),
    currency: findColumn(headers, CURRENCY_HEADERS),
    counts,
    money,
  }
}

/** The error for a CSV without a usable header: what its first line holds and which columns were looked for. */
function noHeader(first: string[] | undefined, before: string): ResponseFormatError {
  const found = (first ?? []).map((c) => `"${c.trim().slice(0, 30)}"`).join(', ')
  const expected = [DATE_HEADERS, ...Object.values(COUNT_HEADERS), ...Object.values(MONEY_HEADERS)].map(
    (aliases) => aliases[0],
  )
  return new ResponseFormatError(
    `the statistics CSV has no header line ${before} (first line: ${found.slice(0, 300) || 'empty'}; expected a "date" column and any of: ${expected.slice(1).join(', ')})`,
  )
}

/**
 * A title line between channel blocks: one cell of text, the channel's name, sometimes followed by its pay period
 * ("Wild Casino pay period : 01/07/2026"), which is not part of the name.
 */
function titleOf(cells: string[]): string | undefined {
  const filled = cells.map((c) => c.trim()).filter((c) => c !== '')
  if (filled.length !== 1) return undefined
  const text = filled[0]!
  if (parseDay(text) || isTotalLabel(text) || /^[\d.,()\s-]+$/.test(text)) return undefined
  return text.replace(/\s*pay\s*period\b.*$/i, '').trim() || undefined
}

/**
 * Maps the statistics CSV to report rows in the window. The live export (with `sd=1`, one line per day) repeats its
 * header line before each channel block, with `Total` lines and title lines between blocks; each block is read by
 * its own header. The channel is the `Channel` cell, or else the block's title. Unknown columns are ignored and a
 * metric whose column is missing stays null; amounts are labelled with a `Currency` cell when the export has one,
 * else with `currency`, the connection's. Lines with the same day, channel and currency are added up.
 */
export function mapStatisticsCsv(text: string, window: DateWindow, currency: string): ReportRow[] {
  const table = parseCsv(text)
  if (table.length === 0)
    throw new ResponseFormatError('the statistics CSV is empty (not even a header line)')
  let block: Block | undefined
  let title: string | undefined
  const rows: ReportRow[] = []
  table.forEach((cells, index) => {
    const line = index + 1
    const header = headerOf(cells)
    if (header) {
      block = header
      return
    }
    const heading = titleOf(cells)
    if (heading !== undefined) {
      title = heading
      return
    }
    const cell = (col: number | undefined) => (col === undefined ? '' : (cells[col] ?? '').trim())
    if (cells.every((c) => c.trim() === '') || isTotalLabel(cells[0] ?? '')) return
    if (!block) throw noHeader(table[0], `before line ${line}`)
    const dateText = cell(block.date)
    if (dateText === '' || isTotalLabel(dateText) || isTotalLabel(cell(block.brand))) return
    if (cells.length < block.headers.length)
      throw new ResponseFormatError(
        `statistics CSV line ${line}: ${cells.length} of ${block.headers.length} cells`,
      )
    const date = parseDay(dateText)
    if (!date)
      throw new ResponseFormatError(
        `statistics CSV line ${line}: "${dateText.slice(0, 20)}" is not a day (a pay period means the export was not asked for a daily breakdown)`,
      )
    if (date < window.from || date > window.to) return
    const rowCurrency = (cell(block.currency) || currency).toUpperCase()
    if (!/^[A-Z]{3}$/.test(rowCurrency))
      throw new ResponseFormatError(
        `statistics CSV line ${line}: "${rowCurrency.slice(0, 10)}" is not a currency`,
      )
    const brand = cell(block.brand) || title || null
    const input: Record<string, unknown> = {
      date,
      brand: brand?.slice(0, 200) ?? null,
      currency: rowCurrency,
    }
    for (const [metric, col] of block.counts)
      input[metric] = parseCount(cell(col), `line ${line}, ${block.headers[col]}`)
    for (const [metric, col] of block.money)
      input[metric] = parseMoney(cell(col), `line ${line}, ${block.headers[col]}`)
    rows.push(reportRow(input as Parameters<typeof reportRow>[0]))
  })
  if (!block) throw noHeader(table[0], 'at all')
  return mergeRows(rows)
}
