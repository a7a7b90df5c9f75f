/**
 * A MyAffiliates affiliate portal, as its affiliates' statistics export is seen in public sources.
 *
 * Reproduced from the evidence:
 * - OAuth2 client credentials: `POST {portal}/oauth/access_token`, form `grant_type=client_credentials`,
 *   `client_id`, `client_secret`, `scope=r_user_stats`, answered with JSON `access_token`, `expires_in` (tokens are
 *   cached for an hour by the vendor-derived script). Sources: https://github.com/HarshitTiwari111/affiliate-scraper-api/blob/d1e8d30ad3c8f93cc807fa857da32f0fbd76ce9f/scrapers/elitecasino-oauth.js
 *   ("built per official OAuth How-to docs"), https://github.com/wilburforce83/binaryrev-stat (readme.md, a
 *   portal's own script: "Request the Detailed Activity Report with your Access Token").
 * - `GET {portal}/statistics.php?d1=YYYY-MM-DD&d2=YYYY-MM-DD&sd=1&mode=csv&sbm=1&dnl=1` with
 *   `Authorization: Bearer <token>`; `sd=1` gives one row per day, without it rows are per pay period (same
 *   sources; the client that sends no `sd` reads month-level rows).
 * - The CSV names columns `Date, Channel, Pay period, Impressions, Clicks, Signups, FTD, FTD Amount, …, Income`,
 *   repeats its header line before each channel block, closes blocks with `Total` lines and separates them with a
 *   title line such as `Wild Casino pay period : 01/07/2026` (elitecasino-oauth.js at commits b77685d and
 *   e92adbc, written after looking at a live export). No column names a currency.
 * - A rejected token gets an HTML page instead of the CSV (elitecasino-oauth.js).
 *
 * Assumed [INF]: the columns hidden behind "…" (this simulator sends `Deposits` and `Net Revenue` there), the pay
 * period being the calendar month written `01/MM/YYYY`, the `Date` cell of a pay-period row (`YYYY-MM`), blank
 * lines after each block, the login page's markup, the OAuth error bodies (RFC 6749 style), and one currency per
 * affiliate account (the account's main one).
 */
import {
  addDecimals,
  bearerToken,
  CSV_TYPE,
  centsToDecimal,
  createTokenIssuer,
  csvLine,
  csvText,
  dayParam,
  defineSimulator,
  htmlAnswer,
  jsonAnswer,
  MAINTENANCE_PAGE,
  type Metric,
  type ReportRow,
  type SimulatorCaller,
  type SimulatorOptions,
  type SimulatorRequest,
  type SimulatorResponse,
  seededText,
  type TruthAccountSpec,
  textAnswer,
} from 'affgraph/sdk'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'

export interface MyAffiliatesSimulatorOptions extends SimulatorOptions {
  /** Endpoint paths (default: the evidenced `/oauth/access_token` and `/statistics.php`). */
  paths?: Partial<{ token: string; statistics: string }>
  /** `expires_in` of issued tokens, in seconds (default 3600). Tokens really expire on the simulator's clock. */
  tokenLifetimeS?: number
  /**
   * How a token the portal no longer honours is answered: the portal's login page with 200 (default, the
   * evidenced "HTML instead of CSV"), or a 401 with an OAuth error [assumed].
   */
  expiredTokenAnswer?: 'login-page' | 'status-401'
}

export const PATHS = { token: '/oauth/access_token', statistics: '/statistics.php' } as const
export const TOKEN_SCOPE = 'r_user_stats'

/** What the portal shows instead of the CSV when it does not accept the token [markup assumed]. */
export const LOGIN_PAGE =
  '<!DOCTYPE html><html><head><title>Affiliate login</title></head><body><form method="post" action="/login.php">' +
  '<input name="username"><input type="password" name="password"><button>Log in</button></form></body></html>'

/** The statistics header: evidenced names, with the two assumed ones where the evidence shows "…". */
export const CSV_HEADER = [
  'Date',
  'Channel',
  'Pay period',
  'Impressions',
  'Clicks',
  'Signups',
  'FTD',
  'FTD Amount',
  'Deposits',
  'Net Revenue',
  'Income',
] as const

