/**
 * A Cellxpert program's affiliate API (`command=mediareport`).
 *
 * Reproduced from the evidence, all of it kept in `wire.ts` (shared with the plugin because it is the vendor's own
 * artefact): Cellxpert's Postman collection "Affiliate API Documentation- API Key version" (responses of 12 May
 * 2024) as copied in https://github.com/elonreevemuskllc/pwebapp/blob/a1375434784e5ace17701575e844ee6451a71fad/cellxpert-affiliate-api-settings.json
 * — GET and POST alike, headers `affiliateid` and `x-api-key`, `fromdate`/`todate`, boolean breakdown switches,
 * `Day` as `YYYY/MM/DD`, XML labelled `text/html`, a second `<Leads>` in place of registrations, errors as plain
 * text with HTTP 200 ("Bad Authentication Key", "Bad Command"); and the live guide
 * https://github.com/elonreevemuskllc/pwebapp/blob/a1375434784e5ace17701575e844ee6451a71fad/CELLXPERT.md
 * (`<Tracking_Code>`, `<Registrations>`, four-decimal commission, ≤31 days a call, no future dates, default window
 * one month back to today).
 *
 * Assumed [INF]: how long or future windows are refused (here "Bad Command"), the rate-limit signal (429, or a
 * plain-text 200), a non-whitelisted IP answered like a bad key, one currency per affiliate account, and the
 * columns that have no unified metric (Volume, Demo…), which are derived or zero.
 */
import {
  type Breakdown,
  defineSimulator,
  eachDay,
  htmlAnswer,
  normalizeDecimal,
  type PlatformSimulator,
  projectRows,
  type ReportRow,
  type SimulatorCaller,
  type SimulatorOptions,
  type SimulatorResponse,
  seededRandom,
  seededText,
  type TruthAccountSpec,
} from 'affgraph/sdk'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import {
  API_PATH,
  BREAKDOWN_PARAMS,
  ELEMENTS,
  ERROR_BODIES,
  HEADERS,
  MAX_WINDOW_DAYS,
  MEDIA_REPORT_COMMAND,
} from './wire.ts'

export interface CellxpertSimulatorOptions extends SimulatorOptions {
  /**
   * How registrations are labelled: `duplicate-leads` (default) sends a second `<Leads>` in their place, as the
   * vendor's Postman sample does; `registrations` sends `<Registrations>`, as a live program did in the guide.
   */
  registrations?: 'duplicate-leads' | 'registrations'
  /** How a rate limit is answered [assumed]: `http-429` (default, with Retry-After) or `text-200`, a plain-text 200. */
  rateLimitStyle?: 'http-429' | 'text-200'
}

/** One call the simulator received on the API path (never its credentials). */
export interface CellxpertRequestRecord {
  command: string | null
  fromdate: string | null
  todate: string | null
  breakdowns: string[]
  /** `report`, or the refusal body sent with HTTP 200. */
  outcome: 'report' | (typeof ERROR_BODIES)[keyof typeof ERROR_BODIES]
}

export interface CellxpertSimulatorExtra {
  readonly requests: readonly CellxpertRequestRecord[]
  /** The affiliate id and key of an account, for tests that build requests by hand. */
  credentials(accountKey: string): { affiliateId: string; apiKey: string }
}
export type CellxpertSimulator = PlatformSimulator & CellxpertSimulatorExtra

/** Cellxpert labels its XML and its error texts alike as `text/html` (Postman sample headers). */
const CELLXPERT_TYPE = { 'content-type': 'text/html' }
const OUTAGE_PAGE =
  '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service ' +
  'Temporarily Unavailable</h1></center></body></html>'
const NOT_FOUND_PAGE = '<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>'
/** A report broken the way string-built XML breaks: an unescaped ampersand and a mismatched closing tag. */
const MALFORMED_REPORT =
  '<ResultSet xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n    <row>\n        <Day>2023/01/02</Day>\n' +
  '        <Brand>Fish & Chips</Brnd>\n    </row>\n</ResultSet>'
const XSI = 'http://www.w3.org/2001/XMLSchema-instance'
const SUPPORTED_BREAKDOWNS = ['Day', 'Brand', 'TrackingCode']

/** A fake API access key, 92 hex digits like the vendor's sample, stable for a seed and account key. */
export function simulatorApiKey(seed: string, key: string): string {
  return seededText(`${seed}|cellxpert-key|${key}`, 92, '0123456789abcdef')
}

function shiftMonths(day: string, months: number): string {
  const d = new Date(`${day}T00:00:00Z`)
  d.setUTCMonth(d.getUTCMonth() + months)
  return d.toISOString().slice(0, 10)
}

function dateParam(value: string | null): string | undefined | 'invalid' {
  if (value === null || value === '') return undefined
  const ok = /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))
  return ok ? value : 'invalid'
}

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

const cellxpertText = (body: string): SimulatorResponse => ({ status: 200, headers: CELLXPERT_TYPE, body })

