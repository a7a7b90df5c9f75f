import {
  AuthError,
  type CheckResult,
  type ConnectionOf,
  type DateWindow,
  type HttpResponse,
  mergeRows,
  type PluginContext,
  parseRetryAfter,
  RateLimitError,
  type ReportRow,
  ResponseFormatError,
  UnavailableError,
} from 'affgraph/sdk'
import type { connection } from './credentials.ts'
import { chooseColumns, mapAvailableColumns, mapReportPage } from './map.ts'

export type SoftswissConnection = ConnectionOf<typeof connection>

export const REPORT_PATH = '/api/customer/v1/partner/report'
export const ATTRIBUTES_PATH = `${REPORT_PATH}/attributes`

/** A runaway guard: a 31-day window of even a large account is a few dozen pages. */
const MAX_PAGES = 500
const COLUMNS_CACHE_KEY = 'softswiss:report-columns'
/** Column names change only when the program upgrades its instance; one lookup every few hours is plenty. */
const COLUMNS_TTL_MS = 6 * 60 * 60 * 1000
const EXPORT_PATH_HINT = 'Reports → Statistics → Export report → JSON'

/**
 * Maps an Affilka answer to SDK errors. A 200 whose body is not JSON is an HTML page: a maintenance notice or a
 * CDN challenge in front of the instance. It is reported as UnavailableError (retried, account UNREACHABLE)
 * rather than ResponseFormatError because the same URL answered JSON before and will again; the message still
 * points at the base URL for the case where a new connection names a site that is not an Affilka dashboard.
 */
export function checkResponse(response: HttpResponse): void {
  const { status } = response
  if (status >= 200 && status < 300) {
    if (!/^\s*[[{]/.test(response.text)) {
      throw new UnavailableError(
        'the program answered with a web page instead of statistics (maintenance?); if this persists, check the partner dashboard URL',
      )
    }
    return
  }
  if (status === 401) {
    throw new AuthError(
      `the program refused the statistic token (HTTP 401): copy it again from ${EXPORT_PATH_HINT} (the value between "token=" and "&page=")`,
      { field: 'token' },
    )
  }
  if (status === 403) {
    throw new AuthError(
      `the statistic token has no access to statistics (HTTP 403): ask the program's affiliate manager to enable the statistics export, then copy the token again from ${EXPORT_PATH_HINT}`,
      { field: 'token' },
    )
  }
  if (status === 404) {
    throw new ResponseFormatError(
      'no SoftSwiss (Affilka) partner API at this address (HTTP 404): check the partner dashboard URL',
      { field: 'baseUrl' },
    )
  }
  if (status === 429) {
    throw new RateLimitError('the program is rate limiting requests (HTTP 429)', {
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    })
  }
  if (status >= 500 || status === 408)
    throw new UnavailableError(`the program is unavailable (HTTP ${status})`)
  throw new ResponseFormatError(`unexpected HTTP status ${status} from the program`)
}

/** The statistic token goes raw in Authorization, with no scheme, as every known client sends it first. */
function headers(conn: SoftswissConnection): Record<string, string> {
  return { authorization: conn.token, accept: 'application/json' }
}

async function availableColumns(ctx: PluginContext, conn: SoftswissConnection): Promise<string[]> {
  const response = await ctx.http.request({
    url: `${conn.baseUrl}${ATTRIBUTES_PATH}`,
    headers: headers(conn),
    check: checkResponse,
  })
  return mapAvailableColumns(response.json())
}

/** Some instances still use legacy column names; ask once which names this one knows. */
async function reportColumns(ctx: PluginContext, conn: SoftswissConnection): Promise<string[]> {
  // Keyed by instance: an account re-pointed at another dashboard must not reuse the old one's column names.
  const key = `${COLUMNS_CACHE_KEY}:${conn.baseUrl}`
  const cached = ctx.cache.get<string[]>(key)
  if (cached) return cached
  const columns = chooseColumns(await availableColumns(ctx, conn))
  ctx.cache.set(key, columns, COLUMNS_TTL_MS)
  return columns
}

/** The day after `day`, `YYYY-MM-DD`. */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
}

export async function check(ctx: PluginContext, conn: SoftswissConnection): Promise<CheckResult> {
  const columns = await availableColumns(ctx, conn)
  ctx.log.debug('softswiss report attributes', { availableColumns: columns.length })
  return {}
}

/**
 * Whether `to` of `/report` is inclusive is not settled (the traffic report's is exclusive by one client's
 * reading; the main report's is not documented in public material). Asking for one day more and keeping only the
 * asked days gives exactly the inclusive window under either reading.
 */
export async function fetchReport(
  ctx: PluginContext,
  conn: SoftswissConnection,
  window: DateWindow,
): Promise<ReportRow[]> {
  const columns = await reportColumns(ctx, conn)
  const rows: ReportRow[] = []
  let page = 1
  for (let requests = 0; ; requests++) {
    if (requests >= MAX_PAGES)
      throw new ResponseFormatError(`the report did not end after ${MAX_PAGES} pages`)
    const response = await ctx.http.request({
      url: `${conn.baseUrl}${REPORT_PATH}`,
      headers: headers(conn),
      query: {
        from: window.from,
        to: nextDay(window.to),
        'columns[]': columns,
        'group_by[]': ['day', 'brand', 'campaign'],
        async: 'false',
        page,
      },
      check: checkResponse,
    })
    const result = mapReportPage(response.json())
    rows.push(...result.rows)
    const current = result.currentPage ?? page
    const total = result.totalPages ?? current
    if (current >= total) break
    if (current < page) throw new ResponseFormatError('the report pagination did not advance')
    page = current + 1
  }
  return mergeRows(rows, window)
}