/** Metrics the export carries; `FTD Amount` has no unified metric. */
const CARRIED: readonly Metric[] = [
  'impressions',
  'clicks',
  'signups',
  'ftds',
  'deposits',
  'netRevenue',
  'commission',
]

export function simulatorClientId(seed: string, key: string): string {
  return `affgraph-${seededText(`${seed}|myaffiliates-client|${key}`, 8).toLowerCase()}`
}
export function simulatorClientSecret(seed: string, key: string): string {
  return seededText(`${seed}|myaffiliates-secret|${key}`, 40)
}

/** The pay period of a day: its calendar month, written as the portal's title lines write it. */
export function payPeriodOf(day: string): string {
  return `01/${day.slice(5, 7)}/${day.slice(0, 4)}`
}

/** An FTD amount the truth does not hold: a fixed 25.00 per first deposit. */
const ftdAmount = (row: ReportRow) => centsToDecimal((row.ftds ?? 0) * 2500)

function cellsOf(row: ReportRow, dateCell: string): string[] {
  return [
    dateCell,
    row.brand ?? '',
    payPeriodOf(row.date),
    String(row.impressions ?? 0),
    String(row.clicks ?? 0),
    String(row.signups ?? 0),
    String(row.ftds ?? 0),
    ftdAmount(row),
    row.deposits ?? '0',
    row.netRevenue ?? '0',
    row.commission ?? '0',
  ]
}

function totalCells(rows: readonly ReportRow[]): string[] {
  const sum = (metric: 'impressions' | 'clicks' | 'signups' | 'ftds') =>
    String(rows.reduce((n, r) => n + (r[metric] ?? 0), 0))
  const money = (pick: (r: ReportRow) => string) => addDecimals('0', ...rows.map(pick))
  return [
    'Total',
    '',
    '',
    sum('impressions'),
    sum('clicks'),
    sum('signups'),
    sum('ftds'),
    money(ftdAmount),
    money((r) => r.deposits ?? '0'),
    money((r) => r.netRevenue ?? '0'),
    money((r) => r.commission ?? '0'),
  ]
}

/**
 * The export as the portal lays it out: per channel, a title line, the header (again), the rows and a Total
 * line, then a blank line. With `daily` false the rows are per pay period (calendar month) instead of per day.
 */
export function toStatisticsCsv(rows: readonly ReportRow[], daily = true): string {
  const channels = [...new Set(rows.map((r) => r.brand ?? ''))].sort()
  // A period without activity exports the header alone [assumed].
  if (channels.length === 0) return csvText([csvLine(CSV_HEADER)])
  const lines: string[] = []
  for (const channel of channels) {
    let block = rows.filter((r) => (r.brand ?? '') === channel)
    if (!daily) block = sumPerPayPeriod(block)
    const title = `${channel} pay period : ${payPeriodOf(block[0]!.date)}`
    lines.push(csvLine([title]), csvLine(CSV_HEADER))
    for (const row of block) lines.push(csvLine(cellsOf(row, daily ? row.date : row.date.slice(0, 7))))
    lines.push(csvLine(totalCells(block)), '')
  }
  return csvText(lines)
}

function sumPerPayPeriod(rows: readonly ReportRow[]): ReportRow[] {
  const months = new Map<string, ReportRow>()
  for (const row of rows) {
    const month = `${row.date.slice(0, 7)}-01`
    const held = months.get(month)
    if (!held) {
      months.set(month, { ...row, date: month })
      continue
    }
    for (const m of ['impressions', 'clicks', 'signups', 'ftds'] as const)
      held[m] = (held[m] ?? 0) + (row[m] ?? 0)
    for (const m of ['deposits', 'netRevenue', 'commission'] as const)
      held[m] = addDecimals(held[m] ?? '0', row[m] ?? '0')
  }
  return [...months.values()]
}

const oauthError = (status: number, error: string, description: string): SimulatorResponse =>
  jsonAnswer(status, { error, error_description: description })

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

interface Caller extends SimulatorCaller {
  token: string
}

