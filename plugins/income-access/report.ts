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
} from '../../src/sdk/index.ts'
import type { connection } from './credentials.ts'
import { mapReportCsv } from './map.ts'
import { WIRE } from './wire.ts'

export type IncomeAccessConnection = ConnectionOf<typeof connection>

const API_REPORTS = 'Reports → API Reports'

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
          `on the program's affiliate site open ${API_REPORTS} and add the server's public IP address to the whitelist; the security key itself was not rejected`,
      )
    case 'key-inactive':
      return new AuthError(
        `the security key is not active (${http}): on the program's affiliate site open ${API_REPORTS}, tick Active and press SUBMIT ` +
          '(or press GENERATENEWKEY, tick Active, SUBMIT, and paste the new securitykey here)',
        { field: 'securityKey' },
      )
    case 'key-unknown':
      return new AuthError(
        `the program does not know this security key (${http}): copy the securitykey again from ${API_REPORTS} on this program's affiliate site ` +
          '(or press GENERATENEWKEY, tick Active, SUBMIT) and check the affiliate site URL',
        { field: 'securityKey' },
      )
  }
}

/**
 * Maps an API Reports answer to SDK errors. The refusal bodies are read whatever the status (some platforms send
 * errors with HTTP 200), so an inactive key and a non-whitelisted IP each get their own message.
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
      if (trimmed.startsWith('<')) {
        throw new UnavailableError(
          'the program answered with a web page instead of the report (maintenance?); if this persists, check the affiliate site URL',
        )
      }
    }
    return
  }
  if (status === 401 || status === 403) {
    const refusal = classifyRefusal(text)
    if (refusal) throw refusalError(refusal, status)
    throw new AuthError(
      `the program refused the request (HTTP ${status}): check in ${API_REPORTS} that your server's IP address is whitelisted and that the security key is Active`,
      { field: 'securityKey' },
    )
  }
  if (status === 404) {
    throw new ResponseFormatError(
      'no Income Access API Reports endpoint at this address (HTTP 404): check the affiliate site URL',
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

/** The query of one report request; the key travels in the query, as in the program's generated URLs. */
export function reportQuery(
  conn: IncomeAccessConnection,
  window: DateWindow,
): Record<string, string | undefined> {
  const p = WIRE.params
  return {
    [p.key]: conn.securityKey,
    [p.report]: WIRE.reportId,
    [p.merchant]: conn.merchantId,
    [p.from]: window.from,
    [p.to]: window.to,
    [p.format]: WIRE.format,
  }
}

async function requestReport(
  ctx: PluginContext,
  conn: IncomeAccessConnection,
  window: DateWindow,
): Promise<ReportRow[]> {
  const response = await ctx.http.request({
    url: `${conn.baseUrl}${WIRE.path}`,
    query: reportQuery(conn, window),
    headers: { accept: 'text/csv, text/plain;q=0.9, */*;q=0.1' },
    check: checkResponse,
  })
  return mapReportCsv(response.text)
}

/** The day before `now` in UTC, `YYYY-MM-DD`. */
export function yesterday(now: Date): string {
  return new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10)
}

/** The cheapest authenticated call: yesterday's report (one day). */
export async function check(ctx: PluginContext, conn: IncomeAccessConnection): Promise<CheckResult> {
  const day = yesterday(ctx.now())
  const rows = await requestReport(ctx, conn, { from: day, to: day })
  ctx.log.debug('income-access check', { rows: rows.length })
  const currencies = new Set(rows.map((r) => r.currency).filter((c): c is string => c !== null))
  return currencies.size === 1 ? { currency: [...currencies][0]! } : {}
}

/** `from` and `to` are read as inclusive days [assumed]; rows outside the window are dropped all the same. */
export async function fetchReport(
  ctx: PluginContext,
  conn: IncomeAccessConnection,
  window: DateWindow,
): Promise<ReportRow[]> {
  return mergeRows(await requestReport(ctx, conn, window), window)
}
