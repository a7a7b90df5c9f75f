import {
  AuthError,
  type CheckResult,
  type ConnectionOf,
  type DateWindow,
  defaultResponseCheck,
  type HttpResponse,
  mergeRows,
  type PluginContext,
  type ReportRow,
  ResponseFormatError,
} from '{{sdk}}'
import type { connection } from './credentials.ts'
import { ACCOUNT_PATH, mapAccount, mapStatsPage, STATS_PATH } from './map.ts'

export type {{typeName}}Connection = ConnectionOf<typeof connection>

/** A runaway guard: a month of even a large account is a few dozen pages. */
const MAX_PAGES = 500

/**
 * The statuses this API gives a meaning of its own; the rest read HTTP as usual (429 honours Retry-After, 5xx and
 * 408 are transient and retried by the host). Naming the field lets the connect form point at what to fix.
 */
export function checkResponse(response: HttpResponse): void {
  switch (response.status) {
    case 401:
      throw new AuthError(
        '{{name}} refused the API key (HTTP 401): create a new key under Settings → API access and paste it again',
        { field: 'apiKey' },
      )
    case 403:
      throw new AuthError(
        'the API key may not read statistics (HTTP 403): give it the Reports permission under Settings → API access',
        { field: 'apiKey' },
      )
    case 404:
      throw new ResponseFormatError(
        'no {{name}} API at this address (HTTP 404): check the partner portal URL',
        { field: 'baseUrl' },
      )
  }
  defaultResponseCheck(response)
}

function headers(conn: {{typeName}}Connection): Record<string, string> {
  return { 'x-api-key': conn.apiKey, accept: 'application/json' }
}

/** The cheapest authenticated call: it proves the key works and names the account. */
export async function check(ctx: PluginContext, conn: {{typeName}}Connection): Promise<CheckResult> {
  const response = await ctx.http.request({
    url: `${conn.baseUrl}${ACCOUNT_PATH}`,
    headers: headers(conn),
    check: checkResponse,
  })
  return mapAccount(response.json())
}

/** Every row of the inclusive window (the host has already cut it to `maxWindowDays`), page by page. */
export async function fetchReport(
  ctx: PluginContext,
  conn: {{typeName}}Connection,
  window: DateWindow,
): Promise<ReportRow[]> {
  const rows: ReportRow[] = []
  for (let page = 1; page <= MAX_PAGES; page++) {
    const response = await ctx.http.request({
      url: `${conn.baseUrl}${STATS_PATH}`,
      headers: headers(conn),
      query: { from: window.from, to: window.to, page },
      check: checkResponse,
    })
    const result = mapStatsPage(response.json())
    // A platform that ignores `page` would otherwise make the loop add the first page again and again.
    if (result.page !== page) {
      throw new ResponseFormatError(`{{name}} stats: asked for page ${page}, got page ${result.page}`)
    }
    rows.push(...result.rows)
    // Rows sharing a key are added up, and days outside the window (a platform rounding to whole weeks) dropped.
    if (page >= result.totalPages) return mergeRows(rows, window)
  }
  throw new ResponseFormatError(`{{name}} stats: the report did not end after ${MAX_PAGES} pages`)
}
