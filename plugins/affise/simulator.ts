/**
 * A network's Affise API 3.0, affiliate side: `GET /3.0/stats/custom`.
 *
 * Reproduced from the evidence (sources in `evidence.ts`):
 * - Affise's API 3.1 documentation (api.affise.com/docs3.1, transcribed in the api-evangelist/affise OpenAPI):
 *   `slice[]` (hour, day, month, year, offer, sub1…; advertiser, affiliate and manager for admins only),
 *   `filter[date_from]`/`filter[date_to]` as inclusive `YYYY-MM-DD`, `filter[currency][]`, `conversionTypes[]`,
 *   `page`, `limit` (default 100, at most 500), `timezone`; the key in the `API-Key` header or parameter; the answer
 *   `{status: 1, stats: [{slice, traffic: {raw, uniq}, actions: {total|confirmed|pending|declined|hold: {revenue,
 *   charge, earning, null, count}}}], pagination: {per_page, total_count, page}}` with counts of traffic as strings
 *   and money as JSON numbers, year, month and day as separate numbers.
 * - Refusals `{status: 2, message}`: 401 "Token is necessary", 403 "Auth Denied", 404 for an unknown path; some
 *   refusals come with HTTP 200 (Affise's API error pages, as transcribed).
 * - `slice.offer` is an object with the offer's `id` (a script run against a live network's API reads
 *   `stat.slice.offer.id`).
 *
 * Assumed [INF]: the offer's `title` beside its id, `sub1` as a plain string ("" without one), how the simulator
 * splits conversions between statuses, a date range the wrong way round refused with HTTP 200 and status 2, the
 * rate-limit answer (429 with Retry-After and a status 2 body), and that one currency filter gives one currency.
 */
import {
  defineSimulator,
  htmlAnswer,
  isDay,
  jsonAnswer,
  type MatchedRequest,
  type PlatformSimulator,
  type ReportRow,
  type SimulatorCaller,
  type SimulatorOptions,
  type SimulatorResponse,
  seededRandom,
  type TruthAccountSpec,
} from 'affgraph/sdk'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { API_KEY_HEADER, CONVERSION_TYPES, MAX_LIMIT, STATS_PATH, STATUS_ERROR, STATUS_OK } from './wire.ts'

export interface AffiseSimulatorOptions extends SimulatorOptions {
  /** How `slice.offer` is sent: `{id, title}` (default) or the bare id [assumed either way]. */
  offerSlice?: 'object' | 'id'
}

export interface AffiseSimulatorExtra {
  /** An account's API key and payout currency, for tests that build requests by hand. */
  credentials(accountKey: string): { apiKey: string; currency: string }
  /** The offer id a brand has on this network. */
  offerId(brand: string): number
}
export type AffiseSimulator = PlatformSimulator & AffiseSimulatorExtra

/** Affise's refusal texts as its API error reference lists them. */
export const TEXT = {
  tokenNecessary: 'Token is necessary',
  authDenied: 'Auth Denied',
  pageNotFound: 'Page Not Found',
  tooMany: 'Too many requests',
} as const

const ADMIN_SLICES = ['advertiser', 'affiliate', 'manager', 'smart_id', 'trafficback_reason']
const SERVED_SLICES = ['year', 'month', 'day', 'offer', 'sub1']
const OUTAGE_PAGE =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>'
const HEX = '0123456789abcdef'

const refusal = (status: number, message: string): SimulatorResponse =>
  jsonAnswer(status, { status: STATUS_ERROR, message })

const toCents = (amount: string | null): number => {
  if (amount === null) return 0
  const negative = amount.startsWith('-')
  const [int = '0', frac = ''] = (negative ? amount.slice(1) : amount).split('.')
  const value = Number(int) * 100 + Number(frac.padEnd(2, '0').slice(0, 2))
  return negative ? -value : value
}

interface Action {
  revenue: number
  charge: number
  earning: number
  null: number
  count: number
}

interface Caller extends SimulatorCaller {
  currency: string
}

