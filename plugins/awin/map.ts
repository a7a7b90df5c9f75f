import {
  type Breakdown,
  isDay,
  type Metric,
  normalizeDecimal,
  type ReportRow,
  ResponseFormatError,
  reportRow,
} from 'affgraph/sdk'
import { COUNTED_STATUSES } from './wire.ts'

/** Each counted transaction is a sale: its count, its sale amount and the publisher's commission. */
export const MAPPED_METRICS: Metric[] = ['salesCount', 'salesAmount', 'commission']
/** Advertisers are the unified brands, the publisher's clickRef the campaigns. */
export const MAPPED_BREAKDOWNS: Breakdown[] = ['brand', 'campaign']

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function fail(message: string): never {
  throw new ResponseFormatError(`Awin transactions: ${message}`)
}

function text(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value !== 'string') return null
  const trimmed = value.trim()
  return trimmed === '' ? null : trimmed
}

/** `{"amount": 5.59, "currency": "GBP"}`; amounts are JSON numbers, kept in their shortest decimal form. */
function money(
  value: unknown,
  name: string,
  index: number,
): { amount: string; currency: string | null } | null {
  if (value === undefined || value === null) return null
  if (!isRecord(value)) fail(`transaction ${index}: ${name} is not an {amount, currency} object`)
  // A double's shortest form is the decimal it was written as; only tiny amounts come in exponent form.
  const raw =
    typeof value.amount === 'number' && /e/i.test(String(value.amount))
      ? value.amount.toFixed(12)
      : text(value.amount)
  if (raw === null) return null
  let amount: string
  try {
    amount = normalizeDecimal(raw)
  } catch {
    fail(`transaction ${index}: ${name}.amount is not a decimal amount`)
  }
  const currency = text(value.currency)?.toUpperCase() ?? null
  if (currency !== null && !/^[A-Z]{3}$/.test(currency))
    fail(`transaction ${index}: ${name}.currency is not a currency code`)
  return { amount, currency }
}

export interface MappedTransaction {
  /** Null for a declined or deleted transaction: it will not pay out and counts nowhere. */
  row: ReportRow | null
  status: string
}

/**
 * One transaction to a one-sale row of its transaction day. `transactionDate` is local to the `timezone` asked for
 * ("2017-02-20T22:04:00"), so its date part is the day. The advertiser is named by id only.
 */
export function mapTransaction(tx: unknown, index = 0): MappedTransaction {
  if (!isRecord(tx)) fail(`transaction ${index} is not an object`)
  const status = text(tx.commissionStatus)?.toLowerCase()
  if (!status) fail(`transaction ${index} has no commissionStatus`)
  const date = text(tx.transactionDate)?.slice(0, 10)
  if (!date || !isDay(date)) fail(`transaction ${index}: transactionDate is not a date-time`)
  if (!COUNTED_STATUSES.includes(status)) return { row: null, status }
  const commission = money(tx.commissionAmount, 'commissionAmount', index)
  const sale = money(tx.saleAmount, 'saleAmount', index)
  const currency = commission?.currency ?? sale?.currency
  if (!currency) fail(`transaction ${index} names no currency`)
  const advertiser = text(tx.advertiserId)
  if (!advertiser) fail(`transaction ${index} has no advertiserId`)
  const clickRefs = isRecord(tx.clickRefs) ? tx.clickRefs : {}
  return {
    status,
    row: reportRow({
      date,
      brand: advertiser.slice(0, 200),
      campaign: text(clickRefs.clickRef)?.slice(0, 200) ?? null,
      currency,
      salesCount: 1,
      // A sale in another currency than the commission cannot share its row: its amount is left out.
      salesAmount: sale && (sale.currency ?? currency) === currency ? sale.amount : null,
      commission: commission?.amount ?? null,
    }),
  }
}

/** The answer is a JSON list of transactions. */
export function mapTransactions(body: unknown): MappedTransaction[] {
  if (!Array.isArray(body)) {
    const keys = isRecord(body) ? Object.keys(body).slice(0, 6).join(', ') || 'nothing' : typeof body
    fail(`the answer is not a list of transactions (found: ${keys})`)
  }
  return body.map((tx, index) => mapTransaction(tx, index))
}

export interface AwinAccount {
  accountId: string
  accountName: string | null
  accountType: string | null
}

/** `GET /accounts`: `{userId, accounts: [{accountId, accountName, accountType, userRole}]}`. */
export function mapAccounts(body: unknown): AwinAccount[] {
  const list = isRecord(body) ? body.accounts : body
  if (!Array.isArray(list)) fail('the account list has no accounts')
  return list.filter(isRecord).flatMap((a) => {
    const accountId = text(a.accountId)
    return accountId
      ? [
          {
            accountId,
            accountName: text(a.accountName),
            accountType: text(a.accountType)?.toLowerCase() ?? null,
          },
        ]
      : []
  })
}
