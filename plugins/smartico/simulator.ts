/**
 * An operator's Smartico / TheAffiliatePlatform reporting API, affiliate side (`af2_media_report_af`).
 *
 * Reproduced from the evidence (wire names in `wire.ts`): the vendor's "Reporting API" help page
 * (https://help.theaffiliateplatform.com/apis-and-configurations/reporting-api) — GET `/api/af2_media_report_af`,
 * the raw key in the `authorization` header, `aggregation_period` DAY/MONTH/YEAR (empty: lifetime), `group_by` as a
 * comma list, `date_from` inclusive and `date_to` exclusive, no record for a period without activity, the
 * commission of a day being that day's change; and working clients (see `evidence.ts`) — the body
 * `{ "meta": { "affiliate_id" }, "data": [ … ] }` with `dt` as an ISO timestamp at midnight UTC, `brand_name` beside
 * `brand_id`, an empty `afp` for traffic without the parameter, figures as JSON numbers (`visit_count`,
 * `registration_count`, `ftd_count`, `qftd_count`, `deposit_count`, `deposit_total`, `net_pl` or `pl`,
 * `commissions_cpa`, `commissions_rev_share`, `commissions_total` …), throttling as HTTP 291, a refused key as 403.
 *
 * Assumed [INF]: the error bodies' wording (`{ "errorCode", "message" }`), that a Bearer-prefixed key is refused,
 * how figures without a unified metric (withdrawals, volume) relate to the others, and the 1,000-record cap of the
 * other TAP list methods applying to this report too (a fuller answer is cut at 1,000 items).
 */
import {
  addDays,
  type Breakdown,
  defineSimulator,
  isDay,
  jsonAnswer,
  type PlatformSimulator,
  type ReportRow,
  type SimulatorCaller,
  type SimulatorOptions,
  type SimulatorResponse,
  seededRandom,
  seededText,
  textAnswer,
} from 'affgraph/sdk'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import {
  AUTH_HEADER,
  DAILY,
  FIELDS,
  MEDIA_REPORT_PATH,
  PARAMS,
  RECORD_CAP,
  THROTTLED_STATUS,
} from './wire.ts'

export interface SmarticoSimulatorOptions extends SimulatorOptions {
  /** Which name the net result goes by: `net_pl` (default) or `pl`; working clients read one or the other. */
  netField?: typeof FIELDS.netPl | typeof FIELDS.pl
  /** Send the commission only as its CPA and RevShare parts, without `commissions_total`. */
  commissionParts?: boolean
}

/** One call the simulator received on the report path (never its key). */
export interface SmarticoRequestRecord {
  period: string | null
  groupBy: string[]
  from: string | null
  to: string | null
  items: number
}

export interface SmarticoSimulatorExtra {
  readonly requests: readonly SmarticoRequestRecord[]
  /** The affiliate id `meta` names for an account. */
  affiliateId(accountKey: string): number
}
export type SmarticoSimulator = PlatformSimulator & SmarticoSimulatorExtra

