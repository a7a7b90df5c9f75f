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
} from 'affgraph/sdk'
import { STAT } from './wire.ts'

/** Counts by unified metric. */
export const COUNT_FIELDS = {
  impressions: STAT.impressions,
  clicks: STAT.clicks,
  cpaCount: STAT.conversions,
} as const satisfies Partial<Record<CountMetric, string>>

/** Amounts by unified metric. */
export const MONEY_FIELDS = {
  commission: STAT.payout,
  salesAmount: STAT.saleAmount,
} as const satisfies Partial<Record<MoneyMetric, string>>

export const MAPPED_METRICS: Metric[] = [
  ...(Object.keys(COUNT_FIELDS) as Metric[]),
  ...(Object.keys(MONEY_FIELDS) as Metric[]),
]
/** Brand ← the offer, campaign ← `aff_sub` (Stat.affiliate_info1). */
export const MAPPED_BREAKDOWNS: Breakdown[] = ['brand', 'campaign']

type Item = Record<string, unknown>

function fail(message: string): never {
  throw new ResponseFormatError(`TUNE stats: ${message}`)
}

const isRecord = (value: unknown): value is Item =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const show = (value: unknown) => JSON.stringify(value)?.slice(0, 24) ?? String(value)

/** `Model.field` of a row: `{ "Stat": { "clicks": "12" }, "Offer": { "name": "…" } }`. */
function fieldOf(row: Item, name: string): unknown {
  const [model, key] = name.split('.') as [string, string]
  const part = row[model]
  return isRecord(part) ? part[key] : undefined
}

function toCount(value: unknown, name: string, index: number): number | null {
  const count = readCount(value)
  if (count === undefined) fail(`row ${index}: ${name} is not a count (${show(value)})`)
  return count
}

/** Figures arrive as strings ("12.50000"); a JSON number is read through its shortest exact text. */
function toMoney(value: unknown, name: string, index: number): string | null {
  const amount = readAmount(value)
  if (amount === undefined) fail(`row ${index}: ${name} is not a decimal amount (${show(value)})`)
  return amount
}

function label(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value !== 'string') return null
  const text = value.trim().slice(0, 200)
  return text === '' ? null : text
}

/**
 * An amount and the currency it is in. With currencies in play TUNE may key an amount by its currency
 * (`payout@EUR`, listed in `currency_columns`); the plain name is read first, then the key of the row's currency,
 * then the one suffixed key the row holds.
 */
function amountOf(
  row: Item,
  name: string,
  currency: string | null,
  index: number,
): { value: string | null; currency: string | null } {
  const [model, key] = name.split('.') as [string, string]
  const part = row[model]
  if (!isRecord(part)) return { value: null, currency }
  if (part[key] !== undefined) return { value: toMoney(part[key], name, index), currency }
  if (currency && part[`${key}@${currency}`] !== undefined)
    return { value: toMoney(part[`${key}@${currency}`], `${name}@${currency}`, index), currency }
  const suffixed = Object.keys(part).filter((k) => k.startsWith(`${key}@`))
  if (suffixed.length > 1 && !currency)
    fail(
      `row ${index} holds ${name} in several currencies (${suffixed.join(', ')}) and names none of its own`,
    )
  const only = suffixed[0]
  if (!only) return { value: null, currency }
  return {
    value: toMoney(part[only], `${model}.${only}`, index),
    currency: currency ?? only.split('@')[1]!.toUpperCase(),
  }
}

function currencyOf(row: Item, index: number): string | null {
  const raw = fieldOf(row, STAT.currency)
  if (raw === undefined || raw === null || raw === '') return null
  const code = String(raw).trim().toUpperCase()
  if (!/^[A-Z]{3}$/.test(code))
    fail(`row ${index}: ${STAT.currency} is not an ISO currency code (${show(raw)})`)
  return code
}

/** One stats row to a unified row; `fallbackCurrency` labels amounts of a row that names no currency. */
export function mapStatsRow(row: unknown, index: number, fallbackCurrency: string | undefined): ReportRow {
  if (!isRecord(row)) fail(`row ${index} is not an object`)
  const rawDate = fieldOf(row, STAT.date)
  const date = typeof rawDate === 'string' ? rawDate.trim().slice(0, 10) : ''
  if (!isDay(date)) fail(`row ${index} has no usable ${STAT.date} (${show(rawDate)})`)
  const counts: Partial<Record<CountMetric, number | null>> = {}
  for (const [metric, name] of Object.entries(COUNT_FIELDS))
    counts[metric as CountMetric] = toCount(fieldOf(row, name), name, index)
  let currency = currencyOf(row, index)
  const money: Partial<Record<MoneyMetric, string | null>> = {}
  for (const [metric, name] of Object.entries(MONEY_FIELDS)) {
    const amount = amountOf(row, name, currency, index)
    money[metric as MoneyMetric] = amount.value
    currency = amount.currency
  }
  const hasMoney = Object.values(money).some((v) => v !== null)
  currency ??= fallbackCurrency ?? null
  if (hasMoney && currency === null) {
    throw new ResponseFormatError(
      `TUNE stats: row ${index} names no currency for its amounts: fill in the network currency on the connection`,
      { field: 'currency' },
    )
  }
  return reportRow({
    date,
    brand: label(fieldOf(row, STAT.offerName)) ?? label(fieldOf(row, STAT.offerId)),
    campaign: label(fieldOf(row, STAT.subId)),
    currency: hasMoney ? currency : null,
    ...counts,
    ...money,
  })
}

export interface StatsPage {
  rows: ReportRow[]
  page: number
  pageCount: number
}

const pageNumber = (value: unknown, name: string): number => {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN
  if (!Number.isSafeInteger(n) || n < 0) fail(`data.${name} is not a page number (${show(value)})`)
  return n
}

/**
 * The `data` of an answer with status 1: `{ page, pageCount, current, count, data: [ {Stat, Offer}, … ] }`. A
 * list may come as an object keyed by index, as PHP-built JSON does; an empty list may come as `[]` or `{}`.
 */
export function mapStatsData(data: unknown, fallbackCurrency: string | undefined): StatsPage {
  if (!isRecord(data)) fail(`the answer's data is not an object (${show(data)})`)
  const list = data.data
  const items = Array.isArray(list) ? list : isRecord(list) ? Object.values(list) : undefined
  if (!items) {
    const keys = Object.keys(data).slice(0, 8).join(', ') || 'nothing'
    fail(`the answer has no list of rows (found: ${keys})`)
  }
  return {
    rows: items.map((row, index) => mapStatsRow(row, index, fallbackCurrency)),
    page: data.page === undefined ? 1 : pageNumber(data.page, 'page'),
    pageCount: data.pageCount === undefined ? 1 : pageNumber(data.pageCount, 'pageCount'),
  }
}
