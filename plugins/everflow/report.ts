import {
  AuthError,
  addDays,
  type CheckResult,
  type ConnectionOf,
  type DateWindow,
  eachDay,
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
import { type EverflowTimezone, mapTable, mapTimezones } from './map.ts'
import {
  API_KEY_HEADER,
  DEFAULT_API_BASE_URL,
  REPORT_COLUMNS,
  ROW_CAP,
  TABLE_PATH,
  TIMEZONES_PATH,
  UTC_TIMEZONE_ID,
} from './wire.ts'

export type EverflowConnection = ConnectionOf<typeof connection>

export const DEFAULT_CURRENCY = 'USD'
const TIMEZONES_CACHE_KEY = 'everflow:timezones'
const DAY_MS = 86_400_000

const KEY_HINT =
  'use an Affiliate API key from the partner portal (My Account → API), or ask your affiliate manager for a new one'

/**
 * Everflow reads HTTP the usual way and answers JSON (docs, Errors): 401 without a valid key, 403 "Out of realm"
 * for a key of another portal (a network or advertiser key on the affiliate API), 429 once the per-second quota
 * of the 30-second window is spent, 400 for a request it cannot run (e.g. an interval over a year).
 */
export function checkResponse(response: HttpResponse): void {
  const { status } = response
  if (status >= 200 && status < 300) {
    if (response.text.trimStart().startsWith('<'))
      throw new UnavailableError('Everflow answered with a web page instead of JSON (maintenance?)')
    return
  }
  if (status === 401)
    throw new AuthError(`Everflow refused the API key (HTTP 401): ${KEY_HINT}`, { field: 'apiKey' })
  if (status === 403) {
    throw new AuthError(
      `Everflow refused the API key for the affiliate API (HTTP 403, "${errorExcerpt(response, ['Error', 'error', 'message', 'description'])}"): a network or advertiser key is "Out of realm" here; ${KEY_HINT}`,
      { field: 'apiKey' },
    )
  }
  if (status === 429) {
    throw new RateLimitError(
      'Everflow is limiting requests (HTTP 429): an affiliate may make 5 requests a second, counted over 30-second windows',
      { retryAfterMs: parseRetryAfter(response.headers['retry-after']) },
    )
  }
  if (status >= 500 || status === 408) throw new UnavailableError(`Everflow is unavailable (HTTP ${status})`)
  if (status === 404) {
    throw new ResponseFormatError(
      `no Everflow affiliate API at this address (HTTP 404): leave the API base URL empty, or use ${DEFAULT_API_BASE_URL} (EU accounts: https://api-eu.eflow.team)`,
      { field: 'apiBaseUrl' },
    )
  }
  throw new ResponseFormatError(
    `Everflow did not run the report (HTTP ${status}, "${errorExcerpt(response, ['Error', 'error', 'message', 'description'])}")`,
  )
}

export function apiBase(conn: EverflowConnection): string {
  return conn.apiBaseUrl ?? DEFAULT_API_BASE_URL
}

function headers(conn: EverflowConnection): Record<string, string> {
  return { [API_KEY_HEADER]: conn.apiKey, accept: 'application/json' }
}

/**
 * The connection's reporting time zone as Everflow's id and its IANA name. UTC needs no look-up (id 67); any
 * other is found in Everflow's time zone list, kept for a day.
 */
export async function resolveTimezone(
  ctx: PluginContext,
  conn: EverflowConnection,
): Promise<EverflowTimezone> {
  const wanted = conn.timezone
  if (wanted === undefined || wanted === 'UTC' || wanted === String(UTC_TIMEZONE_ID))
    return { id: UTC_TIMEZONE_ID, zone: 'UTC' }
  let list = ctx.cache.get<EverflowTimezone[]>(TIMEZONES_CACHE_KEY)
  if (!list) {
    const response = await ctx.http.request({
      url: `${apiBase(conn)}${TIMEZONES_PATH}`,
      headers: headers(conn),
      check: checkResponse,
    })
    list = mapTimezones(response.json())
    ctx.cache.set(TIMEZONES_CACHE_KEY, list, DAY_MS)
  }
  const found = /^\d+$/.test(wanted)
    ? list.find((tz) => tz.id === Number(wanted))
    : list.find((tz) => tz.zone.toLowerCase() === wanted.toLowerCase())
  if (!found) {
    throw new ResponseFormatError(
      `Everflow has no reporting time zone "${wanted}": use one of its time zone names (e.g. America/New_York) or timezone_ids (67 is UTC)`,
      { field: 'timezone' },
    )
  }
  return found
}

async function requestTable(
  ctx: PluginContext,
  conn: EverflowConnection,
  timezone: EverflowTimezone,
  window: DateWindow,
) {
  const currency = conn.currency ?? DEFAULT_CURRENCY
  const response = await ctx.http.request({
    method: 'POST',
    url: `${apiBase(conn)}${TABLE_PATH}`,
    headers: headers(conn),
    // `from` and `to` are inclusive days of the requested zone (docs: a whole month is from the 1st to the 30th).
    json: {
      from: window.from,
      to: window.to,
      timezone_id: timezone.id,
      currency_id: currency,
      columns: REPORT_COLUMNS.map((column) => ({ column })),
      query: { filters: [] },
    },
    check: checkResponse,
  })
  return mapTable(response.json(), timezone.zone, currency)
}

/**
 * Every row of the window. The table holds at most 10,000 rows and says `incomplete_results` beyond: the window
 * is then halved until each part fits; a single day that does not fit is refused rather than stored in part.
 */
async function fetchWindow(
  ctx: PluginContext,
  conn: EverflowConnection,
  timezone: EverflowTimezone,
  window: DateWindow,
): Promise<ReportRow[]> {
  if (ctx.signal.aborted) throw ctx.signal.reason
  const page = await requestTable(ctx, conn, timezone, window)
  if (!page.incomplete) return page.rows
  const days = eachDay(window)
  if (days.length === 1) {
    throw new ResponseFormatError(
      `Everflow has more than ${ROW_CAP.toLocaleString('en')} offer × sub1 rows for ${window.from}, the most one report holds: the day cannot be read whole`,
    )
  }
  const middle = days[Math.floor(days.length / 2) - 1]!
  ctx.log.debug('everflow report over the row cap: halving the window', { from: window.from, to: window.to })
  return [
    ...(await fetchWindow(ctx, conn, timezone, { from: window.from, to: middle })),
    ...(await fetchWindow(ctx, conn, timezone, { from: addDays(middle, 1), to: window.to })),
  ]
}

/** A one-day report for yesterday: it proves the key, its realm and the report at once. */
export async function check(ctx: PluginContext, conn: EverflowConnection): Promise<CheckResult> {
  const timezone = await resolveTimezone(ctx, conn)
  const yesterday = new Date(ctx.now().getTime() - DAY_MS).toISOString().slice(0, 10)
  await requestTable(ctx, conn, timezone, { from: yesterday, to: yesterday })
  return { currency: conn.currency ?? DEFAULT_CURRENCY, timeZone: timezone.zone }
}

export async function fetchReport(
  ctx: PluginContext,
  conn: EverflowConnection,
  window: DateWindow,
): Promise<ReportRow[]> {
  const timezone = await resolveTimezone(ctx, conn)
  return mergeRows(await fetchWindow(ctx, conn, timezone, window), window)
}
