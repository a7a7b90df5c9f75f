import {
  AuthError,
  type CheckResult,
  type ConnectionOf,
  type DateWindow,
  errorExcerpt,
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
import { mapAccounts, mapTransactions } from './map.ts'
import { ACCOUNTS_PATH, DEFAULT_API_BASE_URL, transactionsPath } from './wire.ts'

export type AwinConnection = ConnectionOf<typeof connection>

export const DEFAULT_TIME_ZONE = 'UTC'
const TOKEN_HINT = 'create a new API token at ui.awin.com/awin-api and paste it here'

/**
 * Awin's statuses. Only the throttle (20 calls a minute per user, 429) is published with its meaning; 401 for a
 * token Awin does not accept and 403 for a publisher the token's user may not read follow the OAuth2 bearer scheme
 * Awin uses, and their bodies are read loosely.
 */
export function checkResponse(response: HttpResponse): void {
  const { status } = response
  if (status >= 200 && status < 300) {
    if (response.text.trimStart().startsWith('<'))
      throw new UnavailableError('Awin answered with a web page instead of JSON (maintenance?)')
    return
  }
  if (status === 401)
    throw new AuthError(`Awin refused the API token (HTTP 401): ${TOKEN_HINT}`, { field: 'apiToken' })
  if (status === 403) {
    throw new AuthError(
      `Awin refused access to this publisher (HTTP 403, "${errorExcerpt(response, ['description', 'error_description', 'message', 'error'])}"): the API token's user has no permission for this publisher ID; check the ID, or use the token of a user of this account`,
      { field: 'publisherId' },
    )
  }
  if (status === 429) {
    throw new RateLimitError(
      'Awin is limiting requests (HTTP 429): 20 calls a minute per user, shared by every account of the token',
      {
        retryAfterMs: parseRetryAfter(response.headers['retry-after']),
      },
    )
  }
  if (status >= 500 || status === 408) throw new UnavailableError(`Awin is unavailable (HTTP ${status})`)
  if (status === 404) {
    throw new ResponseFormatError(`Awin knows no such publisher (HTTP 404): check the publisher ID`, {
      field: 'publisherId',
    })
  }
  throw new ResponseFormatError(
    `Awin did not answer the request (HTTP ${status}, "${errorExcerpt(response, ['description', 'error_description', 'message', 'error'])}")`,
  )
}

function apiBase(conn: AwinConnection): string {
  return conn.apiBaseUrl ?? DEFAULT_API_BASE_URL
}

function headers(conn: AwinConnection): Record<string, string> {
  return { authorization: `Bearer ${conn.apiToken}`, accept: 'application/json' }
}

/** The token's accounts must include this publisher: that proves the token and names the account. */
export async function check(ctx: PluginContext, conn: AwinConnection): Promise<CheckResult> {
  const response = await ctx.http.request({
    url: `${apiBase(conn)}${ACCOUNTS_PATH}`,
    headers: headers(conn),
    check: checkResponse,
  })
  const accounts = mapAccounts(response.json())
  const mine = accounts.find((a) => a.accountId === conn.publisherId && a.accountType !== 'advertiser')
  if (!mine) {
    const publishers = accounts.filter((a) => a.accountType !== 'advertiser').map((a) => a.accountId)
    throw new AuthError(
      `the API token's user cannot reach publisher ${conn.publisherId}${publishers.length ? `; it reaches publisher IDs ${publishers.slice(0, 10).join(', ')}` : ' (it reaches no publisher account)'}`,
      { field: 'publisherId' },
    )
  }
  return { accountName: mine.accountName ?? conn.publisherId, timeZone: conn.timeZone ?? DEFAULT_TIME_ZONE }
}

/**
 * One request per window (at most 31 days, Awin's limit): every transaction dated in it, from the first day's
 * midnight to the last day's last second in the connection's time zone.
 */
export async function fetchReport(
  ctx: PluginContext,
  conn: AwinConnection,
  window: DateWindow,
): Promise<ReportRow[]> {
  const response = await ctx.http.request({
    url: `${apiBase(conn)}${transactionsPath(conn.publisherId)}`,
    query: {
      startDate: `${window.from}T00:00:00`,
      endDate: `${window.to}T23:59:59`,
      timezone: conn.timeZone ?? DEFAULT_TIME_ZONE,
      dateType: 'transaction',
    },
    headers: headers(conn),
    check: checkResponse,
  })
  const rows = mapTransactions(response.json()).flatMap((t) => (t.row ? [t.row] : []))
  return mergeRows(rows, window)
}
