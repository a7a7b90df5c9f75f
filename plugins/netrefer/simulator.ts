import {
  createGroundTruth,
  type DateWindow,
  defaultTruthAccounts,
  FaultController,
  type FaultName,
  type PlatformSimulator,
  projectRows,
  type ReportRow,
  type SimulatorFactory,
  type SimulatorOptions,
  type SimulatorRequest,
  type SimulatorResponse,
  startSimulatorServer,
  type TruthAccountSpec,
  type TruthRow,
} from '../../src/sdk/index.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { createSimulatedDirectory, type SimulatedClient } from './simulator-directory.ts'
import {
  DEFAULT_API_VERSION,
  DEFAULT_REPORT_TYPE_CODE,
  REPORT_PREFIX,
  REPORTS_PERMISSION,
  ROW_FIELDS,
  ROWS_FIELD,
  reportPath,
  SAME_MONTH_RULE,
} from './wire.ts'

export interface NetReferSimulatorOptions extends SimulatorOptions {
  /** `expires_in` of issued tokens in seconds (default 3600); tokens really expire on the simulator's clock. */
  tokenLifetimeS?: number
  /** The report type code the API serves (default the plugin's); any other code answers 404. */
  reportTypeCode?: string
  /** The API version the API serves (default the plugin's); any other version answers 404. */
  apiVersion?: string
}

export interface NetReferSimulator extends PlatformSimulator {
  /** The simulated tenant's token endpoint, as a connection's Access token URL. */
  readonly tokenUrl: string
  /** Every access token issued so far, so tests can sweep logs and errors for them. */
  readonly issuedTokens: readonly string[]
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

const HTML = { 'content-type': 'text/html; charset=utf-8' }
const PROBLEM = { 'content-type': 'application/problem+json; charset=utf-8' }
const OUTAGE_PAGE =
  '<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>Service Unavailable</h1>' +
  '<p>The service is temporarily unavailable. Please try again later.</p></body></html>'
/** What a web front end shows when a request misses the API: a page, with 200. */
const LANDING_PAGE =
  '<!DOCTYPE html><html><head><title>NetRefer</title></head><body><h1>Welcome</h1>' +
  '<p>Please sign in to continue.</p></body></html>'

const DAY = /^\d{4}-\d{2}-\d{2}$/
const isDay = (d: string) => DAY.test(d) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d)
const REPORT_ROUTE = new RegExp(`^${REPORT_PREFIX}/v([^/]+)/([^/]+)/([^/]+)/([^/]+)/([^/]+)$`)

function problem(status: number, title: string, errors?: Record<string, string[]>): SimulatorResponse {
  return {
    status,
    headers: PROBLEM,
    body: { type: `https://httpstatuses.io/${status}`, title, status, ...(errors ? { errors } : {}) },
  }
}

function unauthorized(description?: string): SimulatorResponse {
  const challenge = description
    ? `Bearer error="invalid_token", error_description="${description}"`
    : 'Bearer'
  return { status: 401, headers: { 'www-authenticate': challenge }, body: '' }
}

/** The report's JSON: the legacy portal's columns per day, brand and marketing source, money as JSON numbers. */
export function toWireRows(rows: TruthRow[]): Record<string, unknown>[] {
  return rows.map((r) => {
    const depositing = Math.min(r.depositCount!, r.ftds! + Math.floor((r.depositCount! - r.ftds!) / 2))
    const newDepositing = Math.floor(r.ftds! * 0.8)
    return {
      [ROW_FIELDS.date]: `${r.date}T00:00:00`,
      [ROW_FIELDS.brand]: r.brand,
      [ROW_FIELDS.marketingSource]: r.campaign,
      [ROW_FIELDS.currency]: r.currency,
      [ROW_FIELDS.views]: r.impressions,
      [ROW_FIELDS.uniqueViews]: Math.floor(r.impressions! * 0.82),
      [ROW_FIELDS.clicks]: r.clicks,
      [ROW_FIELDS.uniqueClicks]: Math.floor(r.clicks! * 0.9),
      [ROW_FIELDS.signups]: r.signups,
      [ROW_FIELDS.depositingCustomers]: depositing,
      [ROW_FIELDS.activeCustomers]: depositing + Math.floor(r.signups! / 4),
      [ROW_FIELDS.newDepositingCustomers]: newDepositing,
      [ROW_FIELDS.newActiveCustomers]: newDepositing + Math.floor(r.signups! / 5),
      [ROW_FIELDS.firstTimeDepositingCustomers]: r.ftds,
      [ROW_FIELDS.firstTimeActiveCustomers]: r.ftds! + Math.floor(r.signups! / 6),
      // An ASP.NET decimal is a JSON number; the truth's amounts have few enough digits to travel exactly.
      [ROW_FIELDS.deposits]: Number(r.deposits),
      [ROW_FIELDS.netRevenue]: Number(r.netRevenue),
      [ROW_FIELDS.commission]: Number(r.commission),
    }
  })
}

