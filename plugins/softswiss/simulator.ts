import {
  createGroundTruth,
  type DateWindow,
  defaultTruthAccounts,
  FaultController,
  type FaultName,
  type Metric,
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
import {
  COUNT_COLUMNS,
  LEGACY_ALIASES,
  MAPPED_BREAKDOWNS,
  MAPPED_METRICS,
  MONEY_COLUMNS,
  REPORT_COLUMNS,
  type ReportColumn,
} from './map.ts'
import { ATTRIBUTES_PATH, REPORT_PATH } from './report.ts'

export interface SoftswissSimulatorOptions extends SimulatorOptions {
  /** Serve `ftd_count` and `casino_ngr` instead of today's names, as older instances do. */
  legacyColumns?: boolean
  /** Read `to` of `/report` as exclusive (default inclusive): the plugin must be right under both readings. */
  exclusiveTo?: boolean
}

export const TRAFFIC_REPORT_PATH = '/api/customer/v1/partner/traffic_report'

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
const MAINTENANCE_PAGE =
  '<!DOCTYPE html><html><head><title>Maintenance</title></head><body><h1>We will be back soon</h1>' +
  '<p>The partner dashboard is undergoing scheduled maintenance.</p></body></html>'

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** A fake statistic token, stable for a seed and account key. */
export function simulatorToken(seed: string, key: string): string {
  const rand = seededRandom(`${seed}|softswiss-token|${key}`)
  return Array.from({ length: 40 }, () => TOKEN_ALPHABET[Math.floor(rand() * TOKEN_ALPHABET.length)]).join('')
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

const json = (status: number, body: unknown): SimulatorResponse => ({ status, body })
const badRequest = (message: string) => json(400, { errors: [message] })

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

function dayParam(query: URLSearchParams, name: string): string | undefined {
  // Clients send `YYYY-MM-DD` or a full ISO datetime; the day is what counts.
  const match = /^(\d{4}-\d{2}-\d{2})(?:$|T)/.exec(query.get(name) ?? '')
  if (!match?.[1] || Number.isNaN(Date.parse(`${match[1]}T00:00:00Z`))) return undefined
  return match[1]
}

function previousDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)
}

const METRIC_OF_COLUMN: Record<string, Metric> = { ...COUNT_COLUMNS, ...MONEY_COLUMNS }

function campaignId(name: string): number {
  return 1000 + Math.floor(seededRandom(`campaign|${name}`)() * 9000)
}

interface Cell {
  name: string
  value: unknown
  type: string
}

function columnCell(row: ReportRow, name: string, canonical: ReportColumn): Cell {
  const metric = METRIC_OF_COLUMN[canonical]!
  const value = row[metric]
  if (canonical in MONEY_COLUMNS) {
    return {
      name,
      value: value === null ? null : { currency: row.currency, amount_cents: decimalToCents(String(value)) },
      type: 'money',
    }
  }
  return { name, value, type: 'integer' }
}

function page<T>(items: T[], requested: string | null, pageSize: number) {
  const totalPages = Math.max(1, Math.ceil(items.length / pageSize))
  const current = Math.max(1, Number.parseInt(requested ?? '1', 10) || 1)
  return {
    items: items.slice((current - 1) * pageSize, current * pageSize),
    current_page: current,
    total_pages: totalPages,
    total_count: items.length,
  }
}

