import {
  createGroundTruth,
  type DateWindow,
  defaultTruthAccounts,
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
import {
  type AnalyticsColumn,
  COUNT_COLUMNS,
  CURRENCY,
  MAPPED_METRICS,
  MONEY_COLUMNS,
  SELECT_COLUMNS,
} from './map.ts'
import { API_PREFIX, STATUS_PATH } from './report.ts'

export interface ClickbankSimulatorOptions extends SimulatorOptions {
  /**
   * XML heritage: a list of exactly one element (one row, one selected column) is sent as the element itself.
   * Default true, as ClickBank does; false always sends arrays.
   */
  singleObjects?: boolean
  /** Authenticated analytics requests allowed per account nickname before 403 (ClickBank: 25,000 a day). */
  dailyLimit?: number
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

/** Plain-text bodies, as ClickBank sends its errors. The exact live wording is not public [INF]. */
export const TEXT = {
  invalidKey: 'Invalid API key',
  missingPermission: (nickname: string) =>
    `The API key does not have the required permission (api_analytics_client) for account ${nickname}`,
  rateLimited: 'Too many requests: the rate limit of 10 requests per second has been exceeded',
  dailyLimit: (nickname: string) => `Request limit exceeded: 25000 requests per day for account ${nickname}`,
} as const

const TEXT_HEADERS = { 'content-type': 'text/plain; charset=utf-8' }
const HTML_HEADERS = { 'content-type': 'text/html; charset=utf-8' }
const OUTAGE_PAGE =
  '<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body>Service Unavailable</body></html>'

const text = (status: number, body: string): SimulatorResponse => ({ status, headers: TEXT_HEADERS, body })

const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

/** A fake current-style key, `API-` and 32 characters, stable for a seed and account key. */
export function simulatorApiKey(seed: string, key: string): string {
  const rand = seededRandom(`${seed}|clickbank-key|${key}`)
  return `API-${Array.from({ length: 32 }, () => ALPHANUM[Math.floor(rand() * ALPHANUM.length)]).join('')}`
}

/** ClickBank's published stand-in developer key for integrations that still insist on one [DOC S-CB3]. */
export const CAPTAIN_DEV_KEY = 'DEV-123456789012345678901234567890123456'

export function simulatorNickname(key: string): string {
  return `nick${key.replace(/[^A-Za-z0-9]/g, '').toLowerCase()}`.slice(0, 20)
}

/** The API key part of an Authorization value: `API-…` alone, or the part after `:` of `DEV-…:API-…`. */
function keyOf(authorization: string): string | undefined {
  const value = authorization.trim()
  if (/^API-[A-Za-z0-9]+$/.test(value)) return value
  const legacy = /^DEV-?[A-Za-z0-9]+:(API-?[A-Za-z0-9]+)$/.exec(value)
  return legacy?.[1]
}

/** "417.1" → "417.10": ClickBank's amounts carry two decimals. */
function twoDecimals(amount: string): string {
  const [int = '0', frac = ''] = normalizeDecimal(amount).split('.')
  return `${int}.${frac.padEnd(2, '0')}`
}

const COLUMN_METRIC: Record<string, keyof ReportRow> = { ...COUNT_COLUMNS, ...MONEY_COLUMNS }

function dayParam(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name) ?? ''
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))
    ? value
    : undefined
}

function utcDay(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10)
}

