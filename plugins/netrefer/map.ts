import {
  type Breakdown,
  type CountMetric,
  type DateWindow,
  type Metric,
  type MoneyMetric,
  mergeRows,
  normalizeDecimal,
  type ReportRow,
  ResponseFormatError,
  reportRow,
} from 'affgraph/sdk'
import { ROW_FIELDS, ROWS_FIELD } from './wire.ts'

/**
 * What the Daily Activity Report gives, in unified terms, by field name: the first name of each list is what
 * affgraph assumes ASR sends (wire.ts); the others are the portal export's column titles in camelCase ("First
 * Time Depositing Customers", "Net Revenue", "Marketing Source Name", as a client reading that export shows) and
 * other spellings. Depositing Customers is not `depositCount`: it counts customers, not deposits, so a customer
 * who deposits three times would be counted once.
 */
export const COUNT_FIELDS = {
  impressions: [ROW_FIELDS.views, 'impressions'],
  clicks: [ROW_FIELDS.clicks, 'hits'],
  signups: [ROW_FIELDS.signups, 'registrations', 'signUps'],
  ftds: [ROW_FIELDS.firstTimeDepositingCustomers, 'ftd', 'ftds', 'firstTimeDepositors'],
} as const satisfies Partial<Record<CountMetric, readonly string[]>>

export const MONEY_FIELDS = {
  deposits: [ROW_FIELDS.deposits, 'depositAmount', 'totalDeposits'],
  netRevenue: [ROW_FIELDS.netRevenue, 'ngr', 'netGamingRevenue'],
  commission: [ROW_FIELDS.commission, 'totalCommission', 'affiliateCommission', 'earnings'],
} as const satisfies Partial<Record<MoneyMetric, readonly string[]>>

export const MAPPED_METRICS: Metric[] = [
  ...(Object.keys(COUNT_FIELDS) as Metric[]),
  ...(Object.keys(MONEY_FIELDS) as Metric[]),
]
/** Brand, and the marketing source as the campaign. */
export const MAPPED_BREAKDOWNS: Breakdown[] = ['brand', 'campaign']

/** "Net Revenue", "net_revenue", "NetRevenue" and "netRevenue" are one name: the real spelling is not public. */
const norm = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '')

const ROW_LIST_NAMES = [ROWS_FIELD, 'data', 'items', 'records', 'results', 'value'].map(norm)
const DATE_NAMES = [ROW_FIELDS.date, 'day', 'activityDate', 'reportDate'].map(norm)
const BRAND_NAMES = [ROW_FIELDS.brand, 'brandName'].map(norm)
const CAMPAIGN_NAMES = [ROW_FIELDS.marketingSource, 'marketingSourceName', 'campaign'].map(norm)
const CURRENCY_NAMES = [ROW_FIELDS.currency, 'currencyCode'].map(norm)
const METRIC_NAMES = [...Object.values(COUNT_FIELDS), ...Object.values(MONEY_FIELDS)]

const found = (names: string[]) =>
  names
    .slice(0, 30)
    .map((n) => `"${n.slice(0, 40)}"`)
    .join(', ') || 'none'

/** The row list: the body itself when it is an array, else the first array under a known name. */
function rowList(body: unknown): unknown[] {
  if (Array.isArray(body)) return body
  if (body && typeof body === 'object') {
    for (const [key, value] of Object.entries(body)) {
      if (ROW_LIST_NAMES.includes(norm(key))) {
        if (value === null) return []
        if (Array.isArray(value)) return value
      }
    }
    throw new ResponseFormatError(
      `the report has no list of rows (found: ${found(Object.keys(body))}; expected "${ROWS_FIELD}" or a list)`,
    )
  }
  throw new ResponseFormatError(`the report is not a JSON object or list (${typeof body})`)
}

/** `2026-01-05` or a .NET date-time starting with it (`2026-01-05T00:00:00`): the platform's own day. */
export function parseDay(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const match = /^(\d{4}-\d{2}-\d{2})(?:$|T)/.exec(value.trim())
  if (!match?.[1]) return undefined
  const t = Date.parse(`${match[1]}T00:00:00Z`)
  return !Number.isNaN(t) && new Date(t).toISOString().startsWith(match[1]) ? match[1] : undefined
}

function parseCount(value: unknown, where: string): number | null {
  if (value === null || value === undefined || value === '') return null
  const n = typeof value === 'string' && /^\s*\d+(?:\.0+)?\s*$/.test(value) ? Number.parseFloat(value) : value
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw new ResponseFormatError(`${where} is not a whole non-negative count`)
  return n
}