export const simulator: SimulatorFactory = {
  faults: SIMULATED_FAULTS,

  async create(options: SoftswissSimulatorOptions = {}): Promise<PlatformSimulator> {
    const seed = options.seed ?? 'affgraph'
    const specs: TruthAccountSpec[] = Array.isArray(options.accounts)
      ? options.accounts
      : defaultTruthAccounts(options.accounts ?? 2, seed)
    const pageSize = options.pageSize ?? 100
    const groundTruth = createGroundTruth(seed)
    const faults = new FaultController()
    const byToken = new Map(specs.map((spec) => [simulatorToken(seed, spec.key), spec]))

    // Canonical column → the name this instance serves it under.
    const served = new Map<string, ReportColumn>(
      REPORT_COLUMNS.map((c) => [options.legacyColumns ? (LEGACY_ALIASES[c] ?? c) : c, c]),
    )

    const rowsFor = (
      spec: TruthAccountSpec,
      window: DateWindow,
      metrics: Metric[],
      breakdowns = MAPPED_BREAKDOWNS,
    ) => (window.from > window.to ? [] : projectRows(groundTruth.rows(spec, window), { metrics, breakdowns }))

    function authenticate(request: SimulatorRequest): TruthAccountSpec | undefined {
      const header = request.headers.authorization?.trim() ?? ''
      // Clients send the token raw; one falls back to `Bearer`; export links carry it as `token=`.
      const token = header.replace(/^Bearer\s+/i, '') || request.query.get('token') || ''
      return byToken.get(token)
    }

    function report(spec: TruthAccountSpec, query: URLSearchParams): SimulatorResponse {
      const from = dayParam(query, 'from')
      const to = dayParam(query, 'to')
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

      const window = { from, to: options.exclusiveTo ? previousDay(to) : to }
      const byDay = groupBy.includes('day') || groupBy.includes('date')
      const breakdowns = MAPPED_BREAKDOWNS.filter((b) => groupBy.includes(b))
      let rows = rowsFor(spec, window, MAPPED_METRICS, breakdowns)
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
      const { items, ...pagination } = page(rows, query.get('page'), pageSize)
      return json(200, {
        report_type: 'summary',
        rows: { data: items.map(cellsOf) },
        totals: { data: totals },
        ...pagination,
      })
    }

    function trafficReport(spec: TruthAccountSpec, query: URLSearchParams): SimulatorResponse {
      const from = dayParam(query, 'from')
      const to = dayParam(query, 'to')
      if (!from || !to) return badRequest('from and to must be dates (YYYY-MM-DD)')
      const grouping = query.get('date_group_by') ?? 'day'
      if (grouping !== 'day')
        return badRequest(`the simulator groups the traffic report by day only, not ${grouping}`)
      // This endpoint's `to` is exclusive.
      const rows = rowsFor(spec, { from, to: previousDay(to) }, ['clicks', 'signups'], [])
      const cellsOf = (row: ReportRow): Cell[] => [
        { name: 'date', value: `${row.date}T00:00:00Z`, type: 'date' },
        { name: 'visits_count', value: row.clicks, type: 'integer' },
        { name: 'registrations_count', value: row.signups, type: 'integer' },
      ]
      const { items, ...pagination } = page(rows, query.get('page'), pageSize)
      return json(200, {
        rows: { data: items.map(cellsOf) },
        overall_totals: {
          visits_count: rows.reduce((sum, r) => sum + (r.clicks ?? 0), 0),
          registrations_count: rows.reduce((sum, r) => sum + (r.signups ?? 0), 0),
        },
        ...pagination,
      })
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
          body: { errors: ['Too many requests'] },
          delayMs,
        }
      }
      if (faults.take('malformed')) return { status: 200, headers: HTML, body: MAINTENANCE_PAGE, delayMs }

      const routes: Record<string, (spec: TruthAccountSpec, query: URLSearchParams) => SimulatorResponse> = {
        [REPORT_PATH]: report,
        [ATTRIBUTES_PATH]: () => json(200, { available_columns: [...served.keys()] }),
        [TRAFFIC_REPORT_PATH]: trafficReport,
      }
      const route = request.method === 'GET' ? routes[request.path.replace(/\/+$/, '')] : undefined
      if (!route) return { ...json(404, { errors: ['Not found'] }), delayMs }
      const spec = authenticate(request)
      if (!spec || faults.take('expired-token'))
        return { ...json(401, { errors: ['Unauthorized'] }), delayMs }
      if (faults.take('missing-permission')) {
        return { ...json(403, { errors: ['You are not allowed to view statistics'] }), delayMs }
      }
      const answer = route(spec, request.query)
      const truncate = answer.status === 200 && faults.take('truncated') !== undefined
      return { ...answer, delayMs, truncate }
    }

    const server = await startSimulatorServer(handle, { latencyMs: options.latencyMs, port: options.port })

    return {
      baseUrl: server.url,
      // The second account connects with the whole export link pasted as its token, as many users will.
      accounts: specs.map((spec, index) => {
        const token = simulatorToken(seed, spec.key)
        return {
          key: spec.key,
          connection: { baseUrl: server.url, token: index === 1 ? exportUrl(server.url, token) : token },
        }
      }),
      faults,
      log: server.log,
      invalidConnection: () => ({
        baseUrl: server.url,
        token: simulatorToken(seed, '\u0000unknown-account'),
      }),
      revise(accountKey: string, day: string): void {
        groundTruth.revise(accountKey, day)
      },
      truth(accountKey: string, window: DateWindow): ReportRow[] {
        const spec = specs.find((s) => s.key === accountKey)
        if (!spec) throw new Error(`the SoftSwiss simulator has no account "${accountKey}"`)
        return rowsFor(spec, window, MAPPED_METRICS)
      },
      close: () => server.close(),
    }
  },
}
