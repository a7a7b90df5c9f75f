import {
  type Breakdown,
  METRICS,
  type Metric,
  normalizeDecimal,
  type ReportRow,
  ResponseFormatError,
} from 'affgraph/sdk'
import { LEAD_ACTION_TYPES, SALE_ACTION_TYPES } from './wire.ts'

/** What CJ's commission records give, per record kind (see README "Mapping"). No clicks: CJ's API has none. */
export const MAPPED_METRICS: Metric[] = [
  'signups',
  'salesCount',
  'salesAmount',
  'refundCount',
  'refundAmount',
  'commission',
]
/** The advertiser is the brand; the shopper id (SID) the publisher put in its links is the campaign. */
export const MAPPED_BREAKDOWNS: Breakdown[] = ['brand', 'campaign']

/** The `…Usd` amounts are used: they always name their currency, the publisher-currency ones do not. */
export const CURRENCY = 'USD'

const EMPTY_METRICS = Object.fromEntries(METRICS.map((m) => [m, null])) as Record<Metric, null>

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function fail(message: string): never {
  throw new ResponseFormatError(`CJ commissions: ${message}`)
}

export const negate = (amount: string): string =>
  amount === '0' ? '0' : amount.startsWith('-') ? amount.slice(1) : `-${amount}`

/** A `DecimalNumber` ("rendered in JSON as a string"); a bare JSON number is read as its shortest text. */
function amount(value: unknown, name: string, index: number): string | null {
  if (value === undefined || value === null || value === '') return null
  if (typeof value === 'number' && Number.isFinite(value) && !/e/i.test(String(value)))
    return normalizeDecimal(String(value))
  if (typeof value === 'string') {
    try {
      return normalizeDecimal(value)
    } catch {
      // reported below, naming the record
    }
  }
  return fail(`record ${index}: ${name} is not a decimal amount`)
}

function text(value: unknown): string | null {
  if (typeof value === 'number') return String(value)
  if (typeof value !== 'string') return null
  const trimmed = value.trim()
  return trimmed === '' ? null : trimmed.slice(0, 200)
}

/** `original` is a Boolean in the schema, described as "'1'" or "'0'": both are read. */
function isOriginal(value: unknown, index: number): boolean {
  if (value === true || value === 1 || value === '1' || value === 'true') return true
  if (value === false || value === 0 || value === '0' || value === 'false') return false
  return fail(`record ${index}: original is neither true nor false`)
}

/** The UTC day of an `Instant` ("2018-05-03T22:31:48Z"; an offset, if any, is honoured). */
export function utcDay(value: unknown, name: string, index: number): string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}(?:[T ]|$)/.test(value))
    return fail(`record ${index}: ${name} is not an ISO 8601 instant`)
  const bare = /^\d{4}-\d{2}-\d{2}$/.test(value)
  const time = Date.parse(bare ? `${value}T00:00:00Z` : value)
  if (Number.isNaN(time)) return fail(`record ${index}: ${name} is not an ISO 8601 instant`)
  return new Date(time).toISOString().slice(0, 10)
}

const typeOf = (value: string, group: readonly string[], word: string) =>
  group.includes(value) || new RegExp(`(?:^|[\\s_])${word}$`).test(value)

/**
 * One commission record as a unified row of its own (rows of one day, advertiser and SID are folded afterwards):
 * - every record adds its `pubCommissionAmountUsd` to commission, corrections (negative) included;
 * - an original sale counts one sale of `saleAmountUsd`; an original lead counts one signup;
 * - a correction of a sale adds the amount it takes back to refundAmount (a restatement's full reversal and its
 *   new state net out to the part refunded) and, when it takes money back, counts one refund.
 */
export function mapCommissionRecord(record: unknown, index = 0): ReportRow {
  if (!isRecord(record)) fail(`record ${index} is not an object`)
  const date = utcDay(record.eventDate, 'eventDate', index)
  const actionType = typeof record.actionType === 'string' ? record.actionType.trim().toLowerCase() : ''
  if (!actionType) fail(`record ${index} has no actionType`)
  const original = isOriginal(record.original, index)
  const commission = amount(record.pubCommissionAmountUsd, 'pubCommissionAmountUsd', index)
  if (commission === null) fail(`record ${index} has no pubCommissionAmountUsd`)
  const sale = amount(record.saleAmountUsd, 'saleAmountUsd', index) ?? '0'
  const isSale = typeOf(actionType, SALE_ACTION_TYPES, 'sale')
  const isLead = typeOf(actionType, LEAD_ACTION_TYPES, 'lead')
  const brand =
    text(record.advertiserName) ??
    (text(record.advertiserId) ? `CJ advertiser ${text(record.advertiserId)}` : null)
  if (brand === null) fail(`record ${index} names no advertiser`)
  const takesBack = isSale && !original && sale.startsWith('-')
  // Plain rows (no schema parse per record: a month can hold tens of thousands); the host validates the folded ones.
  return {
    ...EMPTY_METRICS,
    date,
    brand,
    campaign: text(record.shopperId),
    currency: CURRENCY,
    signups: isLead && original ? 1 : 0,
    salesCount: isSale && original ? 1 : 0,
    salesAmount: isSale && original ? sale : '0',
    refundCount: takesBack ? 1 : 0,
    refundAmount: isSale && !original ? negate(sale) : '0',
    commission,
  }
}

export interface CommissionsPage {
  /** One row per record, not yet folded. */
  rows: ReportRow[]
  payloadComplete: boolean
  /** The cursor for the next page; null when the page is empty. */
  maxCommissionId: string | null
}

/** `data.publisherCommissions` of a successful answer (GraphQL errors are read by the caller first). */
export function mapCommissionsPage(body: unknown): CommissionsPage {
  if (!isRecord(body)) fail('the answer is not a JSON object')
  const data = body.data
  if (!isRecord(data)) fail('the answer has no data')
  const result = data.publisherCommissions
  if (!isRecord(result)) fail('the answer has no publisherCommissions')
  if (!Array.isArray(result.records)) fail('publisherCommissions has no records list')
  if (typeof result.payloadComplete !== 'boolean') fail('publisherCommissions has no payloadComplete flag')
  const max = result.maxCommissionId
  if (max !== undefined && max !== null && typeof max !== 'string' && typeof max !== 'number')
    fail('maxCommissionId is not an id')
  return {
    rows: result.records.map((record, index) => mapCommissionRecord(record, index)),
    payloadComplete: result.payloadComplete,
    maxCommissionId: max === undefined || max === null || max === '' ? null : String(max),
  }
}