/**
 * Money arrives as a JSON number (an ASP.NET decimal) or a string. A double prints back as the shortest text that
 * reads as the same double, which is the sender's own decimal whenever it has at most 15 significant digits; a
 * longer one may already have been rounded by JSON.parse, so it is refused rather than stored slightly wrong.
 */
export function parseMoney(value: unknown, where: string): string | null {
  if (value === null || value === undefined || value === '') return null
  if (typeof value === 'string') {
    // The portal export writes "€1,234.50"; an API may too.
    const text = value
      .trim()
      .replace(/^([+-]?)[$€£]\s*/, '$1')
      .replace(/^([+-]?\d{1,3})((?:,\d{3})+)(?=$|\.)/, (_, a: string, b: string) => a + b.replace(/,/g, ''))
    try {
      return normalizeDecimal(text)
    } catch {
      throw new ResponseFormatError(`${where} is not a decimal amount`)
    }
  }
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ResponseFormatError(`${where} is not an amount`)
  const text = String(value)
  const digits = text.replace(/^-/, '').replace('.', '').replace(/^0+/, '')
  if (!/^-?\d+(?:\.\d+)?$/.test(text) || digits.length > 15)
    throw new ResponseFormatError(`${where} has more digits than can be read exactly (${text.slice(0, 30)})`)
  return normalizeDecimal(text)
}

/** Brand or marketing source: a name, an id, or an object with a name. */
function label(value: unknown): string | null {
  if (value && typeof value === 'object' && 'name' in value) return label((value as { name: unknown }).name)
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value !== 'string') return null
  const text = value.trim()
  return text === '' ? null : text.slice(0, 200)
}

const isTotal = (v: string | null) => v !== null && /^(grand )?totals?:?$/i.test(v)

/**
 * Maps a Daily Activity Report body to report rows in the window. Unknown fields are ignored; a metric whose field
 * is missing or null stays null, never 0. Rows outside the window are dropped, a "Total" line without a day is
 * skipped, and rows that share day, brand, marketing source and currency are added up.
 */
export function mapDailyActivity(body: unknown, window: DateWindow): ReportRow[] {
  const rows: ReportRow[] = []
  const list = rowList(body)
  // Rows may leave out empty figures, but a report where no row has any is not read the way it is written.
  let figures = false
  list.forEach((item, index) => {
    const where = `report row ${index + 1}`
    if (!item || typeof item !== 'object' || Array.isArray(item))
      throw new ResponseFormatError(`${where} is not an object`)
    const fields = new Map(Object.entries(item).map(([k, v]) => [norm(k), v]))
    const pick = (names: readonly string[]) => names.map((n) => fields.get(n)).find((v) => v !== undefined)
    if (METRIC_NAMES.some((names) => names.some((n) => fields.has(norm(n))))) figures = true
    const brand = label(pick(BRAND_NAMES))
    const campaign = label(pick(CAMPAIGN_NAMES))
    const rawDate = pick(DATE_NAMES)
    if ((rawDate === null || rawDate === undefined) && (isTotal(brand) || isTotal(campaign))) return
    const date = parseDay(rawDate)
    if (!date)
      throw new ResponseFormatError(
        `${where} has no day (${JSON.stringify(rawDate)?.slice(0, 30)}; fields found: ${found(Object.keys(item))})`,
      )
    if (date < window.from || date > window.to) return

    const input: Record<string, unknown> = { date, brand, campaign }
    for (const [metric, names] of Object.entries(COUNT_FIELDS))
      input[metric] = parseCount(pick(names.map(norm)), `${where}, ${names[0]}`)
    for (const [metric, names] of Object.entries(MONEY_FIELDS))
      input[metric] = parseMoney(pick(names.map(norm)), `${where}, ${names[0]}`)
    const rawCurrency = pick(CURRENCY_NAMES)
    const hasMoney = Object.keys(MONEY_FIELDS).some((m) => input[m] !== null)
    if (typeof rawCurrency === 'string' && rawCurrency.trim() !== '') {
      const currency = rawCurrency.trim().toUpperCase()
      if (!/^[A-Z]{3}$/.test(currency))
        throw new ResponseFormatError(`${where}: "${currency.slice(0, 10)}" is not a currency code`)
      input.currency = currency
    } else if (hasMoney) {
      throw new ResponseFormatError(
        `${where} has amounts but no currency (fields found: ${found(Object.keys(item))})`,
      )
    }

    rows.push(reportRow(input as Parameters<typeof reportRow>[0]))
  })
  if (list.length > 0 && !figures)
    throw new ResponseFormatError(
      `the report rows have none of the expected figures (found: ${found(Object.keys(list[0] ?? {}))}; expected any of: ${METRIC_NAMES.map((n) => n[0]).join(', ')})`,
    )
  return mergeRows(rows)
}
