import {
  AuthError,
  type CheckResult,
  type ConnectionOf,
  type DateWindow,
  defaultResponseCheck,
  type HttpResponse,
  type PluginContext,
  type ReportRow,
  ResponseFormatError,
  UnavailableError,
} from 'affgraph/sdk'
import { type connection, DEFAULT_CURRENCY } from './credentials.ts'
import { mapStatisticsCsv } from './map.ts'

export type MyAffiliatesConnection = ConnectionOf<typeof connection>

/** Connections stored before the currency was asked have none: they keep the former default. */
const currencyOf = (conn: MyAffiliatesConnection) => conn.currency ?? DEFAULT_CURRENCY

/**
 * Endpoint paths, relative to the portal URL, as the vendor's own example script and a client run against a live
 * portal use them (see evidence.ts). Kept in one place and overridable with `createMyAffiliatesClient({ paths })`
 * for a portal that serves them elsewhere.
 */
export interface MyAffiliatesPaths {
  token: string
  statistics: string
}
export const DEFAULT_PATHS: MyAffiliatesPaths = {
  token: '/oauth/access_token',
  statistics: '/statistics.php',
}
export const TOKEN_SCOPE = 'r_user_stats'

/** Tokens are dropped this long before the platform says they expire, so a call never races the expiry. */
export const TOKEN_EXPIRY_MARGIN_MS = 60_000
/** When the token answer has no usable `expires_in` (it is only RECOMMENDED by RFC 6749), assume a short life. */
export const DEFAULT_TOKEN_LIFETIME_S = 600

const CREDENTIALS_HINT =
  'check the Client identifier and Client secret under Account → Authorisation in the affiliate portal (or create a new client there)'

/** FNV-1a of the credentials: a cache key that changes when the user replaces the client, never the secret itself. */
function fingerprint(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16)
}

export function tokenCacheKey(conn: MyAffiliatesConnection): string {
  return `myaffiliates:token:${fingerprint(`${conn.baseUrl}\u0000${conn.clientId}\u0000${conn.clientSecret}`)}`
}

export const looksLikeHtml = (text: string) => /^\s*(?:<!doctype|<html|<head|<body|<\?xml|<)/i.test(text)

