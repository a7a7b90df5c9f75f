import { randomBytes, randomUUID } from 'node:crypto'
import {
  createTokenIssuer,
  type SimulatorResponse,
  seededRandom,
  seededText,
  type TokenGrant,
  type TruthAccountSpec,
} from 'affgraph/sdk'
import { defaultScope, GRANT_TYPE, REPORTS_PERMISSION } from './wire.ts'

/**
 * The simulator's stand-in for NetRefer's Azure AD tenant: one app registration and one ASR user per account,
 * the password grant, JWT-shaped tokens that really expire, and Azure AD's error bodies with AADSTS codes.
 */

export interface SimulatedClient {
  spec: TruthAccountSpec
  clientId: string
  clientSecret: string
  username: string
  password: string
  affiliateId: string
  scope: string
}

export type Grant = TokenGrant<SimulatedClient>

function guid(seed: string): string {
  const rand = seededRandom(seed)
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16))
  hex[12] = '4'
  hex[16] = '89ab'[Math.floor(rand() * 4)]!
  const h = hex.join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

function aadError(
  now: Date,
  status: number,
  error: string,
  code: number,
  description: string,
): SimulatorResponse {
  const timestamp = now
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')
  const traceId = randomUUID()
  const correlationId = randomUUID()
  return {
    status,
    headers: { 'cache-control': 'no-store, no-cache' },
    body: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  }
}

export function createSimulatedDirectory(
  seed: string,
  specs: readonly TruthAccountSpec[],
  lifetimeS: number,
  now: () => Date,
) {
  const tenant = guid(`${seed}|netrefer-tenant`)
  const tokenPath = `/${tenant}/oauth2/v2.0/token`
  const clients: SimulatedClient[] = specs.map((spec) => {
    const clientId = guid(`${seed}|netrefer-client|${spec.key}`)
    const affiliateId = String(
      100_000 + Math.floor(seededRandom(`${seed}|netrefer-affiliate|${spec.key}`)() * 900_000),
    )
    return {
      spec,
      clientId,
      clientSecret: seededText(`${seed}|netrefer-secret|${spec.key}`, 40, `${ALNUM}.~_-`),
      username: `asr.partner${affiliateId}@example-netrefer-client.test`,
      password: seededText(`${seed}|netrefer-password|${spec.key}`, 20, `${ALNUM}!#%`),
      affiliateId,
      scope: defaultScope(clientId),
    }
  })
  const tokens = createTokenIssuer<SimulatedClient>({
    now,
    lifetimeS,
    mint: (_n, client) => {
      const issuedAt = Math.floor(now().getTime() / 1000)
      const claims = {
        aud: `api://${client.clientId}`,
        iss: `https://sts.windows.net/${tenant}/`,
        iat: issuedAt,
        nbf: issuedAt,
        exp: issuedAt + lifetimeS,
        appid: client.clientId,
        scp: REPORTS_PERMISSION,
        tid: tenant,
        upn: client.username,
        ver: '1.0',
      }
      const header = { typ: 'JWT', alg: 'RS256', kid: 'simulated-signing-key' }
      return `${base64url(header)}.${base64url(claims)}.${randomBytes(32).toString('base64url')}`
    },
  })
  const aad = (status: number, error: string, code: number, description: string) =>
    aadError(now(), status, error, code, description)

  function issue(client: SimulatedClient): SimulatorResponse {
    const { token } = tokens.issue(client)
    return {
      status: 200,
      headers: { 'cache-control': 'no-store, no-cache' },
      body: {
        token_type: 'Bearer',
        scope: client.scope,
        expires_in: lifetimeS,
        ext_expires_in: lifetimeS,
        access_token: token,
      },
    }
  }

  /** The password grant, checked in the order Azure AD reports problems. */
  function token(path: string, body: string): SimulatorResponse {
    if (path !== tokenPath) {
      const named = path.split('/')[1] ?? ''
      return aad(400, 'invalid_request', 90002, `Tenant '${named}' not found.`)
    }
    const form = new URLSearchParams(body)
    for (const name of ['grant_type', 'client_id', 'scope']) {
      if (!form.get(name))
        return aad(
          400,
          'invalid_request',
          900144,
          `The request body must contain the following parameter: '${name}'.`,
        )
    }
    if (form.get('grant_type') !== GRANT_TYPE)
      return aad(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.')
    const client = clients.find((c) => c.clientId === form.get('client_id'))
    if (!client)
      return aad(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${form.get('client_id')}' was not found in the directory.`,
      )
    if (form.get('client_secret') !== client.clientSecret)
      return aad(401, 'invalid_client', 7000215, 'Invalid client secret provided.')
    if (!(form.get('scope') ?? '').split(' ').includes(client.scope))
      return aad(
        400,
        'invalid_scope',
        70011,
        "The provided value for the input parameter 'scope' is not valid.",
      )
    if (form.get('username') !== client.username)
      return aad(400, 'invalid_grant', 50034, 'The user account does not exist in the directory.')
    if (form.get('password') !== client.password)
      return aad(
        400,
        'invalid_grant',
        50126,
        'Error validating credentials due to invalid username or password.',
      )
    return issue(client)
  }

  return {
    tenant,
    tokenPath,
    clients,
    issued: tokens.issued,
    token,
    grant: (accessToken: string): Grant | undefined => tokens.grant(accessToken),
    /** Ends a token's life now, as the expired-token fault and a real expiry do. */
    revoke: (accessToken: string) => tokens.revoke(accessToken),
  }
}
