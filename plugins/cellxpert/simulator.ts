import {
  type Breakdown,
  createGroundTruth,
  type DateWindow,
  defaultTruthAccounts,
  eachDay,
  FaultController,
  type FaultName,
  normalizeDecimal,
  type PlatformSimulator,
  projectRows,
  type ReportRow,
  type SimulatorFactory,
  type SimulatorOptions,
  type SimulatorRequest,
  type SimulatorResponse,
  seededRandom,
  startSimulatorServer,
  type TruthAccountSpec,
} from '../../src/sdk/index.ts'
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

export interface CellxpertSimulator extends PlatformSimulator {
  readonly requests: readonly CellxpertRequestRecord[]
  /** The affiliate id and key of an account, for tests that build requests by hand. */
  credentials(accountKey: string): { affiliateId: string; apiKey: string }
}

const SIMULATED_FAULTS = [
  'outage',
  'rate-limit',
  'slow',
  'malformed',
  'truncated',
  'connection-reset',
  'missing-permission',
  'expired-token',
] as const satisfies readonly FaultName[]

/** Cellxpert labels its XML and its error texts alike as `text/html` (Postman sample headers). */
const CELLXPERT_TYPE = { 'content-type': 'text/html' }
const HTML = { 'content-type': 'text/html; charset=utf-8' }
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
  const rand = seededRandom(`${seed}|cellxpert-key|${key}`)
  return Array.from({ length: 92 }, () => '0123456789abcdef'[Math.floor(rand() * 16)]).join('')
}

const utcToday = () => new Date().toISOString().slice(0, 10)

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

