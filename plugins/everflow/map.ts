import {
  type Breakdown,
  type CountMetric,
  isDay,
  type Metric,
  type MoneyMetric,
  normalizeDecimal,
  type ReportRow,
  ResponseFormatError,
  reportRow,
} from 'affgraph/sdk'
import { COUNT_FIELDS, MONEY_FIELDS } from './wire.ts'

export const MAPPED_METRICS: Metric[] = [...Object.values(COUNT_FIELDS), ...Object.values(MONEY_FIELDS)]
/** Offers are the unified brands, the affiliate's own sub1 the campaigns. */
export const MAPPED_BREAKDOWNS: Breakdown[] = ['brand', 'campaign']

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function fail(message: string): never {
  throw new ResponseFormatError(`Everflow report: ${message}`)
}

const dayFormats = new Map<string, Intl.DateTimeFormat>()

/** The calendar day of an instant in a time zone, `YYYY-MM-DD`. */
export function dayInZone(epochMs: number, zone: string): string {
  let format = dayFormats.get(zone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
    dayFormats.set(zone, format)
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(epochMs)).map((p) => [p.type, p.value]))
  return `${parts.year}-${parts.month}-${parts.day}`
}

function isLocalMidnight(epochMs: number, zone: string): boolean {
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  })
  return format.format(new Date(epochMs)) === '00:00:00'
}

/**
 * The day of a `date` column. Working clients read its `id` as Unix seconds; Everflow buckets days in the
 * request's time zone, so the instant is that zone's midnight — or, should Everflow send midnight UTC instead,
 * UTC's. A plain `YYYY-MM-DD` in `id` or `label` is taken as it is.
 */
export function dayOfDateColumn(column: Record<string, unknown>, zone: string, index: number): string {
  for (const value of [column.id, column.label]) if (typeof value === 'string' && isDay(value)) return value
  const raw = column.id
  const seconds =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string' && /^\d{1,12}$/.test(raw)
        ? Number(raw)
        : Number.NaN
  if (!Number.isSafeInteger(seconds)) fail(`row ${index}: the date column is neither a day nor Unix seconds`)
  const ms = seconds * 1000
  if (isLocalMidnight(ms, zone)) return dayInZone(ms, zone)
  if (ms % 86_400_000 === 0) return dayInZone(ms, 'UTC')
  // Neither midnight: the day that holds the instant's noon, right for any offset of up to twelve hours.
  return dayInZone(ms + 12 * 3_600_000, zone)
}

function toCount(value: unknown, name: string, index: number): number | null {
  if (value === undefined || value === null) return null
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) fail(`row ${index}: ${name} is not a count`)
  return n
}

/** Money arrives as JSON numbers (already parsed into doubles); their shortest form is kept, never rounded again. */
export function toAmount(value: unknown, name: string, index: number): string | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'string') {
    try {
      return normalizeDecimal(value)
    } catch {
      fail(`row ${index}: ${name} is not a decimal amount`)
    }
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(`row ${index}: ${name} is not an amount`)
  const text = String(value)
  return normalizeDecimal(/e/i.test(text) ? value.toFixed(12) : text)
}

/** The value of a dimension column: its label, or its id when the label is empty. */
function columnValue(column: Record<string, unknown> | undefined): string | null {
  if (!column) return null
  for (const value of [column.label, column.id]) {
    if (typeof value === 'string' && value.trim() !== '') return value.trim().slice(0, 200)
    if (typeof value === 'number') return String(value)
  }
  return null
}

/** One `table[]` entry (`{columns: [{column_type, id, label}], reporting: {…}}`) to a unified row. */
export function mapTableRow(row: unknown, zone: string, currency: string, index = 0): ReportRow {
  if (!isRecord(row)) fail(`row ${index} is not an object`)
  if (!Array.isArray(row.columns)) fail(`row ${index} has no columns list`)
  if (!isRecord(row.reporting)) fail(`row ${index} has no reporting object`)
  const columns = new Map<string, Record<string, unknown>>()
  for (const column of row.columns) {
    if (isRecord(column) && typeof column.column_type === 'string') columns.set(column.column_type, column)
  }
  const date = columns.get('date')
  if (!date) fail(`row ${index} has no date column (found: ${[...columns.keys()].join(', ') || 'none'})`)
  const counts: Partial<Record<CountMetric, number | null>> = {}
  for (const [name, metric] of Object.entries(COUNT_FIELDS))
    counts[metric] = toCount(row.reporting[name], name, index)
  const money: Partial<Record<MoneyMetric, string | null>> = {}
  for (const [name, metric] of Object.entries(MONEY_FIELDS))
    money[metric] = toAmount(row.reporting[name], name, index)
  return reportRow({
    date: dayOfDateColumn(date, zone, index),
    brand: columnValue(columns.get('offer')),
    campaign: columnValue(columns.get('sub1')),
    currency,
    ...counts,
    ...money,
  })
}

export interface TablePage {
  rows: ReportRow[]
  /** The 10,000-row cap was hit: the rows are only part of the window. */
  incomplete: boolean
}

/**
 * A whole answer: `{table: [...], incomplete_results?}`. Other Everflow reporting endpoints wrap the rows as
 * `table.rows`, which is read too.
 */
export function mapTable(body: unknown, zone: string, currency: string): TablePage {
  if (!isRecord(body)) fail('the answer is not a JSON object')
  const table = isRecord(body.table) ? body.table.rows : body.table
  if (table === undefined || table === null) {
    const keys = Object.keys(body).slice(0, 8).join(', ') || 'nothing'
    fail(`the answer has no table (found: ${keys})`)
  }
  if (!Array.isArray(table)) fail('table is not a list')
  return {
    rows: table.map((row, index) => mapTableRow(row, zone, currency, index)),
    incomplete: body.incomplete_results === true,
  }
}

export interface EverflowTimezone {
  id: number
  /** IANA name. */
  zone: string
}

/** `GET /v1/meta/timezones`: `{timezones: [{timezone_id, timezone_name, timezone, utc_offset}]}`. */
export function mapTimezones(body: unknown): EverflowTimezone[] {
  if (!isRecord(body) || !Array.isArray(body.timezones)) fail('the time zone list has no timezones')
  const out: EverflowTimezone[] = []
  for (const entry of body.timezones) {
    if (!isRecord(entry)) continue
    const id = typeof entry.timezone_id === 'string' ? Number(entry.timezone_id) : entry.timezone_id
    if (typeof id === 'number' && Number.isSafeInteger(id) && typeof entry.timezone === 'string')
      out.push({ id, zone: entry.timezone })
  }
  return out
}