/** A refusal the program sends with HTTP 200, noted in the request record. */
function refusal(record: CellxpertRequestRecord, body: CellxpertRequestRecord['outcome']): SimulatorResponse {
  record.outcome = body
  return cellxpertText(body)
}

/** Amounts as a decimal(18,4) column prints them: "417.1100", "-20.0000". */
export function fourPlaces(amount: string): string {
  const [int = '0', frac = ''] = normalizeDecimal(amount).split('.')
  return `${int}.${frac.padEnd(4, '0')}`
}

/** One `<row>` in the vendor's element order; columns with no unified metric are derived deterministically. */
function rowXml(row: ReportRow, parts: Set<string>, labels: CellxpertSimulatorOptions['registrations']) {
  const clicks = row.clicks ?? 0
  const signups = row.signups ?? 0
  const leads = signups + Math.floor(clicks / 20) + 1
  const cells: [string, string][] = []
  if (parts.has('Day')) cells.push([ELEMENTS.day, row.date.replace(/-/g, '/')])
  if (parts.has('Brand')) cells.push([ELEMENTS.brand, row.brand ?? ''])
  if (parts.has('TrackingCode')) cells.push([ELEMENTS.trackingCode, row.campaign ?? ''])
  cells.push(
    [ELEMENTS.impressions, String(row.impressions ?? 0)],
    [ELEMENTS.visitors, String(clicks)],
    [ELEMENTS.uniqueVisitors, String(clicks - Math.floor(clicks / 8))],
    [ELEMENTS.leads, String(leads)],
    [ELEMENTS.uniqueLeads, String(leads)],
    [labels === 'registrations' ? ELEMENTS.registrations : ELEMENTS.leads, String(signups)],
    [ELEMENTS.uniquePreReals, String(row.ftds ?? 0)],
    [ELEMENTS.ftd, String(row.ftds ?? 0)],
    [ELEMENTS.qftd, String(row.cpaCount ?? 0)],
    [ELEMENTS.deposits, normalizeDecimal(row.deposits ?? '0')],
    [ELEMENTS.volume, '0'],
    [ELEMENTS.pl, fourPlaces(row.netRevenue ?? '0')],
    [ELEMENTS.commission, fourPlaces(row.commission ?? '0')],
    [ELEMENTS.demo, '0'],
    [ELEMENTS.uniqueDemo, '0'],
  )
  const inner = cells.map(([name, value]) => `        <${name}>${escapeXml(value)}</${name}>`).join('\n')
  return `    <row>\n${inner}\n    </row>`
}

export function toResultSet(
  rows: readonly ReportRow[],
  parts: Set<string>,
  labels: CellxpertSimulatorOptions['registrations'] = 'duplicate-leads',
): string {
  if (rows.length === 0) return `<ResultSet xmlns:xsi="${XSI}" />`
  return `<ResultSet xmlns:xsi="${XSI}">\n${rows.map((r) => rowXml(r, parts, labels)).join('\n')}\n</ResultSet>`
}

interface Caller extends SimulatorCaller {
  params: URLSearchParams
  record: CellxpertRequestRecord
}

