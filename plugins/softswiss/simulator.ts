/**
 * A SoftSwiss (Affilka) partner dashboard's statistics API.
 *
 * Reproduced from the evidence (working clients; no vendor sample exists):
 * - `GET {base}/api/customer/v1/partner/report` with the statistic token raw in `Authorization` (one client falls
 *   back to `Bearer`), `from`/`to`, `columns[]=` or `columns=<JSON>`, `group_by[]=` or `group_by=<JSON>` (`day`,
 *   `brand`, `campaign`…), `async=false`; `…/report/attributes` → `{"available_columns":[…]}`. Sources:
 *   https://github.com/Vais96/Affilka-ETL/blob/639827ce02f5fa8b3234c1134c0c475d38c4ad33/config.py (and
 *   `affilka_api.py`), https://github.com/HarshitTiwari111/affiliate-scraper-api (`scrapers/starzpartners.js`),
 *   code-index #62508810360, #62563275935, #13283596740.
 * - Rows `{"rows":{"data":[[{name, value, type}…]…]}, "totals":{…}}`, the day cell `date` as an ISO datetime, money
 *   `{"currency":"EUR","amount_cents":"41711.0"}`, one row per currency per group (#13109056625, #13283596740).
 * - Some instances name the campaign cell `campaign_id` (Vais96 `affilka_api.py` reads `campaign_id` or
 *   `campaign`): this simulator's second account sees such an instance.
 * - `traffic_report` takes `to` as exclusive (#56834982972); 401/403 for a bad token, 429 when throttled.
 *
 * Assumed [INF]: the campaign cell's value (`{id, name}` under `campaign`, the bare numeric id under
 * `campaign_id`), paging of `/report` by `page`/`total_pages` (no client pages it), error bodies `{"errors":[…]}`,
 * the legacy column names, and the maintenance page.
 */
import {
  addDays,
  defineSimulator,
  htmlAnswer,
  jsonAnswer,
  MAINTENANCE_PAGE,
  type MatchedRequest,
  type Metric,
  normalizeDecimal,
  pageOf,
  projectRows,
  type ReportRow,
  type SimulatorCaller,
  type SimulatorOptions,
  type SimulatorResponse,
  seededRandom,
  seededText,
} from 'affgraph/sdk'
import {
  COUNT_COLUMNS,
  LEGACY_ALIASES,
  MAPPED_BREAKDOWNS,
  MAPPED_METRICS,
  MONEY_COLUMNS,
  REPORT_COLUMNS,
  type ReportColumn,
} from './map.ts'

export interface SoftswissSimulatorOptions extends SimulatorOptions {
  /** Serve `ftd_count` and `casino_ngr` instead of today's names, as older instances do. */
  legacyColumns?: boolean
  /** Read `to` of `/report` as exclusive (default inclusive): the plugin must be right under both readings. */
  exclusiveTo?: boolean
  /**
   * The name of the campaign cell for every account. Default: `campaign` for all accounts but the second, whose
   * instance names it `campaign_id`.
   */
  campaignCell?: CampaignCell
}

export type CampaignCell = 'campaign' | 'campaign_id'

export const REPORT_PATH = '/api/customer/v1/partner/report'
export const ATTRIBUTES_PATH = `${REPORT_PATH}/attributes`
export const TRAFFIC_REPORT_PATH = '/api/customer/v1/partner/traffic_report'

/** A fake statistic token, stable for a seed and account key. */
export function simulatorToken(seed: string, key: string): string {
  return seededText(`${seed}|softswiss-token|${key}`, 40)
}

/** What the dashboard's Export report → JSON opens: the same report, with the token in the query. */
export function exportUrl(baseUrl: string, token: string): string {
  const columns = REPORT_COLUMNS.map((c) => `columns[]=${c}`).join('&')
  return `${baseUrl}${REPORT_PATH}?from=2026-01-01&to=2026-01-31&${columns}&group_by[]=day&async=false&token=${token}&page=1`
}

/** "417.11" → "41711.0": Affilka sends cents as a decimal string with a trailing fraction. */
export function decimalToCents(amount: string): string {
  const text = normalizeDecimal(amount)
  const negative = text.startsWith('-')
  const [units = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.')
  const padded = fraction.padEnd(2, '0')
  const cents = `${units}${padded.slice(0, 2)}`.replace(/^0+(?=\d)/, '')
  return `${negative ? '-' : ''}${cents}.${padded.slice(2) || '0'}`
}

/** The numeric id an instance gives a campaign. */
export function campaignId(name: string): number {
  return 1000 + Math.floor(seededRandom(`campaign|${name}`)() * 9000)
}

const badRequest = (message: string) => jsonAnswer(400, { errors: [message] })

/** Both list styles seen in clients: `x[]=a&x[]=b` and `x=["a","b"]` (a plain `x=a,b` is read too). */
function listParam(query: URLSearchParams, name: string): string[] | { error: string } {
  const values = [...query.getAll(`${name}[]`)]
  for (const raw of query.getAll(name)) {
    if (raw.trim().startsWith('[')) {
      let parsed: unknown
      try {
        parsed = JSON.parse(raw)
      } catch {
        return { error: `${name} is not a valid JSON array` }
      }
      if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string')) {
        return { error: `${name} must be an array of strings` }
      }
      values.push(...parsed)
    } else {
      values.push(...raw.split(',').filter((v) => v !== ''))
    }
  }
  return values.map((v) => v.trim())
}

