import {
  AuthError,
  type CheckResult,
  type ConnectionOf,
  type DateWindow,
  type HttpResponse,
  mergeRows,
  type PlatformError,
  type PluginContext,
  parseRetryAfter,
  RateLimitError,
  type ReportRow,
  ResponseFormatError,
  UnavailableError,
} from 'affgraph/sdk'
import type { connection } from './credentials.ts'
import { mapMediaReport } from './map.ts'
import { ERROR_BODIES, HEADERS, MAX_WINDOW_DAYS, MEDIA_REPORT_COMMAND, REQUESTED_BREAKDOWNS } from './wire.ts'

export type CellxpertConnection = ConnectionOf<typeof connection>

const DAY_MS = 86_400_000

export const AUTH_MESSAGE =
  'Cellxpert refused the credentials ("Bad Authentication Key", sent with HTTP 200): check the Affiliate ID and the ' +
  "API access key (generate a new key in the affiliate portal if in doubt), and make sure your affgraph server's " +
  'public IP address is whitelisted for API access: Cellxpert gives the same answer to a request from an IP it does not know'

export const BAD_COMMAND_MESSAGE =
  'Cellxpert answered "Bad Command" (HTTP 200) to the media report request: the API at this address did not accept ' +
  "command=mediareport with these dates and breakdowns; check that the API URL is the program's Cellxpert API (…/api/) " +
  'and ask the affiliate manager whether the media report is enabled for API access'

const RATE_LIMIT_TEXT = /too many requests|rate.?limit|limit exceeded|slow down/i

/** A short printable excerpt of an unexpected body, so the error says what came back without dumping it. */
function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/g, '?')
  return flat.length > 60 ? `${flat.slice(0, 60)}…` : flat
}

/** A plain-text answer: Cellxpert's error bodies, a rate limit in words, or something unknown. */
export function textAnswerError(body: string, response: HttpResponse): PlatformError {
  const text = body.trim()
  if (text.toLowerCase().startsWith(ERROR_BODIES.badAuthentication.toLowerCase()))
    return new AuthError(AUTH_MESSAGE)
  if (text.toLowerCase().startsWith(ERROR_BODIES.badCommand.toLowerCase()))
    return new ResponseFormatError(BAD_COMMAND_MESSAGE)
  if (RATE_LIMIT_TEXT.test(text.slice(0, 200))) {
    return new RateLimitError(
      `the program is rate limiting requests (HTTP ${response.status}: "${excerpt(text)}")`,
      {
        retryAfterMs: parseRetryAfter(response.headers['retry-after']),
      },
    )
  }
  return new ResponseFormatError(
    `the program answered with text instead of the XML media report (HTTP ${response.status}): "${excerpt(text)}"`,
  )
}

/**
 * Maps an answer to SDK errors inside the host's retry loop. Cellxpert reports every refusal as a plain-text
 * body with HTTP 200 and labels even its XML `text/html`, so for a 200 the body decides, never the content type:
 * it is a report only when it is XML. A ResultSet that never closes was cut short and is worth retrying.
 */
export function checkResponse(response: HttpResponse): void {
  const { status } = response
  const body = response.text.trim()
  if (status === 429) {
    throw new RateLimitError('the program is rate limiting requests (HTTP 429)', {
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    })
  }
  if (status >= 200 && status < 300) {
    if (body === '') {
      throw new UnavailableError(
        'the program answered HTTP 200 with an empty body instead of the media report',
      )
    }
    if (!body.startsWith('<')) throw textAnswerError(body, response)
    if (/^<(?:!doctype\s+html|html)\b/i.test(body)) {
      throw new UnavailableError(
        'the program answered with a web page instead of the XML media report (maintenance?); if this persists, check the API URL',
      )
    }
    if (/<ResultSet\b/.test(body) && !/<\/ResultSet\s*>$/.test(body) && !/<ResultSet\b[^>]*\/>$/.test(body))
      throw new UnavailableError('the XML media report was cut short (no closing </ResultSet>)')
    return
  }
  if (status === 401 || status === 403) {
    const refusal = textAnswerError(body, response)
    if (refusal instanceof AuthError) throw refusal
    throw new AuthError(
      `the program refused the request (HTTP ${status}): make sure your affgraph server's public IP address is whitelisted for API access and check the API access key`,
    )
  }
  if (status === 404) {
    throw new ResponseFormatError(
      'no Cellxpert API at this address (HTTP 404): check the API URL (https://<tracking domain>/api/)',
      { field: 'baseUrl' },
    )
  }
  if (status >= 500 || status === 408)
    throw new UnavailableError(`the program is unavailable (HTTP ${status})`)
  throw new ResponseFormatError(`unexpected HTTP status ${status} from the program`)
}