export const simulator = defineSimulator<MyAffiliatesSimulatorOptions, Caller>({
  platform: 'MyAffiliates',
  reports: { metrics: CARRIED.filter((m) => MAPPED_METRICS.includes(m)), breakdowns: MAPPED_BREAKDOWNS },
  // The export names no currency: an affiliate account is paid in one, its main one.
  account: (spec) => ({ ...spec, currencies: spec.currencies.slice(0, 1) }),
  answers: {
    rateLimit: (seconds) => ({
      ...textAnswer(429, 'Too many requests'),
      headers: { 'retry-after': String(seconds) },
    }),
    missingPermission: () => htmlAnswer(403, '<h1>Forbidden</h1>'),
    malformed: () => ({ status: 200, headers: CSV_TYPE, body: 'Date,Channel,Clicks\r\n2026-0' }),
  },
  setup(kit, options) {
    const paths = { ...PATHS, ...options.paths }
    const clients = new Map(
      kit.specs.map((spec) => [
        simulatorClientId(kit.seed, spec.key),
        { secret: simulatorClientSecret(kit.seed, spec.key), spec },
      ]),
    )
    const tokens = createTokenIssuer<TruthAccountSpec>({
      now: kit.now,
      lifetimeS: options.tokenLifetimeS ?? 3600,
      mint: (n, spec) => kit.secret('myaffiliates-token', `${spec.key}|${n}|${kit.now().getTime()}`, 40),
    })
    const refused = (): SimulatorResponse =>
      options.expiredTokenAnswer === 'status-401'
        ? oauthError(401, 'invalid_token', 'The access token expired')
        : htmlAnswer(200, LOGIN_PAGE)

    function token(request: SimulatorRequest): SimulatorResponse {
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
      const { token: accessToken, expiresInS } = tokens.issue(client.spec)
      return {
        status: 200,
        headers: { 'cache-control': 'no-store' },
        body: { access_token: accessToken, token_type: 'Bearer', expires_in: expiresInS },
      }
    }

    function statistics(request: SimulatorRequest, caller: Caller): SimulatorResponse {
      const { query } = request
      const d1 = dayParam(query, 'd1')
      const d2 = dayParam(query, 'd2')
      if (!d1 || !d2) return textAnswer(400, 'd1 and d2 must be YYYY-MM-DD')
      // Without `mode=csv` the portal renders its statistics page, which is not the export.
      if (query.get('mode') !== 'csv') return htmlAnswer(200, MAINTENANCE_PAGE)
      const csv = toStatisticsCsv(kit.rows(caller.spec, { from: d1, to: d2 }), query.get('sd') === '1')
      return {
        status: 200,
        headers: { ...CSV_TYPE, 'content-disposition': 'attachment; filename="statistics.csv"' },
        body: csv,
      }
    }

    return {
      answers: {
        expiredToken: (_request, caller) => {
          tokens.revoke(caller.token)
          return refused()
        },
      },
      routes: [
        { method: 'POST', path: paths.token, handle: token },
        { method: 'GET', path: paths.token, handle: () => jsonAnswer(405, { error: 'invalid_request' }) },
        {
          method: 'GET',
          path: paths.statistics,
          auth(request) {
            const bearer = bearerToken(request) ?? ''
            const grant = tokens.grant(bearer)
            if (!grant || grant.expired) return refused()
            return { spec: grant.subject, token: bearer }
          },
          handle: statistics,
        },
      ],
      connection: (spec, index) => ({
        // The second account pastes the portal page it was on, to exercise URL normalisation.
        baseUrl: index === 1 ? `${kit.url}/index.php` : kit.url,
        clientId: simulatorClientId(kit.seed, spec.key),
        clientSecret: simulatorClientSecret(kit.seed, spec.key),
        currency: spec.currencies[0] ?? 'EUR',
      }),
      invalidConnection: () => ({
        baseUrl: kit.url,
        clientId: simulatorClientId(kit.seed, kit.specs[0]?.key ?? 'none'),
        clientSecret: simulatorClientSecret(kit.seed, '\u0000unknown-client'),
        currency: kit.specs[0]?.currencies[0] ?? 'EUR',
      }),
    }
  },
})