/** Login pages are how the portal refuses a token on the statistics page [UNV]; a maintenance page is not. */
export const looksLikeLoginPage = (text: string) => /type=["']?password|\blog ?in\b|\bsign ?in\b/i.test(text)

function oauthError(response: HttpResponse): { error?: string; description?: string } {
  try {
    const body = JSON.parse(response.text) as { error?: unknown; error_description?: unknown }
    return {
      error: typeof body.error === 'string' ? body.error : undefined,
      description: typeof body.error_description === 'string' ? body.error_description : undefined,
    }
  } catch {
    return {}
  }
}

/** RFC 6749 §5.2 error answers of the token endpoint, mapped to the field the user must fix. */
export function checkTokenResponse(response: HttpResponse): void {
  const { status } = response
  if (status >= 200 && status < 300) {
    if (looksLikeHtml(response.text)) {
      throw new UnavailableError(
        'the affiliate portal answered the token request with a web page (maintenance?); if this persists, check the affiliate portal URL',
        { field: 'baseUrl' },
      )
    }
    return
  }
  if (status === 400 || status === 401 || status === 403) {
    const { error } = oauthError(response)
    if (error === 'invalid_client' || status === 401) {
      throw new AuthError(
        `the affiliate portal refused the client (HTTP ${status} invalid_client): ${CREDENTIALS_HINT}`,
        {
          field: 'clientSecret',
        },
      )
    }
    if (error === 'unauthorized_client' || error === 'invalid_scope' || status === 403) {
      throw new AuthError(
        `the client may not read statistics (HTTP ${status} ${error ?? ''}, scope ${TOKEN_SCOPE}): create a new client under Account → Authorisation or ask the program's affiliate manager`,
        { field: 'clientId' },
      )
    }
    if (error === 'invalid_grant') {
      throw new AuthError(`the affiliate portal refused the grant (HTTP ${status}): ${CREDENTIALS_HINT}`, {
        field: 'clientSecret',
      })
    }
    throw new ResponseFormatError(
      `the token endpoint refused the request (HTTP ${status} ${error ?? ''})`.trim(),
    )
  }
  if (status === 404) {
    throw new ResponseFormatError(
      'no MyAffiliates token endpoint at this address (HTTP 404): check the affiliate portal URL',
      { field: 'baseUrl' },
    )
  }
  defaultResponseCheck(response)
}

/**
 * The statistics page. A 401 is returned to the caller (not thrown) so that it can renew the token once;
 * everything else follows the usual reading.
 */
export function checkStatisticsResponse(response: HttpResponse): void {
  const { status } = response
  if (status === 401) return
  if (status === 403) {
    throw new AuthError(
      `the client may not read statistics (HTTP 403): create a new client under Account → Authorisation or ask the program's affiliate manager`,
      { field: 'clientId' },
    )
  }
  if (status === 404) {
    throw new ResponseFormatError(
      'no MyAffiliates statistics page at this address (HTTP 404): check the affiliate portal URL',
      { field: 'baseUrl' },
    )
  }
  defaultResponseCheck(response)
}

interface TokenAnswer {
  access_token?: unknown
  token_type?: unknown
  expires_in?: unknown
}

export function createMyAffiliatesClient(paths: MyAffiliatesPaths = DEFAULT_PATHS) {
  async function requestToken(ctx: PluginContext, conn: MyAffiliatesConnection): Promise<string> {
    const response = await ctx.http.request({
      method: 'POST',
      url: `${conn.baseUrl}${paths.token}`,
      headers: { accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: conn.clientId,
        client_secret: conn.clientSecret,
        scope: TOKEN_SCOPE,
      }),
      check: checkTokenResponse,
    })
    const body = response.json<TokenAnswer>()
    const token = typeof body?.access_token === 'string' ? body.access_token.trim() : ''
    if (!token) throw new ResponseFormatError('the token answer has no access_token')
    ctx.registerSecret(token)
    if (typeof body.token_type === 'string' && body.token_type.toLowerCase() !== 'bearer') {
      throw new ResponseFormatError(
        `the token answer has token_type "${body.token_type.slice(0, 20)}", not Bearer`,
      )
    }
    const expiresIn = Number(body.expires_in)
    const lifetimeMs =
      (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DEFAULT_TOKEN_LIFETIME_S) * 1000
    // Short-lived tokens keep at least half their life in the cache rather than none.
    const ttlMs = Math.max(lifetimeMs - TOKEN_EXPIRY_MARGIN_MS, Math.floor(lifetimeMs / 2))
    if (ttlMs > 0) ctx.cache.set(tokenCacheKey(conn), token, ttlMs)
    ctx.log.debug('myaffiliates access token issued', {
      expiresInS: Number.isFinite(expiresIn) ? expiresIn : null,
    })
    return token
  }

  async function accessToken(ctx: PluginContext, conn: MyAffiliatesConnection): Promise<string> {
    const cached = ctx.cache.get<string>(tokenCacheKey(conn))
    if (cached) {
      ctx.registerSecret(cached)
      return cached
    }
    return requestToken(ctx, conn)
  }

  function statistics(ctx: PluginContext, conn: MyAffiliatesConnection, window: DateWindow, token: string) {
    return ctx.http.request({
      url: `${conn.baseUrl}${paths.statistics}`,
      // The vendor's example, in its order: `sd=1` asks for one line per day (without it, per pay period).
      query: { d1: window.from, d2: window.to, sd: 1, mode: 'csv', sbm: 1, dnl: 1 },
      headers: { authorization: `Bearer ${token}`, accept: 'text/csv, text/plain;q=0.9, */*;q=0.1' },
      check: checkStatisticsResponse,
    })
  }

  const refused = (response: HttpResponse) => response.status === 401 || looksLikeHtml(response.text)

  /** The statistics CSV; a refused token (401, or the HTML page the portal shows instead) is renewed once. */
  async function statisticsCsv(ctx: PluginContext, conn: MyAffiliatesConnection, window: DateWindow) {
    let response = await statistics(ctx, conn, window, await accessToken(ctx, conn))
    if (refused(response)) {
      ctx.log.info('myaffiliates access token refused; renewing it once', { status: response.status })
      ctx.cache.delete(tokenCacheKey(conn))
      response = await statistics(ctx, conn, window, await requestToken(ctx, conn))
    }
    if (response.status === 401) {
      ctx.cache.delete(tokenCacheKey(conn))
      throw new AuthError(
        `the affiliate portal refused a freshly issued access token (HTTP 401): ${CREDENTIALS_HINT}`,
        { field: 'clientSecret' },
      )
    }
    if (looksLikeHtml(response.text)) {
      ctx.cache.delete(tokenCacheKey(conn))
      if (looksLikeLoginPage(response.text)) {
        throw new AuthError(
          `the affiliate portal showed its login page to a freshly issued access token: the client may lack the statistics permission (${TOKEN_SCOPE}); create a new client under Account → Authorisation`,
          { field: 'clientId' },
        )
      }
      throw new UnavailableError(
        'the affiliate portal answered with a web page instead of statistics (maintenance?); if this persists, check the affiliate portal URL',
      )
    }
    return response.text
  }

  async function fetchReport(
    ctx: PluginContext,
    conn: MyAffiliatesConnection,
    window: DateWindow,
  ): Promise<ReportRow[]> {
    return mapStatisticsCsv(await statisticsCsv(ctx, conn, window), window, currencyOf(conn))
  }

  /** Obtains a token (proving the client) and reads one day of statistics (proving the scope). */
  async function check(ctx: PluginContext, conn: MyAffiliatesConnection): Promise<CheckResult> {
    await requestToken(ctx, conn)
    const day = new Date(ctx.now().getTime() - 86_400_000).toISOString().slice(0, 10)
    const window = { from: day, to: day }
    const rows = mapStatisticsCsv(await statisticsCsv(ctx, conn, window), window, currencyOf(conn))
    ctx.log.debug('myaffiliates statistics readable', { rows: rows.length })
    // The export names no currency: the one the user stated is the account's.
    return { currency: currencyOf(conn) }
  }

  return { check, fetchReport, requestToken, accessToken }
}

const defaultClient = createMyAffiliatesClient()
export const check = defaultClient.check
export const fetchReport = defaultClient.fetchReport
