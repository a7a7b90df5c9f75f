import {
  AuthError,
  addDays,
  type CheckResult,
  type ConnectionOf,
  type DateWindow,
  defaultResponseCheck,
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
import { mapDailySummary, parseResponse, successOf, symbolMatches } from './map.ts'
import { DAILY_SUMMARY_PATH, INVALID_API_KEY, PARAMS, PERFORMANCE_SUMMARY_PATH } from './wire.ts'

export type CakeConnection = ConnectionOf<typeof connection>

const PORTAL = 'the affiliate portal'
export const KEY_REFUSED =
  `CAKE refused the API key ("${INVALID_API_KEY}": the key does not exist or has expired): check the API key and ` +
  `the Affiliate ID, or ask your affiliate manager for a new key`

const RATE_LIMIT = /too many|rate.?limit|limit exceeded|throttl/i
const AUTH = /api.?key|affiliate|access|denied|permission|authori[sz]/i

function excerpt(text: string): string {
  const flat = text
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim()
  return flat.length > 80 ? `${flat.slice(0, 80)}…` : flat
}

/** A refusal's words to the SDK error they call for. */
export function refusalError(words: string, retryAfterMs?: number): Error {
  if (words.toLowerCase().includes(INVALID_API_KEY.toLowerCase()))
    return new AuthError(KEY_REFUSED, { field: 'apiKey' })
  if (RATE_LIMIT.test(words))
    return new RateLimitError(`CAKE is limiting API calls ("${excerpt(words)}")`, { retryAfterMs })
  if (AUTH.test(words)) {
    return new AuthError(
      `CAKE refused the request ("${excerpt(words)}"): check the Affiliate ID and the API key`,
      {
        field: /affiliate/i.test(words) && !/api.?key/i.test(words) ? 'affiliateId' : 'apiKey',
      },
    )
  }
  return new ResponseFormatError(`CAKE refused the request ("${excerpt(words) || 'no message'}")`)
}

/**
 * CAKE's affiliate API answers XML with HTTP 200, success or not: `<success>` decides. "Invalid API Key" may come
 * in any form. An ASP.NET web service answers a request it cannot bind (a missing parameter) with HTTP 500 text.
 */
export function checkResponse(response: HttpResponse): void {
  const { status, text } = response
  const retryAfterMs = parseRetryAfter(response.headers['retry-after'])
  const head = text.trimStart()
  if (head.slice(0, 2000).toLowerCase().includes(INVALID_API_KEY.toLowerCase()))
    throw new AuthError(KEY_REFUSED, { field: 'apiKey' })
  if (status === 401 || status === 403)
    throw new AuthError(`CAKE refused the request (HTTP ${status}): check the API key and the Affiliate ID`, {
      field: 'apiKey',
    })
  if (status === 404) {
    throw new ResponseFormatError(
      `no CAKE affiliate API at this address (HTTP 404): use the address of ${PORTAL} you log in at`,
      { field: 'baseUrl' },
    )
  }
  if (status === 500 && /missing parameter|invalid(?:operation)?exception/i.test(head.slice(0, 500)))
    throw new ResponseFormatError(`CAKE did not accept the request (HTTP 500: "${excerpt(head)}")`)
  if (status < 200 || status >= 300) {
    defaultResponseCheck(response)
    return
  }
  if (head === '') throw new UnavailableError('CAKE answered with an empty body instead of the report')
  if (/^<(?:!doctype\s+html|html)\b/i.test(head))
    throw new UnavailableError(
      `CAKE answered with a web page instead of the report (maintenance?); check the address of ${PORTAL} if this persists`,
    )
  if (!head.startsWith('<')) {
    if (RATE_LIMIT.test(head.slice(0, 300)))
      throw new RateLimitError(`CAKE is limiting API calls ("${excerpt(head)}")`, { retryAfterMs })
    throw new ResponseFormatError(`CAKE answered with text instead of XML: "${excerpt(head)}"`)
  }
  const root = /^<(?:\?xml[^>]*\?>\s*)?<?([A-Za-z_][\w.:-]*)/.exec(head)?.[1]
  if (root && !new RegExp(`</${root}\\s*>\\s*$`).test(head) && !/\/>\s*$/.test(head))
    throw new UnavailableError('the CAKE answer was cut short (its closing element is missing)')
  const outcome = successOf(parseResponse(text, 'answer').body)
  if (!outcome.ok) throw refusalError(outcome.message, retryAfterMs)
}

const common = (conn: CakeConnection) => ({
  [PARAMS.apiKey]: conn.apiKey,
  [PARAMS.affiliateId]: conn.affiliateId,
})

/** DailySummary over an inclusive window: `end_date` is exclusive, so it is the day after the window's last. */
export function dailySummaryQuery(conn: CakeConnection, window: DateWindow): Record<string, string> {
  return {
    ...common(conn),
    [PARAMS.startDate]: window.from,
    [PARAMS.endDate]: addDays(window.to, 1),
    [PARAMS.siteOfferId]: '0',
  }
}

/** `MM/DD/YYYY`, the form of the KB's PerformanceSummary example. */
const usDate = (day: string) => `${day.slice(5, 7)}/${day.slice(8, 10)}/${day.slice(0, 4)}`

/**
 * The connection test: PerformanceSummary for today proves the key and the affiliate id, and its currency symbol
 * is compared with the connection's currency, so that amounts are not labelled with the wrong one for months.
 */
export async function check(ctx: PluginContext, conn: CakeConnection): Promise<CheckResult> {
  const response = await ctx.http.request({
    url: `${conn.baseUrl}${PERFORMANCE_SUMMARY_PATH}`,
    query: { ...common(conn), [PARAMS.date]: usDate(ctx.now().toISOString().slice(0, 10)) },
    headers: { accept: 'text/xml, application/xml;q=0.9, */*;q=0.1' },
    check: checkResponse,
  })
  const { symbol, matches } = symbolMatches(
    parseResponse(response.text, 'performance summary').body,
    conn.currency,
  )
  if (!matches) {
    throw new ResponseFormatError(
      `CAKE shows your revenue in ${symbol}, which is not ${conn.currency}: set the report currency to the one the network pays you in`,
      { field: 'currency' },
    )
  }
  return { accountName: conn.affiliateId, currency: conn.currency }
}

/** One DailySummary for the window (the host has cut it to 31 days): a row per day of activity. */
export async function fetchReport(
  ctx: PluginContext,
  conn: CakeConnection,
  window: DateWindow,
): Promise<ReportRow[]> {
  const response = await ctx.http.request({
    url: `${conn.baseUrl}${DAILY_SUMMARY_PATH}`,
    query: dailySummaryQuery(conn, window),
    headers: { accept: 'text/xml, application/xml;q=0.9, */*;q=0.1' },
    check: checkResponse,
  })
  const rows = mapDailySummary(parseResponse(response.text, 'daily summary').body, conn.currency)
  ctx.log.debug('cake daily summary', { from: window.from, to: window.to, days: rows.length })
  return mergeRows(rows, window)
}