export const simulator: SimulatorFactory = {
  faults: SIMULATED_FAULTS,

  async create(options: NetReferSimulatorOptions = {}): Promise<NetReferSimulator> {
    const seed = options.seed ?? 'affgraph'
    const specs: TruthAccountSpec[] = Array.isArray(options.accounts)
      ? options.accounts
      : defaultTruthAccounts(options.accounts ?? 2, seed)
    const reportTypeCode = options.reportTypeCode ?? DEFAULT_REPORT_TYPE_CODE
    const apiVersion = options.apiVersion ?? DEFAULT_API_VERSION
    const groundTruth = createGroundTruth(seed)
    const faults = new FaultController()
    const directory = createSimulatedDirectory(seed, specs, options.tokenLifetimeS ?? 3600)

    const truthRows = (spec: TruthAccountSpec, window: DateWindow) => groundTruth.rows(spec, window)

    function report(request: SimulatorRequest, match: RegExpExecArray): SimulatorResponse {
      const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1]
      if (!bearer) return unauthorized()
      const grant = directory.grant(bearer)
      if (!grant) return unauthorized('The signature is invalid')
      if (grant.expired || faults.take('expired-token')) {
        directory.revoke(bearer)
        return unauthorized(`The token expired at '${new Date(grant.expiresAt).toISOString()}'`)
      }
      if (faults.take('missing-permission')) {
        return {
          ...problem(403, `The user is not granted the ${REPORTS_PERMISSION} permission.`),
          headers: { ...PROBLEM, 'www-authenticate': 'Bearer error="insufficient_scope"' },
        }
      }
      const [, version, code, affiliateId, from = '', to = ''] = match.map((p) => decodeURIComponent(p))
      // An unknown route is an empty 404, as ASP.NET routing answers.
      if (version !== apiVersion || code !== reportTypeCode) return { status: 404, body: '' }
      const client: SimulatedClient = grant.client
      if (affiliateId !== client.affiliateId)
        return problem(403, `The user is not permitted to view reports of affiliate ${affiliateId}.`)
      if (!isDay(from))
        return problem(400, 'One or more validation errors occurred.', { fromdate: ['Invalid date.'] })
      if (!isDay(to))
        return problem(400, 'One or more validation errors occurred.', { todate: ['Invalid date.'] })
      if (from > to)
        return problem(400, 'One or more validation errors occurred.', {
          todate: ['The to date must not be before the from date.'],
        })
      if (from.slice(0, 7) !== to.slice(0, 7))
        return problem(400, 'One or more validation errors occurred.', { todate: [SAME_MONTH_RULE] })
      if (faults.take('malformed')) return { status: 200, headers: HTML, body: LANDING_PAGE }
      const body = {
        affiliateId: Number(client.affiliateId),
        reportTypeCode,
        fromDate: `${from}T00:00:00`,
        toDate: `${to}T00:00:00`,
        [ROWS_FIELD]: toWireRows(truthRows(client.spec, { from, to })),
      }
      return { status: 200, body, truncate: faults.take('truncated') !== undefined }
    }

    async function handle(request: SimulatorRequest): Promise<SimulatorResponse> {
      if (faults.take('connection-reset')) return { reset: true }
      if (faults.take('outage')) return { status: 503, headers: HTML, body: OUTAGE_PAGE }
      const slow = faults.take('slow')
      const delayMs = slow ? (slow.delayMs ?? 1500) : 0
      const limited = faults.take('rate-limit')
      if (limited) {
        // Azure API Management's throttling answer.
        const seconds = Math.max(1, Math.ceil((limited.delayMs ?? 1000) / 1000))
        return {
          status: 429,
          headers: { 'retry-after': String(seconds) },
          body: { statusCode: 429, message: `Rate limit is exceeded. Try again in ${seconds} seconds.` },
          delayMs,
        }
      }
      const path = request.path.replace(/\/+$/, '')
      let answer: SimulatorResponse
      if (/\/oauth2\/v2\.0\/token$/.test(path)) {
        answer = request.method === 'POST' ? directory.token(path, request.body) : { status: 405, body: '' }
      } else {
        const match = request.method === 'GET' ? REPORT_ROUTE.exec(path) : null
        answer = match ? report(request, match) : { status: 404, body: '' }
      }
      return { ...answer, delayMs }
    }

    const server = await startSimulatorServer(handle, { latencyMs: options.latencyMs, port: options.port })
    const tokenUrl = server.url + directory.tokenPath

    const connectionOf = (client: SimulatedClient, index: number): Record<string, string> => {
      const base: Record<string, string> = {
        baseUrl: server.url,
        tokenUrl,
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        username: client.username,
        password: client.password,
        affiliateId: client.affiliateId,
      }
      if (reportTypeCode !== DEFAULT_REPORT_TYPE_CODE) base.reportTypeCode = reportTypeCode
      if (apiVersion !== DEFAULT_API_VERSION) base.apiVersion = apiVersion
      if (index !== 1) return base
      // The second account pastes a whole report address and spells out the optional settings.
      const pasted = reportPath({
        apiVersion,
        reportTypeCode,
        affiliateId: client.affiliateId,
        from: '2026-01-01',
        to: '2026-01-31',
      })
      return {
        ...base,
        baseUrl: server.url + pasted,
        scope: client.scope,
        reportTypeCode,
        apiVersion: `v${apiVersion}`,
      }
    }

    return {
      baseUrl: server.url,
      tokenUrl,
      accounts: directory.clients.map((client, index) => ({
        key: client.spec.key,
        connection: connectionOf(client, index),
      })),
      faults,
      log: server.log,
      get issuedTokens() {
        return directory.issued
      },
      invalidConnection: () => {
        const first = directory.clients[0]
        if (!first) throw new Error('the NetRefer simulator has no account')
        return { ...connectionOf(first, 0), password: `${first.password}-not-it` }
      },
      revise(accountKey: string, day: string): void {
        groundTruth.revise(accountKey, day)
      },
      truth(accountKey: string, window: DateWindow): ReportRow[] {
        const spec = specs.find((s) => s.key === accountKey)
        if (!spec) throw new Error(`the NetRefer simulator has no account "${accountKey}"`)
        if (window.from > window.to) return []
        return projectRows(truthRows(spec, window), {
          metrics: MAPPED_METRICS,
          breakdowns: MAPPED_BREAKDOWNS,
        })
      },
      close: () => server.close(),
    }
  },
}
