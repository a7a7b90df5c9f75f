/**
 * ClickBank's Analytics API (`/rest/1.3/analytics/{role}/{dimension}`), affiliate role.
 *
 * Reproduced from the evidence:
 * - Query `account`, `startDate`/`endDate` (`yyyy-MM-dd`, default yesterday → today), repeated `select` (absent ⇒
 *   every attribute); request header `Page`; JSON with `Accept: application/json`, XML otherwise; attribute names
 *   (HOP_COUNT, SALE_COUNT, SALE_AMOUNT, …). Source: ClickBank's doc page as scraped in
 *   https://github.com/OcelliSolutions/OpenClickBank/blob/4f0063cfa84e932b298b7f506989db9f8903ec18/docs/analytics.html
 * - `Authorization: <key>` verbatim, `API-…` or legacy `DEV-…:API-…`; `Bearer` → 401 "Invalid API key" (code-index
 *   #71477010412, a 2026 run-book with tables "pulled live"; OpenClickBank README "Developer Notes").
 * - Result `rows.row[]{dimensionIdentifier, dimensionValue, accountNickName, data[]{attribute, value}}` and `totals`
 *   (vendor XSD, OpenClickBank `analytic_result.xsd`); values wrapped `{"@type":"xs:int","$":"5"}`, numbers as
 *   strings; one row ⇒ `row` is an object, one attribute ⇒ `data` is an object; `rows` null when empty; the
 *   attributes come in the platform's order, not the `select` order (code-index #49764556443, #13744457729).
 * - ≤100 rows a page, 206 Partial Content while more pages follow; 403 with a plain-string body for refusals
 *   and exceeded limits (25,000 requests a day per account, 10 a second per IP) (OpenClickBank
 *   `open-clickbank.yaml` and README).
 * - Hops and sales without a tracking id come as the dimension value `"Not Set"`; tracking ids keep the case the
 *   affiliate gave them (`ABC11`, `MGWP`, `index_top_txt`); only vendor tracking ids are lower-cased, which the
 *   affiliate role never sees (#71477010412 live table, #49764556443;
 *   https://support.clickbank.com/hc/en-us/articles/226159487-Analytics-API).
 *
 * Assumed [INF]: the exact wording of the plain-text errors, the `status` endpoint's body, and how the extra
 * attributes (GROSS_SALE_*, EARNINGS_PER_HOP, HOPS_PER_SALE) relate to the others.
 */
import {
  addDays,
  dayParam,
  defineSimulator,
  jsonAnswer,
  type MatchedRequest,
  type Metric,
  normalizeDecimal,
  pageOf,
  projectRows,
  type ReportRow,
  type SimulatorCaller,
  type SimulatorOptions,
  type SimulatorResponse,
  seededText,
  textAnswer,
} from 'affgraph/sdk'
import { MAPPED_METRICS } from './map.ts'

export interface ClickbankSimulatorOptions extends SimulatorOptions {
  /**
   * XML heritage: a list of exactly one element (one row, one selected attribute) is sent as the element itself.
   * Default true, as ClickBank does; false always sends arrays.
   */
  singleObjects?: boolean
  /** Authenticated analytics requests allowed per account nickname before 403 (ClickBank: 25,000 a day). */
  dailyLimit?: number
}

export const API_PREFIX = '/rest/1.3'
/** The label of hops and sales that carry no tracking id. */
export const NOT_SET = 'Not Set'
export const CURRENCY = 'USD'

/** Plain-text bodies, as ClickBank sends its errors. The exact live wording is not public [INF]. */
export const TEXT = {
  invalidKey: 'Invalid API key',
  missingPermission: (nickname: string) =>
    `The API key does not have the required permission (api_analytics_client) for account ${nickname}`,
  rateLimited: 'Too many requests: the rate limit of 10 requests per second has been exceeded',
  dailyLimit: (nickname: string) => `Request limit exceeded: 25000 requests per day for account ${nickname}`,
} as const

const OUTAGE_PAGE =
  '<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body>Service Unavailable</body></html>'

