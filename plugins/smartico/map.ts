import {
  addDecimals,
  type Breakdown,
  type CountMetric,
  isDay,
  type Metric,
  type MoneyMetric,
  type ReportRow,
  ResponseFormatError,
  readAmount,
  readCount,
  reportRow,
} from 'affgraph/sdk'
import { FIELDS } from './wire.ts'

/** Counts by unified metric. */
export const COUNT_FIELDS = {
  clicks: FIELDS.visits,
  signups: FIELDS.registrations,
  ftds: FIELDS.ftds,
  depositCount: FIELDS.depositCount,
  cpaCount: FIELDS.qftds,
} as const satisfies Partial<Record<CountMetric, string>>

/**
 * Amounts by unified metric, each with the names it is read under, first found wins: clients read the net result
 * as `net_pl` or as `pl`, and the commission as `commissions_total` (else the sum of its CPA and RevShare parts).
 */
export const MONEY_FIELDS = {
  deposits: [FIELDS.deposits],
  netRevenue: [FIELDS.netPl, FIELDS.pl],
} as const satisfies Partial<Record<MoneyMetric, readonly string[]>>

type MappedCount = keyof typeof COUNT_FIELDS
type MappedMoney = keyof typeof MONEY_FIELDS | 'commission'

export const MAPPED_COUNT_METRICS = Object.keys(COUNT_FIELDS) as MappedCount[]
export const MAPPED_MONEY_METRICS: MappedMoney[] = ['deposits', 'netRevenue', 'commission']
/** What the plugin delivers; the simulator projects its ground truth onto exactly this. */
export const MAPPED_METRICS: Metric[] = [...MAPPED_COUNT_METRICS, ...MAPPED_MONEY_METRICS]
/** Brand ← `brand_name` (or `brand_id`), campaign ← `afp`. */
export const MAPPED_BREAKDOWNS: Breakdown[] = ['brand', 'campaign']

/** Every field a report item may carry a figure in: an item with none of them is not the media report. */
const FIGURE_FIELDS: readonly string[] = [
  ...Object.values(COUNT_FIELDS),
  ...Object.values(MONEY_FIELDS).flat(),
  FIELDS.commissionsTotal,
  FIELDS.commissionsCpa,
  FIELDS.commissionsRevShare,
]

type Item = Record<string, unknown>

function fail(message: string): never {
  throw new ResponseFormatError(`Smartico media report: ${message}`)
}

const isRecord = (value: unknown): value is Item =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const show = (value: unknown) => JSON.stringify(value)?.slice(0, 24) ?? String(value)

/** A count sent as a JSON number or a numeric string; null or absent is null, never 0. */
function toCount(value: unknown, name: string, index: number): number | null {
  const count = readCount(value)
  if (count === undefined) fail(`item ${index}: ${name} is not a count (${show(value)})`)
  return count
}

/** An amount sent as a JSON number: see `readAmount` for why its shortest text is the platform's decimal. */
function toMoney(value: unknown, name: string, index: number): string | null {
  const amount = readAmount(value)
  if (amount === undefined) fail(`item ${index}: ${name} is not a decimal amount (${show(value)})`)
  return amount
}

/** `dt` is an ISO timestamp at midnight (`2026-07-21T00:00:00.000Z`) or a bare day; the day is its date part. */
export function toDay(value: unknown, index: number): string {
  const day = typeof value === 'string' ? value.trim().slice(0, 10) : ''
  if (!isDay(day))
    fail(`item ${index} has no usable ${FIELDS.day} (expected an ISO date, got ${show(value)})`)
  return day
}

function label(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value !== 'string') return null
  const text = value.trim().slice(0, 200)
  return text === '' ? null : text
}

/** The day's commission: `commissions_total`, else the sum of the parts the item carries, else null. */
function commissionOf(item: Item, index: number): string | null {
  const total = toMoney(item[FIELDS.commissionsTotal], FIELDS.commissionsTotal, index)
  if (total !== null) return total
  const parts = [FIELDS.commissionsCpa, FIELDS.commissionsRevShare]
    .map((name) => toMoney(item[name], name, index))
    .filter((v): v is string => v !== null)
  return parts.length === 0 ? null : addDecimals(...parts)
}

/** One `data[]` item to a unified row in the connection's currency. */
export function mapItem(item: unknown, index: number, currency: string): ReportRow {
  if (!isRecord(item)) fail(`item ${index} is not an object`)
  const date = toDay(item[FIELDS.day], index)
  const counts: Partial<Record<CountMetric, number | null>> = {}
  for (const [metric, name] of Object.entries(COUNT_FIELDS))
    counts[metric as CountMetric] = toCount(item[name], name, index)
  const money: Partial<Record<MoneyMetric, string | null>> = { commission: commissionOf(item, index) }
  for (const [metric, names] of Object.entries(MONEY_FIELDS)) {
    const name = names.find((n) => item[n] !== undefined && item[n] !== null)
    money[metric as MoneyMetric] = name ? toMoney(item[name], name, index) : null
  }
  return reportRow({
    date,
    brand: label(item[FIELDS.brandName]) ?? label(item[FIELDS.brandId]),
    campaign: label(item[FIELDS.afp]),
    currency,
    ...counts,
    ...money,
  })
}

/**
 * A whole media report answer: `{ "meta": {…}, "data": [ … ] }`. An empty `data` is a window without activity
 * (the docs: a period without activity has no record). Items that carry no figure field at all mean the answer is
 * not the media report, and the error names what the item held and what was looked for.
 */
export function mapMediaReport(body: unknown, currency: string): ReportRow[] {
  if (!isRecord(body)) fail('the answer is not a JSON object')
  const data = body.data
  if (!Array.isArray(data)) {
    const keys = Object.keys(body).slice(0, 8).join(', ') || 'nothing'
    fail(`the answer has no data list (found: ${keys})`)
  }
  return data.map((item, index) => {
    if (isRecord(item) && !FIGURE_FIELDS.some((name) => name in item)) {
      const found = Object.keys(item).slice(0, 12).join(', ') || 'no fields'
      fail(
        `item ${index} has none of the report's figures (found: ${found}; expected any of ${FIGURE_FIELDS.join(', ')})`,
      )
    }
    return mapItem(item, index, currency)
  })
}

/** The affiliate id the answer's `meta` names, if any: the account's name in affgraph. */
export function affiliateIdOf(body: unknown): string | undefined {
  if (!isRecord(body) || !isRecord(body.meta)) return undefined
  const id = body.meta.affiliate_id
  return typeof id === 'number' || (typeof id === 'string' && /^\w{1,40}$/.test(id)) ? String(id) : undefined
}
