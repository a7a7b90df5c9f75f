import {
  AuthError,
  addDays,
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
import { CURRENCY, mapCommissionsPage } from './map.ts'
import {
  DEFAULT_API_BASE_URL,
  dayStart,
  PUBLISHER_COMMISSIONS_QUERY,
  type PublisherCommissionsVariables,
  QUERY_PATH,
} from './wire.ts'

export type CjConnection = ConnectionOf<typeof connection>

/** A runaway guard: CJ returns thousands of records a page, so a month is a handful of pages at most. */
const MAX_PAGES = 500
const TOKEN_HINT = 'developers.cj.com → Authentication → Personal Access Tokens'

/** GraphQL error texts are not published: words that say who may read what, and words of a request limit. */
const NOT_AUTHORISED = /not authori[sz]ed|unauthori[sz]ed|forbidden|access denied|permission|not a member/i
const BAD_TOKEN = /token|authenticat|credential|expired/i
const LIMITED = /too many|rate.?limit|throttl|limit exceeded|quota/i

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/g, '?')
  return flat.length > 160 ? `${flat.slice(0, 160)}…` : flat
}

const tokenRefused = (detail: string) =>
  new AuthError(
    `CJ refused the personal access token (${detail}). If the token was deleted or you signed up again, create a new one in ${TOKEN_HINT} and paste it into this connection.`,
    { field: 'personalAccessToken' },
  )

/** The `errors` of a GraphQL answer as one SDK error, or undefined when there are none. */
export function graphqlErrorOf(body: unknown, response: HttpResponse): PlatformError | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const errors = (body as { errors?: unknown }).errors
  if (!Array.isArray(errors) || errors.length === 0) return undefined
  const messages = errors
    .map((e) => (typeof e === 'object' && e !== null ? (e as { message?: unknown }).message : e))
    .filter((m): m is string => typeof m === 'string')
  const text = excerpt(messages.join(' | ') || 'an error without a message')
  if (LIMITED.test(text)) {
    return new RateLimitError(`CJ is limiting requests: "${text}"`, {
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    })
  }
  if (NOT_AUTHORISED.test(text) || BAD_TOKEN.test(text)) {
    if (BAD_TOKEN.test(text) && !/publisher|company|cid/i.test(text)) return tokenRefused(`"${text}"`)
    return new AuthError(
      `CJ did not let this token read the commissions of this company ("${text}"): check the Company ID (CID) — the number next to your name in CJ — and that the user who created the token is a member of that company.`,
      { field: 'companyId' },
    )
  }
  return new ResponseFormatError(`CJ answered the commissions query with an error: "${text}"`)
}

function parseJson(response: HttpResponse): unknown {
  try {
    return JSON.parse(response.text)
  } catch {
    return undefined
  }
}

/**
 * CJ's statuses: errors of the query come as a GraphQL `errors` list (with 200, or 400 for a query CJ cannot
 * read); the token is checked first, and a refused one is answered 401/403. 429 and 5xx are transient.
 */
export function checkResponse(response: HttpResponse): void {
  const { status } = response
  if (status === 429) {
    throw new RateLimitError('CJ is limiting requests (HTTP 429)', {
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    })
  }
  if (status === 401 || status === 403) throw tokenRefused(`HTTP ${status}`)
  if (status >= 500 || status === 408) throw new UnavailableError(`CJ is unavailable (HTTP ${status})`)
  const head = response.text.trimStart()
  if (head.startsWith('<')) {
    if (status >= 200 && status < 300)
      throw new UnavailableError('CJ answered with a web page instead of commissions (maintenance?)')
  }
  const body = parseJson(response)
  const graphqlError = graphqlErrorOf(body, response)
  if (graphqlError) throw graphqlError
  if (status >= 200 && status < 300) {
    if (body === undefined) throw new ResponseFormatError('CJ answered with something that is not JSON')
    return
  }
  if (status === 404) {
    throw new ResponseFormatError(
      'no CJ commissions API at this address (HTTP 404): check the API base URL',
      {
        field: 'apiBaseUrl',
      },
    )
  }
  throw new ResponseFormatError(`unexpected HTTP status ${status} from CJ`)
}

export function apiBase(conn: CjConnection): string {
  return conn.apiBaseUrl ?? DEFAULT_API_BASE_URL
}

async function queryPage(
  ctx: PluginContext,
  conn: CjConnection,
  variables: PublisherCommissionsVariables,
): Promise<ReturnType<typeof mapCommissionsPage>> {
  const response = await ctx.http.request({
    method: 'POST',
    url: `${apiBase(conn)}${QUERY_PATH}`,
    headers: { authorization: `Bearer ${conn.personalAccessToken}`, accept: 'application/json' },
    json: { query: PUBLISHER_COMMISSIONS_QUERY, variables },
    check: checkResponse,
  })
  return mapCommissionsPage(response.json())
}

/**
 * Every commission record whose event happened in the window's UTC days, following `maxCommissionId` while CJ
 * says the payload is not complete.
 */
async function fetchRecords(
  ctx: PluginContext,
  conn: CjConnection,
  window: DateWindow,
): Promise<ReportRow[]> {
  const rows: ReportRow[] = []
  let cursor: string | null = null
  for (let page = 1; ; page++) {
    if (ctx.signal.aborted) throw ctx.signal.reason
    if (page > MAX_PAGES)
      throw new ResponseFormatError(`CJ's commissions did not end after ${MAX_PAGES} pages`)
    const result = await queryPage(ctx, conn, {
      forPublishers: [conn.companyId],
      sinceEventDate: dayStart(window.from),
      // `before…` is exclusive: the day after the window's last day.
      beforeEventDate: dayStart(addDays(window.to, 1)),
      sinceCommissionId: cursor,
    })
    rows.push(...result.rows)
    if (result.payloadComplete) return rows
    if (result.maxCommissionId === null || result.maxCommissionId === cursor) {
      throw new ResponseFormatError(
        'CJ said more commissions follow but gave no new maxCommissionId to continue from',
      )
    }
    cursor = result.maxCommissionId
  }
}

const utcDay = (date: Date, offsetDays = 0) => addDays(date.toISOString().slice(0, 10), offsetDays)

/** Yesterday's commissions: proves the token, the company id and the token user's membership at once. */
export async function check(ctx: PluginContext, conn: CjConnection): Promise<CheckResult> {
  const yesterday = utcDay(ctx.now(), -1)
  await fetchRecords(ctx, conn, { from: yesterday, to: yesterday })
  return { accountName: conn.companyId, currency: CURRENCY, timeZone: 'UTC' }
}

export async function fetchReport(
  ctx: PluginContext,
  conn: CjConnection,
  window: DateWindow,
): Promise<ReportRow[]> {
  return mergeRows(await fetchRecords(ctx, conn, window), window)
}