/** Attributes in the platform's order; the unified metric each one is, or how it derives from the row. */
const ATTRIBUTES: readonly {
  name: string
  metric?: Metric
  money: boolean
  derive?: (r: ReportRow) => string
}[] = [
  { name: 'HOP_COUNT', metric: 'clicks', money: false },
  { name: 'NET_SALE_AMOUNT', metric: 'commission', money: true },
  { name: 'SALE_AMOUNT', metric: 'salesAmount', money: true },
  { name: 'SALE_COUNT', metric: 'salesCount', money: false },
  { name: 'REFUND_AMOUNT', metric: 'refundAmount', money: true },
  { name: 'REFUND_COUNT', metric: 'refundCount', money: false },
  { name: 'CHARGEBACK_AMOUNT', metric: 'chargebackAmount', money: true },
  { name: 'CHARGEBACK_COUNT', metric: 'chargebackCount', money: false },
  { name: 'GROSS_SALE_COUNT', money: false, derive: (r) => String(r.salesCount ?? 0) },
  { name: 'GROSS_SALE_AMOUNT', money: true, derive: (r) => r.salesAmount ?? '0' },
  {
    name: 'HOPS_PER_SALE',
    money: false,
    derive: (r) => (r.salesCount ? ((r.clicks ?? 0) / r.salesCount).toFixed(2) : '0'),
  },
]

/** A fake current-style key, `API-` and 32 characters, stable for a seed and account key. */
export function simulatorApiKey(seed: string, key: string): string {
  return `API-${seededText(`${seed}|clickbank-key|${key}`, 32, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`
}

/** ClickBank's published stand-in developer key for integrations that still insist on one [DOC S-CB3]. */
export const CAPTAIN_DEV_KEY = 'DEV-123456789012345678901234567890123456'

export function simulatorNickname(key: string): string {
  return `nick${key.replace(/[^A-Za-z0-9]/g, '').toLowerCase()}`.slice(0, 20)
}

/** The API key part of an Authorization value: `API-…` alone, or the part after `:` of `DEV-…:API-…`. */
function keyOf(authorization: string): string | undefined {
  const value = authorization.trim()
  if (/^API-[A-Za-z0-9]+$/.test(value)) return value
  return /^DEV-?[A-Za-z0-9]+:(API-?[A-Za-z0-9]+)$/.exec(value)?.[1]
}

/** "417.1" → "417.10": ClickBank's amounts carry two decimals. */
function twoDecimals(amount: string): string {
  const [int = '0', frac = ''] = normalizeDecimal(amount).split('.')
  return `${int}.${frac.padEnd(2, '0')}`
}

/** Tracking ids as affiliates type them: every second one in capitals, so case is seen to be kept. */
function asTypedTid(campaign: string | null, index: number): string | null {
  return campaign !== null && index % 2 === 1 ? campaign.toUpperCase() : campaign
}

interface Caller extends SimulatorCaller {
  nickname: string
}