/** The query of one media report: one row per day × brand × tracking code. */
export function mediaReportQuery(window: DateWindow): Record<string, string> {
  const query: Record<string, string> = {
    command: MEDIA_REPORT_COMMAND,
    fromdate: window.from,
    todate: window.to,
  }
  for (const breakdown of REQUESTED_BREAKDOWNS) query[breakdown] = '1'
  return query
}

async function requestReport(
  ctx: PluginContext,
  conn: CellxpertConnection,
  window: DateWindow,
): Promise<ReportRow[]> {
  const response = await ctx.http.request({
    // The API answers at `/api/`; the stored root has no trailing slash.
    url: `${conn.baseUrl}/`,
    query: mediaReportQuery(window),
    headers: {
      [HEADERS.affiliateId]: conn.affiliateId,
      [HEADERS.apiKey]: conn.apiKey,
      accept: 'application/xml, text/xml;q=0.9, text/html;q=0.5, */*;q=0.1',
    },
    check: checkResponse,
  })
  const rows = mapMediaReport(response.text, conn.currency)
  ctx.log.debug('cellxpert media report', { from: window.from, to: window.to, rows: rows.length })
  return rows
}

const dayOf = (time: number) => new Date(time).toISOString().slice(0, 10)
const timeOf = (day: string) => Date.parse(`${day}T00:00:00Z`)

/** Today in the declared reporting zone (UTC): the last day Cellxpert may be asked for. */
export function lastReportableDay(now: Date): string {
  return dayOf(now.getTime())
}

/**
 * The window as Cellxpert accepts it: future days cut off (they have no data and may fail the call) and cut into
 * pieces of at most 31 days. The host already cuts to `limits.maxWindowDays`; this only guards direct callers.
 */
export function requestWindows(window: DateWindow, now: Date): DateWindow[] {
  const last = lastReportableDay(now)
  const to = window.to.localeCompare(last) > 0 ? last : window.to
  const pieces: DateWindow[] = []
  for (let start = timeOf(window.from); start <= timeOf(to); start += MAX_WINDOW_DAYS * DAY_MS) {
    const end = Math.min(timeOf(to), start + (MAX_WINDOW_DAYS - 1) * DAY_MS)
    pieces.push({ from: dayOf(start), to: dayOf(end) })
  }
  return pieces
}

/** The cheapest authenticated call: yesterday's media report (one day). */
export async function check(ctx: PluginContext, conn: CellxpertConnection): Promise<CheckResult> {
  const day = dayOf(ctx.now().getTime() - DAY_MS)
  const rows = await requestReport(ctx, conn, { from: day, to: day })
  const named = new Set(rows.map((r) => r.currency).filter((c): c is string => c !== null))
  // A program that names its currency in the rows is believed over the connection's setting.
  const currency = named.size === 1 ? [...named][0]! : conn.currency
  return { accountName: conn.affiliateId, currency }
}

/** `fromdate`/`todate` are inclusive days; rows outside the asked window are dropped all the same. */
export async function fetchReport(
  ctx: PluginContext,
  conn: CellxpertConnection,
  window: DateWindow,
): Promise<ReportRow[]> {
  const rows: ReportRow[] = []
  for (const piece of requestWindows(window, ctx.now())) rows.push(...(await requestReport(ctx, conn, piece)))
  return mergeRows(rows, window)
}
