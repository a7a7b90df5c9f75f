/**
 * Everflow's affiliate API (`https://api.eflow.team/v1/affiliates/…`), on the SDK's simulator kit.
 *
 * Reproduced from the evidence (sources in evidence.ts):
 * - `POST /v1/affiliates/reporting/entity/table` with `X-Eflow-API-Key`; a JSON body of `from`/`to` (inclusive
 *   days of the requested zone), `timezone_id`, `currency_id`, `columns: [{column}]` (1–10, one time column at
 *   most) and `query.filters`; intervals over a year refused (vendor docs and OpenAPI).
 * - The answer `{table: [{columns: [{column_type, id, label}], reporting: {imp, total_click, unique_click, cv,
 *   revenue, …}}], incomplete_results}`: numbers as JSON numbers, revenue the affiliate's payout, at most 10,000
 *   rows and `incomplete_results: true` beyond (vendor docs; a client verified against the live API).
 * - The date column's id in Unix seconds, days bucketed in the requested `timezone_id` (a live loader; vendor docs,
 *   Timezones); rows without a sub1 carry an empty sub1 (a live client skips them).
 * - `GET /v1/meta/timezones` → `{timezones: [{timezone_id, timezone_name, timezone, utc_offset}]}`, 67 = UTC,
 *   80 = America/New_York (vendor docs; the ids of the others listed here are the vendor's).
 * - 401 without a valid key, 403 "Out of realm" for a key of another portal, 429 over the rate limit, JSON error
 *   bodies (vendor docs, Errors and Rate Limiting).
 *
 * - `POST /v1/affiliates/billings/affiliates/invoicestable` → `{invoices: [{network_affiliate_invoice_id,
 *   affiliate_invoice_status, start_time, end_time, balance, billed, paid, payment_terms, currency_id}], paging}`,
 *   newest first, paged by `page`/`page_size` (query or body), and `GET …/invoices/{id}` with
 *   `relationship.payments[{payment_type, amount, payment_date, reference}]` (vendor docs and OpenAPI, Invoices).
 *
 * Assumed for invoices: one per ended calendar month (the month's payout), paid by wire transfer on the 15th of the
 * next month; how a network invoices is its own choice, so these figures are only plausible, not Everflow's.
 * Assumed: the error bodies' wording beyond "Out of realm" and their `Error` member, the date column's label (here
 * the same seconds as its id), the names of time zones 15, 67 and 80, and that no Retry-After accompanies a 429.
 */
import {
  addDecimals,
  defineSimulator,
  isDay,
  jsonAnswer,
  type MatchedRequest,
  type ReportRow,
  type SimulatorCaller,
  type SimulatorOptions,
  type SimulatorResponse,
  seededText,
} from 'affgraph/sdk'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import {
  API_KEY_HEADER,
  INVOICE_PAGE_SIZE,
  INVOICE_PATH,
  INVOICES_PATH,
  ROW_CAP,
  TABLE_PATH,
  TIMEZONES_PATH,
  UTC_TIMEZONE_ID,
} from './wire.ts'

export interface EverflowSimulatorOptions extends SimulatorOptions {
  /** Rows one table may hold before `incomplete_results` (Everflow: 10,000); small values exercise the split. */
  rowCap?: number
}

/** Entries of Everflow's published time zone list. */
export const TIMEZONES = [
  {
    timezone_id: 1,
    timezone_name: 'Line Is. Time (Pacific/Kiritimati)',
    timezone: 'Pacific/Kiritimati',
    utc_offset: '+14:00',
  },
  {
    timezone_id: 15,
    timezone_name: 'Korea Standard Time (Asia/Seoul)',
    timezone: 'Asia/Seoul',
    utc_offset: '+09:00',
  },
  {
    timezone_id: UTC_TIMEZONE_ID,
    timezone_name: 'Coordinated Universal Time (UTC)',
    timezone: 'UTC',
    utc_offset: '+00:00',
  },
  {
    timezone_id: 80,
    timezone_name: 'Eastern Standard Time (America/New_York)',
    timezone: 'America/New_York',
    utc_offset: '-05:00',
  },
  {
    timezone_id: 99,
    timezone_name: 'Samoa Standard Time (Pacific/Pago_Pago)',
    timezone: 'Pacific/Pago_Pago',
    utc_offset: '-11:00',
  },
] as const

const KNOWN_COLUMNS = new Set(['date', 'offer', 'sub1'])
const TIME_COLUMNS = new Set(['hour', 'date', 'week', 'month', 'year'])

export function simulatorApiKey(seed: string, key: string): string {
  return seededText(`${seed}|everflow-key|${key}`, 22)
}

const errorAnswer = (status: number, message: string) => jsonAnswer(status, { Error: message })

const formats = new Map<string, Intl.DateTimeFormat>()
function partsIn(epochMs: number, zone: string): Record<string, number> {
  let format = formats.get(zone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    })
    formats.set(zone, format)
  }
  return Object.fromEntries(
    format
      .formatToParts(new Date(epochMs))
      .filter((p) => p.type !== 'literal')
      .map((p) => [p.type, Number(p.value)]),
  )
}

