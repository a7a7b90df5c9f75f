import {
  type Breakdown,
  type CountMetric,
  type Metric,
  type MoneyMetric,
  normalizeDecimal,
  type ReportRow,
  ResponseFormatError,
  reportRow,
  XMLParser,
  XMLValidator,
} from 'affgraph/sdk'
import { ELEMENTS } from './wire.ts'

/** Count elements by unified metric. Signups are read apart: see `signupsOf`. */
export const COUNT_ELEMENTS = {
  impressions: ELEMENTS.impressions,
  clicks: ELEMENTS.visitors,
  ftds: ELEMENTS.ftd,
  cpaCount: ELEMENTS.qftd,
} as const satisfies Partial<Record<CountMetric, string>>

export const MONEY_ELEMENTS = {
  deposits: ELEMENTS.deposits,
  netRevenue: ELEMENTS.pl,
  commission: ELEMENTS.commission,
} as const satisfies Partial<Record<MoneyMetric, string>>

type MappedCount = keyof typeof COUNT_ELEMENTS | 'signups'
type MappedMoney = keyof typeof MONEY_ELEMENTS

export const MAPPED_COUNT_METRICS: MappedCount[] = ['impressions', 'clicks', 'signups', 'ftds', 'cpaCount']
export const MAPPED_MONEY_METRICS = Object.keys(MONEY_ELEMENTS) as MappedMoney[]
/** What the plugin delivers; the simulator projects its ground truth onto exactly this. */
export const MAPPED_METRICS: Metric[] = [...MAPPED_COUNT_METRICS, ...MAPPED_MONEY_METRICS]
/** Brand ← `Brand`, campaign ← `Tracking_Code`. */
export const MAPPED_BREAKDOWNS: Breakdown[] = ['brand', 'campaign']

/** Spellings of the tracking-code element: the guide's live sample, then the request parameter's name. */
const TRACKING_CODE_ELEMENTS = [ELEMENTS.trackingCode, 'TrackingCode']
/** Not in any sample: read when a program adds it, otherwise the connection's currency applies. */
const CURRENCY_ELEMENT = 'Currency'

const parser = new XMLParser({
  ignoreAttributes: true,
  // Every value stays the text it was sent as: amounts must never pass through binary floats.
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => name === 'row',
})

type Row = Record<string, unknown>

function fail(message: string): never {
  throw new ResponseFormatError(`Cellxpert media report: ${message}`)
}

const isRecord = (value: unknown): value is Row =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Every occurrence of an element, in document order: the parser turns a repeated element into an array. */
function occurrences(row: Row, name: string): unknown[] {
  const value = row[name]
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

function asText(value: unknown, name: string, index: number): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string') fail(`row ${index}: ${name} holds nested elements instead of a value`)
  return value === '' ? null : value
}

/**
 * The one value of an element. An empty or missing element is null. Copies that agree are harmless; copies that
 * disagree cannot be told apart, so the row is refused rather than one figure picked at random.
 */
function single(row: Row, name: string, index: number): string | null {
  const values = occurrences(row, name).map((v) => asText(v, name, index))
  const distinct = new Set(values)
  if (distinct.size > 1) fail(`row ${index} repeats ${name} with different values`)
  return values[0] ?? null
}

/**
 * Registrations arrive as `<Registrations>` on some programs and as a second `<Leads>` on others (the vendor's
 * own sample): the second `<Leads>` sits where `<Registrations>` belongs, right after `<Unique_Leads>`, and is not
 * a copy of the first (the two differ in one sample row). So `<Registrations>` wins when present, then the second `<Leads>`; the first
 * `<Leads>` (leads, not registrations) has no unified metric. A single `<Leads>` alone gives no signups.
 */
export function signupsOf(row: Row, index: number): string | null {
  if (occurrences(row, ELEMENTS.registrations).length > 0) return single(row, ELEMENTS.registrations, index)
  const leads = occurrences(row, ELEMENTS.leads)
  return leads.length >= 2 ? asText(leads[1], ELEMENTS.leads, index) : null
}

