import {
  AuthError,
  addDays,
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
import { mapAction, mapActionsPage, mapCompanyInformation } from './map.ts'
import { ACTIONS, accountPath, COMPANY_INFORMATION, DEFAULT_API_BASE_URL, PAGE_SIZE } from './wire.ts'

export type ImpactConnection = ConnectionOf<typeof connection>

/** A runaway guard: a month of a very large partner account is a few hundred pages of 100 actions. */
const MAX_PAGES = 2000
const WHERE = 'Settings → Technical → API'

/** Seconds until the limit resets (X-RateLimit-Reset), or a Retry-After should one come. */
function retryAfterMs(response: HttpResponse): number | undefined {
  const reset = response.headers['x-ratelimit-reset']?.trim()
  if (reset && /^\d+$/.test(reset)) return Number(reset) * 1000
  return parseRetryAfter(response.headers['retry-after'])
}

/**
 * impact.com's statuses (published error reference): 401 for credentials it does not accept, 403 for a scoped token
 * that is disabled or not permitted on the endpoint, 429 with X-RateLimit-* headers (no Retry-After) over the
 * hourly limit, 400/402 with an `{Status: "ERROR", Message}` envelope for requests it will not run. Without
 * `Accept: application/json` some endpoints answer XML, which is refused rather than misread.
 */
export function checkResponse(response: HttpResponse): void {
  const { status } = response
  if (status >= 200 && status < 300) {
    const head = response.text.trimStart()
    if (/^<(?:!doctype\s+html|html)\b/i.test(head))
      throw new UnavailableError('impact.com answered with a web page instead of JSON (maintenance?)')
    if (head.startsWith('<'))
      throw new ResponseFormatError(
        'impact.com answered XML instead of JSON (the Accept header was not honoured)',
      )
    return
  }
  if (status === 401) {
    throw new AuthError(
      `impact.com refused the Account SID and Auth Token (HTTP 401): copy both again from ${WHERE}; a regenerated token replaces the old one`,
      { field: 'authToken' },
    )
  }
  if (status === 403) {
    throw new AuthError(
      `impact.com refused the Auth Token for this data (HTTP 403, "${errorExcerpt(response, ['Message'])}"): the token is scoped or disabled; in ${WHERE} give it read permission for Actions and Company Information`,
      { field: 'authToken' },
    )
  }
  if (status === 429) {
    throw new RateLimitError('impact.com is limiting requests (HTTP 429): 1,000 an hour per account', {
      retryAfterMs: retryAfterMs(response),
    })
  }
  if (status >= 500 || status === 408)
    throw new UnavailableError(`impact.com is unavailable (HTTP ${status})`)
  if (status === 404) {
    throw new ResponseFormatError(
      `impact.com knows no partner account with this Account SID (HTTP 404): copy it again from ${WHERE}, and leave the API base URL empty`,
      { field: 'accountSid' },
    )
  }
  throw new ResponseFormatError(
    `impact.com did not answer the request (HTTP ${status}, "${errorExcerpt(response, ['Message'])}")`,
  )
}

function base(conn: ImpactConnection): string {
  return `${conn.apiBaseUrl ?? DEFAULT_API_BASE_URL}${accountPath(conn.accountSid)}`
}

/** HTTP Basic with the Account SID as user name and the Auth Token as password; JSON asked for explicitly. */
function headers(conn: ImpactConnection): Record<string, string> {
  const basic = Buffer.from(`${conn.accountSid}:${conn.authToken}`).toString('base64')
  return { authorization: `Basic ${basic}`, accept: 'application/json' }
}

/**
 * The actions whose event falls in the window. impact.com reads ActionDateStart/End as instants and renders each
 * EventDate in the account's time zone, which no request names: the range is widened by a day on each side and
 * each action kept by the day its own EventDate shows.
 */
function actionRange(window: DateWindow) {
  return {
    ActionDateStart: `${addDays(window.from, -1)}T00:00:00Z`,
    ActionDateEnd: `${addDays(window.to, 1)}T23:59:59Z`,
  }
}

/** Readings of the list, when it keeps changing while it is read, before the fetch is given up as transient. */
const LIST_READINGS = 3

/**
 * Every action of the range. Pages are positions in a list that can change while it is read (an action is added,
 * reversed away or re-stated between two pages): every action after the change moves, so one page would skip
 * some and repeat others, on days the change did not touch. When `@total` differs from one page to the next the
 * list is read again from page 1; a list that keeps changing is a passing failure and the sync tries later.
 */
async function listActions(
  ctx: PluginContext,
  conn: ImpactConnection,
  window: DateWindow,
): Promise<unknown[]> {
  for (let reading = 1; reading <= LIST_READINGS; reading++) {
    const listed = await readActionList(ctx, conn, window)
    if (listed) return listed
    ctx.log.info('impact.com actions: the list changed while it was read; reading it again', { reading })
  }
  throw new UnavailableError(
    `impact.com's action list changed while it was read, ${LIST_READINGS} times in a row; the sync tries again later`,
  )
}

/** One reading of the list, page by page (`@nextpageuri` when given, else `Page` + 1); null when it changed. */
async function readActionList(
  ctx: PluginContext,
  conn: ImpactConnection,
  window: DateWindow,
): Promise<unknown[] | null> {
  const origin = conn.apiBaseUrl ?? DEFAULT_API_BASE_URL
  const first = `${base(conn)}/${ACTIONS}`
  const actions: unknown[] = []
  let total: number | null | undefined
  let next: { url: string; query?: Record<string, string | number> } = {
    url: first,
    query: { ...actionRange(window), PageSize: PAGE_SIZE, Page: 1 },
  }
  for (let fetched = 1; fetched <= MAX_PAGES; fetched++) {
    if (ctx.signal.aborted) throw ctx.signal.reason
    const response = await ctx.http.request({
      url: next.url,
      query: next.query,
      headers: headers(conn),
      check: checkResponse,
    })
    const page = mapActionsPage(response.json())
    if (total === undefined) total = page.total
    else if (page.total !== null && total !== null && page.total !== total) return null
    actions.push(...page.actions)
    if (page.page >= page.numPages || page.actions.length === 0) return actions
    if (page.page !== fetched)
      throw new ResponseFormatError(`impact.com actions: asked for page ${fetched}, got page ${page.page}`)
    // The next page's address is relative to the API host; anything else is not followed.
    next = page.nextPageUri?.startsWith(`${accountPath(conn.accountSid)}/${ACTIONS}?`)
      ? { url: `${origin}${page.nextPageUri}` }
      : { url: first, query: { ...actionRange(window), PageSize: PAGE_SIZE, Page: fetched + 1 } }
  }
  throw new ResponseFormatError(`impact.com actions: the list did not end after ${MAX_PAGES} pages`)
}

/** Company Information names the account, then one page of yesterday's actions proves the Actions permission. */
export async function check(ctx: PluginContext, conn: ImpactConnection): Promise<CheckResult> {
  const response = await ctx.http.request({
    url: `${base(conn)}/${COMPANY_INFORMATION}`,
    headers: headers(conn),
    check: checkResponse,
  })
  const company = mapCompanyInformation(response.json())
  const yesterday = addDays(ctx.now().toISOString().slice(0, 10), -1)
  const actions = await ctx.http.request({
    url: `${base(conn)}/${ACTIONS}`,
    query: { ...actionRange({ from: yesterday, to: yesterday }), PageSize: 1, Page: 1 },
    headers: headers(conn),
    check: checkResponse,
  })
  mapActionsPage(actions.json())
  return company
}

export async function fetchReport(
  ctx: PluginContext,
  conn: ImpactConnection,
  window: DateWindow,
): Promise<ReportRow[]> {
  const rows: ReportRow[] = []
  for (const [index, action] of (await listActions(ctx, conn, window)).entries()) {
    const mapped = mapAction(action, index)
    if (mapped.row) rows.push(mapped.row)
  }
  return mergeRows(rows, window)
}