export const simulator = defineSimulator<AffiseSimulatorOptions, Caller, AffiseSimulatorExtra>({
  platform: 'Affise',
  reports: { metrics: MAPPED_METRICS, breakdowns: MAPPED_BREAKDOWNS },
  // One payout currency per affiliate account: the one the connection asks for.
  account: (spec) => ({ ...spec, currencies: spec.currencies.slice(0, 1) }),
  answers: {
    outage: () => htmlAnswer(502, OUTAGE_PAGE),
    rateLimit: (seconds) => ({
      status: 429,
      headers: { 'retry-after': String(seconds) },
      body: { status: STATUS_ERROR, message: TEXT.tooMany },
    }),
    notFound: () => jsonAnswer(404, { status: STATUS_ERROR, error: TEXT.pageNotFound }),
    expiredToken: () => refusal(401, TEXT.tokenNecessary),
    missingPermission: () => refusal(403, TEXT.authDenied),
    malformed: () =>
      jsonAnswer(200, {
        status: STATUS_OK,
        stats: [
          { slice: { year: 2026, month: 'June', day: 'first' }, traffic: { raw: 'lots' }, actions: {} },
        ],
        pagination: { per_page: 100, total_count: 1, page: 1 },
      }),
  },
  setup(kit, options) {
    const keyOf = (key: string) => kit.secret('affise-key', key, 32, HEX)
    const byKey = new Map(kit.specs.map((spec) => [keyOf(spec.key), spec]))
    const offerId = (brand: string) =>
      100 + (Math.floor(seededRandom(`${kit.seed}|affise-offer|${brand}`)() * 9000) | 0)
    const brandName = (brand: string | null) =>
      brand === null ? null : options.offerSlice === 'id' ? `Offer ${offerId(brand)}` : brand

    /** Paying conversions and payouts of a row split between statuses, plus declined ones that pay nothing. */
    function actionsOf(spec: TruthAccountSpec, row: ReportRow): Record<string, Action> {
      const r = seededRandom(`${kit.seed}|affise|${spec.key}|${row.date}|${row.brand}|${row.campaign ?? ''}`)
      const conversions = row.cpaCount ?? 0
      const payout = toCents(row.commission)
      const age = (kit.now().getTime() - Date.parse(`${row.date}T00:00:00Z`)) / 86_400_000
      // Recent days are still pending or on hold; older ones are mostly confirmed.
      const pendingShare = age < 14 ? 0.5 : age < 45 ? 0.15 : 0
      const pending = Math.floor(conversions * pendingShare * r())
      const hold = Math.floor((conversions - pending) * pendingShare * r())
      const confirmed = conversions - pending - hold
      const pendingCents = conversions ? Math.floor((payout * pending) / conversions) : 0
      const holdCents = conversions ? Math.floor((payout * hold) / conversions) : 0
      const action = (count: number, cents: number): Action => {
        const charge = Math.round(cents * 1.25)
        return { revenue: cents / 100, charge: charge / 100, earning: (charge - cents) / 100, null: 0, count }
      }
      const declinedCount = Math.floor(r() * (conversions / 4 + 1))
      const statuses: Record<string, Action> = {
        confirmed: action(confirmed, payout - pendingCents - holdCents),
        pending: action(pending, pendingCents),
        declined: action(declinedCount, declinedCount * 150),
        hold: action(hold, holdCents),
      }
      const sum = (key: keyof Action) =>
        Math.round(Object.values(statuses).reduce((total, a) => total + a[key] * 100, 0)) / 100
      return {
        total: {
          revenue: sum('revenue'),
          charge: sum('charge'),
          earning: sum('earning'),
          null: 0,
          count: Object.values(statuses).reduce((total, a) => total + a.count, 0),
        },
        ...statuses,
      }
    }

    function stats(request: MatchedRequest, caller: Caller): SimulatorResponse {
      const q = request.query
      const slices = q
        .getAll('slice[]')
        .concat([...q.keys()].filter((k) => /^slice\[\d+\]$/.test(k)).map((k) => q.get(k)!))
      if (slices.length === 0) return refusal(400, 'slice is required')
      if (slices.some((s) => ADMIN_SLICES.includes(s))) return refusal(403, TEXT.authDenied)
      const unknown = slices.find((s) => !SERVED_SLICES.includes(s))
      if (unknown) return refusal(400, `the simulator does not serve the slice ${unknown}`)
      const from = q.get('filter[date_from]') ?? ''
      const to = q.get('filter[date_to]') ?? ''
      if (!isDay(from) || !isDay(to))
        return refusal(400, 'filter[date_from] and filter[date_to] must be dates as YYYY-MM-DD')
      if (from > to) return refusal(200, 'date_from must be earlier than date_to')
      const zone = q.get('timezone')
      if (zone) {
        try {
          new Intl.DateTimeFormat('en', { timeZone: zone })
        } catch {
          return refusal(400, `unknown timezone ${zone}`)
        }
      }
      const currencies = q.getAll('filter[currency][]').concat(q.getAll('filter[currency]'))
      const limit = Math.min(Number(q.get('limit') ?? 100) || 100, MAX_LIMIT, options.pageSize ?? MAX_LIMIT)
      const page = Math.max(1, Number(q.get('page') ?? 1) || 1)
      const types = q.getAll('conversionTypes[]')
      const shown = types.length ? CONVERSION_TYPES.filter((t) => types.includes(t)) : CONVERSION_TYPES

      if (!slices.includes('day')) return refusal(400, 'the simulator serves daily slices only')
      // One item per distinct slice: without offer or sub1 in the slices, their rows are added up.
      const breakdowns = MAPPED_BREAKDOWNS.filter((b) => slices.includes(b === 'brand' ? 'offer' : 'sub1'))
      const rows = kit
        .rows(caller.spec, { from, to }, { metrics: MAPPED_METRICS, breakdowns })
        .filter((row) => currencies.length === 0 || currencies.includes(row.currency ?? ''))
      const items = rows.map((row) => {
        const [year, month, day] = row.date.split('-').map(Number)
        const slice: Record<string, unknown> = {}
        if (slices.includes('year')) slice.year = year
        if (slices.includes('month')) slice.month = month
        if (slices.includes('day')) slice.day = day
        if (slices.includes('offer') && row.brand !== null) {
          const id = offerId(row.brand)
          slice.offer = options.offerSlice === 'id' ? id : { id, title: row.brand }
        }
        if (slices.includes('sub1')) slice.sub1 = row.campaign ?? ''
        const actions = actionsOf(caller.spec, row)
        const clicks = row.clicks ?? 0
        return {
          slice,
          traffic: { raw: String(clicks), uniq: String(clicks - Math.floor(clicks / 7)) },
          actions: Object.fromEntries(shown.map((t) => [t, actions[t]])),
        }
      })
      return jsonAnswer(200, {
        status: STATUS_OK,
        stats: items.slice((page - 1) * limit, page * limit),
        pagination: { per_page: limit, total_count: items.length, page },
      })
    }

    return {
      routes: [
        {
          method: 'GET',
          path: STATS_PATH,
          auth: (request) => {
            const key =
              request.headers[API_KEY_HEADER] ??
              request.query.get('API-Key') ??
              request.query.get('api-key') ??
              ''
            const spec = byKey.get(key.trim())
            if (!spec) return refusal(401, TEXT.tokenNecessary)
            return { spec, currency: spec.currencies[0] ?? 'USD' }
          },
          handle: stats,
        },
      ],
      // The second account is typed as users paste: the documentation page as the URL, the key as a header line,
      // the currency in lower case and a time zone.
      connection: (spec, index): Record<string, string> => {
        const apiKey = keyOf(spec.key)
        const currency = spec.currencies[0] ?? 'USD'
        return index === 1
          ? {
              baseUrl: `${kit.url}/docs3.1/`,
              apiKey: `API-Key: ${apiKey}`,
              currency: currency.toLowerCase(),
              timeZone: 'Europe/Berlin',
            }
          : { baseUrl: kit.url, apiKey, currency }
      },
      invalidConnection: () => ({
        baseUrl: kit.url,
        apiKey: keyOf('\u0000unknown-account'),
        currency: kit.specs[0]?.currencies[0] ?? 'USD',
      }),
      truth: (spec, window) => kit.rows(spec, window).map((row) => ({ ...row, brand: brandName(row.brand) })),
      extra: {
        credentials: (accountKey: string) => ({
          apiKey: keyOf(kit.spec(accountKey).key),
          currency: kit.spec(accountKey).currencies[0] ?? 'USD',
        }),
        offerId,
      },
    }
  },
})
