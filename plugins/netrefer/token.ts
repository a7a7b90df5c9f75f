import {
  AuthError,
  type ConnectionOf,
  defaultResponseCheck,
  type HttpResponse,
  type PluginContext,
  ResponseFormatError,
} from 'affgraph/sdk'
import type { connection } from './credentials.ts'
import { defaultScope, GRANT_TYPE } from './wire.ts'

export type NetReferConnection = ConnectionOf<typeof connection>

/** Tokens are dropped this long before they expire, so a report call never races the expiry. */
export const TOKEN_EXPIRY_MARGIN_MS = 60_000
/** When the answer has no usable `expires_in`, assume a short life rather than reuse a dead token. */
export const DEFAULT_TOKEN_LIFETIME_S = 600

const ISSUED = 'issued by NetRefer at ASR onboarding'

export function scopeOf(conn: NetReferConnection): string {
  return conn.scope ?? defaultScope(conn.clientId)
}

/** FNV-1a: a cache key that changes whenever any credential changes, without holding a credential itself. */
function fingerprint(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16)
}

export function tokenCacheKey(conn: NetReferConnection): string {
  const parts = [conn.tokenUrl, conn.clientId, conn.clientSecret, conn.username, conn.password, scopeOf(conn)]
  return `netrefer:token:${fingerprint(parts.join('\u0000'))}`
}

interface AzureError {
  error?: string
  /** AADSTS numbers, from `error_codes` or, failing that, the `AADSTSnnnn:` prefix of the description. */
  codes: number[]
}

function azureError(response: HttpResponse): AzureError {
  try {
    const body = JSON.parse(response.text) as Record<string, unknown>
    const codes = Array.isArray(body.error_codes)
      ? body.error_codes.filter((c): c is number => Number.isInteger(c))
      : []
    const described = /AADSTS(\d+)/.exec(String(body.error_description ?? ''))?.[1]
    if (codes.length === 0 && described) codes.push(Number(described))
    return { error: typeof body.error === 'string' ? body.error : undefined, codes }
  } catch {
    return { codes: [] }
  }
}

/** The AADSTS codes a user can act on, with the field to fix and what to do. Anything else falls back by `error`. */
const AADSTS: Record<number, { field: string; fix: string }> = {
  50034: { field: 'username', fix: `the Username is unknown: check the Username ${ISSUED}` },
  50126: { field: 'password', fix: `the Username or Password is wrong: check both as ${ISSUED}` },
  50055: {
    field: 'password',
    fix: 'the Password has expired: ask your NetRefer account manager to reset it',
  },
  50053: {
    field: 'username',
    fix: 'the user is locked after too many sign-in attempts: wait, then check the Password, or ask NetRefer to unlock it',
  },
  50057: { field: 'username', fix: 'the user is disabled: ask your NetRefer account manager' },
  50076: {
    field: 'username',
    fix: 'the user must pass multi-factor sign-in, which an API cannot: ask NetRefer for an ASR user without it',
  },
  50079: {
    field: 'username',
    fix: 'the user must register for multi-factor sign-in, which an API cannot: ask NetRefer for an ASR user without it',
  },
  65001: {
    field: 'clientId',
    fix: 'the client was not granted Reports.Read: ask your NetRefer account manager',
  },
  70011: {
    field: 'scope',
    fix: 'the Scope is not valid: leave it empty or copy it from your onboarding details',
  },
  90002: { field: 'tokenUrl', fix: 'the tenant in the Access token URL does not exist: copy the URL again' },
  900023: { field: 'tokenUrl', fix: 'the tenant in the Access token URL is malformed: copy the URL again' },
  700016: {
    field: 'clientId',
    fix: `the Client ID is unknown to this tenant: check the Client ID and the Access token URL ${ISSUED}`,
  },
  7000215: { field: 'clientSecret', fix: `the Client secret is wrong: check the Client secret ${ISSUED}` },
  7000222: {
    field: 'clientSecret',
    fix: 'the Client secret has expired: ask your NetRefer account manager for a new one',
  },
}

