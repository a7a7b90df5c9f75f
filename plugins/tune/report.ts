import {
  AuthError,
  type CheckResult,
  type ConnectionOf,
  type DateWindow,
  defaultResponseCheck,
  type HttpResponse,
  mergeRows,
  type PluginContext,
  parseRetryAfter,
  type QueryValue,
  RateLimitError,
  type ReportRow,
  ResponseFormatError,
  UnavailableError,
} from 'affgraph/sdk'
import type { connection } from './credentials.ts'
import { mapStatsData, type StatsPage } from './map.ts'
import {
  API_PATH,
  apiHostOf,
  METHOD,
  PAGE_LIMIT,
  PARAMS,
  REQUESTED_FIELDS,
  REQUESTED_GROUPS,
  STATUS_ERROR,
  STATUS_OK,
  TARGET,
} from './wire.ts'

export type TuneConnection = ConnectionOf<typeof connection>

const DAY_MS = 86_400_000
/** A runaway guard: a month of a busy account is a few dozen pages of 1,000 rows. */
const MAX_PAGES = 500
const KEY_HINT = "the API page of the network's partner interface"

const RATE_LIMIT = /usage exceeded|rate.?limit|too many/i
const NETWORK = /network\s*id|network\b.*\b(?:not found|invalid|unknown|does not exist)/i
const AUTH =
  /api.?key|invalid key|not authori[sz]ed|unauthori[sz]ed|authenticat|access|permission|denied|forbidden/i

function excerpt(text: string): string {
  const flat = text
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim()
  return flat.length > 100 ? `${flat.slice(0, 100)}…` : flat
}

/** The words of a status -1 answer: `errors[].publicMessage` (or `err_msg`, `message`) and `errorMessage`. */
export function errorWords(envelope: Record<string, unknown>): string {
  const words: string[] = []
  const errors = envelope.errors
  const list = Array.isArray(errors)
    ? errors
    : errors && typeof errors === 'object'
      ? Object.values(errors)
      : []
  for (const e of list) {
    if (typeof e === 'string') words.push(e)
    else if (e && typeof e === 'object') {
      const o = e as Record<string, unknown>
      const text = o.publicMessage ?? o.err_msg ?? o.message
      if (typeof text === 'string') words.push(text)
    }
  }
  if (typeof envelope.errorMessage === 'string') words.push(envelope.errorMessage)
  return [...new Set(words.map((w) => w.trim()).filter(Boolean))].join('; ')
}

/** A status -1 answer to the SDK error its words call for. */
export function refusalError(words: string, retryAfterMs?: number): Error {
  const quoted = words ? `"${excerpt(words)}"` : 'no message'
  if (RATE_LIMIT.test(words))
    return new RateLimitError(`TUNE is rate limiting API calls (${quoted})`, { retryAfterMs })
  if (NETWORK.test(words))
    return new AuthError(`TUNE does not know this network (${quoted}): check the Network ID`, {
      field: 'networkId',
    })
  if (AUTH.test(words)) {
    return new AuthError(
      `TUNE refused the API key (${quoted}): copy the key again from ${KEY_HINT}, and ask your partner manager to enable the Partner API if the network has not`,
      { field: 'apiKey' },
    )
  }
  return new ResponseFormatError(`TUNE refused the stats request (${quoted})`)
}

/**
 * TUNE answers errors with HTTP 200 and `response.status` -1, so for a 200 the envelope decides: only status 1 is
 * an answer. A rate-limit refusal may come as plain text, not JSON.
 */
