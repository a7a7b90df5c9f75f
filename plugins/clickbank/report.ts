import {
  AuthError,
  type CheckResult,
  type ConnectionOf,
  type DateWindow,
  eachDay,
  type HttpResponse,
  mergeRows,
  type PluginContext,
  parseRetryAfter,
  RateLimitError,
  type ReportRow,
  ResponseFormatError,
  UnavailableError,
} from 'affgraph/sdk'
import { type connection, DEFAULT_API_BASE_URL } from './credentials.ts'
import { CURRENCY, mapAnalyticsPage, SELECT_COLUMNS } from './map.ts'

export type ClickbankConnection = ConnectionOf<typeof connection>

export const API_PREFIX = '/rest/1.3'
/** The analytics API has no date dimension: one request per UTC day, one row per tracking id. */
export const ANALYTICS_PATH = `${API_PREFIX}/analytics/AFFILIATE/TRACKING_ID`
export const STATUS_PATH = `${API_PREFIX}/analytics/status`

/** A runaway guard for one day's pages (a day with thousands of TIDs is a few dozen pages). */
const MAX_PAGES_PER_DAY = 200
const KEY_HINT = 'Settings → API Management'

/** Words ClickBank-style 403 texts use for the request limits (25,000/day/account, 10/s/IP). */
const RATE_LIMIT_TEXT =
  /too many|rate.?limit|limit (?:has been )?(?:exceeded|reached)|exceeded|quota|throttl|per (?:day|second)/i

/**
 * ClickBank's statuses: 401 is a bad key ("Invalid API key", also for a `Bearer` prefix); 403 carries a plain-text
 * body and means either a missing permission or an exceeded request limit, told apart only by the text. An
 * unrecognised 403 text is read as a permission problem: retrying a refused key never helps.
 */
export function checkResponse(response: HttpResponse): void {
  const { status } = response
  if (status >= 200 && status < 300) {
    const head = response.text.trimStart()
    if (head.startsWith('<')) {
      if (/^<\?xml|^<[a-zA-Z]+[^>]*xmlns/.test(head) && !/<html/i.test(head.slice(0, 500))) {
        throw new ResponseFormatError(
          'ClickBank answered XML instead of JSON (the Accept header was not honoured)',
        )
      }
      throw new UnavailableError('ClickBank answered with a web page instead of statistics (maintenance?)')
    }
    return
  }
  if (status === 401) {
    throw new AuthError(
      `ClickBank refused the API key (HTTP 401, invalid API key). If the key was regenerated or deleted in ${KEY_HINT}, the old key no longer works: paste the new key (status Active) into this connection.`,
      { field: 'apiKey' },
    )
  }
  if (status === 403) {
    const text = response.text.slice(0, 500)
    if (RATE_LIMIT_TEXT.test(text)) {
      throw new RateLimitError(
        'ClickBank is limiting requests (HTTP 403): at most 10 requests per second and 25,000 per day per account, shared with every other integration of the account',
        { retryAfterMs: parseRetryAfter(response.headers['retry-after']) },
      )
    }
    throw new AuthError(
      `ClickBank refused access to the analytics (HTTP 403): in ${KEY_HINT}, edit the API key and enable the Analytics API permission for this account nickname, and check that the nickname is spelled as in ClickBank.`,
      { field: 'nickname' },
    )
  }
  if (status === 429) {
    throw new RateLimitError('ClickBank is limiting requests (HTTP 429)', {
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    })
  }
  if (status >= 500 || status === 408) throw new UnavailableError(`ClickBank is unavailable (HTTP ${status})`)
  if (status === 404) {
    throw new ResponseFormatError(
      'no ClickBank analytics API at this address (HTTP 404): check the API base URL',
      {
        field: 'apiBaseUrl',
      },
    )
  }
  throw new ResponseFormatError(`unexpected HTTP status ${status} from ClickBank`)
}

export function apiBase(conn: ClickbankConnection): string {
  return conn.apiBaseUrl ?? DEFAULT_API_BASE_URL
}

/** The key goes verbatim in Authorization, with no scheme: `API-…` or `DEV-…:API-…`. */
function headers(conn: ClickbankConnection, page: number): Record<string, string> {
  return { authorization: conn.apiKey, accept: 'application/json', page: String(page) }
}

/** Every row of one UTC day, walking `Page: n` while ClickBank answers 206 Partial Content. */
async function fetchDay(
  ctx: PluginContext,
  conn: ClickbankConnection,
  day: string,
  select: readonly string[],
): Promise<ReportRow[]> {
  const rows: ReportRow[] = []
  for (let page = 1; ; page++) {
    if (page > MAX_PAGES_PER_DAY) {
      throw new ResponseFormatError(`the analytics for ${day} did not end after ${MAX_PAGES_PER_DAY} pages`)
    }
    const response = await ctx.http.request({
      url: `${apiBase(conn)}${ANALYTICS_PATH}`,
      headers: headers(conn, page),
      query: { account: conn.nickname, startDate: day, endDate: day, select },
      check: checkResponse,
    })
    rows.push(...mapAnalyticsPage(response.json(), day))
    if (response.status !== 206) return rows
  }
}

function utcDay(date: Date, offsetDays = 0): string {
  return new Date(date.getTime() + offsetDays * 86_400_000).toISOString().slice(0, 10)
}

/**
 * One analytics call for yesterday, first page, one column: it proves the key, the nickname and the Analytics
 * permission at once (the status endpoint would prove only the key).
 */
export async function check(ctx: PluginContext, conn: ClickbankConnection): Promise<CheckResult> {
  const response = await ctx.http.request({
    url: `${apiBase(conn)}${ANALYTICS_PATH}`,
    headers: headers(conn, 1),
    query: {
      account: conn.nickname,
      startDate: utcDay(ctx.now(), -1),
      endDate: utcDay(ctx.now(), -1),
      select: ['HOP_COUNT'],
    },
    check: checkResponse,
  })
  // Reading the page proves the answer has the expected shape; its figures are not needed.
  mapAnalyticsPage(response.json(), utcDay(ctx.now(), -1))
  return { accountName: conn.nickname, currency: CURRENCY, timeZone: 'UTC' }
}

/** Days are asked one at a time (`startDate = endDate = day`), as ClickBank reads the dates in UTC. */
export async function fetchReport(
  ctx: PluginContext,
  conn: ClickbankConnection,
  window: DateWindow,
): Promise<ReportRow[]> {
  const rows: ReportRow[] = []
  for (const day of eachDay(window)) {
    if (ctx.signal.aborted) throw ctx.signal.reason
    rows.push(...(await fetchDay(ctx, conn, day, SELECT_COLUMNS)))
  }
  return mergeRows(rows, window)
}