const BY_ERROR: Record<string, { field?: string; fix: string }> = {
  invalid_client: { field: 'clientSecret', fix: `check the Client ID and Client secret ${ISSUED}` },
  unauthorized_client: {
    field: 'clientId',
    fix: 'the client may not sign in this way: ask your NetRefer account manager',
  },
  invalid_grant: { field: 'password', fix: `check the Username and Password ${ISSUED}` },
  invalid_scope: { field: 'scope', fix: 'leave the Scope empty or copy it from your onboarding details' },
  unsupported_grant_type: {
    field: 'clientId',
    fix: 'the client may not use the password grant: ask your NetRefer account manager',
  },
  interaction_required: {
    field: 'username',
    fix: 'the user must sign in interactively, which an API cannot: ask NetRefer for an ASR user without it',
  },
}

const looksLikeJson = (text: string) => /^\s*[{[]/.test(text)

/**
 * Azure AD's refusals (RFC 6749 §5.2 bodies with AADSTS codes) mapped to the field the user must fix. The code
 * goes into the message because NetRefer support asks for it; the description does not, as it may quote input.
 */
export function checkTokenResponse(response: HttpResponse): void {
  const { status } = response
  if (status >= 200 && status < 300) {
    if (!looksLikeJson(response.text))
      throw new ResponseFormatError(
        'the Access token URL answered with a web page instead of a token: copy it again from your onboarding details',
        { field: 'tokenUrl' },
      )
    return
  }
  if (status === 404 || status === 405)
    throw new ResponseFormatError(
      `no token endpoint at the Access token URL (HTTP ${status}): copy it again from your onboarding details`,
      { field: 'tokenUrl' },
    )
  if (status === 400 || status === 401 || status === 403) {
    const { error, codes } = azureError(response)
    const known = codes.map((c) => AADSTS[c]).find(Boolean) ?? (error ? BY_ERROR[error] : undefined)
    const label = [error, ...codes.map((c) => `AADSTS${c}`)].filter(Boolean).join(', ')
    if (known || status !== 400) {
      const fix = known?.fix ?? `check the Client ID, Client secret, Username and Password ${ISSUED}`
      throw new AuthError(
        `NetRefer's sign-in refused the token request (HTTP ${status} ${label}): ${fix}`.trim(),
        {
          field: known?.field,
        },
      )
    }
    throw new ResponseFormatError(
      `the token endpoint refused the request (HTTP 400 ${label || 'no error code'})`,
    )
  }
  defaultResponseCheck(response)
}

interface TokenAnswer {
  access_token?: unknown
  token_type?: unknown
  expires_in?: unknown
}

/** Always asks for a new token (and caches it): used for `check` and after the report refused the cached one. */
export async function requestToken(ctx: PluginContext, conn: NetReferConnection): Promise<string> {
  const response = await ctx.http.request({
    method: 'POST',
    url: conn.tokenUrl,
    headers: { accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: GRANT_TYPE,
      client_id: conn.clientId,
      client_secret: conn.clientSecret,
      username: conn.username,
      password: conn.password,
      scope: scopeOf(conn),
    }),
    check: checkTokenResponse,
  })
  const body = response.json<TokenAnswer>()
  const token = typeof body?.access_token === 'string' ? body.access_token.trim() : ''
  if (!token) throw new ResponseFormatError('the token answer has no access_token')
  ctx.registerSecret(token)
  if (typeof body.token_type === 'string' && body.token_type.toLowerCase() !== 'bearer')
    throw new ResponseFormatError(
      `the token answer has token_type "${body.token_type.slice(0, 20)}", not Bearer`,
    )
  // Azure AD v2 sends a number, v1 a numeric string.
  const expiresIn = Number(body.expires_in)
  const usable = Number.isFinite(expiresIn) && expiresIn > 0
  const lifetimeMs = (usable ? expiresIn : DEFAULT_TOKEN_LIFETIME_S) * 1000
  // A very short-lived token keeps half its life in the cache rather than none.
  ctx.cache.set(tokenCacheKey(conn), token, Math.max(lifetimeMs - TOKEN_EXPIRY_MARGIN_MS, lifetimeMs / 2))
  ctx.log.debug('netrefer access token issued', { expiresInS: usable ? expiresIn : null })
  return token
}

/** The cached token while it is fresh, otherwise a new one. */
export async function accessToken(ctx: PluginContext, conn: NetReferConnection): Promise<string> {
  const cached = ctx.cache.get<string>(tokenCacheKey(conn))
  if (cached) {
    ctx.registerSecret(cached)
    return cached
  }
  return requestToken(ctx, conn)
}

export function forgetToken(ctx: PluginContext, conn: NetReferConnection): void {
  ctx.cache.delete(tokenCacheKey(conn))
}
