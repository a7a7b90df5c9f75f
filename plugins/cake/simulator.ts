/**
 * A network's CAKE affiliate API (`/affiliates/api/…/reports.asmx`).
 *
 * Reproduced from the evidence (names in `wire.ts`): CAKE's knowledge base — the affiliate PerformanceSummary
 * (version 2) example, verbatim in shape: GET with `api_key`, `affiliate_id` and `date` (MM/DD/YYYY), answered
 * `<performance_summary_response><success>true</success><row_count>…<periods><period><date_range>Today</date_range>
 * <current_revenue>0.0000</current_revenue><previous_revenue>…<currency_symbol>£</currency_symbol>…`
 * (https://getcake.freshdesk.com/support/solutions/articles/5000546487--reports-performancesummary-v2-affiliate);
 * "Invalid API Key" for a key that does not exist or expired, `end_date` exclusive ("data on end date will not be
 * included"), one month at most a pull, dates as YYYY-mm-dd or dd-mm-YYYY, every parameter sent even when empty
 * (https://getcake.freshdesk.com/support/solutions/articles/5000545939-reports-affiliatesummary-api-version-2);
 * and working clients (see `evidence.ts`) — DailySummary version 3 with `start_date`, `end_date`, `site_offer_id`
 * (0: every offer), GET or a POSTed form, answered with `<success>` and `<days><day>` holding `date`, `clicks`,
 * `conversions` and `revenue`.
 *
 * Assumed [INF]: the DailySummary root element's name and namespace, the `<date>` form (an ISO date-time), four
 * decimals on amounts (as PerformanceSummary shows), refusals as `<success>false</success><message>…`, a missing
 * parameter answered with HTTP 500 text as ASP.NET web services do, the refusal of windows over 31 days, and the
 * rate-limit signal (429).
 */
import {
  addDays,
  defineSimulator,
  eachDay,
  isDay,
  type MatchedRequest,
  normalizeDecimal,
  type PlatformSimulator,
  type ReportRow,
  type SimulatorCaller,
  type SimulatorOptions,
  type SimulatorResponse,
  seededRandom,
  seededText,
  type TruthAccountSpec,
  textAnswer,
} from 'affgraph/sdk'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import {
  DAILY_SUMMARY_PATH,
  INVALID_API_KEY,
  MAX_WINDOW_DAYS,
  PARAMS,
  PERFORMANCE,
  PERFORMANCE_SUMMARY_PATH,
} from './wire.ts'

export interface CakeSimulatorOptions extends SimulatorOptions {
  /** How `<date>` is written: `iso` (default, `2026-05-04T00:00:00`) or `us` (`5/4/2026 12:00:00 AM`). */
  dateStyle?: 'iso' | 'us'
}

/** One call the simulator received on a report path (never its key). */
export interface CakeRequestRecord {
  method: string
  path: string
  startDate: string | null
  endDate: string | null
  siteOfferId: string | null
  date: string | null
}

export interface CakeSimulatorExtra {
  readonly requests: readonly CakeRequestRecord[]
  /** The affiliate id and key of an account, for tests that build requests by hand. */
  credentials(accountKey: string): { affiliateId: string; apiKey: string }
}
export type CakeSimulator = PlatformSimulator & CakeSimulatorExtra

/** A fake key in the form of the KB's examples (`dNJFmId9rIZZrs`, `s15Sl4xmfA`). */
export function simulatorApiKey(seed: string, key: string): string {
  return seededText(`${seed}|cake-key|${key}`, 14)
}

const XML_TYPE = { 'content-type': 'text/xml; charset=utf-8' }
const DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
const NS =
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"'

const xmlAnswer = (body: string, status = 200): SimulatorResponse => ({ status, headers: XML_TYPE, body })
const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** A refusal CAKE sends with HTTP 200. */
const refusal = (root: string, message: string) =>
  xmlAnswer(
    `${DECLARATION}<${root} ${NS}>\n  <success>false</success>\n  <message>${escapeXml(message)}</message>\n</${root}>`,
  )

/** What an ASP.NET web service answers when a parameter is missing. */
const missingParameter = (name: string) =>
  textAnswer(
    500,
    `System.InvalidOperationException: Missing parameter: ${name}.\r\n   at System.Web.Services.Protocols.ValueCollectionParameterReader.Read(NameValueCollection collection)`,
  )

