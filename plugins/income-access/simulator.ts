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
import {
  BRAND_COLUMNS,
  COUNT_COLUMNS,
  CURRENCY_COLUMNS,
  DATE_COLUMNS,
  MAPPED_BREAKDOWNS,
  MAPPED_COUNT_METRICS,
  MAPPED_METRICS,
  MAPPED_MONEY_METRICS,
  MONEY_COLUMNS,
} from './map.ts'
import { WIRE } from './wire.ts'

export interface IncomeAccessSimulatorOptions extends SimulatorOptions {
  /**
   * HTTP status of refusals (unknown key, inactive key, IP not whitelisted). Default 403, as the reference's
   * proposal suggests; 200 models a program that answers errors as a document with HTTP 200. Both are assumed.
   */
  refusalStatus?: number
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

/** Refusal bodies [assumed: the real texts are not public]. */
export const REFUSAL_BODIES = {
  unknownKey: 'Invalid security key.',
  inactiveKey: 'Security key is not active.',
  ipNotWhitelisted: (ip: string) => `Access denied: IP address ${ip} is not whitelisted.`,
} as const

const HTML = { 'content-type': 'text/html; charset=utf-8' }
const CSV = { 'content-type': 'text/csv; charset=utf-8' }
const TEXT = { 'content-type': 'text/plain; charset=utf-8' }
const MAINTENANCE_PAGE =
  '<!DOCTYPE html><html><head><title>Maintenance</title></head><body><h1>We will be back soon</h1>' +
  '<p>The affiliate site is undergoing scheduled maintenance.</p></body></html>'

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** A fake securitykey, stable for a seed and account key. */
export function simulatorKey(seed: string, key: string): string {
  const rand = seededRandom(`${seed}|income-access-key|${key}`)
  return Array.from({ length: 32 }, () => KEY_ALPHABET[Math.floor(rand() * KEY_ALPHABET.length)]).join('')
}

/** Merchant ids of an account: its brands in order, numbered from 1. */
export function merchantIdOf(spec: TruthAccountSpec, brand: string): string {
  return String(spec.brands.indexOf(brand) + 1)
}

/** What the URL tab's "Generate URL" produces [layout assumed]: the key embedded, dates to be rewritten. */
export function generatedUrl(baseUrl: string, key: string, merchant?: string): string {
  const p = WIRE.params
  const merchantPart = merchant === undefined ? '' : `&${p.merchant}=${merchant}`
  return `${baseUrl}${WIRE.path}?${p.key}=${key}&${p.report}=${WIRE.reportId}${merchantPart}&${p.from}=2026-01-01&${p.to}=2026-01-31&${p.format}=${WIRE.format}`
}

function dayParam(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name) ?? ''
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) return undefined
  return value
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

/** The Member Report – Detailed as CSV: one line per day, merchant and currency. */
export function toCsv(rows: readonly ReportRow[]): string {
  const header = [
    DATE_COLUMNS[0]!,
    BRAND_COLUMNS[0]!,
    CURRENCY_COLUMNS[0]!,
    ...MAPPED_COUNT_METRICS.map((m) => COUNT_COLUMNS[m][0]),
    ...MAPPED_MONEY_METRICS.map((m) => MONEY_COLUMNS[m][0]),
  ]
  const lines = rows.map((row) =>
    [
      row.date,
      row.brand ?? '',
      row.currency ?? '',
      ...MAPPED_COUNT_METRICS.map((m) => String(row[m] ?? 0)),
      ...MAPPED_MONEY_METRICS.map((m) => row[m] ?? '0'),
    ]
      .map(csvCell)
      .join(','),
  )
  return `${[header.join(','), ...lines].join('\r\n')}\r\n`
}

