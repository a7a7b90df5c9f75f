/**
 * A TUNE (HasOffers) network's affiliate API, `Affiliate_Report::getStats`.
 *
 * Reproduced from the evidence (wire names in `wire.ts`): the vendor's affiliate API reference as preserved in a
 * copy of developers.hasoffers.com (https://github.com/wyiemay/developers.hasoffers.com/blob/2590a1183f1bb98e32571e55d804057a6d4f3673/app/resource/Affiliate_doc.json)
 * — getStats takes fields (required), groups, filters, sort, limit, page, totals, currency, data_start and
 * data_end, which must equal the Stat.date filter and both be given; and working clients (see `evidence.ts`) —
 * GET `/Apiv3/json` on `<network id>.api.hasoffers.com` with `NetworkId`, `api_key`, `Target=Affiliate_Report`,
 * `Method=getStats`, `fields[]`/`groups[]` of `Model.field` names, the Stat.date BETWEEN filter; the envelope
 * `{ "response": { "status", "httpStatus", "data": { "page", "current", "count", "pageCount", "data": [ { "Stat":
 * {…}, "Offer": {…} } ] }, "errors", "errorMessage" } }`, figures as strings, errors with HTTP 200 and status -1
 * (`errors[].publicMessage`, `errorMessage`), amounts keyed by currency (`payout@EUR`, listed in
 * `currency_columns`) on some networks, and a rate-limit refusal "API usage exceeded rate limit" that is not JSON.
 *
 * Assumed [INF]: the error messages' wording, the rate-limit answer's status (200, plain text), that getStats counts
 * approved conversions only, the page size a network caps `limit` at (option `pageSize`) and five-decimal amounts.
 */
import {
  addDecimals,
  defineSimulator,
  isDay,
  jsonAnswer,
  type PlatformSimulator,
  pageOf,
  type ReportRow,
  type SimulatorCaller,
  type SimulatorOptions,
  type SimulatorResponse,
  seededRandom,
  seededText,
  textAnswer,
} from 'affgraph/sdk'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { API_PATH, METHOD, PARAMS, RATE_LIMIT_TEXT, STAT, STATUS_ERROR, STATUS_OK, TARGET } from './wire.ts'

export interface TuneSimulatorOptions extends SimulatorOptions {
  /** Key amounts by their currency (`payout@EUR`) and list them in `currency_columns`, as some networks do. */
  currencyColumns?: boolean
}

/** One getStats call the simulator received (never its key). */
export interface TuneRequestRecord {
  fields: string[]
  groups: string[]
  filter: string[]
  dataStart: string | null
  dataEnd: string | null
  limit: string | null
  page: string | null
}

export interface TuneSimulatorExtra {
  readonly requests: readonly TuneRequestRecord[]
  /** The network id the simulated network answers to. */
  readonly networkId: string
}
export type TuneSimulator = PlatformSimulator & TuneSimulatorExtra

/** A fake affiliate API key: 64 hex digits, like the keys public code shows. */
export function simulatorApiKey(seed: string, key: string): string {
  return seededText(`${seed}|tune-key|${key}`, 64, '0123456789abcdef')
}

/** The network id of a simulated network, stable for a seed. */
export function simulatorNetworkId(seed: string): string {
  return `net${seededText(`${seed}|tune-network`, 5, 'abcdefghijklmnopqrstuvwxyz')}`
}

/** The envelope of every answer, HTTP 200 whatever happened. */
function envelope(status: number, data: unknown, errors: unknown[] = [], errorMessage: string | null = null) {
  return jsonAnswer(200, {
    request: { Target: TARGET, Method: METHOD },
    response: { status, httpStatus: 200, data, errors, errorMessage },
  })
}
const refusal = (message: string) => envelope(STATUS_ERROR, '', [{ publicMessage: message }], message)

const INVALID_KEY = 'Invalid API key'

/** Amounts as the API prints them: five decimals, as a string. */
const amount = (decimal: string | null) => Number(decimal ?? '0').toFixed(5)

function offerIdOf(brand: string | null): string {
  return brand === null ? '0' : String(1000 + Math.floor(seededRandom(`tune-offer|${brand}`)() * 9000))
}

interface Caller extends SimulatorCaller {
  query: URLSearchParams
  record: TuneRequestRecord
}

const GROUPABLE = new Set<string>([STAT.date, STAT.offerId, STAT.subId, STAT.currency])