/** Amounts as CAKE prints them: four decimals. */
function fourPlaces(amount: string | null): string {
  const [int = '0', frac = ''] = normalizeDecimal(amount ?? '0').split('.')
  return `${int}.${frac.padEnd(4, '0')}`
}

/** The date forms the KB allows (YYYY-mm-dd, dd-mm-YYYY) and the US form clients send. */
function parseDay(value: string | null): string | undefined {
  const text = (value ?? '').trim()
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:$|[ T])/.exec(text)
  const dmy = /^(\d{2})-(\d{2})-(\d{4})$/.exec(text)
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:$| )/.exec(text)
  const day = iso
    ? `${iso[1]}-${iso[2]}-${iso[3]}`
    : dmy
      ? `${dmy[3]}-${dmy[2]}-${dmy[1]}`
      : us
        ? `${us[3]}-${us[1]!.padStart(2, '0')}-${us[2]!.padStart(2, '0')}`
        : ''
  return isDay(day) ? day : undefined
}

const SYMBOL: Record<string, string> = { GBP: '£', EUR: '€', USD: '$', CAD: '$', AUD: '$' }

interface Caller extends SimulatorCaller {
  params: URLSearchParams
  record: CakeRequestRecord
}

export const simulator = defineSimulator<CakeSimulatorOptions, Caller, CakeSimulatorExtra>({
  platform: 'CAKE',
  reports: { metrics: MAPPED_METRICS, breakdowns: MAPPED_BREAKDOWNS },
  // A network pays an affiliate in one currency.
  account: (spec) => ({ ...spec, currencies: spec.currencies.slice(0, 1) }),
  answers: {
    expiredToken: () => refusal('daily_summary_response', INVALID_API_KEY),
    missingPermission: () => refusal('daily_summary_response', 'API access denied for this affiliate'),
    malformed: () =>
      xmlAnswer(
        `${DECLARATION}<daily_summary_response ${NS}>\n  <success>true</success>\n  <row_count>1</row_count>\n  <days>\n    <day>\n      <name>Scheduled maintenance</name>\n    </day>\n  </days>\n</daily_summary_response>`,
      ),
  },
  setup(kit, options) {
    const requests: CakeRequestRecord[] = []
    const firstId = 2000 + Math.floor(seededRandom(`${kit.seed}|cake-affiliate`)() * 7000)
    const idOf = new Map(kit.specs.map((spec, i) => [spec.key, String(firstId + i)]))
    const byId = new Map(kit.specs.map((spec) => [idOf.get(spec.key)!, spec]))

    const dateText = (day: string) => {
      if (options.dateStyle !== 'us') return `${day}T00:00:00`
      return `${Number(day.slice(5, 7))}/${Number(day.slice(8, 10))}/${day.slice(0, 4)} 12:00:00 AM`
    }

    /** The request's parameters, from the query or a POSTed form alike. */
    function paramsOf(request: MatchedRequest): URLSearchParams {
      const params = new URLSearchParams(request.query)
      if (request.method === 'POST')
        for (const [k, v] of new URLSearchParams(request.body)) params.append(k, v)
      return params
    }

    function authorise(request: MatchedRequest, root: string): Caller | SimulatorResponse {
      const params = paramsOf(request)
      const record: CakeRequestRecord = {
        method: request.method,
        path: request.path,
        startDate: params.get(PARAMS.startDate),
        endDate: params.get(PARAMS.endDate),
        siteOfferId: params.get(PARAMS.siteOfferId),
        date: params.get(PARAMS.date),
      }
      requests.push(record)
      for (const name of [PARAMS.apiKey, PARAMS.affiliateId])
        if (!params.has(name)) return missingParameter(name)
      const spec = byId.get(params.get(PARAMS.affiliateId)!.trim())
      if (!spec || params.get(PARAMS.apiKey) !== simulatorApiKey(kit.seed, spec.key))
        return refusal(root, INVALID_API_KEY)
      return { spec, params, record }
    }

    function dailySummary({ spec, params }: Caller): SimulatorResponse {
      for (const name of [PARAMS.startDate, PARAMS.endDate, PARAMS.siteOfferId])
        if (!params.has(name)) return missingParameter(name)
      const root = 'daily_summary_response'
      const from = parseDay(params.get(PARAMS.startDate))
      const endExclusive = parseDay(params.get(PARAMS.endDate))
      if (!from || !endExclusive || endExclusive <= from) return refusal(root, 'Invalid date range')
      if (eachDay({ from, to: addDays(endExclusive, -1) }).length > MAX_WINDOW_DAYS)
        return refusal(root, 'Date range cannot exceed one month')
      // end_date is exclusive: its day is not included.
      const rows = kit.rows(spec, { from, to: addDays(endExclusive, -1) })
      const days = rows
        .map(
          (row: ReportRow) =>
            `    <day>\n      <date>${dateText(row.date)}</date>\n      <clicks>${row.clicks ?? 0}</clicks>\n` +
            `      <conversions>${row.cpaCount ?? 0}</conversions>\n      <revenue>${fourPlaces(row.commission)}</revenue>\n    </day>`,
        )
        .join('\n')
      const list = rows.length ? `  <days>\n${days}\n  </days>` : '  <days />'
      return xmlAnswer(
        `${DECLARATION}<${root} ${NS} xmlns="http://cakemarketing.com/affiliates/api/3/">\n  <success>true</success>\n` +
          `  <row_count>${rows.length}</row_count>\n${list}\n</${root}>`,
      )
    }

    function performanceSummary({ spec, params }: Caller): SimulatorResponse {
      if (!params.has(PARAMS.date)) return missingParameter(PARAMS.date)
      const day = parseDay(params.get(PARAMS.date)) ?? kit.today()
      const revenue = (window: { from: string; to: string }) =>
        fourPlaces(
          kit
            .rows(spec, window)
            .reduce((sum, r) => sum + Number(r.commission ?? '0'), 0)
            .toFixed(2),
        )
      const weekday = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7
      const ranges: [string, string][] = [
        ['Today', day],
        ['WTD', addDays(day, -weekday)],
        ['7-Day', addDays(day, -6)],
        ['MTD', `${day.slice(0, 8)}01`],
        ['30-Day', addDays(day, -29)],
      ]
      const symbol = SYMBOL[spec.currencies[0] ?? 'USD'] ?? spec.currencies[0] ?? '$'
      const periods = ranges
        .map(([name, from]) => {
          const length = eachDay({ from, to: day }).length
          const previous = { from: addDays(from, -length), to: addDays(from, -1) }
          return (
            `      <period>\n         <date_range>${name}</date_range>\n` +
            `         <current_revenue>${revenue({ from, to: day })}</current_revenue>\n` +
            `         <previous_revenue>${revenue(previous)}</previous_revenue>\n` +
            `         <${PERFORMANCE.currencySymbol}>${symbol}</${PERFORMANCE.currencySymbol}>\n      </period>`
          )
        })
        .join('\n')
      return xmlAnswer(
        `<${PERFORMANCE.root}>\n   <success>true</success>\n   <row_count>${ranges.length}</row_count>\n` +
          `   <periods>\n${periods}\n   </periods>\n</${PERFORMANCE.root}>`,
      )
    }

    const credentialsOf = (spec: TruthAccountSpec) => ({
      affiliateId: idOf.get(spec.key)!,
      apiKey: simulatorApiKey(kit.seed, spec.key),
    })

    return {
      routes: [
        {
          method: ['GET', 'POST'],
          path: DAILY_SUMMARY_PATH,
          auth: (request) => authorise(request, 'daily_summary_response'),
          handle: (_request, caller) => dailySummary(caller),
        },
        {
          method: ['GET', 'POST'],
          path: PERFORMANCE_SUMMARY_PATH,
          auth: (request) => authorise(request, PERFORMANCE.root),
          handle: (_request, caller) => performanceSummary(caller),
        },
      ],
      // The second account is typed the way users paste: an API address as the portal address, the id and key
      // with their parameter names, the currency in lower case.
      connection: (spec, index) => {
        const { affiliateId, apiKey } = credentialsOf(spec)
        const currency = spec.currencies[0] ?? 'USD'
        return index === 1
          ? {
              baseUrl: `${kit.url}${PERFORMANCE_SUMMARY_PATH}`,
              affiliateId: ` affiliate_id=${affiliateId} `,
              apiKey: `api_key=${apiKey}`,
              currency: currency.toLowerCase(),
            }
          : { baseUrl: kit.url, affiliateId, apiKey, currency }
      },
      invalidConnection: () => ({
        baseUrl: kit.url,
        affiliateId: String(firstId),
        apiKey: simulatorApiKey(kit.seed, '\u0000unknown-account'),
        currency: kit.specs[0]?.currencies[0] ?? 'USD',
      }),
      extra: {
        requests,
        credentials: (accountKey: string) => credentialsOf(kit.spec(accountKey)),
      },
    }
  },
})