export function checkResponse(response: HttpResponse): void {
  const { status, text } = response
  const retryAfterMs = parseRetryAfter(response.headers['retry-after'])
  if (status === 401 || status === 403) {
    throw new AuthError(`TUNE refused the request (HTTP ${status}): check the API key and the Network ID`, {
      field: 'apiKey',
    })
  }
  if (status === 404) {
    throw new ResponseFormatError('no TUNE API at this address (HTTP 404): check the Network ID', {
      field: 'networkId',
    })
  }
  if (status < 200 || status >= 300) {
    if (RATE_LIMIT.test(text.slice(0, 300)) && status !== 503)
      throw new RateLimitError(`TUNE is rate limiting API calls (HTTP ${status})`, { retryAfterMs })
    defaultResponseCheck(response)
    return
  }
  const head = text.trimStart()
  if (head === '') throw new UnavailableError('TUNE answered with an empty body instead of the stats')
  if (!head.startsWith('{')) {
    if (RATE_LIMIT.test(head.slice(0, 300)))
      throw new RateLimitError(`TUNE is rate limiting API calls ("${excerpt(head)}")`, { retryAfterMs })
    if (head.startsWith('<'))
      throw new UnavailableError('TUNE answered with a web page instead of the stats (maintenance?)')
    throw new ResponseFormatError(`TUNE answered with text instead of JSON: "${excerpt(head)}"`)
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new ResponseFormatError('TUNE answered with JSON that does not parse')
  }
  const envelope = (body as { response?: unknown }).response
  if (!envelope || typeof envelope !== 'object')
    throw new ResponseFormatError('TUNE answered without the "response" envelope')
  const result = (envelope as { status?: unknown }).status
  if (Number(result) === STATUS_ERROR)
    throw refusalError(errorWords(envelope as Record<string, unknown>), retryAfterMs)
  if (Number(result) !== STATUS_OK)
    throw new ResponseFormatError(`TUNE answered with status ${JSON.stringify(result)}`)
}

export function apiBase(conn: TuneConnection): string {
  return conn.apiBaseUrl ?? apiHostOf(conn.networkId)
}

/** The query of one page of `Affiliate_Report::getStats` over an inclusive window. */
export function statsQuery(
  conn: TuneConnection,
  window: DateWindow,
  page: number,
  limit = PAGE_LIMIT,
): Record<string, QueryValue> {
  return {
    [PARAMS.networkId]: conn.networkId,
    [PARAMS.apiKey]: conn.apiKey,
    [PARAMS.target]: TARGET,
    [PARAMS.method]: METHOD,
    [PARAMS.fields]: REQUESTED_FIELDS,
    [PARAMS.groups]: REQUESTED_GROUPS,
    [PARAMS.filterConditional]: 'BETWEEN',
    [PARAMS.filterValues]: [window.from, window.to],
    // The docs: data_start and data_end must equal the Stat.date filter, and both be given.
    [PARAMS.dataStart]: window.from,
    [PARAMS.dataEnd]: window.to,
    [PARAMS.sortDate]: 'asc',
    [PARAMS.totals]: 0,
    [PARAMS.limit]: limit,
    [PARAMS.page]: page,
  }
}

async function requestPage(
  ctx: PluginContext,
  conn: TuneConnection,
  window: DateWindow,
  page: number,
  limit?: number,
): Promise<StatsPage> {
  const response = await ctx.http.request({
    url: `${apiBase(conn)}${API_PATH}`,
    query: statsQuery(conn, window, page, limit),
    headers: { accept: 'application/json' },
    check: checkResponse,
  })
  const body = response.json<{ response: { data: unknown } }>()
  return mapStatsData(body.response.data, conn.currency)
}

/** The cheapest authenticated call: one row of yesterday's stats. */
export async function check(ctx: PluginContext, conn: TuneConnection): Promise<CheckResult> {
  const day = new Date(ctx.now().getTime() - DAY_MS).toISOString().slice(0, 10)
  const { rows } = await requestPage(ctx, conn, { from: day, to: day }, 1, 1)
  const currency = rows.find((r) => r.currency !== null)?.currency ?? conn.currency
  return { accountName: conn.networkId, ...(currency ? { currency } : {}) }
}

/** Every page of the inclusive window (the host has cut it to `maxWindowDays`), until `page` reaches `pageCount`. */
export async function fetchReport(
  ctx: PluginContext,
  conn: TuneConnection,
  window: DateWindow,
): Promise<ReportRow[]> {
  const rows: ReportRow[] = []
  for (let page = 1; page <= MAX_PAGES; page++) {
    if (ctx.signal.aborted) throw ctx.signal.reason
    const result = await requestPage(ctx, conn, window, page)
    // A platform that ignored `page` would make the loop add the first page again and again.
    if (result.page !== page)
      throw new ResponseFormatError(`TUNE stats: asked for page ${page}, got page ${result.page}`)
    rows.push(...result.rows)
    if (page >= result.pageCount) return mergeRows(rows, window)
  }
  throw new ResponseFormatError(`TUNE stats: the report did not end after ${MAX_PAGES} pages`)
}