export const simulator: SimulatorFactory = {
  faults: SIMULATED_FAULTS,

  async create(options: ClickbankSimulatorOptions = {}): Promise<PlatformSimulator> {
    const seed = options.seed ?? 'affgraph'
    const given = Array.isArray(options.accounts)
      ? options.accounts
      : defaultTruthAccounts(options.accounts ?? 2, seed)
    // ClickBank reports in US dollars only.
    const specs: TruthAccountSpec[] = given.map((spec) => ({ ...spec, currencies: [CURRENCY] }))
    const pageSize = Math.max(1, options.pageSize ?? 100)
    const singleObjects = options.singleObjects ?? true
    const groundTruth = createGroundTruth(seed)
    const faults = new FaultController()
    const byKey = new Map(specs.map((spec) => [simulatorApiKey(seed, spec.key), spec]))
    const requestsPerNickname = new Map<string, number>()

    const list = <T>(items: T[]): T[] | T => (singleObjects && items.length === 1 ? items[0]! : items)

    /** What ClickBank knows for the window: no date, one row per (lower-cased) tracking id. */
    function truthRows(spec: TruthAccountSpec, window: DateWindow): ReportRow[] {
      if (window.from > window.to) return []
      const rows = groundTruth
        .rows(spec, window)
        .map((row) => ({ ...row, campaign: row.campaign === null ? null : row.campaign.toLowerCase() }))
      return projectRows(rows, { metrics: MAPPED_METRICS, breakdowns: ['campaign'] })
    }

    function dataOf(row: ReportRow, columns: readonly AnalyticsColumn[]) {
      return list(
        columns.map((column) => {
          const value = row[COLUMN_METRIC[column]!]
          const isMoney = column in MONEY_COLUMNS
          return {
            attribute: column,
            value:
              value === null
                ? { '@xsi.nil': 'true' }
                : {
                    '@type': isMoney ? 'xs:decimal' : 'xs:int',
                    $: isMoney ? twoDecimals(String(value)) : String(value),
                  },
          }
        }),
      )
    }

    function analytics(
      request: SimulatorRequest,
      spec: TruthAccountSpec,
      dimension: string,
    ): SimulatorResponse {
      const { query } = request
      const nickname = simulatorNickname(spec.key)
      const account = query.get('account')
      if (!account) return text(400, 'account is required')
      // The key only has permissions for its own nickname.
      if (account.toLowerCase() !== nickname) return text(403, TEXT.missingPermission(account))
      if (faults.take('missing-permission')) return text(403, TEXT.missingPermission(account))
      const used = (requestsPerNickname.get(nickname) ?? 0) + 1
      requestsPerNickname.set(nickname, used)
      if (options.dailyLimit !== undefined && used > options.dailyLimit)
        return text(403, TEXT.dailyLimit(account))

      if (dimension !== 'TRACKING_ID' && dimension !== 'AFFILIATE') {
        return text(400, `the simulator supports the TRACKING_ID and AFFILIATE dimensions, not ${dimension}`)
      }
      const from = query.has('startDate') ? dayParam(query, 'startDate') : utcDay(-1)
      const to = query.has('endDate') ? dayParam(query, 'endDate') : utcDay(0)
      if (!from || !to) return text(400, 'startDate and endDate must be dates in the format yyyy-MM-dd')
      const selected = query.getAll('select')
      const unknown = selected.find((c) => !SELECT_COLUMNS.includes(c as AnalyticsColumn))
      if (unknown) return text(400, `the simulator does not serve the column ${unknown}`)
      const columns = (selected.length ? selected : SELECT_COLUMNS) as AnalyticsColumn[]

      // No date dimension: the whole window is summed, per tracking id (or as one row for AFFILIATE).
      let rows = truthRows(spec, { from, to }).map((row) => ({ ...row, date: from }))
      if (dimension === 'AFFILIATE') {
        rows = projectRows(rows, { metrics: MAPPED_METRICS, breakdowns: [] }).map((row) => ({
          ...row,
          campaign: nickname,
        }))
      } else {
        rows = projectRows(rows, { metrics: MAPPED_METRICS, breakdowns: ['campaign'] })
      }
      const page = Math.max(1, Number.parseInt(request.headers.page ?? '1', 10) || 1)
      const items = rows.slice((page - 1) * pageSize, page * pageSize)
      const more = page * pageSize < rows.length
      const totals = projectRows(rows, { metrics: MAPPED_METRICS, breakdowns: [] })[0]
      const body = {
        rows: items.length
          ? {
              row: list(
                items.map((row) => ({
                  dimensionIdentifier: dimension,
                  // An empty TID comes back nil; TIDs come back lower-cased [DOC S-CB5].
                  dimensionValue: row.campaign === null ? { '@xsi.nil': 'true' } : row.campaign,
                  accountNickName: nickname,
                  data: dataOf(row, columns),
                })),
              ),
            }
          : null,
        totals: totals ? { total: dataOf(totals, columns) } : null,
      }
      return { status: more ? 206 : 200, body }
    }

    async function handle(request: SimulatorRequest): Promise<SimulatorResponse> {
      if (faults.take('connection-reset')) return { reset: true }
      if (faults.take('outage')) return { status: 503, headers: HTML_HEADERS, body: OUTAGE_PAGE }
      const slow = faults.take('slow')
      const delayMs = slow ? (slow.delayMs ?? 1500) : 0
      if (faults.take('rate-limit')) return { ...text(403, TEXT.rateLimited), delayMs }

      const path = request.path.replace(/\/+$/, '')
      const match = new RegExp(`^${API_PREFIX}/analytics/(affiliate|vendor)/([A-Za-z_]+)$`, 'i').exec(path)
      if (request.method !== 'GET' || (path !== STATUS_PATH && !match))
        return { ...text(404, 'Not Found'), delayMs }

      const apiKey = keyOf(request.headers.authorization ?? '')
      const spec = apiKey ? byKey.get(apiKey) : undefined
      if (!spec || faults.take('expired-token')) return { ...text(401, TEXT.invalidKey), delayMs }

      if (!/application\/json/i.test(request.headers.accept ?? '')) {
        return {
          status: 200,
          headers: { 'content-type': 'application/xml' },
          body: '<?xml version="1.0" encoding="UTF-8"?><analyticsResult/>',
          delayMs,
        }
      }
      if (faults.take('malformed')) {
        const body = {
          rows: { row: { dimensionValue: 'main', data: { attribute: 'HOP_COUNT', value: { $: 'many' } } } },
        }
        return { status: 200, body, delayMs }
      }
      let answer: SimulatorResponse
      if (path === STATUS_PATH) {
        answer = { status: 200, body: { status: 'GREEN', lastUpdateTime: `${utcDay(0)}T00:00:00Z` } }
      } else if (match?.[1]?.toUpperCase() !== 'AFFILIATE') {
        answer = text(403, TEXT.missingPermission(request.query.get('account') ?? ''))
      } else {
        answer = analytics(request, spec, match[2]!.toUpperCase())
      }
      const truncate = (answer.status ?? 200) < 300 && faults.take('truncated') !== undefined
      return { ...answer, delayMs, truncate }
    }

    const server = await startSimulatorServer(handle, { latencyMs: options.latencyMs, port: options.port })

    return {
      baseUrl: server.url,
      // The second account connects with the legacy `DEV-…:API-…` form.
      accounts: specs.map((spec, index) => {
        const key = simulatorApiKey(seed, spec.key)
        return {
          key: spec.key,
          connection: {
            apiKey: index === 1 ? `${CAPTAIN_DEV_KEY}:${key}` : key,
            nickname: simulatorNickname(spec.key),
            apiBaseUrl: server.url,
          },
        }
      }),
      faults,
      log: server.log,
      invalidConnection: () => ({
        apiKey: simulatorApiKey(seed, '\u0000unknown-account'),
        nickname: 'unknownnick',
        apiBaseUrl: server.url,
      }),
      revise(accountKey: string, day: string): void {
        groundTruth.revise(accountKey, day)
      },
      truth(accountKey: string, window: DateWindow): ReportRow[] {
        const spec = specs.find((s) => s.key === accountKey)
        if (!spec) throw new Error(`the ClickBank simulator has no account "${accountKey}"`)
        return truthRows(spec, window)
      },
      close: () => server.close(),
    }
  },
}