function toCount(raw: string | null, name: string, index: number): number | null {
  if (raw === null) return null
  // Counts may come as "12" or as a decimal column "12.0000".
  const match = /^(\d+)(?:\.0+)?$/.exec(raw)
  if (!match?.[1]) fail(`row ${index}: ${name} is not a count (${JSON.stringify(raw.slice(0, 24))})`)
  const count = Number(match[1])
  if (!Number.isSafeInteger(count)) fail(`row ${index}: ${name} is out of range`)
  return count
}

function toMoney(raw: string | null, name: string, index: number): string | null {
  if (raw === null) return null
  try {
    return normalizeDecimal(raw)
  } catch {
    fail(`row ${index}: ${name} is not a decimal amount (${JSON.stringify(raw.slice(0, 24))})`)
  }
}

/** `Day` is `YYYY/MM/DD`; `YYYY-MM-DD` and a trailing time are read too. Impossible dates are refused. */
export function toDay(raw: string | null, index: number): string {
  const match = raw === null ? null : /^(\d{4})[/-](\d{2})[/-](\d{2})(?:$|[ T])/.exec(raw)
  if (!match) fail(`row ${index} has no usable Day (expected YYYY/MM/DD)`)
  const day = `${match[1]}-${match[2]}-${match[3]}`
  const parsed = new Date(`${day}T00:00:00Z`)
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== day)
    fail(`row ${index} has an impossible Day`)
  return day
}

function label(raw: string | null): string | null {
  const text = raw?.trim().slice(0, 200) ?? ''
  return text === '' ? null : text
}

function currencyOf(row: Row, fallback: string, index: number): string {
  const raw = single(row, CURRENCY_ELEMENT, index)
  if (raw === null) return fallback
  const code = raw.trim().toUpperCase()
  if (!/^[A-Z]{3}$/.test(code)) fail(`row ${index} has a Currency that is not an ISO code`)
  return code
}

/** One `<row>` to a unified row; `currency` labels its amounts unless the row names its own. */
export function mapRow(row: unknown, index: number, currency: string): ReportRow {
  if (!isRecord(row)) fail(`row ${index} is empty`)
  const date = toDay(single(row, ELEMENTS.day, index), index)
  const trackingElement = TRACKING_CODE_ELEMENTS.find((name) => row[name] !== undefined)
  const counts: Partial<Record<CountMetric, number | null>> = {
    signups: toCount(signupsOf(row, index), ELEMENTS.registrations, index),
  }
  for (const [metric, name] of Object.entries(COUNT_ELEMENTS))
    counts[metric as CountMetric] = toCount(single(row, name, index), name, index)
  const money: Partial<Record<MoneyMetric, string | null>> = {}
  for (const [metric, name] of Object.entries(MONEY_ELEMENTS))
    money[metric as MoneyMetric] = toMoney(single(row, name, index), name, index)
  try {
    return reportRow({
      date,
      brand: label(single(row, ELEMENTS.brand, index)),
      campaign: trackingElement ? label(single(row, trackingElement, index)) : null,
      currency: currencyOf(row, currency, index),
      ...counts,
      ...money,
    })
  } catch {
    fail(`row ${index} does not form a valid statistics row`)
  }
}

/**
 * A whole `mediareport` answer. The body must be well-formed XML with a `ResultSet` root; an empty `ResultSet`
 * is an empty report. Plain-text answers never get here (see `checkResponse`).
 */
export function mapMediaReport(text: string, currency: string): ReportRow[] {
  const body = text.trim()
  const valid = XMLValidator.validate(body)
  if (valid !== true) fail(`the answer is not well-formed XML (${valid.err.msg}, line ${valid.err.line})`)
  const doc: unknown = parser.parse(body)
  if (!isRecord(doc) || !('ResultSet' in doc)) fail('the answer has no ResultSet element')
  const set = doc.ResultSet
  if (set === '' || set === null || set === undefined) return []
  if (!isRecord(set)) fail('the ResultSet is not a list of rows')
  const rows = set.row ?? []
  if (!Array.isArray(rows)) fail('the ResultSet rows are unreadable')
  return rows.map((row, index) => mapRow(row, index, currency))
}
