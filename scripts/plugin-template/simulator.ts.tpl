import {
  defineSimulator,
  FAULT_NAMES,
  isDay,
  jsonAnswer,
  pageOf,
  type ReportRow,
  type SimulatorCaller,
  type SimulatorOptions,
  seededText,
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

/**
 * A loopback fake of the {{name}} API. The SDK kit (`defineSimulator`) runs the server, the accounts, the shared
 * ground truth and the faults; this file declares only the platform's wire format. Write near the top which wire
 * facts it reproduces, with their public sources, and which parts are assumed (see the README).
 */

/** A fake API key, stable for a seed and account key, so tests and the demo can connect without a lookup. */
export function simulatorApiKey(seed: string, key: string): string {
  return `pk_${seededText(`${seed}|{{id}}-key|${key}`, 32)}`
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

export const simulator = defineSimulator<SimulatorOptions, SimulatorCaller>({
  platform: '{{name}}',
  // Every fault the SDK names, each the way this platform is assumed to fail (see README).
  faults: FAULT_NAMES,
  reports: { metrics: MAPPED_METRICS, breakdowns: MAPPED_BREAKDOWNS },
  answers: {
    rateLimit: (seconds) => ({
      ...jsonAnswer(429, { error: 'rate_limited' }),
      headers: { 'retry-after': String(seconds) },
    }),
    notFound: () => jsonAnswer(404, { error: 'not_found' }),
    expiredToken: () => jsonAnswer(401, { error: 'invalid_api_key' }),
    missingPermission: () => jsonAnswer(403, { error: 'missing_permission' }),
    malformed: () => jsonAnswer(200, { status: 'maintenance', data: 'unavailable' }),
  },
  setup(kit, options) {
    const pageSize = options.pageSize ?? 100
    const byKey = new Map(kit.specs.map((spec) => [simulatorApiKey(kit.seed, spec.key), spec]))
    const auth = (request: { headers: Record<string, string> }) => {
      const spec = byKey.get(request.headers['x-api-key'] ?? '')
      return spec ? { spec } : jsonAnswer(401, { error: 'invalid_api_key' })
    }
    return {
      routes: [
        {
          method: 'GET',
          path: ACCOUNT_PATH,
          auth,
          handle: (_request, { spec }) => {
            const info: AccountInfo = {
              affiliate_id: `AFF-${1001 + kit.specs.indexOf(spec)}`,
              currency: spec.currencies[0] ?? 'EUR',
              time_zone: 'UTC',
            }
            return jsonAnswer(200, info)
          },
        },
        {
          method: 'GET',
          path: STATS_PATH,
          auth,
          handle: ({ query }, { spec }) => {
            const from = query.get('from') ?? ''
            const to = query.get('to') ?? ''
            if (!isDay(from) || !isDay(to)) return jsonAnswer(400, { error: 'from and to must be YYYY-MM-DD' })
            const page = pageOf(kit.rows(spec, { from, to }).map(toItem), query.get('page'), pageSize)
            const body: StatsPage = { data: page.items, meta: { page: page.page, total_pages: page.totalPages } }
            return jsonAnswer(200, body)
          },
        },
      ],
      connection: (spec) => ({ baseUrl: kit.url, apiKey: simulatorApiKey(kit.seed, spec.key) }),
      invalidConnection: () => ({ baseUrl: kit.url, apiKey: simulatorApiKey(kit.seed, '\u0000unknown-account') }),
    }
  },
})
