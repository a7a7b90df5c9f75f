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
  seededRandom,
  startSimulatorServer,
  type TruthAccountSpec,
} from '../../src/sdk/index.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { DEFAULT_PATHS, type MyAffiliatesPaths, TOKEN_SCOPE } from './report.ts'

export interface MyAffiliatesSimulatorOptions extends SimulatorOptions {
  /** Endpoint paths (default: the [UNV] ones the plugin uses). */
  paths?: Partial<MyAffiliatesPaths>
  /** `expires_in` of issued tokens, in seconds (default 3600). Tokens really expire on the simulator's clock. */
  tokenLifetimeS?: number
  /** Leave out the `currency` column, as a portal might; rows then carry the plugin's default currency. */
  omitCurrencyColumn?: boolean
  /**
   * How a token the portal no longer honours is answered: a 401 with an OAuth error (default), or the portal's
   * login page with 200, which is what the only known client has seen [UNV].
   */
  expiredTokenAnswer?: 'status-401' | 'login-page'
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
const CSV = { 'content-type': 'text/csv; charset=utf-8' }
const MAINTENANCE_PAGE =
  '<!DOCTYPE html><html><head><title>Maintenance</title></head><body><h1>We will be back soon</h1></body></html>'
/** What the portal shows instead of the CSV when it does not accept the token [UNV: "HTML means refused"]. */
export const LOGIN_PAGE =
  '<!DOCTYPE html><html><head><title>Affiliate login</title></head><body><form method="post" action="/login.php">' +
  '<input name="username"><input type="password" name="password"><button>Log in</button></form></body></html>'

/** The CSV header the simulator sends (normalised names of map.ts). */
export const CSV_HEADER = [
  'Channel',
  'Date',
  'Currency',
  'Clicks',
  'Impressions',
  'Signups',
  'FTDs',
  'Net Deposits',
  'NGR',
  'Commission',
]

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
function randomString(seed: string, length: number): string {
  const rand = seededRandom(seed)
  return Array.from({ length }, () => ALPHABET[Math.floor(rand() * ALPHABET.length)]).join('')
}

export function simulatorClientId(seed: string, key: string): string {
  return `affgraph-${randomString(`${seed}|myaffiliates-client|${key}`, 8).toLowerCase()}`
}
export function simulatorClientSecret(seed: string, key: string): string {
  return randomString(`${seed}|myaffiliates-secret|${key}`, 40)
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

export function toCsv(rows: ReportRow[], withCurrency = true): string {
  const header = withCurrency ? CSV_HEADER : CSV_HEADER.filter((h) => h !== 'Currency')
  const lines = [header.join(',')]
  for (const r of rows) {
    const cells = [
      r.brand ?? '',
      r.date,
      ...(withCurrency ? [r.currency ?? ''] : []),
      String(r.clicks ?? ''),
      String(r.impressions ?? ''),
      String(r.signups ?? ''),
      String(r.ftds ?? ''),
      r.deposits ?? '',
      r.netRevenue ?? '',
      r.commission ?? '',
    ]
    lines.push(cells.map(csvField).join(','))
  }
  return `${lines.join('\r\n')}\r\n`
}

const DAY = /^\d{4}-\d{2}-\d{2}$/
const oauthError = (status: number, error: string, description: string): SimulatorResponse => ({
  status,
  body: { error, error_description: description },
})

/** Client credentials from the form or, as RFC 6749 §2.3.1 prefers, HTTP Basic. */
function clientCredentials(request: SimulatorRequest, form: URLSearchParams) {
  const basic = /^Basic\s+(.+)$/i.exec(request.headers.authorization ?? '')
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8')
    const at = decoded.indexOf(':')
    if (at > 0)
      return {
        id: decodeURIComponent(decoded.slice(0, at)),
        secret: decodeURIComponent(decoded.slice(at + 1)),
        basic: true,
      }
  }
  return { id: form.get('client_id') ?? '', secret: form.get('client_secret') ?? '', basic: false }
}

export const simulator: SimulatorFactory = {
  faults: SIMULATED_FAULTS,

  async create(options: MyAffiliatesSimulatorOptions = {}): Promise<PlatformSimulator> {
    const seed = options.seed ?? 'affgraph'
    const specs: TruthAccountSpec[] = Array.isArray(options.accounts)
      ? options.accounts
      : defaultTruthAccounts(options.accounts ?? 2, seed)
    const paths: MyAffiliatesPaths = { ...DEFAULT_PATHS, ...options.paths }
    const lifetimeS = options.tokenLifetimeS ?? 3600
    const groundTruth = createGroundTruth(seed)
    const faults = new FaultController()
    const clients = new Map(
      specs.map((spec) => [
        simulatorClientId(seed, spec.key),
        { secret: simulatorClientSecret(seed, spec.key), spec },
      ]),
    )
    const tokens = new Map<string, { spec: TruthAccountSpec; expiresAt: number }>()
    let issued = 0

    const rowsFor = (spec: TruthAccountSpec, window: DateWindow) =>
      window.from > window.to
        ? []
        : projectRows(groundTruth.rows(spec, window), {
            metrics: MAPPED_METRICS,
            breakdowns: MAPPED_BREAKDOWNS,
          })

    function token(request: SimulatorRequest): SimulatorResponse {
      if (request.method !== 'POST') return { status: 405, body: { error: 'invalid_request' } }
      const form = new URLSearchParams(request.body)
      if (form.get('grant_type') !== 'client_credentials')
        return oauthError(400, 'unsupported_grant_type', 'Only client_credentials is supported')
      const { id, secret, basic } = clientCredentials(request, form)
      const client = clients.get(id)
      if (!client || client.secret !== secret)
        return oauthError(basic ? 401 : 400, 'invalid_client', 'Client authentication failed')
      const scopes = (form.get('scope') ?? TOKEN_SCOPE).split(/[\s,]+/)
      if (!scopes.includes(TOKEN_SCOPE))
        return oauthError(400, 'invalid_scope', 'The requested scope is invalid')
      issued += 1
      const accessToken = randomString(`${seed}|myaffiliates-token|${id}|${issued}|${Date.now()}`, 40)
      tokens.set(accessToken, { spec: client.spec, expiresAt: Date.now() + lifetimeS * 1000 })
      return {
        status: 200,
        headers: { 'cache-control': 'no-store' },
        body: { access_token: accessToken, token_type: 'Bearer', expires_in: lifetimeS },
      }
    }

    function statistics(request: SimulatorRequest): SimulatorResponse {
      const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? ''
      const grant = tokens.get(bearer)
      if (grant && grant.expiresAt <= Date.now()) {
        tokens.delete(bearer)
        return {
          status: 401,
          body: { error: 'invalid_token', error_description: 'The access token expired' },
        }
      }
      // An unknown token gets the portal's login page with 200, as the only known client expects [UNV].
      if (!grant) return { status: 200, headers: HTML, body: LOGIN_PAGE }
      if (faults.take('expired-token')) {
        tokens.delete(bearer)
        if (options.expiredTokenAnswer === 'login-page')
          return { status: 200, headers: HTML, body: LOGIN_PAGE }
        return {
          status: 401,
          body: { error: 'invalid_token', error_description: 'The access token expired' },
        }
      }
      if (faults.take('missing-permission')) return { status: 403, headers: HTML, body: '<h1>Forbidden</h1>' }
      if (faults.take('malformed')) return { status: 200, headers: CSV, body: 'date,channel,clicks\n2026-0' }
      const d1 = request.query.get('d1') ?? ''
      const d2 = request.query.get('d2') ?? ''
      if (!DAY.test(d1) || !DAY.test(d2)) return { status: 400, body: 'd1 and d2 must be YYYY-MM-DD' }
      if (request.query.get('mode') !== 'csv') return { status: 200, headers: HTML, body: MAINTENANCE_PAGE }
      const csv = toCsv(rowsFor(grant.spec, { from: d1, to: d2 }), !options.omitCurrencyColumn)
      return {
        status: 200,
        headers: { ...CSV, 'content-disposition': 'attachment; filename="statistics.csv"' },
        body: csv,
        truncate: faults.take('truncated') !== undefined,
      }
    }

    async function handle(request: SimulatorRequest): Promise<SimulatorResponse> {
      if (faults.take('connection-reset')) return { reset: true }
      if (faults.take('outage')) return { status: 503, headers: HTML, body: MAINTENANCE_PAGE }
      const slow = faults.take('slow')
      const delayMs = slow ? (slow.delayMs ?? 1500) : 0
      const limited = faults.take('rate-limit')
      if (limited) {
        const seconds = Math.max(0, Math.ceil((limited.delayMs ?? 1000) / 1000))
        return {
          status: 429,
          headers: { 'retry-after': String(seconds) },
          body: 'Too many requests',
          delayMs,
        }
      }
      const path = request.path.replace(/\/+$/, '')
      let answer: SimulatorResponse
      if (path === paths.token) answer = token(request)
      else if (path === paths.statistics && request.method === 'GET') answer = statistics(request)
      else answer = { status: 404, headers: HTML, body: '<h1>Not found</h1>' }
      return { ...answer, delayMs }
    }

    const server = await startSimulatorServer(handle, { latencyMs: options.latencyMs, port: options.port })

    return {
      baseUrl: server.url,
      accounts: specs.map((spec, index) => ({
        key: spec.key,
        connection: {
          // The second account pastes the portal page it was on, to exercise URL normalisation.
          baseUrl: index === 1 ? `${server.url}/index.php` : server.url,
          clientId: simulatorClientId(seed, spec.key),
          clientSecret: simulatorClientSecret(seed, spec.key),
        },
      })),
      faults,
      log: server.log,
      invalidConnection: () => ({
        baseUrl: server.url,
        clientId: simulatorClientId(seed, specs[0]?.key ?? 'none'),
        clientSecret: simulatorClientSecret(seed, '\u0000unknown-client'),
      }),
      revise(accountKey: string, day: string): void {
        groundTruth.revise(accountKey, day)
      },
      truth(accountKey: string, window: DateWindow): ReportRow[] {
        const spec = specs.find((s) => s.key === accountKey)
        if (!spec) throw new Error(`the MyAffiliates simulator has no account "${accountKey}"`)
        return rowsFor(spec, window)
      },
      close: () => server.close(),
    }
  },
}
