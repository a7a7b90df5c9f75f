import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { REDACTED } from '../../src/capture/capture-file.ts'
import { createCaptureRedactor } from '../../src/capture/capture-redaction.ts'
import type { HttpExchange } from '../../src/http/http-client.ts'
import { UnavailableError } from '../../src/sdk/index.ts'
import { expectNoSecret } from '../graphql/graphql-helpers.ts'

const canary = (label: string) => `${label}-${randomBytes(9).toString('base64url')}`

function exchange(partial: {
  method?: string
  url: string
  headers?: Record<string, string>
  body?: string
  response?: { status?: number; url?: string; headers?: Record<string, string>; text: string }
  error?: unknown
}): HttpExchange {
  return {
    request: {
      method: partial.method ?? 'GET',
      url: new URL(partial.url),
      headers: partial.headers ?? {},
      body: partial.body,
    },
    response: partial.response && {
      status: partial.response.status ?? 200,
      url: partial.response.url ?? partial.url,
      headers: partial.response.headers ?? {},
      text: partial.response.text,
    },
    error: partial.error,
    attempt: 1,
    startedAt: 1000,
    durationMs: 12.4,
  }
}

describe('redacting a capture', () => {
  // Canaries of every kind: the account's secret fields, a token the plugin registered, values nobody registered
  // (a refresh token, a session cookie, a Basic credential, a password in a URL), and the account's identifiers.
  const apiKey = canary('key')
  const password = `p@ss w0rd/${randomBytes(6).toString('hex')}`
  const registered = canary('access')
  const refresh = canary('refresh')
  const session = canary('session')
  const basic = canary('basic')
  const urlPassword = canary('userinfo')
  const formSecret = canary('form')
  const jwt = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ${randomBytes(8).toString('hex')}fQ.${randomBytes(16).toString('base64url')}`
  const affiliateId = String(100_000 + randomBytes(2).readUInt16BE())
  const username = `partner${affiliateId}@example.test`
  const secrets = [apiKey, password, registered, refresh, session, basic, urlPassword, formSecret, jwt]

  const raw: HttpExchange[] = [
    exchange({
      method: 'POST',
      url: 'https://login.example.test/oauth/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`client:${basic}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'password',
        username,
        password,
        client_secret: formSecret,
        scope: `api://${affiliateId}/read`,
      }).toString(),
      response: {
        headers: { 'content-type': 'application/json', 'set-cookie': `sid=${session}; Path=/; HttpOnly` },
        text: JSON.stringify({
          access_token: registered,
          refresh_token: refresh,
          token_type: 'Bearer',
          id_token: jwt,
        }),
      },
    }),
    exchange({
      url: `https://reports.example.test/v1/${affiliateId}/daily?api_key=${encodeURIComponent(apiKey)}&from=2026-01-01`,
      headers: {
        authorization: `Bearer ${registered}`,
        cookie: `sid=${session}; theme=dark`,
        'x-api-key': apiKey,
      },
      response: {
        headers: { 'content-type': 'application/json' },
        text: JSON.stringify({
          affiliateId: Number(affiliateId),
          user: username,
          rows: [{ clicks: 7, amount: 1234.5 }],
        }),
      },
    }),
    exchange({
      url: `https://user:${urlPassword}@reports.example.test/export.csv?token=short`,
      response: {
        headers: { 'content-type': 'text/csv' },
        text: `date,affiliate,clicks\n2026-01-01,${affiliateId},${affiliateId.slice(0, 3)}\n`,
      },
    }),
    exchange({
      url: 'https://reports.example.test/retry',
      error: new UnavailableError(
        `could not reach https://reports.example.test/retry?key=${apiKey} (Bearer ${registered})`,
      ),
    }),
  ]

  const redactor = createCaptureRedactor({
    secretFields: { apiKey, password },
    identifiers: { affiliateId, username },
    registered: [registered],
  })
  redactor.discover(raw)
  const exchanges = raw.map((e) => redactor.exchange(e, 0))
  const text = JSON.stringify(exchanges)

  it('given canaries in headers, URLs, forms, JSON, cookies and errors, when the exchanges are redacted, then none is left in any spelling', () => {
    expectNoSecret(text, secrets, 'redacted exchanges')
    expect(text).not.toContain(Buffer.from(`client:${basic}`).toString('base64'))
    for (const form of [affiliateId, username, encodeURIComponent(username)]) {
      expect(text, form).not.toMatch(
        new RegExp(`(?<![0-9A-Za-z])${form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![0-9A-Za-z])`),
      )
    }
  })

  it('given known values, when redacted, then each has its stable placeholder wherever it appears and the data around it stays', () => {
    const [token, report, csv, failed] = exchanges
    expect(new URLSearchParams(token!.request.body!).get('password')).toBe('REDACTED-SECRET-password')
    expect(new URLSearchParams(token!.request.body!).get('username')).toBe('ID-username')
    expect(new URLSearchParams(token!.request.body!).get('scope')).toBe('api://ID-affiliateId/read')
    expect(JSON.parse(token!.response!.body)).toEqual({
      access_token: 'REDACTED-TOKEN-1',
      // Numbered in the order found: the Basic credential is 2, the form's client_secret 3, the JWT 4.
      refresh_token: 'REDACTED-TOKEN-5',
      token_type: 'Bearer',
      id_token: 'REDACTED-TOKEN-4',
    })
    expect(report!.request.url).toBe(
      'https://reports.example.test/v1/ID-affiliateId/daily?api_key=REDACTED-SECRET-apiKey&from=2026-01-01',
    )
    expect(report!.request.headers).toMatchObject({
      authorization: 'Bearer REDACTED-TOKEN-1',
      'x-api-key': 'REDACTED-SECRET-apiKey',
      cookie: 'sid=REDACTED-COOKIE-1; theme=REDACTED',
    })
    // A number that was an identifier becomes its placeholder; the other numbers are untouched.
    expect(JSON.parse(report!.response!.body)).toEqual({
      affiliateId: 'ID-affiliateId',
      user: 'ID-username',
      rows: [{ clicks: 7, amount: 1234.5 }],
    })
    expect(csv!.request.url).toBe(
      `https://${REDACTED}:${REDACTED}@reports.example.test/export.csv?token=${REDACTED}`,
    )
    expect(csv!.response!.body).toBe(
      `date,affiliate,clicks\n2026-01-01,ID-affiliateId,${affiliateId.slice(0, 3)}\n`,
    )
    expect(failed!.response).toBeNull()
    expect(failed!.failure).toEqual({
      code: 'PLATFORM_UNAVAILABLE',
      message:
        // The host's own credential patterns run last on free text: a scheme's credential goes whatever it was.
        'could not reach https://reports.example.test/retry?key=REDACTED-SECRET-apiKey (Bearer [REDACTED])',
    })
    expect(token!.request.headers.authorization).toBe('Basic REDACTED-TOKEN-2')
    expect(token!.response!.headers['set-cookie']).toBe('sid=REDACTED-COOKIE-1; Path=/; HttpOnly')
    expect(report!.durationMs).toBe(12)
  })

  it('given the placeholders, when listed, then each says what kind of value it hides and which field it came from', () => {
    expect(redactor.placeholders()).toEqual([
      { placeholder: 'ID-affiliateId', kind: 'identifier', field: 'affiliateId' },
      { placeholder: 'ID-username', kind: 'identifier', field: 'username' },
      { placeholder: 'REDACTED-COOKIE-1', kind: 'cookie' },
      { placeholder: 'REDACTED-SECRET-apiKey', kind: 'secret', field: 'apiKey' },
      { placeholder: 'REDACTED-SECRET-password', kind: 'secret', field: 'password' },
      { placeholder: 'REDACTED-TOKEN-1', kind: 'token' },
      { placeholder: 'REDACTED-TOKEN-2', kind: 'token' },
      { placeholder: 'REDACTED-TOKEN-3', kind: 'token' },
      { placeholder: 'REDACTED-TOKEN-4', kind: 'token' },
      { placeholder: 'REDACTED-TOKEN-5', kind: 'token' },
      { placeholder: 'REDACTED-TOKEN-6', kind: 'token' },
    ])
  })
})
