import {
  type DateWindow,
  type HttpResponse,
  type PaymentRow,
  type PluginContext,
  paymentRow,
  ResponseFormatError,
} from 'affgraph/sdk'
import { parseDay, parseMoney } from './map.ts'
import { ASK, checkReportResponse, readReport, reportUrl } from './report.ts'
import type { NetReferConnection } from './token.ts'
import { DEFAULT_INVOICE_REPORT_TYPE_CODE, INVOICE_FIELDS, INVOICES_FIELD } from './wire.ts'

/**
 * The Period Invoice Report, read as the affiliate's payments. The vendor names the report and its URL pattern,
 * nothing of its answer, so every field below is read under a few spellings and a missing amount or currency
 * stops the read instead of storing a guess.
 */

/**
 * The capability, resting on the assumed body (its weakest fact); one month per call is cut here, since the
 * host's payment windows are not month-aligned.
 */
export const PAYMENTS = { evidence: 'invoice-body', maxWindowDays: 31, monthAligned: true } as const

const UNPUBLISHED =
  'NetRefer does not publish the format of the Period Invoice Report, so affgraph reads it by assumed field names'

const norm = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '')
const names = (...list: string[]) => list.map(norm)

const LIST = names(INVOICES_FIELD, 'rows', 'data', 'items', 'records', 'results', 'value', 'payments')
const REFERENCE = names(INVOICE_FIELDS.reference, 'invoiceId', 'invoiceNo', 'reference', 'paymentId', 'id')
const AMOUNT = names(
  INVOICE_FIELDS.amount,
  'invoiceAmount',
  'totalAmount',
  'total',
  'netAmount',
  'commission',
)
const CURRENCY = names(INVOICE_FIELDS.currency, 'currencyCode')
const FROM = names(INVOICE_FIELDS.periodFrom, 'fromDate', 'periodStart', 'startDate')
const TO = names(INVOICE_FIELDS.periodTo, 'toDate', 'periodEnd', 'endDate')
const PAID = names(INVOICE_FIELDS.paidDate, 'paidOn', 'paymentDate', 'datePaid')
const STATUS = names(INVOICE_FIELDS.status, 'invoiceStatus', 'paymentStatus')
const BRAND = names(INVOICE_FIELDS.brand, 'brandName')

const listed = (keys: string[]) =>
  keys
    .slice(0, 20)
    .map((k) => `"${k.slice(0, 40)}"`)
    .join(', ') || 'none'

/** The calendar months the window touches, each whole: the report is asked for by month. */
export function monthsOf(window: DateWindow): DateWindow[] {
  const months: DateWindow[] = []
  let [year, month] = window.from.split('-').map(Number) as [number, number]
  for (;;) {
    const from = `${year}-${String(month).padStart(2, '0')}-01`
    if (from > window.to) return months
    const last = new Date(Date.UTC(year, month, 0)).getUTCDate()
    months.push({ from, to: `${from.slice(0, 8)}${String(last).padStart(2, '0')}` })
    ;[year, month] = month === 12 ? [year + 1, 1] : [year, month + 1]
  }
}

function invoiceList(body: unknown): unknown[] {
  if (Array.isArray(body)) return body
  if (body && typeof body === 'object') {
    const entries = Object.entries(body)
    const named = entries.find(([k, v]) => LIST.includes(norm(k)) && (Array.isArray(v) || v === null))
    if (named) return (named[1] as unknown[] | null) ?? []
    // "An object holding one array": whatever the member is called.
    const arrays = entries.filter(([, v]) => Array.isArray(v))
    if (arrays.length === 1) return arrays[0]![1] as unknown[]
    throw new ResponseFormatError(
      `the Period Invoice Report has no list of invoices (found: ${listed(Object.keys(body))}); ${UNPUBLISHED}`,
    )
  }
  throw new ResponseFormatError(`the Period Invoice Report is not a JSON object or list; ${UNPUBLISHED}`)
}

const text = (value: unknown): string | null => {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value !== 'string' || value.trim() === '') return null
  return value.trim().slice(0, 200)
}

/** Maps one month's Period Invoice Report; `month` is the period an invoice without dates is taken to settle. */
export function mapInvoices(body: unknown, month: DateWindow, affiliateId: string): PaymentRow[] {
  return invoiceList(body).map((item, index) => {
    const where = `invoice ${index + 1} of the Period Invoice Report (${month.from.slice(0, 7)})`
    if (!item || typeof item !== 'object' || Array.isArray(item))
      throw new ResponseFormatError(`${where} is not an object; ${UNPUBLISHED}`)
    const fields = new Map(Object.entries(item).map(([k, v]) => [norm(k), v]))
    const pick = (list: string[]) => list.map((n) => fields.get(n)).find((v) => v !== undefined && v !== null)
    const missing = (what: string, list: string[]) =>
      new ResponseFormatError(
        `${where} has no ${what} (looked for ${listed(list)}; fields found: ${listed(Object.keys(item))}); ${UNPUBLISHED}`,
      )

    const amount = parseMoney(pick(AMOUNT), `${where}, amount`)
    if (amount === null) throw missing('amount', AMOUNT)
    const rawCurrency = text(pick(CURRENCY))
    if (rawCurrency === null) throw missing('currency', CURRENCY)
    const currency = rawCurrency.toUpperCase()
    if (!/^[A-Z]{3}$/.test(currency))
      throw new ResponseFormatError(`${where}: "${currency.slice(0, 10)}" is not a currency code`)

    const periodFrom = parseDay(pick(FROM)) ?? month.from
    const periodTo = parseDay(pick(TO)) ?? month.to
    if (periodTo < periodFrom)
      throw new ResponseFormatError(
        `${where}: its period ends (${periodTo}) before it starts (${periodFrom})`,
      )
    const brand = text(pick(BRAND))
    // Without its own number an invoice is still one per affiliate, month, brand and currency.
    const reference =
      text(pick(REFERENCE)) ?? [affiliateId, periodFrom.slice(0, 7), brand ?? '', currency].join(':')
    return paymentRow({
      reference,
      periodFrom,
      periodTo,
      paidOn: parseDay(pick(PAID)) ?? null,
      amount,
      currency,
      brand,
      description: text(pick(STATUS)),
    })
  })
}

/** A 404 here most likely means the assumed code, not the host, is wrong. */
function checkInvoiceResponse(response: HttpResponse): void {
  if (response.status === 404)
    throw new ResponseFormatError(
      `no Period Invoice Report at this address (HTTP 404): its report type code is not published and affgraph assumed "${DEFAULT_INVOICE_REPORT_TYPE_CODE}"; set the Invoice report type code, or ${ASK}`,
      { field: 'invoiceReportTypeCode' },
    )
  checkReportResponse(response)
}

/** One call per calendar month the window touches; invoices whose period misses the window are left out. */
export async function fetchPayments(
  ctx: PluginContext,
  conn: NetReferConnection,
  window: DateWindow,
): Promise<PaymentRow[]> {
  const code = conn.invoiceReportTypeCode ?? DEFAULT_INVOICE_REPORT_TYPE_CODE
  const byReference = new Map<string, PaymentRow>()
  for (const month of monthsOf(window)) {
    const body = await readReport(ctx, conn, reportUrl(conn, month, code), checkInvoiceResponse)
    for (const row of mapInvoices(body, month, conn.affiliateId))
      if (row.periodFrom <= window.to && row.periodTo >= window.from) byReference.set(row.reference, row)
  }
  return [...byReference.values()]
}
