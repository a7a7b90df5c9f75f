import {
  addDecimals,
  type Breakdown,
  type Metric,
  normalizeDecimal,
  type ReportRow,
  ResponseFormatError,
  reportRow,
} from 'affgraph/sdk'
import { PAYING_TYPES } from './wire.ts'

/** Clicks (`traffic.raw`), paying conversions and the affiliate's payout (`revenue`). */
export const MAPPED_METRICS: Metric[] = ['clicks', 'cpaCount', 'commission']
/** The offer is the brand; sub1 the campaign. */
export const MAPPED_BREAKDOWNS: Breakdown[] = ['brand', 'campaign']

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function fail(message: string): never {
  throw new ResponseFormatError(`Affise statistics: ${message}`)
}

/** Whole numbers arrive as JSON numbers or as strings ("1607530"). */
function count(value: unknown, name: string, index: number): number | null {
  if (value === undefined || value === null || value === '') return null
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : ''
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
    fail(`item ${index}: ${name} is not a count`)
  return Number(text)
}

/**
 * Money arrives as JSON numbers (1252, 1352.52): the JSON parser has already read them as doubles, whose shortest
 * text is the amount as sent for the two-decimal values payouts have.
 */
function money(value: unknown, name: string, index: number): string | null {
  if (value === undefined || value === null || value === '') return null
  const text =
    typeof value === 'number' && Number.isFinite(value)
      ? /e/i.test(String(value))
        ? value.toFixed(12)
        : String(value)
      : typeof value === 'string'
        ? value.trim()
        : ''
  try {
    return normalizeDecimal(text)
  } catch {
    return fail(`item ${index}: ${name} is not an amount`)
  }
}

const part = (value: unknown): number | null => {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+$/.test(value.trim())
        ? Number(value)
        : NaN
  return Number.isInteger(n) ? n : null
}

/** The day of a slice: `year`, `month` and `day` apart (the vendor's example), or a whole date in `day`. */
export function sliceDate(slice: Record<string, unknown>, index: number): string {
  if (typeof slice.day === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(slice.day.trim())) return slice.day.trim()
  const year = part(slice.year)
  const month = part(slice.month)
  const day = part(slice.day)
  if (year === null || month === null || day === null)
    fail(`item ${index} has no day: its slice must carry year, month and day`)
  const date = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
  const parsed = new Date(`${date}T00:00:00Z`)
  if (Number.isNaN(parsed.getTime()) || !parsed.toISOString().startsWith(date))
    fail(`item ${index}: ${date} is not a calendar day`)
  return date
}

/** The offer of a slice: `{id, title}` as working clients read it, or a bare id. */
export function sliceOffer(slice: Record<string, unknown>, index: number): string | null {
  const offer = slice.offer
  if (offer === undefined || offer === null || offer === '') return null
  if (isRecord(offer)) {
    const title = typeof offer.title === 'string' ? offer.title.trim() : ''
    if (title) return title.slice(0, 200)
    const id = offer.id ?? offer.offer_id
    if (typeof id === 'number' || (typeof id === 'string' && id.trim())) return `Offer ${String(id).trim()}`
    return fail(`item ${index}: the offer has neither a title nor an id`)
  }
  if (typeof offer === 'number' || typeof offer === 'string') return `Offer ${String(offer).trim()}`
  return fail(`item ${index}: the offer is neither an object nor an id`)
}

/** sub1 as a plain value, "" or absent meaning none; anything else is not read as a campaign by guesswork. */
function subId(value: unknown, index: number): string | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'number') return String(value)
  if (typeof value !== 'string') return fail(`item ${index}: sub1 is neither a string nor a number`)
  const trimmed = value.trim()
  return trimmed === '' ? null : trimmed.slice(0, 200)
}

/**
 * One `stats[]` item: clicks are `traffic.raw`; conversions that still pay (confirmed, pending, hold) are counted
 * and their `revenue` — the affiliate's payout — is the commission; declined ones are left out. `charge` and
 * `earning` are the network's side and are not read.
 */
export function mapStatsItem(item: unknown, currency: string, index = 0): ReportRow {
  if (!isRecord(item)) fail(`item ${index} is not an object`)
  const slice = isRecord(item.slice) ? item.slice : fail(`item ${index} has no slice`)
  const traffic = isRecord(item.traffic) ? item.traffic : {}
  const actions = isRecord(item.actions) ? item.actions : {}
  let conversions: number | null = null
  let payout: string | null = null
  for (const type of PAYING_TYPES) {
    const action = actions[type]
    if (action === undefined || action === null) continue
    if (!isRecord(action)) fail(`item ${index}: actions.${type} is not an object`)
    const n = count(action.count, `actions.${type}.count`, index)
    const amount = money(action.revenue, `actions.${type}.revenue`, index)
    if (n !== null) conversions = (conversions ?? 0) + n
    if (amount !== null) payout = payout === null ? amount : addDecimals(payout, amount)
  }
  const named = typeof slice.currency === 'string' ? slice.currency.trim().toUpperCase() : undefined
  if (named !== undefined && named !== currency)
    fail(`item ${index} is in ${named}, not in the ${currency} asked for`)
  try {
    return reportRow({
      date: sliceDate(slice, index),
      brand: sliceOffer(slice, index),
      campaign: subId(slice.sub1, index),
      currency,
      clicks: count(traffic.raw, 'traffic.raw', index),
      cpaCount: conversions,
      commission: payout,
    })
  } catch (error) {
    if (error instanceof ResponseFormatError) throw error
    return fail(`item ${index} does not form a valid statistics row`)
  }
}

export interface StatsPage {
  rows: ReportRow[]
  /** Whether a later page holds more items. */
  more: boolean
}

/**
 * A whole answer, `{status: 1, stats: [...], pagination: {per_page, total_count, page}}`. Pagination fields are read
 * under both the documented names and `count`/`pages`, which a vendor client reads; without them, a full page means
 * another one may follow.
 */
export function mapStatsPage(
  body: unknown,
  currency: string,
  requested: { page: number; limit: number },
): StatsPage {
  if (!isRecord(body)) fail('the answer is not a JSON object')
  if (!Array.isArray(body.stats)) fail('the answer has no stats list')
  const rows = body.stats.map((item, index) => mapStatsItem(item, currency, index))
  const pagination = isRecord(body.pagination) ? body.pagination : {}
  const total = part(pagination.total_count) ?? part(pagination.count)
  const perPage = part(pagination.per_page) ?? requested.limit
  const pages = part(pagination.pages)
  const page = part(pagination.page) ?? requested.page
  const more =
    pages !== null
      ? page < pages
      : total !== null
        ? page * Math.max(1, perPage) < total
        : body.stats.length >= requested.limit
  return { rows, more }
}