/** The instant a day begins in a time zone. */
export function zonedMidnight(day: string, zone: string): number {
  const utc = Date.parse(`${day}T00:00:00Z`)
  const offset = (t: number) => {
    const p = partsIn(t, zone)
    return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - t
  }
  return utc - offset(utc - offset(utc))
}

interface Caller extends SimulatorCaller {
  offerIds: Map<string, number>
}

function reporting(row: ReportRow) {
  const clicks = row.clicks ?? 0
  const imp = row.impressions ?? 0
  const cv = row.cpaCount ?? 0
  const revenue = Number(row.commission ?? '0')
  return {
    imp,
    total_click: clicks,
    unique_click: Math.floor(clicks * 0.9),
    invalid_click: 0,
    duplicate_click: clicks - Math.floor(clicks * 0.9),
    ctr: imp ? Number(((clicks / imp) * 100).toFixed(4)) : 0,
    cv,
    view_through_cv: 0,
    event: 0,
    cvr: clicks ? Number(((cv / clicks) * 100).toFixed(4)) : 0,
    evr: 0,
    rpc: clicks ? Number((revenue / clicks).toFixed(4)) : 0,
    rpm: imp ? Number(((revenue / imp) * 1000).toFixed(4)) : 0,
    revenue,
    redirect_traffic_revenue: 0,
  }
}

