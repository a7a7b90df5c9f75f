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
import { affiliateIdOf, mapMediaReport } from './map.ts'
import {
  AUTH_HEADER,
  DAILY,
  GROUP_BY,
  LABEL_NOT_ALLOWED,
  MEDIA_REPORT_PATH,
  PARAMS,
  RECORD_CAP,
  THROTTLED_STATUS,
} from './wire.ts'

export type SmarticoConnection = ConnectionOf<typeof connection>

const DAY_MS = 86_400_000
const SETTINGS = 'Account Settings in the affiliate portal'

export const KEY_REFUSED =
  `Smartico refused the API key: create a new key in ${SETTINGS} (profile → Account Settings → API) and paste ` +
  'it whole; if the key is new, ask the operator whether your account may use the reporting API'
export const LABEL_REFUSED = `this API URL does not serve your program ("${LABEL_NOT_ALLOWED}"): use the API URL shown next to your key in ${SETTINGS}`

const RATE_LIMIT_TEXT = /too many|rate.?limit|throttl|limit exceeded/i
const AUTH_TEXT =
  /api.?key|unauthori[sz]ed|forbidden|access denied|not allowed|permission|token|authori[sz]ation/i

function excerpt(text: string): string {
  const flat = text
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim()
  return flat.length > 80 ? `${flat.slice(0, 80)}…` : flat
}

/** An error object the API sends instead of a report (`{ "errorCode": …, "message": … }`, as clients expect). */
function errorBodyOf(text: string): string | undefined {
  if (!text.trimStart().startsWith('{')) return undefined
  try {
    const body = JSON.parse(text) as Record<string, unknown>
    if (Array.isArray(body.data)) return undefined
    const message = body.message ?? body.error ?? body.errorMessage
    if (message === undefined && body.errorCode === undefined) return undefined
    return `${String(body.errorCode ?? '')} ${String(message ?? '')}`.trim()
  } catch {
    return undefined
  }
}

/**
 * Smartico's answers read: throttling comes as HTTP 291, which ordinary clients take for a success; a host that
 * does not serve the key's label says so in words; an error object may come with any status. Only a JSON report
 * body is a report.
 */
export function checkResponse(response: HttpResponse): void {
  const { status } = response
  const text = response.text
  const retryAfterMs = parseRetryAfter(response.headers['retry-after'])
  if (status === THROTTLED_STATUS || status === 429) {
    throw new RateLimitError(`Smartico is throttling requests (HTTP ${status})`, { retryAfterMs })
  }
  if (text.slice(0, 500).toLowerCase().includes(LABEL_NOT_ALLOWED)) {
    throw new AuthError(LABEL_REFUSED, { field: 'baseUrl' })
  }
  const refusal = errorBodyOf(text)
  if (status === 401 || status === 403) {
    throw new AuthError(`${KEY_REFUSED} (HTTP ${status}${refusal ? `: "${excerpt(refusal)}"` : ''})`, {
      field: 'apiKey',
    })
  }
  if (status === 404) {
    throw new ResponseFormatError(
      `no Smartico reporting API at this address (HTTP 404): use the API URL shown in ${SETTINGS}`,
      { field: 'baseUrl' },
    )
  }
  if (status >= 200 && status < 300) {
    const head = text.trimStart()
    if (head === '') throw new UnavailableError('Smartico answered with an empty body instead of the report')
    if (head.startsWith('<'))
      throw new UnavailableError('Smartico answered with a web page instead of the report (maintenance?)')
    if (refusal !== undefined) {
      if (RATE_LIMIT_TEXT.test(refusal))
        throw new RateLimitError(`Smartico is throttling requests: "${excerpt(refusal)}"`, { retryAfterMs })
      if (AUTH_TEXT.test(refusal))
        throw new AuthError(`${KEY_REFUSED} ("${excerpt(refusal)}")`, { field: 'apiKey' })
      throw new ResponseFormatError(`Smartico refused the report request: "${excerpt(refusal)}"`)
    }
    return
  }
  defaultResponseCheck(response)
}

/** The query of one media report: daily rows by brand and affiliate parameter, `date_to` exclusive. */
export function mediaReportQuery(from: string, toInclusive: string): Record<string, string> {
  return {
    [PARAMS.period]: DAILY,
    [PARAMS.groupBy]: GROUP_BY.join(','),
    [PARAMS.from]: from,
    [PARAMS.to]: addDays(toInclusive, 1),
  }
}

async function requestReport(
  ctx: PluginContext,
  conn: SmarticoConnection,
  from: string,
  to: string,
): Promise<{ rows: ReportRow[]; body: unknown }> {
  const response = await ctx.http.request({
    url: `${conn.baseUrl}${MEDIA_REPORT_PATH}`,
    query: mediaReportQuery(from, to),
    headers: { [AUTH_HEADER]: conn.apiKey, accept: 'application/json' },
    check: checkResponse,
  })
  const body = response.json()
  const rows = mapMediaReport(body, conn.currency)
  ctx.log.debug('smartico media report', { from, to, items: rows.length })
  return { rows, body }
}

const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS)

/**
 * One inclusive range. An answer as full as the record cap other TAP methods have may have been cut, so the range
 * is asked again in halves; a single day that full cannot be split and is refused rather than stored in part.
 */
async function fetchRange(
  ctx: PluginContext,
  conn: SmarticoConnection,
  from: string,
  to: string,
): Promise<ReportRow[]> {
  const { rows } = await requestReport(ctx, conn, from, to)
  if (rows.length < RECORD_CAP) return rows
  if (from === to) {
    throw new ResponseFormatError(
      `Smartico media report: ${rows.length} items for ${from} alone, as many as the API returns at most; the day may be cut short`,
    )
  }
  const middle = addDays(from, Math.floor(daysBetween(from, to) / 2))
  return [
    ...(await fetchRange(ctx, conn, from, middle)),
    ...(await fetchRange(ctx, conn, addDays(middle, 1), to)),
  ]
}

/** The cheapest authenticated call: yesterday's report. Its `meta` names the affiliate. */
export async function check(ctx: PluginContext, conn: SmarticoConnection): Promise<CheckResult> {
  const yesterday = new Date(ctx.now().getTime() - DAY_MS).toISOString().slice(0, 10)
  const { body } = await requestReport(ctx, conn, yesterday, yesterday)
  const affiliateId = affiliateIdOf(body)
  return { ...(affiliateId ? { accountName: affiliateId } : {}), currency: conn.currency, timeZone: 'UTC' }
}

/** Every row of the inclusive window: the exclusive `date_to` is the day after the window's last. */
export async function fetchReport(
  ctx: PluginContext,
  conn: SmarticoConnection,
  window: DateWindow,
): Promise<ReportRow[]> {
  return mergeRows(await fetchRange(ctx, conn, window.from, window.to), window)
}
