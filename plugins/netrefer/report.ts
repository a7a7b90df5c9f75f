import {
  AuthError,
  type CheckResult,
  type DateWindow,
  defaultResponseCheck,
  type HttpResponse,
  type PluginContext,
  type ReportRow,
  ResponseFormatError,
} from 'affgraph/sdk'
import { mapDailyActivity } from './map.ts'
import { accessToken, forgetToken, type NetReferConnection, requestToken } from './token.ts'
import { DEFAULT_API_VERSION, DEFAULT_REPORT_TYPE_CODE, REPORTS_PERMISSION, reportPath } from './wire.ts'

export const ASK = 'ask your NetRefer account manager'

export function reportUrl(
  conn: NetReferConnection,
  window: DateWindow,
  reportTypeCode = conn.reportTypeCode ?? DEFAULT_REPORT_TYPE_CODE,
): string {
  return (
    conn.baseUrl +
    reportPath({
      apiVersion: conn.apiVersion ?? DEFAULT_API_VERSION,
      reportTypeCode,
      affiliateId: conn.affiliateId,
      from: window.from,
      to: window.to,
    })
  )
}

/** The first human message of an ASP.NET problem-details body (`detail`, `errors`, `title`), or of `message`. */
function problem(response: HttpResponse): string | undefined {
  try {
    const body = JSON.parse(response.text) as Record<string, unknown>
    const errors = body.errors && typeof body.errors === 'object' ? Object.values(body.errors).flat() : []
    const first = [body.detail, ...errors, body.message, body.title].find(
      (v): v is string => typeof v === 'string' && v.trim() !== '',
    )
    return first?.trim().slice(0, 200)
  } catch {
    return undefined
  }
}

/** `Bearer error="insufficient_scope"` is how a JWT-guarded ASP.NET API says the token lacks the permission. */
const lacksScope = (response: HttpResponse) =>
  /insufficient_scope/i.test(response.headers['www-authenticate'] ?? '') ||
  new RegExp(REPORTS_PERMISSION.replace('.', '\\.'), 'i').test(response.text)

/**
 * The report API's answers. A 401 is handed back (not thrown) so the caller can renew the token once; a 204 is an
 * empty report.
 */
export function checkReportResponse(response: HttpResponse): void {
  const { status } = response
  if (status === 401 || status === 204) return
  if (status >= 200 && status < 300) {
    if (response.text.trim() !== '' && !/^\s*[{[]/.test(response.text))
      throw new ResponseFormatError(
        'the ASR API base URL answered with a web page instead of the report: check the ASR API base URL',
        { field: 'baseUrl' },
      )
    return
  }
  if (status === 403) {
    if (lacksScope(response))
      throw new AuthError(
        `the ASR user lacks the ${REPORTS_PERMISSION} permission (HTTP 403): check the Scope (leave it empty for the default) or ${ASK} to grant it`,
        { field: 'scope' },
      )
    throw new AuthError(
      `the ASR user may not report on this affiliate (HTTP 403): check the Affiliate ID, or ${ASK} to link it to your ASR user`,
      { field: 'affiliateId' },
    )
  }
  if (status === 404)
    throw new ResponseFormatError(
      'no Daily Activity Report at this address (HTTP 404): check the ASR API base URL, the report type code and the API version',
      { field: 'baseUrl' },
    )
  if (status === 400 || status === 422) {
    const detail = problem(response)
    throw new ResponseFormatError(
      `the report API refused the request (HTTP ${status})${detail ? `: ${detail}` : ''}`,
    )
  }
  defaultResponseCheck(response)
}

function get(ctx: PluginContext, url: string, token: string, check: (r: HttpResponse) => void) {
  return ctx.http.request({
    url,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    check,
  })
}

/** A report's body; a refused token is renewed exactly once, so bad credentials can never loop. */
export async function readReport(
  ctx: PluginContext,
  conn: NetReferConnection,
  url: string,
  check: (response: HttpResponse) => void = checkReportResponse,
): Promise<unknown> {
  let response = await get(ctx, url, await accessToken(ctx, conn), check)
  if (response.status === 401) {
    ctx.log.info('netrefer access token refused; renewing it once', { status: 401 })
    forgetToken(ctx, conn)
    response = await get(ctx, url, await requestToken(ctx, conn), check)
  }
  if (response.status === 401) {
    forgetToken(ctx, conn)
    throw new AuthError(
      `the report API refused a freshly issued token (HTTP 401): the ASR user may not have report access; check the Username and Access token URL, or ${ASK}`,
      { field: 'username' },
    )
  }
  if (response.status === 204) return []
  return response.json()
}

const dailyActivity = (ctx: PluginContext, conn: NetReferConnection, window: DateWindow) =>
  readReport(ctx, conn, reportUrl(conn, window))

export async function fetchReport(
  ctx: PluginContext,
  conn: NetReferConnection,
  window: DateWindow,
): Promise<ReportRow[]> {
  return mapDailyActivity(await dailyActivity(ctx, conn, window), window)
}

/** A fresh token proves the four credentials; one day of report proves the permission and the affiliate id. */
export async function check(ctx: PluginContext, conn: NetReferConnection): Promise<CheckResult> {
  await requestToken(ctx, conn)
  const day = new Date(ctx.now().getTime() - 86_400_000).toISOString().slice(0, 10)
  const rows = mapDailyActivity(await dailyActivity(ctx, conn, { from: day, to: day }), {
    from: day,
    to: day,
  })
  ctx.log.debug('netrefer daily activity report readable', { rows: rows.length })
  return { accountName: conn.affiliateId }
}