export const simulator = defineSimulator<EverflowSimulatorOptions, Caller>({
  platform: 'Everflow',
  reports: { metrics: MAPPED_METRICS, breakdowns: MAPPED_BREAKDOWNS },
  // Everflow converts every amount into the one currency asked for: an account reports in one currency here.
  account: (spec) => ({ ...spec, currencies: spec.currencies.slice(0, 1) }),
  answers: {
    rateLimit: () => ({
      ...errorAnswer(429, 'Too Many Requests'),
      headers: { 'x-ratelimit-limit': '150', 'x-ratelimit-remaining': '0' },
    }),
    notFound: () => errorAnswer(404, 'Not Found'),
    expiredToken: () => errorAnswer(401, 'Unauthorized'),
    missingPermission: () => errorAnswer(403, 'Out of realm'),
    malformed: () => jsonAnswer(200, { table: null, message: 'Reporting is temporarily unavailable' }),
  },
  setup(kit, options) {
    const rowCap = Math.max(1, options.rowCap ?? ROW_CAP)
    const byKey = new Map(kit.specs.map((spec) => [simulatorApiKey(kit.seed, spec.key), spec]))
    const offerIdsOf = (brands: readonly string[], index: number) =>
      new Map(brands.map((brand, b) => [brand, 1000 + index * 100 + b * 7 + 1]))

    function auth(request: MatchedRequest): Caller | SimulatorResponse {
      const spec = byKey.get(request.headers[API_KEY_HEADER] ?? '')
      if (!spec) return errorAnswer(401, 'Unauthorized')
      return { spec, offerIds: offerIdsOf(spec.brands, kit.specs.indexOf(spec)) }
    }

    function table(request: MatchedRequest, caller: Caller): SimulatorResponse {
      let body: Record<string, unknown>
      try {
        body = JSON.parse(request.body) as Record<string, unknown>
      } catch {
        return errorAnswer(400, 'The request body is not valid JSON')
      }
      const { from, to, timezone_id: timezoneId, currency_id: currencyId, columns } = body
      if (typeof from !== 'string' || typeof to !== 'string' || !isDay(from) || !isDay(to) || from > to)
        return errorAnswer(400, 'from and to must be dates in the format YYYY-MM-DD, from not after to')
      if (Date.parse(to) - Date.parse(from) > 366 * 86_400_000)
        return errorAnswer(400, 'Requested intervals are limited to a maximum duration of one year')
      const timezone = TIMEZONES.find((tz) => tz.timezone_id === timezoneId)
      if (!timezone) return errorAnswer(400, 'timezone_id is invalid')
      const currency = caller.spec.currencies[0]!
      if (currencyId !== currency)
        return errorAnswer(
          400,
          `this simulated account reports in ${currency} only, not in ${String(currencyId)}`,
        )
      if (!Array.isArray(columns) || columns.length < 1 || columns.length > 10)
        return errorAnswer(400, 'columns must hold between 1 and 10 columns')
      const names = columns.map((c) => (c as { column?: unknown })?.column)
      if (names.filter((n) => TIME_COLUMNS.has(String(n))).length > 1)
        return errorAnswer(400, 'Only one time-related column may be used at a time')
      const unsupported = names.find((n) => !KNOWN_COLUMNS.has(String(n)))
      if (unsupported !== undefined || !names.includes('date'))
        return errorAnswer(
          400,
          `the simulator serves the columns date, offer and sub1 (with date), not ${String(unsupported)}`,
        )

      const rows = kit.rows(
        caller.spec,
        { from, to },
        {
          metrics: MAPPED_METRICS,
          breakdowns: [
            ...(names.includes('offer') ? ['brand' as const] : []),
            ...(names.includes('sub1') ? ['campaign' as const] : []),
          ],
        },
      )
      const rendered = rows.map((row) => ({
        columns: names.map((name) => {
          if (name === 'date') {
            const seconds = String(Math.floor(zonedMidnight(row.date, timezone.timezone) / 1000))
            return { column_type: 'date', id: seconds, label: seconds }
          }
          if (name === 'offer')
            return {
              column_type: 'offer',
              id: String(caller.offerIds.get(row.brand ?? '') ?? 0),
              label: row.brand ?? '',
            }
          return { column_type: 'sub1', id: row.campaign ?? '', label: row.campaign ?? '' }
        }),
        reporting: reporting(row),
      }))
      return jsonAnswer(200, {
        table: rendered.slice(0, rowCap),
        incomplete_results: rendered.length > rowCap,
      })
    }

    /** The account's invoices, newest first: one per ended month of the last two years with any payout. */
    function invoicesOf(caller: Caller) {
      const today = kit.now().toISOString().slice(0, 10)
      const out: Record<string, unknown>[] = []
      let [year, month] = today.split('-').map(Number) as [number, number]
      for (let i = 0; i < 24; i++) {
        ;[year, month] = month === 1 ? [year - 1, 12] : [year, month - 1]
        const mm = String(month).padStart(2, '0')
        const from = `${year}-${mm}-01`
        const to = new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10)
        const amounts = kit
          .rows(caller.spec, { from, to }, { metrics: ['commission'], breakdowns: [] })
          .map((r) => r.commission)
          .filter((a): a is string => a !== null)
        if (amounts.length === 0) continue
        const billed = Number(addDecimals(...amounts))
        const paidOn = month === 12 ? `${year + 1}-01-15` : `${year}-${String(month + 1).padStart(2, '0')}-15`
        const paid = paidOn <= today
        out.push({
          network_affiliate_invoice_id:
            700000 + kit.specs.indexOf(caller.spec) * 1000 + (year % 100) * 12 + month,
          affiliate_invoice_status: paid ? 'paid' : 'unpaid',
          start_time: `${from} 00:00:00`,
          end_time: `${to} 23:59:59`,
          balance: paid ? 0 : billed,
          billed,
          paid: paid ? billed : 0,
          payment_terms: 'Net 15',
          currency_id: caller.spec.currencies[0]!,
          paidOn: paid ? paidOn : null,
        })
      }
      return out
    }
    const publicInvoice = ({ paidOn: _p, ...invoice }: Record<string, unknown>) => invoice

    function invoiceTable(request: MatchedRequest, caller: Caller): SimulatorResponse {
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(request.body || '{}') as Record<string, unknown>
      } catch {
        return errorAnswer(400, 'The request body is not valid JSON')
      }
      const page = Number(request.query.get('page') ?? body.page ?? 1)
      const size = Number(request.query.get('page_size') ?? body.page_size ?? INVOICE_PAGE_SIZE)
      if (!Number.isInteger(page) || page < 1 || !Number.isInteger(size) || size < 1 || size > 2000)
        return errorAnswer(400, 'page and page_size must be positive whole numbers')
      const all = invoicesOf(caller)
      return jsonAnswer(200, {
        invoices: all.slice((page - 1) * size, page * size).map(publicInvoice),
        paging: { page, page_size: size, total_count: all.length },
      })
    }

    function invoice(request: MatchedRequest, caller: Caller): SimulatorResponse {
      const id = Number(request.match?.[1])
      const found = invoicesOf(caller).find((i) => i.network_affiliate_invoice_id === id)
      if (!found) return errorAnswer(404, 'Invoice not found')
      const payments = found.paidOn
        ? [
            {
              payment_type: 'wire_transfer',
              amount: found.billed,
              payment_date: `${found.paidOn}T00:00:00Z`,
              reference: `WT-${id}`,
            },
          ]
        : []
      return jsonAnswer(200, { ...publicInvoice(found), relationship: { details: [], payments } })
    }

    return {
      routes: [
        { method: 'GET', path: TIMEZONES_PATH, handle: () => jsonAnswer(200, { timezones: TIMEZONES }) },
        { method: 'POST', path: TABLE_PATH, auth, handle: table },
        { method: 'POST', path: INVOICES_PATH, auth, handle: invoiceTable },
        { method: 'GET', path: new RegExp(`^${INVOICE_PATH}/(\\d+)$`), auth, handle: invoice },
      ],
      // The second account counts its days in Seoul: its date columns are Seoul midnights, the evening before in UTC.
      connection: (spec, index) => ({
        apiKey: simulatorApiKey(kit.seed, spec.key),
        timezone: index % 2 === 1 ? 'Asia/Seoul' : '',
        currency: spec.currencies[0]!,
        apiBaseUrl: kit.url,
      }),
      invalidConnection: () => ({
        apiKey: simulatorApiKey(kit.seed, '\u0000unknown-account'),
        timezone: '',
        currency: 'USD',
        apiBaseUrl: kit.url,
      }),
    }
  },
})
