import {
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
  XMLParser,
  XMLValidator,
} from 'affgraph/sdk'
import { ELEMENTS, PERFORMANCE } from './wire.ts'

export const COUNT_ELEMENTS = {
  clicks: ELEMENTS.clicks,
  cpaCount: ELEMENTS.conversions,
} as const satisfies Partial<Record<CountMetric, string>>

export const MONEY_ELEMENTS = {
  commission: ELEMENTS.revenue,
} as const satisfies Partial<Record<MoneyMetric, string>>

export const MAPPED_METRICS: Metric[] = [
  ...(Object.keys(COUNT_ELEMENTS) as Metric[]),
  ...(Object.keys(MONEY_ELEMENTS) as Metric[]),
]
/** The daily summary is the affiliate's whole account per day: no brand or campaign breakdown. */
export const MAPPED_BREAKDOWNS: Breakdown[] = []

const parser = new XMLParser({
  ignoreAttributes: true,
  // Values stay the text they were sent as: amounts never pass through binary floats.
  parseTagValue: false,
  trimValues: true,
  // A namespace prefix, should an answer carry one, is not part of the element's name.
  removeNSPrefix: true,
  isArray: (name) => name === ELEMENTS.day || name === PERFORMANCE.period,
})

type Node = Record<string, unknown>

const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function fail(what: string, message: string): never {
  throw new ResponseFormatError(`CAKE ${what}: ${message}`)
}

const show = (value: unknown) => JSON.stringify(value)?.slice(0, 24) ?? String(value)

/** The one element under the document: `<…_response>` with `<success>` first. */
export function parseResponse(text: string, what: string): { root: string; body: Node } {
  const xml = text.trim()
  const valid = XMLValidator.validate(xml)
  if (valid !== true)
    fail(what, `the answer is not well-formed XML (${valid.err.msg}, line ${valid.err.line})`)
  const doc: unknown = parser.parse(xml)
  const roots = isNode(doc) ? Object.keys(doc).filter((k) => !k.startsWith('?')) : []
  const root = roots[0]
  const body = root === undefined ? undefined : (doc as Node)[root]
  if (roots.length !== 1 || !isNode(body))
    fail(what, `the answer has no single response element (found: ${roots.join(', ') || 'nothing'})`)
  return { root: root!, body }
}

/** `<success>true</success>` or the refusal's words (`<message>`), as CAKE answers both with HTTP 200. */
export function successOf(body: Node): { ok: true } | { ok: false; message: string } {
  const success = String(body[ELEMENTS.success] ?? '')
    .trim()
    .toLowerCase()
  if (success === 'true') return { ok: true }
  const message = body[ELEMENTS.message] ?? body.errors ?? ''
  return { ok: false, message: typeof message === 'string' ? message : JSON.stringify(message) }
}

function text(value: unknown, name: string, index: number): string | null {
  if (value === undefined || value === null || value === '') return null
  if (typeof value !== 'string')
    fail('daily summary', `day ${index}: ${name} holds nested elements instead of a value`)
  return value
}

function toCount(raw: string | null, name: string, index: number): number | null {
  const count = readCount(raw)
  if (count === undefined) fail('daily summary', `day ${index}: ${name} is not a count (${show(raw)})`)
  return count
}

function toMoney(raw: string | null, name: string, index: number): string | null {
  const amount = readAmount(raw)
  if (amount === undefined)
    fail('daily summary', `day ${index}: ${name} is not a decimal amount (${show(raw)})`)
  return amount
}

/** `2026-05-04`, `2026-05-04T00:00:00` or the US form `5/4/2026 12:00:00 AM`; impossible days are refused. */
export function toDay(raw: string | null, index: number): string {
  const iso = raw === null ? null : /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(raw.trim())
  const us = raw === null ? null : /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:$| )/.exec(raw.trim())
  const day = iso
    ? `${iso[1]}-${iso[2]}-${iso[3]}`
    : us
      ? `${us[3]}-${us[1]!.padStart(2, '0')}-${us[2]!.padStart(2, '0')}`
      : ''
  if (!isDay(day)) fail('daily summary', `day ${index} has no usable date (${show(raw)})`)
  return day
}

/** One `<day>` to a unified row in the connection's currency. */
export function mapDay(day: unknown, index: number, currency: string): ReportRow {
  if (!isNode(day)) fail('daily summary', `day ${index} is empty`)
  const date = toDay(text(day[ELEMENTS.date], ELEMENTS.date, index), index)
  const counts: Partial<Record<CountMetric, number | null>> = {}
  for (const [metric, name] of Object.entries(COUNT_ELEMENTS))
    counts[metric as CountMetric] = toCount(text(day[name], name, index), name, index)
  const money: Partial<Record<MoneyMetric, string | null>> = {}
  for (const [metric, name] of Object.entries(MONEY_ELEMENTS))
    money[metric as MoneyMetric] = toMoney(text(day[name], name, index), name, index)
  return reportRow({ date, currency, ...counts, ...money })
}

/**
 * A successful DailySummary body: `<days>` with a `<day>` per day of activity. An empty `<days/>` (or none) is a
 * window without activity. A day carrying none of the figures read means the answer is not the daily summary,
 * and the error says what the day held.
 */
export function mapDailySummary(body: Node, currency: string): ReportRow[] {
  const days = body[ELEMENTS.days]
  if (days === undefined || days === '' || days === null) return []
  if (!isNode(days)) fail('daily summary', 'the days element is not a list of days')
  const list = days[ELEMENTS.day] ?? []
  if (!Array.isArray(list)) fail('daily summary', 'the days are unreadable')
  const figures = [...Object.values(COUNT_ELEMENTS), ...Object.values(MONEY_ELEMENTS)] as string[]
  return list.map((day, index) => {
    if (isNode(day) && !figures.some((name) => name in day)) {
      const found = Object.keys(day).slice(0, 12).join(', ') || 'nothing'
      fail('daily summary', `day ${index} has none of ${figures.join(', ')} (found: ${found})`)
    }
    return mapDay(day, index, currency)
  })
}

const SYMBOLS: Record<string, readonly string[]> = {
  '£': ['GBP'],
  '€': ['EUR'],
  $: ['USD', 'CAD', 'AUD', 'NZD', 'MXN', 'SGD', 'HKD'],
}

/** The currency symbol a PerformanceSummary answer shows, and whether it can stand for `currency`. */
export function symbolMatches(body: Node, currency: string): { symbol: string | null; matches: boolean } {
  const periods = isNode(body[PERFORMANCE.periods])
    ? (body[PERFORMANCE.periods] as Node)[PERFORMANCE.period]
    : undefined
  const first = Array.isArray(periods) ? periods.find(isNode) : undefined
  const raw = first?.[PERFORMANCE.currencySymbol]
  const symbol = typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : null
  if (symbol === null) return { symbol, matches: true }
  const codes = SYMBOLS[symbol] ?? (/^[A-Z]{3}$/.test(symbol) ? [symbol] : undefined)
  return { symbol, matches: codes === undefined || codes.includes(currency) }
}
