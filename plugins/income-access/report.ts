import { createHash } from 'node:crypto'
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
import { type connection, DEFAULT_CURRENCY } from './credentials.ts'
import { discoverColumns, mapReportCsv, parseCsv } from './map.ts'
import { rewriteDates, secretLookingValues } from './wire.ts'

export type IncomeAccessConnection = ConnectionOf<typeof connection>

const API_REPORTS = 'Reports → API Reports'
const REGENERATE = `generate the URL again in ${API_REPORTS} → URL and paste it into this connection`

/** What the program's refusal says is wrong. The bodies are not public: these patterns are assumptions. */
export type Refusal = 'ip-not-whitelisted' | 'key-inactive' | 'key-unknown'

export function classifyRefusal(text: string): Refusal | undefined {
  const body = text.slice(0, 2000)
  if (
    /\bip\b[^.\n]{0,60}\b(not\s+(white\s?-?listed|allowed|authori[sz]ed|permitted)|blocked|denied)/i.test(
      body,
    )
  )
    return 'ip-not-whitelisted'
  if (/\b(not\s+white\s?-?listed|whitelist)/i.test(body)) return 'ip-not-whitelisted'
  if (
    /\bkey\b[^.\n]{0,40}\b(inactive|not\s+active|disabled|deactivated)\b|\binactive\s+(security\s+)?key\b/i.test(
      body,
    )
  )
    return 'key-inactive'
  if (
    /\b(invalid|unknown|bad|wrong|incorrect)\s+(security\s*)?key\b|\bkey\b[^.\n]{0,40}\b(invalid|not\s+found|not\s+recogni[sz]ed)\b/i.test(
      body,
    )
  )
    return 'key-unknown'
  return undefined
}

export function refusalError(refusal: Refusal, status: number): AuthError {
  const http = status === 200 ? 'in an HTTP 200 answer' : `HTTP ${status}`
  switch (refusal) {
    case 'ip-not-whitelisted':
      // Not a connection field: the fix is on the program's site, so no field is named.
      return new AuthError(
        `the program refused the request because your affgraph server's IP address is not whitelisted (${http}): ` +
          `on the program's affiliate site open ${API_REPORTS} and add the server's public IP address to the whitelist; the report URL itself was not rejected`,
      )
    case 'key-inactive':
      return new AuthError(
        `the key in the report URL is not active (${http}): on the program's affiliate site open ${API_REPORTS}, switch Active on and press Update, then ${REGENERATE}`,
        { field: 'reportUrl' },
      )
    case 'key-unknown':
      return new AuthError(`the program does not know the key in this report URL (${http}): ${REGENERATE}`, {
        field: 'reportUrl',
      })
  }
}

/**
 * Maps an API Reports answer to SDK errors. Nothing about the program's error answers is public: refusal texts
 * are read whatever the status (some platforms send errors with HTTP 200), and a body that is neither a refusal
 * nor a CSV is left to the CSV reader, which names what it found.
 */
export function checkResponse(response: HttpResponse): void {
  const { status, text } = response
  if (status >= 200 && status < 300) {
    const trimmed = text.trimStart()
    // A CSV report starts with its header; a short body that is not one is an error document or a web page.
    const firstLine = trimmed.slice(0, trimmed.indexOf('\n') >= 0 ? trimmed.indexOf('\n') : 500)
    if (!firstLine.includes(',')) {
      const refusal = classifyRefusal(trimmed)
      if (refusal) throw refusalError(refusal, status)
      if (/^<(!doctype\s+html|html|head|body)\b/i.test(trimmed)) {
        throw new UnavailableError(
          'the program answered with a web page instead of the report (maintenance?); if this persists, generate the report URL again with the CSV format',
        )
      }
    }
    return
  }
  if (status === 401 || status === 403) {
    const refusal = classifyRefusal(text)
    if (refusal) throw refusalError(refusal, status)
    throw new AuthError(
      `the program refused the request (HTTP ${status}): check in ${API_REPORTS} that your server's IP address is whitelisted and that the API is Active, or ${REGENERATE}`,
      { field: 'reportUrl' },
    )
  }
  if (status === 404) {
    throw new ResponseFormatError(`the program does not know this report URL (HTTP 404): ${REGENERATE}`, {
      field: 'reportUrl',
    })
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

/** Query values of the URL that may be its key are redacted wherever they appear on their own. */
const SECRET_MIN_LENGTH = 8

/** The pasted report URL for `window`: the same URL with only its two dates replaced. */
async function requestCsv(ctx: PluginContext, conn: IncomeAccessConnection, window: DateWindow) {
  for (const value of secretLookingValues(conn.reportUrl, SECRET_MIN_LENGTH)) ctx.registerSecret(value)
  const response = await ctx.http.request({
    url: rewriteDates(conn.reportUrl, window),
    headers: { accept: 'text/csv, text/plain;q=0.9, */*;q=0.1' },
    check: checkResponse,
  })
  return response.text
}

/** Remembers, per report URL, that its report has no date column, so long windows are asked day by day at once. */
const undatedKey = (conn: IncomeAccessConnection) =>
  `income-access:undated:${createHash('sha256').update(conn.reportUrl).digest('hex').slice(0, 16)}`
const UNDATED_TTL_MS = 6 * 60 * 60 * 1000

function readDay(ctx: PluginContext, text: string, conn: IncomeAccessConnection, day?: string): ReportRow[] {
  if (text.trim() === '') return []
  const { rows, columns } = mapReportCsv(text, { currency: conn.currency ?? DEFAULT_CURRENCY, day })
  if (columns.missing.length > 0)
    ctx.log.debug('income-access report lacks columns; those metrics stay empty', {
      missing: columns.missing,
    })
  return rows
}

/**
 * The whole window in one request when the report has a date column. A report without one (nothing public says
 * which the Member Report – Detailed is) cannot say which day a line belongs to, so it is asked one day at a time.
 */
export async function fetchReport(
  ctx: PluginContext,
  conn: IncomeAccessConnection,
  window: DateWindow,
): Promise<ReportRow[]> {
  const oneDay = window.from === window.to
  if (oneDay || ctx.cache.get(undatedKey(conn)) !== true) {
    const text = await requestCsv(ctx, conn, window)
    const [headers] = text.trim() === '' ? [] : parseCsv(text)
    if (oneDay || !headers || discoverColumns(headers).date >= 0)
      return mergeRows(readDay(ctx, text, conn, oneDay ? window.from : undefined), window)
    ctx.cache.set(undatedKey(conn), true, UNDATED_TTL_MS)
    ctx.log.debug('income-access report has no date column; asking one day at a time')
  }
  const rows: ReportRow[] = []
  for (const day of eachDay(window)) {
    rows.push(...readDay(ctx, await requestCsv(ctx, conn, { from: day, to: day }), conn, day))
  }
  return mergeRows(rows, window)
}

/** The day before `now` in UTC, `YYYY-MM-DD`. */
export function yesterday(now: Date): string {
  return new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10)
}

/** The cheapest authenticated call: yesterday's report (one day) through the pasted URL. */
export async function check(ctx: PluginContext, conn: IncomeAccessConnection): Promise<CheckResult> {
  const day = yesterday(ctx.now())
  const rows = await fetchReport(ctx, conn, { from: day, to: day })
  ctx.log.debug('income-access check', { rows: rows.length })
  return conn.currency ? { currency: conn.currency } : {}
}