export const simulator: SimulatorFactory = {
  faults: SIMULATED_FAULTS,

  async create(options: IncomeAccessSimulatorOptions = {}): Promise<PlatformSimulator> {
    const seed = options.seed ?? 'affgraph'
    const specs: TruthAccountSpec[] = Array.isArray(options.accounts)
      ? options.accounts
      : defaultTruthAccounts(options.accounts ?? 2, seed)
    const refusalStatus = options.refusalStatus ?? 403
    const groundTruth = createGroundTruth(seed)
    const faults = new FaultController()
    const byKey = new Map(specs.map((spec) => [simulatorKey(seed, spec.key), spec]))

    const rowsFor = (spec: TruthAccountSpec, window: DateWindow) =>
      window.from > window.to
        ? []
        : projectRows(groundTruth.rows(spec, window), {
            metrics: MAPPED_METRICS,
            breakdowns: MAPPED_BREAKDOWNS,
          })

    const text = (status: number, body: string, headers = TEXT): SimulatorResponse => ({
      status,
      headers,
      body,
    })
    const refuse = (body: string) => text(refusalStatus, body)

    function report(spec: TruthAccountSpec, query: URLSearchParams): SimulatorResponse {
      const p = WIRE.params
      if (query.get(p.report) !== WIRE.reportId) return text(400, 'Unknown report.')
      if (query.get(p.format) !== WIRE.format) return text(400, 'Unsupported format.')
      const from = dayParam(query, p.from)
      const to = dayParam(query, p.to)
      if (!from || !to) return text(400, 'Invalid period: from and to must be YYYY-MM-DD.')
      let rows = rowsFor(spec, { from, to })
      const merchant = query.get(p.merchant)
      if (merchant) {
        const brand = spec.brands.find((b) => merchantIdOf(spec, b) === merchant)
        if (!brand) return text(400, 'Unknown merchant.')
        rows = rows.filter((r) => r.brand === brand)
      }
      return text(200, toCsv(rows), CSV)
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
          ...text(429, 'Too many requests.'),
          headers: { ...TEXT, 'retry-after': String(seconds) },
          delayMs,
        }
      }
      if (faults.take('malformed')) return { ...text(200, 'Report generation failed'), delayMs }
      if (request.method !== 'GET' || request.path.replace(/\/+$/, '') !== WIRE.path)
        return { ...text(404, 'Not found.'), delayMs }
      // The program checks the caller's IP before looking at the key [assumed order].
      if (faults.take('missing-permission'))
        return { ...refuse(REFUSAL_BODIES.ipNotWhitelisted('127.0.0.1')), delayMs }
      const spec = byKey.get(request.query.get(WIRE.params.key) ?? '')
      if (!spec) return { ...refuse(REFUSAL_BODIES.unknownKey), delayMs }
      if (faults.take('expired-token')) return { ...refuse(REFUSAL_BODIES.inactiveKey), delayMs }
      const answer = report(spec, request.query)
      const truncate = answer.status === 200 && faults.take('truncated') !== undefined
      return { ...answer, delayMs, truncate }
    }

    const server = await startSimulatorServer(handle, { latencyMs: options.latencyMs, port: options.port })

    return {
      baseUrl: server.url,
      // The second account connects with the whole generated URL pasted as its key, as many users will; an
      // account with a single brand gets that merchant in its URL (and thus in its connection).
      accounts: specs.map((spec, index) => {
        const key = simulatorKey(seed, spec.key)
        const merchant = spec.brands.length === 1 ? merchantIdOf(spec, spec.brands[0]!) : undefined
        return {
          key: spec.key,
          connection: {
            baseUrl: server.url,
            securityKey: index === 1 ? generatedUrl(server.url, key, merchant) : key,
          },
        }
      }),
      faults,
      log: server.log,
      invalidConnection: () => ({
        baseUrl: server.url,
        securityKey: simulatorKey(seed, '\u0000unknown-account'),
      }),
      revise(accountKey: string, day: string): void {
        groundTruth.revise(accountKey, day)
      },
      truth(accountKey: string, window: DateWindow): ReportRow[] {
        const spec = specs.find((s) => s.key === accountKey)
        if (!spec) throw new Error(`the Income Access simulator has no account "${accountKey}"`)
        return rowsFor(spec, window)
      },
      close: () => server.close(),
    }
  },
}