export const simulator = defineSimulator<TuneSimulatorOptions, Caller, TuneSimulatorExtra>({
  platform: 'TUNE',
  reports: { metrics: MAPPED_METRICS, breakdowns: MAPPED_BREAKDOWNS },
  answers: {
    rateLimit: () => textAnswer(200, RATE_LIMIT_TEXT),
    notFound: () => textAnswer(404, 'Not Found'),
    expiredToken: () => refusal(INVALID_KEY),
    missingPermission: () => refusal('API access is not enabled for this affiliate'),
    malformed: () => envelope(STATUS_OK, { message: 'Report temporarily unavailable' }),
  },
  setup(kit, options) {
    const requests: TuneRequestRecord[] = []
    const networkId = simulatorNetworkId(kit.seed)
    const byKey = new Map(kit.specs.map((spec) => [simulatorApiKey(kit.seed, spec.key), spec]))
    const pageCap = options.pageSize ?? 10_000

    function toRow(row: ReportRow, fields: Set<string>): Record<string, Record<string, string>> {
      const stat: Record<string, string> = {}
      const put = (name: string, value: string) => {
        if (fields.has(name)) stat[name.split('.')[1]!] = value
      }
      put(STAT.date, row.date)
      put(STAT.offerId, offerIdOf(row.brand))
      put(STAT.subId, row.campaign ?? '')
      put(STAT.impressions, String(row.impressions ?? 0))
      put(STAT.clicks, String(row.clicks ?? 0))
      put(STAT.conversions, String(row.cpaCount ?? 0))
      const currency = row.currency ?? kit.specs[0]?.currencies[0] ?? 'USD'
      put(STAT.currency, currency)
      for (const [name, value] of [
        [STAT.payout, row.commission],
        [STAT.saleAmount, row.salesAmount],
      ] as const) {
        if (!fields.has(name)) continue
        const key = name.split('.')[1]!
        stat[options.currencyColumns ? `${key}@${currency}` : key] = amount(value)
      }
      const out: Record<string, Record<string, string>> = { Stat: stat }
      if (fields.has(STAT.offerName)) out.Offer = { name: row.brand ?? '' }
      return out
    }

    function stats({ query, record, spec }: Caller): SimulatorResponse {
      if (query.get(PARAMS.target) !== TARGET || query.get(PARAMS.method) !== METHOD)
        return refusal(`Method ${query.get(PARAMS.target)}::${query.get(PARAMS.method)} does not exist`)
      const fields = new Set(record.fields)
      if (fields.size === 0) return refusal('Missing required argument: fields')
      const [from, to] = record.filter
      if (query.get(PARAMS.filterConditional) !== 'BETWEEN' || !from || !to || !isDay(from) || !isDay(to))
        return refusal('Stat.date must be filtered BETWEEN two dates')
      // The docs: data_start and data_end must equal the Stat.date filter, and both be given.
      if (
        (record.dataStart ?? from) !== from ||
        (record.dataEnd ?? to) !== to ||
        !record.dataStart !== !record.dataEnd
      )
        return refusal('data_start and data_end must match the Stat.date filter')
      const groups = new Set(record.groups.filter((g) => GROUPABLE.has(g)))
      const rows = kit.rows(
        spec,
        { from, to },
        {
          metrics: MAPPED_METRICS,
          breakdowns: [
            ...(groups.has(STAT.offerId) ? (['brand'] as const) : []),
            ...(groups.has(STAT.subId) ? (['campaign'] as const) : []),
          ],
        },
      )
      // Without Stat.date or Stat.currency among the groups, those are summed away too.
      const folded = new Map<string, ReportRow>()
      for (const row of rows) {
        const date = groups.has(STAT.date) ? row.date : from
        const currency = groups.has(STAT.currency) ? row.currency : (spec.currencies[0] ?? null)
        const key = [date, row.brand, row.campaign, currency].join('\u0000')
        const held = folded.get(key)
        if (!held) {
          folded.set(key, { ...row, date, currency })
          continue
        }
        for (const m of ['impressions', 'clicks', 'cpaCount'] as const)
          held[m] = (held[m] ?? 0) + (row[m] ?? 0)
        for (const m of ['commission', 'salesAmount'] as const)
          held[m] = addDecimals(held[m] ?? '0', row[m] ?? '0')
      }
      const limit = Math.max(1, Math.min(Number.parseInt(record.limit ?? '', 10) || 50, pageCap))
      const page = pageOf([...folded.values()], record.page, limit)
      const data: Record<string, unknown> = {
        page: String(page.page),
        current: page.items.length,
        count: page.totalCount,
        pageCount: page.totalCount === 0 ? 0 : page.totalPages,
        data: page.items.map((r) => toRow(r, fields)),
      }
      if (options.currencyColumns)
        data.currency_columns = [STAT.payout, STAT.saleAmount]
          .filter((f) => fields.has(f))
          .flatMap((f) => spec.currencies.map((c) => `${f}@${c}`))
      return envelope(STATUS_OK, data)
    }

    return {
      routes: [
        {
          method: 'GET',
          path: API_PATH,
          auth(request) {
            const query = request.query
            const record: TuneRequestRecord = {
              fields: query.getAll(PARAMS.fields),
              groups: query.getAll(PARAMS.groups),
              filter: query.getAll(PARAMS.filterValues),
              dataStart: query.get(PARAMS.dataStart),
              dataEnd: query.get(PARAMS.dataEnd),
              limit: query.get(PARAMS.limit),
              page: query.get(PARAMS.page),
            }
            requests.push(record)
            const named = query.get(PARAMS.networkId)
            if (named !== null && named !== networkId) return refusal(`Network ID ${named} not found`)
            const spec = byKey.get(query.get(PARAMS.apiKey) ?? '')
            return spec ? { spec, query, record } : refusal(INVALID_KEY)
          },
          handle: (_request, caller) => stats(caller),
        },
      ],
      // The second account is typed the way users paste: the login address as the network id, a whole API call
      // as the key.
      connection: (spec, index) => {
        const apiKey = simulatorApiKey(kit.seed, spec.key)
        return index === 1
          ? {
              networkId: `https://${networkId}.hasoffers.com/`,
              apiKey: `https://${networkId}.api.hasoffers.com/Apiv3/json?NetworkId=${networkId}&api_key=${apiKey}&Target=Affiliate_Report`,
              apiBaseUrl: kit.url,
            }
          : { networkId, apiKey, apiBaseUrl: kit.url }
      },
      invalidConnection: () => ({
        networkId,
        apiKey: simulatorApiKey(kit.seed, '\u0000unknown-account'),
        apiBaseUrl: kit.url,
      }),
      extra: { requests, networkId },
    }
  },
})
