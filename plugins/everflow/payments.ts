import {
  type DateWindow,
  type PaymentRow,
  type PluginContext,
  paymentRow,
  ResponseFormatError,
} from 'affgraph/sdk'
import { toAmount } from './map.ts'
import { apiBase, checkResponse, type EverflowConnection } from './report.ts'
import { API_KEY_HEADER, INVOICE_PAGE_SIZE, INVOICE_PATH, INVOICES_PATH } from './wire.ts'

/**
 * The affiliate's invoices as payments. The list gives number, period, status, billed amount and currency; the paid
 * day is only in an invoice's payment history, so each paid invoice is read once more.
 */

/** The list holds every invoice ever issued: a long window saves listing it again and again. */
export const PAYMENTS = { evidence: 'invoices', maxWindowDays: 3660 } as const

/** Paging stops here even if `total_count` says otherwise, so a wrong count cannot loop. */
const MAX_PAGES = 200

interface Invoice {
  id: number
  status: string | null
  from: string
  to: string
  billed: string
  currency: string
}

/** `2025-03-01 00:00:00` (docs) or `2025-03-01T00:00:00Z` (OpenAPI): the day as written. */
function dayOf(value: unknown): string | undefined {
  const match = typeof value === 'string' ? /^(\d{4}-\d{2}-\d{2})(?:$|[T ])/.exec(value.trim()) : null
  return match?.[1]
}

function fail(message: string): never {
  throw new ResponseFormatError(`Everflow invoice list: ${message}`)
}

export function mapInvoice(item: unknown, index: number): Invoice {
  if (!item || typeof item !== 'object') fail(`invoice ${index + 1} is not an object`)
  const r = item as Record<string, unknown>
  const id = r.network_affiliate_invoice_id
  if (typeof id !== 'number' || !Number.isSafeInteger(id))
    fail(`invoice ${index + 1} has no network_affiliate_invoice_id`)
  const where = `invoice ${id}`
  const from = dayOf(r.start_time)
  const to = dayOf(r.end_time)
  if (!from || !to) fail(`${where} has no start_time or end_time`)
  if (to < from) fail(`${where} ends (${to}) before it starts (${from})`)
  const billed = toAmount(r.billed, 'billed', index)
  if (billed === null) fail(`${where} has no billed amount`)
  const currency = typeof r.currency_id === 'string' ? r.currency_id.trim().toUpperCase() : ''
  if (!/^[A-Z]{3}$/.test(currency)) fail(`${where} has no currency_id`)
  const status = typeof r.affiliate_invoice_status === 'string' ? r.affiliate_invoice_status.trim() : null
  return { id, status: status || null, from, to, billed, currency }
}

/** The latest day of the invoice's payment history, and how it was paid. */
export function lastPayment(body: unknown): { day: string; type: string | null } | null {
  const payments = (body as { relationship?: { payments?: unknown } } | null)?.relationship?.payments
  if (!Array.isArray(payments)) return null
  let last: { day: string; type: string | null } | null = null
  for (const p of payments) {
    const day = dayOf((p as Record<string, unknown> | null)?.payment_date)
    const type = (p as Record<string, unknown>).payment_type
    if (day && (!last || day > last.day)) last = { day, type: typeof type === 'string' && type ? type : null }
  }
  return last
}

async function listInvoices(ctx: PluginContext, conn: EverflowConnection): Promise<Invoice[]> {
  const invoices: Invoice[] = []
  for (let page = 1; page <= MAX_PAGES; page++) {
    // The OpenAPI pages through the query string, the older guide through the body: both are sent.
    const response = await ctx.http.request({
      method: 'POST',
      url: `${apiBase(conn)}${INVOICES_PATH}?page=${page}&page_size=${INVOICE_PAGE_SIZE}`,
      headers: {
        [API_KEY_HEADER]: conn.apiKey,
        accept: 'application/json',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ filters: {}, page, page_size: INVOICE_PAGE_SIZE }),
      check: checkResponse,
    })
    const body = response.json() as { invoices?: unknown; paging?: { total_count?: unknown } } | null
    const items = body?.invoices
    if (!Array.isArray(items))
      fail(
        `the answer has no "invoices" list (found: ${Object.keys(body ?? {})
          .slice(0, 10)
          .map((k) => `"${k.slice(0, 30)}"`)
          .join(', ')})`,
      )
    invoices.push(...items.map((item, i) => mapInvoice(item, invoices.length + i)))
    const total = body?.paging?.total_count
    if (items.length < INVOICE_PAGE_SIZE || (typeof total === 'number' && invoices.length >= total))
      return invoices
  }
  fail(`more than ${MAX_PAGES} pages of invoices`)
}

export async function fetchPayments(
  ctx: PluginContext,
  conn: EverflowConnection,
  window: DateWindow,
): Promise<PaymentRow[]> {
  const rows: PaymentRow[] = []
  for (const invoice of await listInvoices(ctx, conn)) {
    if (invoice.from > window.to || invoice.to < window.from) continue
    let paid: { day: string; type: string | null } | null = null
    if (invoice.status?.toLowerCase() === 'paid') {
      const response = await ctx.http.request({
        url: `${apiBase(conn)}${INVOICE_PATH}/${invoice.id}`,
        headers: { [API_KEY_HEADER]: conn.apiKey, accept: 'application/json' },
        check: checkResponse,
      })
      paid = lastPayment(response.json())
    }
    rows.push(
      paymentRow({
        reference: String(invoice.id),
        periodFrom: invoice.from,
        periodTo: invoice.to,
        paidOn: paid?.day ?? null,
        amount: invoice.billed,
        currency: invoice.currency,
        brand: null,
        description: [invoice.status, paid?.type].filter(Boolean).join(', ') || null,
      }),
    )
  }
  return rows
}