/** Clients send `YYYY-MM-DD` or a full ISO datetime; the day is what counts. */
function dayOf(query: URLSearchParams, name: string): string | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})(?:$|T)/.exec(query.get(name) ?? '')
  if (!match?.[1] || Number.isNaN(Date.parse(`${match[1]}T00:00:00Z`))) return undefined
  return match[1]
}

const METRIC_OF_COLUMN: Record<string, Metric> = { ...COUNT_COLUMNS, ...MONEY_COLUMNS }

interface Cell {
  name: string
  value: unknown
  type: string
}

function columnCell(row: ReportRow, name: string, canonical: ReportColumn): Cell {
  const value = row[METRIC_OF_COLUMN[canonical]!]
  if (canonical in MONEY_COLUMNS) {
    return {
      name,
      value: value === null ? null : { currency: row.currency, amount_cents: decimalToCents(String(value)) },
      type: 'money',
    }
  }
  return { name, value, type: 'integer' }
}

interface Caller extends SimulatorCaller {
  campaignCell: CampaignCell
}

export const simulator = defineSimulator<SoftswissSimulatorOptions, Caller>({
  platform: 'SoftSwiss',
  reports: { metrics: MAPPED_METRICS, breakdowns: MAPPED_BREAKDOWNS },
  answers: {
    rateLimit: (seconds) => ({
      ...jsonAnswer(429, { errors: ['Too many requests'] }),
      headers: { 'retry-after': String(seconds) },
    }),
    notFound: () => jsonAnswer(404, { errors: ['Not found'] }),
    expiredToken: () => jsonAnswer(401, { errors: ['Unauthorized'] }),
    missingPermission: () => jsonAnswer(403, { errors: ['You are not allowed to view statistics'] }),
    malformed: () => htmlAnswer(200, MAINTENANCE_PAGE),
  },
  setup(kit, options) {
    const pageSize = options.pageSize ?? 100
    const byToken = new Map(kit.specs.map((spec, index) => [simulatorToken(kit.seed, spec.key), index]))
    const campaignCellOf = (index: number): CampaignCell =>
      options.campaignCell ?? (index === 1 ? 'campaign_id' : 'campaign')
    // Canonical column → the name this instance serves it under.
    const served = new Map<string, ReportColumn>(
      REPORT_COLUMNS.map((c) => [options.legacyColumns ? (LEGACY_ALIASES[c] ?? c) : c, c]),
    )
    /** Under `campaign_id` an instance sends the id alone, which is then all a plugin can call the campaign. */
    const asSeen = (rows: ReportRow[], cell: CampaignCell) =>
      cell === 'campaign'
        ? rows
        : rows.map((r) => ({ ...r, campaign: r.campaign === null ? null : String(campaignId(r.campaign)) }))

    function authenticate(request: MatchedRequest): Caller | SimulatorResponse {
      const header = request.headers.authorization?.trim() ?? ''
      // Clients send the token raw; one falls back to `Bearer`; export links carry it as `token=`.
      const token = header.replace(/^Bearer\s+/i, '') || request.query.get('token') || ''
      const index = byToken.get(token)
      if (index === undefined) return jsonAnswer(401, { errors: ['Unauthorized'] })
      return { spec: kit.specs[index]!, campaignCell: campaignCellOf(index) }
    }

    function report(request: MatchedRequest, caller: Caller): SimulatorResponse {
      const { query } = request
      const from = dayOf(query, 'from')
      const to = dayOf(query, 'to')
      if (!from || !to) return badRequest('from and to must be dates (YYYY-MM-DD)')
      const columns = listParam(query, 'columns')
      const groupBy = listParam(query, 'group_by')
      if ('error' in columns) return badRequest(columns.error)
      if ('error' in groupBy) return badRequest(groupBy.error)
      const wanted = columns.length ? columns : [...served.keys()]
      const unknownColumn = wanted.find((c) => !served.has(c))
      if (unknownColumn) return badRequest(`unknown column: ${unknownColumn}`)
      const unknownGroup = groupBy.find((g) => !['day', 'date', 'brand', 'campaign'].includes(g))
      if (unknownGroup) return badRequest(`unsupported group_by: ${unknownGroup}`)

      const window = { from, to: options.exclusiveTo ? addDays(to, -1) : to }
      const byDay = groupBy.includes('day') || groupBy.includes('date')
      const breakdowns = MAPPED_BREAKDOWNS.filter((b) => groupBy.includes(b))
      let rows = kit.rows(caller.spec, window, { metrics: MAPPED_METRICS, breakdowns })
      // Without a time grouping the whole window is one group.
      if (!byDay) {
        rows = projectRows(
          rows.map((r) => ({ ...r, date: from })),
          { metrics: MAPPED_METRICS, breakdowns },
        )
      }

      const cellsOf = (row: ReportRow): Cell[] => {
        const cells: Cell[] = []
        for (const group of groupBy) {
          if (group === 'day' || group === 'date') {
            cells.push({ name: 'date', value: `${row.date}T00:00:00Z`, type: 'date' })
          } else if (group === 'brand') {
            cells.push({ name: 'brand', value: row.brand, type: 'string' })
          } else if (group === 'campaign' && caller.campaignCell === 'campaign_id') {
            const value = row.campaign === null ? null : campaignId(row.campaign)
            cells.push({ name: 'campaign_id', value, type: 'integer' })
          } else if (group === 'campaign') {
            const value = row.campaign === null ? null : { id: campaignId(row.campaign), name: row.campaign }
            cells.push({ name: 'campaign', value, type: 'campaign' })
          }
        }
        for (const name of wanted) cells.push(columnCell(row, name, served.get(name)!))
        return cells
      }

      const totals = projectRows(
        rows.map((r) => ({ ...r, date: from })),
        { metrics: MAPPED_METRICS, breakdowns: [] },
      ).map((row) => wanted.map((name) => columnCell(row, name, served.get(name)!)))
      const page = pageOf(rows, query.get('page'), pageSize)
      return jsonAnswer(200, {
        report_type: 'summary',
        rows: { data: page.items.map(cellsOf) },
        totals: { data: totals },
        current_page: page.page,
        total_pages: page.totalPages,
        total_count: page.totalCount,
      })
    }

    function trafficReport(request: MatchedRequest, caller: Caller): SimulatorResponse {
      const { query } = request
      const from = dayOf(query, 'from')
      const to = dayOf(query, 'to')
      if (!from || !to) return badRequest('from and to must be dates (YYYY-MM-DD)')
      const grouping = query.get('date_group_by') ?? 'day'
      if (grouping !== 'day')
        return badRequest(`the simulator groups the traffic report by day only, not ${grouping}`)
      // This endpoint's `to` is exclusive.
      const rows = kit.rows(
        caller.spec,
        { from, to: addDays(to, -1) },
        { metrics: ['clicks', 'signups'], breakdowns: [] },
      )
      const cellsOf = (row: ReportRow): Cell[] => [
        { name: 'date', value: `${row.date}T00:00:00Z`, type: 'date' },
        { name: 'visits_count', value: row.clicks, type: 'integer' },
        { name: 'registrations_count', value: row.signups, type: 'integer' },
      ]
      const page = pageOf(rows, query.get('page'), pageSize)
      return jsonAnswer(200, {
        rows: { data: page.items.map(cellsOf) },
        overall_totals: {
          visits_count: rows.reduce((sum, r) => sum + (r.clicks ?? 0), 0),
          registrations_count: rows.reduce((sum, r) => sum + (r.signups ?? 0), 0),
        },
        current_page: page.page,
        total_pages: page.totalPages,
        total_count: page.totalCount,
      })
    }

    return {
      routes: [
        { method: 'GET', path: REPORT_PATH, auth: authenticate, handle: report },
        {
          method: 'GET',
          path: ATTRIBUTES_PATH,
          auth: authenticate,
          handle: () => jsonAnswer(200, { available_columns: [...served.keys()] }),
        },
        { method: 'GET', path: TRAFFIC_REPORT_PATH, auth: authenticate, handle: trafficReport },
      ],
      // The second account connects with the whole export link pasted as its token, as many users will.
      connection: (spec, index) => {
        const token = simulatorToken(kit.seed, spec.key)
        return { baseUrl: kit.url, token: index === 1 ? exportUrl(kit.url, token) : token }
      },
      invalidConnection: () => ({
        baseUrl: kit.url,
        token: simulatorToken(kit.seed, '\u0000unknown-account'),
      }),
      truth: (spec, window) => asSeen(kit.rows(spec, window), campaignCellOf(kit.specs.indexOf(spec))),
    }
  },
})