export const simulator = defineSimulator<CellxpertSimulatorOptions, Caller, CellxpertSimulatorExtra>({
  platform: 'Cellxpert',
  reports: { metrics: MAPPED_METRICS, breakdowns: MAPPED_BREAKDOWNS },
  // The media report carries no currency: a program reports each affiliate in one currency, the account's main one.
  account: (spec) => ({ ...spec, currencies: spec.currencies.slice(0, 1) }),
  answers: {
    outage: () => htmlAnswer(503, OUTAGE_PAGE),
    notFound: () => htmlAnswer(404, NOT_FOUND_PAGE),
    // A non-whitelisted IP (missing-permission) and a regenerated key (expired-token) look like a bad key.
    expiredToken: (_request, caller) => refusal(caller.record, ERROR_BODIES.badAuthentication),
    missingPermission: (_request, caller) => refusal(caller.record, ERROR_BODIES.badAuthentication),
    malformed: () => cellxpertText(MALFORMED_REPORT),
  },
  setup(kit, options) {
    const requests: CellxpertRequestRecord[] = []
    const firstId = 10_000 + Math.floor(seededRandom(`${kit.seed}|cellxpert-affiliate`)() * 80_000)
    const idOf = new Map(kit.specs.map((spec, index) => [spec.key, String(firstId + index)]))
    const byId = new Map(kit.specs.map((spec) => [idOf.get(spec.key)!, spec]))

    /** The program has no figures for days that have not happened yet. */
    const truthRows = (
      spec: TruthAccountSpec,
      window: { from: string; to: string },
      breakdowns: Breakdown[],
    ) => {
      const today = kit.today()
      return kit.rows(
        spec,
        { from: window.from, to: window.to.localeCompare(today) > 0 ? today : window.to },
        {
          metrics: MAPPED_METRICS,
          breakdowns,
        },
      )
    }

    function mediaReport(spec: TruthAccountSpec, params: URLSearchParams, record: CellxpertRequestRecord) {
      const parts = new Set(record.breakdowns)
      const badCommand = () => refusal(record, ERROR_BODIES.badCommand)
      // At least one breakdown is mandatory; the simulator serves day, brand and tracking code only.
      if (parts.size === 0 || [...parts].some((p) => !SUPPORTED_BREAKDOWNS.includes(p))) return badCommand()
      const format = params.get('DateFormat')
      if (format !== null && format !== 'day') return badCommand()
      const today = kit.today()
      const from = dateParam(record.fromdate) ?? shiftMonths(today, -1)
      const to = dateParam(record.todate) ?? today
      if (from === 'invalid' || to === 'invalid' || from > to) return badCommand()
      // How Cellxpert refuses long or future windows is not public [assumed]: the same answer as other bad input.
      if (to > today || eachDay({ from, to }).length > MAX_WINDOW_DAYS) return badCommand()
      const breakdowns = MAPPED_BREAKDOWNS.filter((b) => parts.has(b === 'brand' ? 'Brand' : 'TrackingCode'))
      let rows = truthRows(spec, { from, to }, MAPPED_BREAKDOWNS)
      const brands = params.getAll('Filter-Brand')
      const codes = params.getAll('Filter-TrackingCode')
      if (brands.length) rows = rows.filter((r) => brands.includes(r.brand ?? ''))
      if (codes.length) rows = rows.filter((r) => codes.includes(r.campaign ?? ''))
      if (!parts.has('Day')) rows = rows.map((r) => ({ ...r, date: from }))
      rows = projectRows(rows, { metrics: MAPPED_METRICS, breakdowns })
      return cellxpertText(toResultSet(rows, parts, options.registrations))
    }

    return {
      answers: {
        rateLimit: (seconds) =>
          options.rateLimitStyle === 'text-200'
            ? cellxpertText('Too Many Requests')
            : {
                status: 429,
                headers: { ...CELLXPERT_TYPE, 'retry-after': String(seconds) },
                body: 'Too Many Requests',
              },
      },
      routes: [
        {
          method: ['GET', 'POST'],
          path: API_PATH,
          auth(request) {
            // The API takes GET and POST alike; a POST may carry the parameters as a form.
            const params = new URLSearchParams(request.query)
            if (request.method === 'POST')
              for (const [k, v] of new URLSearchParams(request.body)) params.append(k, v)
            const record: CellxpertRequestRecord = {
              command: params.get('command'),
              fromdate: params.get('fromdate'),
              todate: params.get('todate'),
              breakdowns: BREAKDOWN_PARAMS.filter((p) => ['1', 'true'].includes(params.get(p) ?? '')),
              outcome: 'report',
            }
            requests.push(record)
            // The vendor's samples answer an unknown command "Bad Command" even with a placeholder key: the
            // command is read before the credentials.
            if (record.command !== MEDIA_REPORT_COMMAND) return refusal(record, ERROR_BODIES.badCommand)
            const spec = byId.get(request.headers[HEADERS.affiliateId]?.trim() ?? '')
            if (!spec || request.headers[HEADERS.apiKey] !== simulatorApiKey(kit.seed, spec.key))
              return refusal(record, ERROR_BODIES.badAuthentication)
            return { spec, params, record }
          },
          handle: (_request, caller) => mediaReport(caller.spec, caller.params, caller.record),
        },
      ],
      baseUrl: () => `${kit.url}${API_PATH}/`,
      // The second account is typed the way users paste: a whole API call as the URL, stray whitespace around
      // the id and the key, the currency in lower case.
      connection: (spec, index) => {
        const apiUrl = `${kit.url}${API_PATH}/`
        const affiliateId = idOf.get(spec.key)!
        const apiKey = simulatorApiKey(kit.seed, spec.key)
        const currency = spec.currencies[0] ?? 'USD'
        return index === 1
          ? {
              baseUrl: `${apiUrl}?command=mediareport&fromdate=2024-01-01&todate=2024-01-31&Day=1`,
              affiliateId: ` ${affiliateId}\n`,
              apiKey: `  ${apiKey} `,
              currency: currency.toLowerCase(),
            }
          : { baseUrl: apiUrl, affiliateId, apiKey, currency }
      },
      invalidConnection: () => ({
        baseUrl: `${kit.url}${API_PATH}/`,
        affiliateId: idOf.get(kit.specs[0]?.key ?? '') ?? String(firstId),
        apiKey: simulatorApiKey(kit.seed, '\u0000unknown-account'),
        currency: kit.specs[0]?.currencies[0] ?? 'USD',
      }),
      truth: (spec, window) => truthRows(spec, window, MAPPED_BREAKDOWNS),
      extra: {
        requests,
        credentials: (accountKey: string) => ({
          affiliateId: idOf.get(kit.spec(accountKey).key)!,
          apiKey: simulatorApiKey(kit.seed, accountKey),
        }),
      },
    }
  },
})