/** A fake key in the shape public configurations show: a time-based UUID and a number. */
export function simulatorApiKey(seed: string, key: string): string {
  const hex = seededText(`${seed}|smartico-key|${key}`, 32, '0123456789abcdef')
  const number = seededText(`${seed}|smartico-key-n|${key}`, 6, '0123456789')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-11f0-${hex.slice(16, 20)}-${hex.slice(20, 32)}-${number}`
}

const error = (status: number, code: string, message: string) =>
  jsonAnswer(status, { errorCode: code, message })

const KEY_REFUSED = () => error(403, 'ACCESS_DENIED', 'Access denied: invalid API key')
const OUTAGE_PAGE =
  '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>'

/** The period bucket a day falls in: the day itself, its month's first day, its year's first day. */
function bucketOf(day: string, period: string): string | null {
  if (period === DAILY) return day
  if (period === 'MONTH') return `${day.slice(0, 7)}-01`
  if (period === 'YEAR') return `${day.slice(0, 4)}-01-01`
  return null
}

/** Numbers as the API sends them: JSON numbers, parsed from the truth's exact decimals. */
const num = (decimal: string | null) => Number(decimal ?? '0')

function brandIdOf(brand: string | null): number {
  return brand === null ? 0 : 100 + Math.floor(seededRandom(`smartico-brand|${brand}`)() * 900)
}

interface Caller extends SimulatorCaller {
  record: SmarticoRequestRecord
  query: URLSearchParams
}

export const simulator = defineSimulator<SmarticoSimulatorOptions, Caller, SmarticoSimulatorExtra>({
  platform: 'Smartico',
  reports: { metrics: MAPPED_METRICS, breakdowns: MAPPED_BREAKDOWNS },
  // An affiliate's figures come in the operator's one currency.
  account: (spec) => ({ ...spec, currencies: spec.currencies.slice(0, 1) }),
  answers: {
    outage: () => ({ status: 502, headers: { 'content-type': 'text/html' }, body: OUTAGE_PAGE }),
    rateLimit: () => ({ ...error(THROTTLED_STATUS, 'TOO_MANY_REQUESTS', 'Too many requests') }),
    notFound: () => textAnswer(404, 'Cannot GET'),
    expiredToken: () => KEY_REFUSED(),
    missingPermission: () => error(403, 'NO_PERMISSION', 'The affiliate has no permission for this report'),
    malformed: () => jsonAnswer(200, { status: 'maintenance', result: null }),
  },
  setup(kit, options) {
    const requests: SmarticoRequestRecord[] = []
    const netField = options.netField ?? FIELDS.netPl
    const firstId = 20_000 + Math.floor(seededRandom(`${kit.seed}|smartico-affiliate`)() * 60_000)
    const idOf = new Map(kit.specs.map((spec, i) => [spec.key, firstId + i]))
    const byKey = new Map(kit.specs.map((spec) => [simulatorApiKey(kit.seed, spec.key), spec]))

    function item(row: ReportRow, dt: string | null, groups: Set<string>): Record<string, unknown> {
      const out: Record<string, unknown> = {}
      if (dt !== null) out[FIELDS.day] = `${dt}T00:00:00.000Z`
      if (groups.has(FIELDS.brandId)) {
        out[FIELDS.brandId] = brandIdOf(row.brand)
        out[FIELDS.brandName] = row.brand ?? ''
      }
      if (groups.has(FIELDS.afp)) out[FIELDS.afp] = row.campaign ?? ''
      const commission = num(row.commission)
      const cpa = Math.min(commission, (row.cpaCount ?? 0) * 50)
      const deposits = num(row.deposits)
      Object.assign(out, {
        [FIELDS.visits]: row.clicks ?? 0,
        [FIELDS.registrations]: row.signups ?? 0,
        [FIELDS.ftds]: row.ftds ?? 0,
        [FIELDS.qftds]: row.cpaCount ?? 0,
        ftd_total: Math.round(deposits * 0.4 * 100) / 100,
        [FIELDS.depositCount]: row.depositCount ?? 0,
        [FIELDS.deposits]: deposits,
        withdrawal_count: Math.floor((row.depositCount ?? 0) / 3),
        withdrawal_total: Math.round(deposits * 0.25 * 100) / 100,
        [netField]: num(row.netRevenue),
        [FIELDS.commissionsCpa]: cpa,
        [FIELDS.commissionsRevShare]: Math.round((commission - cpa) * 100) / 100,
      })
      if (!options.commissionParts) out[FIELDS.commissionsTotal] = commission
      return out
    }

    function report(caller: Caller): SimulatorResponse {
      const { query, record, spec } = caller
      const period = (query.get(PARAMS.period) ?? '').toUpperCase()
      if (!['', DAILY, 'MONTH', 'YEAR'].includes(period))
        return error(400, 'BAD_REQUEST', `Unknown aggregation_period ${period}`)
      const from = query.get(PARAMS.from) || spec.since || '2023-01-01'
      const toExclusive = query.get(PARAMS.to) || addDays(kit.today(), 1)
      if (!isDay(from) || !isDay(toExclusive))
        return error(400, 'BAD_REQUEST', 'date_from and date_to must be YYYY-MM-DD')
      const groups = new Set(record.groupBy)
      const breakdowns: Breakdown[] = []
      if (groups.has(FIELDS.brandId)) breakdowns.push('brand')
      if (groups.has(FIELDS.afp)) breakdowns.push('campaign')
      // date_to is exclusive: the last day reported is the one before it.
      const days = kit.rows(
        spec,
        { from, to: addDays(toExclusive, -1) },
        { metrics: MAPPED_METRICS, breakdowns },
      )
      // Days fold into their period bucket (or the lifetime), keeping the grouped fields apart.
      const buckets = new Map<string, { dt: string | null; row: ReportRow }>()
      for (const row of days) {
        const dt = bucketOf(row.date, period)
        const key = [dt, row.brand, row.campaign].join('\u0000')
        const held = buckets.get(key)
        if (!held) {
          buckets.set(key, { dt, row: { ...row } })
          continue
        }
        for (const m of ['clicks', 'signups', 'ftds', 'cpaCount', 'depositCount'] as const)
          held.row[m] = (held.row[m] ?? 0) + (row[m] ?? 0)
        for (const m of ['deposits', 'netRevenue', 'commission'] as const)
          held.row[m] = String(Math.round((num(held.row[m]) + num(row[m])) * 100) / 100)
      }
      const data = [...buckets.values()].map(({ dt, row }) => item(row, dt, groups)).slice(0, RECORD_CAP)
      record.items = data.length
      return jsonAnswer(200, { meta: { affiliate_id: idOf.get(spec.key) }, data })
    }

    return {
      routes: [
        {
          method: 'GET',
          path: MEDIA_REPORT_PATH,
          auth(request) {
            const record: SmarticoRequestRecord = {
              period: request.query.get(PARAMS.period),
              groupBy: (request.query.get(PARAMS.groupBy) ?? '')
                .split(',')
                .map((g) => g.trim())
                .filter(Boolean),
              from: request.query.get(PARAMS.from),
              to: request.query.get(PARAMS.to),
              items: 0,
            }
            requests.push(record)
            const spec = byKey.get(request.headers[AUTH_HEADER] ?? '')
            return spec ? { spec, record, query: request.query } : KEY_REFUSED()
          },
          handle: (_request, caller) => report(caller),
        },
        {
          // An operator method: an affiliate key is refused there (clients).
          method: 'GET',
          path: /^\/api\/af2_\w+_op$/,
          handle: () => error(403, 'ACCESS_DENIED', 'Operator methods need an operator key'),
        },
      ],
      // The second account is typed the way users paste: a whole API call as the URL, the key with a Bearer
      // prefix copied from another API's docs, the currency in lower case.
      connection: (spec, index) => {
        const apiKey = simulatorApiKey(kit.seed, spec.key)
        const currency = spec.currencies[0] ?? 'EUR'
        return index === 1
          ? {
              baseUrl: `${kit.url}${MEDIA_REPORT_PATH}?aggregation_period=DAY&date_from=2024-01-01`,
              apiKey: `Bearer ${apiKey}`,
              currency: currency.toLowerCase(),
            }
          : { baseUrl: `${kit.url}/`, apiKey, currency }
      },
      invalidConnection: () => ({
        baseUrl: kit.url,
        apiKey: simulatorApiKey(kit.seed, '\u0000unknown-account'),
        currency: kit.specs[0]?.currencies[0] ?? 'EUR',
      }),
      extra: {
        requests,
        affiliateId: (accountKey: string) => idOf.get(kit.spec(accountKey).key)!,
      },
    }
  },
})
