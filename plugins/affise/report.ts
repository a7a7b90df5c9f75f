import {
  AuthError,
  addDays,
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
import { mapStatsPage } from './map.ts'
import { API_KEY_HEADER, CONVERSION_TYPES, MAX_LIMIT, SLICES, STATS_PATH, STATUS_ERROR } from './wire.ts'

export type AffiseConnection = ConnectionOf<typeof connection>

const MAX_PAGES = 1000
const KEY_HINT = 'Profile → Security in the affiliate panel'

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/g, '?')
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat
}

/** The `message` (or `error`) of a `{"status": 2, …}` body. */
function refusalText(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const { status, message, error } = body as { status?: unknown; message?: unknown; error?: unknown }
  if (status !== STATUS_ERROR && status !== String(STATUS_ERROR)) return undefined
  const text = typeof message === 'string' ? message : typeof error === 'string' ? error : ''
  return excerpt(text || 'no message')
}

const keyRefused = (detail: string) =>
  new AuthError(
    `Affise refused the API key (${detail}): copy the key again from ${KEY_HINT} (a regenerated key replaces the old one) and check that the API URL is this network's.`,
    { field: 'apiKey' },
  )

/** A `status: 2` refusal, whatever the HTTP status it came with, as the SDK error a user can act on. */
function refusalError(text: string, response: HttpResponse) {
  if (/too many|rate.?limit|limit exceeded|throttl/i.test(text))
    return new RateLimitError(`Affise is limiting requests: "${text}"`, {
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    })
  if (/token|api.?key|auth|denied|forbidden|permission|access/i.test(text)) return keyRefused(`"${text}"`)
  if (/not found/i.test(text))
    return new ResponseFormatError(`no Affise API answers at this address ("${text}"): check the API URL`, {
      field: 'baseUrl',
    })
  return new ResponseFormatError(`Affise refused the statistics request: "${text}"`)
}

/**
 * Affise's answers: every body is `{"status": 1 | 2, …}`; a refusal is `status: 2` with a message, sent with 400,
 * 401 ("Token is necessary"), 403 ("Auth Denied"), 404, 500 — or with 200. The body decides before the status.
 */
export function checkResponse(response: HttpResponse): void {
  const { status } = response
  if (status === 429) {
    throw new RateLimitError('Affise is limiting requests (HTTP 429)', {
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    })
  }
  if (status >= 500 || status === 408) throw new UnavailableError(`Affise is unavailable (HTTP ${status})`)
  if (status === 401) throw keyRefused('HTTP 401, "Token is necessary"')
  if (status === 403) throw keyRefused('HTTP 403, the key may not read these statistics')
  const head = response.text.trimStart()
  if (head.startsWith('<')) {
    if (status === 404)
      throw new ResponseFormatError('no Affise API at this address (HTTP 404): check the API URL', {
        field: 'baseUrl',
      })
    throw new UnavailableError(
      `Affise answered with a web page instead of statistics (HTTP ${status}); if this persists, check the API URL`,
    )
  }
  let body: unknown
  try {
    body = JSON.parse(response.text)
  } catch {
    body = undefined
  }
  const refusal = refusalText(body)
  if (refusal !== undefined) throw refusalError(refusal, response)
  if (status >= 200 && status < 300) {
    if (body === undefined) throw new ResponseFormatError('Affise answered with something that is not JSON')
    return
  }
  if (status === 404)
    throw new ResponseFormatError('no Affise API at this address (HTTP 404): check the API URL', {
      field: 'baseUrl',
    })
  throw new ResponseFormatError(`unexpected HTTP status ${status} from Affise`)
}

/** The query of one page: both dates inclusive, days in the account's zone, only the account's currency. */
export function statsQuery(conn: AffiseConnection, window: DateWindow, page: number, limit: number) {
  return {
    'slice[]': [...SLICES],
    'filter[date_from]': window.from,
    'filter[date_to]': window.to,
    'filter[currency][]': [conn.currency],
    'conversionTypes[]': [...CONVERSION_TYPES],
    timezone: conn.timeZone ?? 'UTC',
    page,
    limit,
  }
}

async function fetchPage(
  ctx: PluginContext,
  conn: AffiseConnection,
  window: DateWindow,
  page: number,
  limit: number,
) {
  const response = await ctx.http.request({
    url: `${conn.baseUrl}${STATS_PATH}`,
    headers: { [API_KEY_HEADER]: conn.apiKey, accept: 'application/json' },
    query: statsQuery(conn, window, page, limit),
    check: checkResponse,
  })
  return mapStatsPage(response.json(), conn.currency, { page, limit })
}

const dayIn = (zone: string, at: Date) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at)

/** Yesterday's statistics, one item: proves the URL, the key and the key's access to statistics. */
export async function check(ctx: PluginContext, conn: AffiseConnection): Promise<CheckResult> {
  const zone = conn.timeZone ?? 'UTC'
  const yesterday = addDays(dayIn(zone, ctx.now()), -1)
  await fetchPage(ctx, conn, { from: yesterday, to: yesterday }, 1, 1)
  return { currency: conn.currency, timeZone: zone }
}

export async function fetchReport(
  ctx: PluginContext,
  conn: AffiseConnection,
  window: DateWindow,
): Promise<ReportRow[]> {
  const rows: ReportRow[] = []
  for (let page = 1; ; page++) {
    if (ctx.signal.aborted) throw ctx.signal.reason
    if (page > MAX_PAGES)
      throw new ResponseFormatError(`Affise statistics did not end after ${MAX_PAGES} pages`)
    const result = await fetchPage(ctx, conn, window, page, MAX_LIMIT)
    rows.push(...result.rows)
    if (!result.more) return mergeRows(rows, window)
  }
}