export const simulator = {
  faults: SIMULATED_FAULTS,

  async create(options: CellxpertSimulatorOptions = {}): Promise<CellxpertSimulator> {
    const seed = options.seed ?? 'affgraph'
    const given = Array.isArray(options.accounts)
      ? options.accounts
      : defaultTruthAccounts(options.accounts ?? 2, seed)
    // The media report carries no currency: a program reports each affiliate in one currency [assumed], the
    // account's main one. Its rows are the very rows every other simulator derives from the same seed.
    const specs: TruthAccountSpec[] = given.map((spec) => ({
      ...spec,
      currencies: spec.currencies.slice(0, 1),
    }))
    const groundTruth = createGroundTruth(seed)
    const faults = new FaultController()
    const requests: CellxpertRequestRecord[] = []
    const firstId = 10_000 + Math.floor(seededRandom(`${seed}|cellxpert-affiliate`)() * 80_000)
    const idOf = new Map(specs.map((spec, index) => [spec.key, String(firstId + index)]))
    const byId = new Map(specs.map((spec) => [idOf.get(spec.key)!, spec]))

    /** The program has no figures for days that have not happened yet. */
    const truthRows = (spec: TruthAccountSpec, window: DateWindow, breakdowns: Breakdown[]) => {
      const today = utcToday()
      const to = window.to.localeCompare(today) > 0 ? today : window.to
      if (window.from > to) return []
      const rows = groundTruth.rows(spec, { from: window.from, to })
      return projectRows(rows, { metrics: MAPPED_METRICS, breakdowns })
    }

    const text = (body: string, delayMs: number): SimulatorResponse => ({
      status: 200,
      headers: CELLXPERT_TYPE,
      body,
      delayMs,
    })

    function mediaReport(spec: TruthAccountSpec, params: URLSearchParams, record: CellxpertRequestRecord) {
      const parts = new Set(record.breakdowns)
      const badCommand = () => {
        record.outcome = ERROR_BODIES.badCommand
        return ERROR_BODIES.badCommand
      }
      // At least one breakdown is mandatory; the simulator serves day, brand and tracking code only.
      if (parts.size === 0 || [...parts].some((p) => !SUPPORTED_BREAKDOWNS.includes(p))) return badCommand()
      const format = params.get('DateFormat')
      if (format !== null && format !== 'day') return badCommand()
      const today = utcToday()
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
      return toResultSet(rows, parts, options.registrations)
    }

    async function handle(request: SimulatorRequest): Promise<SimulatorResponse> {
      if (faults.take('connection-reset')) return { reset: true }
      if (faults.take('outage')) return { status: 503, headers: HTML, body: OUTAGE_PAGE }
      const slow = faults.take('slow')
      const delayMs = slow ? (slow.delayMs ?? 1500) : 0
      const limited = faults.take('rate-limit')
      if (limited) {
        if (options.rateLimitStyle === 'text-200') return text('Too Many Requests', delayMs)
        const seconds = Math.max(0, Math.ceil((limited.delayMs ?? 1000) / 1000))
        return {
          status: 429,
          headers: { ...CELLXPERT_TYPE, 'retry-after': String(seconds) },
          body: 'Too Many Requests',
          delayMs,
        }
      }
      const isGetOrPost = request.method === 'GET' || request.method === 'POST'
      if (!isGetOrPost || request.path.replace(/\/+$/, '') !== API_PATH)
        return { status: 404, headers: HTML, body: NOT_FOUND_PAGE, delayMs }
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
      // The vendor's samples answer an unknown command "Bad Command" even with a placeholder key: the command is
      // read before the credentials.
      if (record.command !== MEDIA_REPORT_COMMAND) {
        record.outcome = ERROR_BODIES.badCommand
        return text(ERROR_BODIES.badCommand, delayMs)
      }
      const spec = byId.get(request.headers[HEADERS.affiliateId]?.trim() ?? '')
      const keyOk = spec !== undefined && request.headers[HEADERS.apiKey] === simulatorApiKey(seed, spec.key)
      // A non-whitelisted IP (missing-permission) and a regenerated key (expired-token) look like a bad key.
      const ipRefused = faults.take('missing-permission') !== undefined
      if (ipRefused || !spec || !keyOk || faults.take('expired-token')) {
        record.outcome = ERROR_BODIES.badAuthentication
        return text(ERROR_BODIES.badAuthentication, delayMs)
      }
      if (faults.take('malformed')) return text(MALFORMED_REPORT, delayMs)
      const body = mediaReport(spec, params, record)
      const truncate = record.outcome === 'report' && faults.take('truncated') !== undefined
      return { ...text(body, delayMs), truncate }
    }

    const server = await startSimulatorServer(handle, { latencyMs: options.latencyMs, port: options.port })
    const apiUrl = `${server.url}${API_PATH}/`
    const specOf = (accountKey: string) => {
      const spec = specs.find((s) => s.key === accountKey)
      if (!spec) throw new Error(`the Cellxpert simulator has no account "${accountKey}"`)
      return spec
    }

    return {
      baseUrl: apiUrl,
      // The second account is typed the way users paste: a whole API call as the URL, stray whitespace around
      // the id and the key, the currency in lower case.
      accounts: specs.map((spec, index) => {
        const affiliateId = idOf.get(spec.key)!
        const apiKey = simulatorApiKey(seed, spec.key)
        const currency = spec.currencies[0] ?? 'USD'
        return {
          key: spec.key,
          connection:
            index === 1
              ? {
                  baseUrl: `${apiUrl}?command=mediareport&fromdate=2024-01-01&todate=2024-01-31&Day=1`,
                  affiliateId: ` ${affiliateId}\n`,
                  apiKey: `  ${apiKey} `,
                  currency: currency.toLowerCase(),
                }
              : { baseUrl: apiUrl, affiliateId, apiKey, currency },
        }
      }),
      faults,
      log: server.log,
      requests,
      credentials: (accountKey) => ({
        affiliateId: idOf.get(specOf(accountKey).key)!,
        apiKey: simulatorApiKey(seed, accountKey),
      }),
      invalidConnection: () => ({
        baseUrl: apiUrl,
        affiliateId: idOf.get(specs[0]?.key ?? '') ?? String(firstId),
        apiKey: simulatorApiKey(seed, '\u0000unknown-account'),
        currency: specs[0]?.currencies[0] ?? 'USD',
      }),
      revise(accountKey: string, day: string): void {
        groundTruth.revise(accountKey, day)
      },
      truth(accountKey: string, window: DateWindow): ReportRow[] {
        return truthRows(specOf(accountKey), window, MAPPED_BREAKDOWNS)
      },
      close: () => server.close(),
    }
  },
} satisfies SimulatorFactory
