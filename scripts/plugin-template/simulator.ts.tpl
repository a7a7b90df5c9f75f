import {
  createGroundTruth,
  type DateWindow,
  defaultTruthAccounts,
  FAULT_NAMES,
  FaultController,
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
} from '{{sdk}}'
import {
  ACCOUNT_PATH,
  type AccountInfo,
  COUNT_FIELDS,
  MAPPED_BREAKDOWNS,
  MAPPED_METRICS,
  MONEY_FIELDS,
  STATS_PATH,
  type StatsItem,
  type StatsPage,
} from './map.ts'

const HTML = { 'content-type': 'text/html; charset=utf-8' }
const MAINTENANCE_PAGE =
  '<!DOCTYPE html><html><head><title>Maintenance</title></head><body><h1>Back soon</h1></body></html>'
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const DAY = /^\d{4}-\d{2}-\d{2}$/

/** A fake API key, stable for a seed and account key, so tests and the demo can connect without a lookup. */
export function simulatorApiKey(seed: string, key: string): string {
  const rand = seededRandom(`${seed}|{{id}}-key|${key}`)
  return `pk_${Array.from({ length: 32 }, () => KEY_ALPHABET[Math.floor(rand() * KEY_ALPHABET.length)]).join('')}`
}

/** The wire form of a unified row; figures the platform lacks are left out, as the real API is assumed to do. */
function toItem(row: ReportRow): StatsItem {
  const item: StatsItem = { date: row.date, brand: row.brand, campaign: row.campaign, currency: row.currency }
  for (const [name, metric] of Object.entries(COUNT_FIELDS)) {
    const value = row[metric]
    if (value !== null) item[name as keyof typeof COUNT_FIELDS] = value
  }
  for (const [name, metric] of Object.entries(MONEY_FIELDS)) {
    const value = row[metric]
    if (value !== null) item[name as keyof typeof MONEY_FIELDS] = value
  }
  return item
}

const json = (status: number, body: unknown): SimulatorResponse => ({ status, body })

export const simulator: SimulatorFactory = {
  // Every fault the SDK names, each the way this platform is assumed to fail (see README).
  faults: FAULT_NAMES,

  async create(options: SimulatorOptions = {}): Promise<PlatformSimulator> {
    const seed = options.seed ?? 'affgraph'
    const specs: TruthAccountSpec[] = Array.isArray(options.accounts)
      ? options.accounts
      : defaultTruthAccounts(options.accounts ?? 2, seed)
    const pageSize = options.pageSize ?? 100
    const groundTruth = createGroundTruth(seed)
    const faults = new FaultController()
    const byKey = new Map(specs.map((spec) => [simulatorApiKey(seed, spec.key), spec]))

    const rowsFor = (spec: TruthAccountSpec, window: DateWindow): ReportRow[] =>
      window.from > window.to
        ? []
        : projectRows(groundTruth.rows(spec, window), {
            metrics: MAPPED_METRICS,
            breakdowns: MAPPED_BREAKDOWNS,
          })

    function account(spec: TruthAccountSpec): SimulatorResponse {
      const info: AccountInfo = {
        affiliate_id: `AFF-${1001 + specs.indexOf(spec)}`,
        currency: spec.currencies[0] ?? 'EUR',
        time_zone: 'UTC',
      }
      return json(200, info)
    }

    function stats(spec: TruthAccountSpec, query: URLSearchParams): SimulatorResponse {
      const from = query.get('from') ?? ''
      const to = query.get('to') ?? ''
      if (!DAY.test(from) || !DAY.test(to)) return json(400, { error: 'from and to must be YYYY-MM-DD' })
      const items = rowsFor(spec, { from, to }).map(toItem)
      const totalPages = Math.max(1, Math.ceil(items.length / pageSize))
      const page = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1)
      const body: StatsPage = {
        data: items.slice((page - 1) * pageSize, page * pageSize),
        meta: { page, total_pages: totalPages },
      }
      return json(200, body)
    }

    const routes: Record<string, (spec: TruthAccountSpec, query: URLSearchParams) => SimulatorResponse> = {
      [ACCOUNT_PATH]: account,
      [STATS_PATH]: stats,
    }

    function handle(request: SimulatorRequest): SimulatorResponse {
      // Network-level faults come first: they happen before the platform reads the request at all.
      if (faults.take('connection-reset')) return { reset: true }
      if (faults.take('outage')) return { status: 503, headers: HTML, body: MAINTENANCE_PAGE }
      const slow = faults.take('slow')
      const delayMs = slow ? (slow.delayMs ?? 1500) : 0
      const limited = faults.take('rate-limit')
      if (limited) {
        // Retry-After is in whole seconds on the wire, so the requested delay is rounded up, never down.
        const seconds = Math.ceil((limited.delayMs ?? 1000) / 1000)
        return {
          status: 429,
          headers: { 'retry-after': String(seconds) },
          body: { error: 'rate_limited' },
          delayMs,
        }
      }
      const route = request.method === 'GET' ? routes[request.path.replace(/\/+$/, '')] : undefined
      if (!route) return { ...json(404, { error: 'not_found' }), delayMs }
      const spec = byKey.get(request.headers['x-api-key'] ?? '')
      if (!spec || faults.take('expired-token'))
        return { ...json(401, { error: 'invalid_api_key' }), delayMs }
      if (faults.take('missing-permission')) return { ...json(403, { error: 'missing_permission' }), delayMs }
      if (faults.take('malformed'))
        return { ...json(200, { status: 'maintenance', data: 'unavailable' }), delayMs }
      const answer = route(spec, request.query)
      const truncate = answer.status === 200 && faults.take('truncated') !== undefined
      return { ...answer, delayMs, truncate }
    }

    const server = await startSimulatorServer(handle, { latencyMs: options.latencyMs, port: options.port })

    return {
      baseUrl: server.url,
      accounts: specs.map((spec) => ({
        key: spec.key,
        connection: { baseUrl: server.url, apiKey: simulatorApiKey(seed, spec.key) },
      })),
      faults,
      log: server.log,
      invalidConnection: () => ({
        baseUrl: server.url,
        apiKey: simulatorApiKey(seed, '\u0000unknown-account'),
      }),
      revise(accountKey: string, day: string): void {
        groundTruth.revise(accountKey, day)
      },
      truth(accountKey: string, window: DateWindow): ReportRow[] {
        const spec = specs.find((s) => s.key === accountKey)
        if (!spec) throw new Error(`the {{name}} simulator has no account "${accountKey}"`)
        return rowsFor(spec, window)
      },
      close: () => server.close(),
    }
  },
}