export const simulator = defineSimulator<ClickbankSimulatorOptions, Caller>({
  platform: 'ClickBank',
  reports: { metrics: MAPPED_METRICS, breakdowns: ['campaign'] },
  // US dollars only; tracking ids in mixed case, and the hops that carry none.
  account: (spec) => ({
    ...spec,
    currencies: [CURRENCY],
    campaigns: [...(spec.campaigns ?? []).map(asTypedTid), ...(spec.campaigns?.includes(null) ? [] : [null])],
  }),
  answers: {
    outage: () => ({
      status: 503,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: OUTAGE_PAGE,
    }),
    rateLimit: () => textAnswer(403, TEXT.rateLimited),
    notFound: () => textAnswer(404, 'Not Found'),
    expiredToken: () => textAnswer(401, TEXT.invalidKey),
    missingPermission: (request, caller) =>
      textAnswer(403, TEXT.missingPermission(request.query.get('account') ?? caller.nickname)),
    malformed: () =>
      jsonAnswer(200, {
        rows: { row: { dimensionValue: 'main', data: { attribute: 'HOP_COUNT', value: { $: 'many' } } } },
      }),
  },
  setup(kit, options) {
    const pageSize = Math.min(100, Math.max(1, options.pageSize ?? 100))
    const singleObjects = options.singleObjects ?? true
    const byKey = new Map(kit.specs.map((spec) => [simulatorApiKey(kit.seed, spec.key), spec]))
    const requestsPerNickname = new Map<string, number>()
    const list = <T>(items: T[]): T[] | T => (singleObjects && items.length === 1 ? items[0]! : items)

    const dataOf = (row: ReportRow, selected: ReadonlySet<string> | null) =>
      list(
        ATTRIBUTES.filter((a) => (selected ? selected.has(a.name) : true)).map((a) => {
          const value = a.metric ? row[a.metric] : a.derive!(row)
          return {
            attribute: a.name,
            value:
              value === null
                ? { '@xsi.nil': 'true' }
                : {
                    '@type': a.money ? 'xs:decimal' : 'xs:int',
                    $: a.money ? twoDecimals(String(value)) : String(value),
                  },
          }
        }),
      )

    /** Figures summed over the window (the dimension has no date), per tracking id or in all. */
    const summed = (rows: readonly ReportRow[], from: string, byTid: boolean) =>
      projectRows(
        rows.map((r) => ({ ...r, date: from })),
        { metrics: MAPPED_METRICS, breakdowns: byTid ? ['campaign'] : [] },
      )

    function analytics(request: MatchedRequest, caller: Caller): SimulatorResponse {
      const { query } = request
      const dimension = (request.match?.[1] ?? '').toUpperCase()
      const account = query.get('account')
      if (!account) return textAnswer(400, 'account is required')
      // The key only has permissions for its own nickname.
      if (account.toLowerCase() !== caller.nickname) return textAnswer(403, TEXT.missingPermission(account))
      const used = (requestsPerNickname.get(caller.nickname) ?? 0) + 1
      requestsPerNickname.set(caller.nickname, used)
      if (options.dailyLimit !== undefined && used > options.dailyLimit)
        return textAnswer(403, TEXT.dailyLimit(account))
      if (dimension !== 'TRACKING_ID' && dimension !== 'AFFILIATE')
        return textAnswer(
          400,
          `the simulator supports the TRACKING_ID and AFFILIATE dimensions, not ${dimension}`,
        )
      const from = query.has('startDate') ? dayParam(query, 'startDate') : addDays(kit.today(), -1)
      const to = query.has('endDate') ? dayParam(query, 'endDate') : kit.today()
      if (!from || !to) return textAnswer(400, 'startDate and endDate must be dates in the format yyyy-MM-dd')
      const selectedNames = query.getAll('select')
      const unknown = selectedNames.find((c) => !ATTRIBUTES.some((a) => a.name === c))
      if (unknown) return textAnswer(400, `the simulator does not serve the attribute ${unknown}`)
      const selected = selectedNames.length ? new Set(selectedNames) : null

      const truth = kit.rows(caller.spec, { from, to })
      const rows =
        dimension === 'AFFILIATE'
          ? summed(truth, from, false).map((r) => ({ ...r, campaign: caller.nickname }))
          : summed(truth, from, true)
      const page = pageOf(rows, request.headers.page, pageSize)
      const totals = summed(truth, from, false)[0]
      const body = {
        rows: page.items.length
          ? {
              row: list(
                page.items.map((row) => ({
                  dimensionIdentifier: dimension,
                  dimensionValue: row.campaign ?? NOT_SET,
                  accountNickName: caller.nickname,
                  data: dataOf(row, selected),
                })),
              ),
            }
          : null,
        totals: totals ? { total: dataOf(totals, selected) } : null,
      }
      return { status: page.more ? 206 : 200, body }
    }

    function authenticated(request: MatchedRequest): Caller | SimulatorResponse {
      const apiKey = keyOf(request.headers.authorization ?? '')
      const spec = apiKey ? byKey.get(apiKey) : undefined
      if (!spec) return textAnswer(401, TEXT.invalidKey)
      // Without `Accept: application/json` the API answers XML.
      if (!/application\/json/i.test(request.headers.accept ?? ''))
        return {
          status: 200,
          headers: { 'content-type': 'application/xml' },
          body: '<?xml version="1.0" encoding="UTF-8"?><analyticsResult/>',
        }
      return { spec, nickname: simulatorNickname(spec.key) }
    }

    return {
      routes: [
        {
          method: 'GET',
          path: `${API_PREFIX}/analytics/status`,
          auth: authenticated,
          handle: () => jsonAnswer(200, { status: 'GREEN', lastUpdateTime: `${kit.today()}T00:00:00Z` }),
        },
        {
          method: 'GET',
          path: new RegExp(`^${API_PREFIX}/analytics/affiliate/([A-Za-z_]+)$`, 'i'),
          auth: authenticated,
          handle: analytics,
        },
        {
          method: 'GET',
          path: new RegExp(`^${API_PREFIX}/analytics/vendor/[A-Za-z_]+$`, 'i'),
          auth: authenticated,
          handle: (request) => textAnswer(403, TEXT.missingPermission(request.query.get('account') ?? '')),
        },
      ],
      // The second account connects with the legacy `DEV-…:API-…` form.
      connection: (spec, index) => {
        const key = simulatorApiKey(kit.seed, spec.key)
        return {
          apiKey: index === 1 ? `${CAPTAIN_DEV_KEY}:${key}` : key,
          nickname: simulatorNickname(spec.key),
          apiBaseUrl: kit.url,
        }
      },
      invalidConnection: () => ({
        apiKey: simulatorApiKey(kit.seed, '\u0000unknown-account'),
        nickname: 'unknownnick',
        apiBaseUrl: kit.url,
      }),
    }
  },
})
