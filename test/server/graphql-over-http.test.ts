import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type AuditFail, type AuditResult, serverAudits } from 'graphql-http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CSRF_HEADER } from '../../src/security/csrf.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

/**
 * GraphQL-over-HTTP conformance (graphql-http's audits) of a server on a loopback port, and the status of every
 * refusal under both response media types.
 *
 * Without a token, an audit may only fail where what it asks for needs one (its `__type` queries: introspection is
 * for token holders by default). Such a failure "passes" when the server refuses in the spec's terms: HTTP 401 with
 * a `WWW-Authenticate: Bearer` challenge, a GraphQL response with no `data` and an error whose `extensions.code`
 * says why, and the same audit passes once the token is sent.
 *
 * Recommendations (SHOULD, MAY) the server does not follow, and why:
 * - GETs without the CSRF header are refused with 403 (src/security/csrf.ts): a GET needs no CORS preflight, so a
 *   page on another site could otherwise run queries with the browser. The MAY audits that send such GETs (5A70,
 *   D6D5, 6A70) therefore see 403; a GET with the header is answered.
 */
const NOT_FOLLOWED: Record<string, string> = {
  '5A70': 'GET without the CSRF header is refused (403)',
  D6D5: 'GET without the CSRF header is refused (403)',
  '6A70': 'GET without the CSRF header is refused (403)',
}

/**
 * Audits whose operation introspects (`__type`), which needs a token by default (AFFGRAPH_INTROSPECTION): BF61 (MUST
 * accept utf-8), 28B9 (MUST allow map variables, application/json), 2EA1 (SHOULD, the same under the new type).
 */
const NEED_A_TOKEN = ['28B9', '2EA1', 'BF61']

const GRAPHQL_RESPONSE = 'application/graphql-response+json'
const JSON_TYPE = 'application/json'
const MEDIA_TYPES = [GRAPHQL_RESPONSE, JSON_TYPE] as const

let defaults: TestApp
let tight: TestApp
const servers: Server[] = []
let defaultsUrl: string
let tightUrl: string
let defaultsToken: string
let tightToken: string

async function listen(t: TestApp): Promise<string> {
  const server = createServer(t.app)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`
}

beforeAll(async () => {
  defaults = await createTestApp({ env: { AFFGRAPH_SYNC: 'off' } })
  // Tight limits so that each refusal is reached by a short document.
  tight = await createTestApp({
    env: {
      AFFGRAPH_SYNC: 'off',
      AFFGRAPH_MAX_DEPTH: '3',
      AFFGRAPH_MAX_ALIASES: '1',
      AFFGRAPH_MAX_DIRECTIVES: '1',
      AFFGRAPH_MAX_TOKENS: '60',
      AFFGRAPH_MAX_COST: '10',
      AFFGRAPH_RATE_LIMIT_TOKEN_CREATE: '1/1h',
      AFFGRAPH_MAX_BODY_BYTES: '4096',
    },
  })
  defaultsToken = (await defaults.workspace('http-audit')).token
  tightToken = (await tight.workspace('http-refusals')).token
  defaultsUrl = await listen(defaults)
  tightUrl = await listen(tight)
})

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  await defaults?.close()
  await tight?.close()
})

/** Runs every audit, each request sent with `headers` added. */
async function audit(headers: Record<string, string>): Promise<Map<string, AuditResult>> {
  const fetchFn = (input: string | URL | Request, init: RequestInit = {}) => {
    const merged = new Headers(init.headers)
    for (const [name, value] of Object.entries(headers)) merged.set(name, value)
    return fetch(input, { ...init, headers: merged })
  }
  const results = new Map<string, AuditResult>()
  // One at a time: the audits are many small requests, and the machine is shared.
  for (const { id, fn } of serverAudits({ url: defaultsUrl, fetchFn })) results.set(id, await fn())
  return results
}

const describeFailure = (r: AuditResult) =>
  r.status === 'ok' ? r.name : `${r.id} ${r.name}: ${r.reason} (HTTP ${r.response.status})`

describe('graphql-http server audits', () => {
  let withToken: Map<string, AuditResult>
  let withoutToken: Map<string, AuditResult>

  beforeAll(async () => {
    withToken = await audit({ authorization: `Bearer ${defaultsToken}` })
    withoutToken = await audit({})
  }, 120_000)

  it('given a valid token, when every audit runs, then every MUST and SHOULD passes and only the documented MAYs do not', () => {
    const failed = [...withToken.values()].filter((r): r is AuditFail => r.status !== 'ok')
    expect(failed.filter((r) => r.name.startsWith('MUST')).map(describeFailure)).toEqual([])
    expect(failed.filter((r) => r.name.startsWith('SHOULD')).map(describeFailure)).toEqual([])
    expect(failed.map((r) => r.id).sort()).toEqual(Object.keys(NOT_FOLLOWED).sort())
    for (const r of failed) expect(r.response.status, r.name).toBe(403)
  })

  it('given no token, when every audit runs, then each one passes or is a conformant 401 for something that needs a token', async () => {
    const unexplained: string[] = []
    const refusedForToken: string[] = []
    for (const [id, r] of withoutToken) {
      if (r.status === 'ok' || id in NOT_FOLLOWED) continue
      const response = r.response.clone()
      const body = (await response.json().catch(() => null)) as {
        data?: unknown
        errors?: { extensions?: { code?: string } }[]
      } | null
      const conformant =
        response.status === 401 &&
        /^Bearer realm="affgraph"/.test(response.headers.get('www-authenticate') ?? '') &&
        /^application\/(graphql-response\+)?json/.test(response.headers.get('content-type') ?? '') &&
        body !== null &&
        !('data' in body) &&
        typeof body.errors?.[0]?.extensions?.code === 'string' &&
        withToken.get(id)?.status === 'ok'
      if (conformant) refusedForToken.push(id)
      else unexplained.push(describeFailure(r))
    }
    expect(unexplained).toEqual([])
    // The audits that introspect (`__type`) are the ones that need a token; if none is refused, they changed.
    expect(refusedForToken.sort()).toEqual(NEED_A_TOKEN)
  })
})

interface Answer {
  status: number
  contentType: string
  headers: Headers
  body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }
}

async function post(
  accept: string,
  query: string,
  variables: Record<string, unknown> = {},
  token: string | null = tightToken,
): Promise<Answer> {
  const response = await fetch(tightUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  })
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    headers: response.headers,
    body: (await response.json()) as Answer['body'],
  }
}

function expectRefusal(answer: Answer, accept: string, status: number, code: string): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status)
  expect(answer.contentType.startsWith(accept)).toBe(true)
  expect('data' in answer.body, 'a refusal runs nothing: no data entry').toBe(false)
  expect(answer.body.errors?.map((e) => e.extensions?.code)).toContain(code)
  expect(JSON.stringify(answer.body), 'the http extension stays on the server').not.toContain('"http"')
}

/**
 * Request errors: 400 under the new media type, and under legacy application/json 200 (the spec's recommendation)
 * unless `legacyStatus` says otherwise.
 */
const REQUEST_ERRORS: {
  name: string
  code: string
  query: string
  variables?: Record<string, unknown>
  /** Under application/json, when not 200. */
  legacyStatus?: number
}[] = [
  {
    name: 'a query over the cost limit',
    code: 'QUERY_TOO_COSTLY',
    query: '{ accounts(first: 100) { nodes { id label } } }',
  },
  {
    name: 'a query over the depth limit',
    code: 'QUERY_TOO_DEEP',
    query: '{ accounts(first: 1) { nodes { platform { id } } } }',
  },
  {
    name: 'a query over the alias limit',
    code: 'TOO_MANY_ALIASES',
    query: '{ a: platforms { id } b: platforms { id } }',
  },
  {
    name: 'a query over the directive limit',
    code: 'TOO_MANY_DIRECTIVES',
    query: '{ platforms @include(if: true) { id @include(if: true) } }',
  },
  {
    name: 'a query over the token limit',
    code: 'TOO_MANY_TOKENS',
    query: `{ platforms { ${'id '.repeat(70)}} }`,
  },
  {
    name: 'a NUL character in a variable',
    code: 'BAD_USER_INPUT',
    query: 'query($tag: String) { accounts(first: 1, tag: $tag) { totalCount } }',
    variables: { tag: 'a\u0000b' },
  },
  {
    name: 'a variable that does not coerce',
    code: 'BAD_USER_INPUT',
    query: 'query($n: Int) { accounts(first: $n) { totalCount } }',
    variables: { n: 'ten' },
    // Yoga's executor answers variables it cannot coerce with 400 under every media type; the spec recommends 200
    // under application/json but allows 4xx there, and clients of the legacy type already rely on this 400.
    legacyStatus: 400,
  },
  {
    name: 'a field that does not exist',
    code: 'GRAPHQL_VALIDATION_FAILED',
    query: '{ noSuchField }',
  },
  { name: 'a document that does not parse', code: 'GRAPHQL_PARSE_FAILED', query: '{ platforms {' },
]

describe('refusals and their HTTP status under each media type', () => {
  for (const { name, code, query, variables, legacyStatus = 200 } of REQUEST_ERRORS) {
    it(`given ${name}, when it is posted, then ${code} with 400 under ${GRAPHQL_RESPONSE} and ${legacyStatus} under ${JSON_TYPE}`, async () => {
      expectRefusal(await post(GRAPHQL_RESPONSE, query, variables), GRAPHQL_RESPONSE, 400, code)
      expectRefusal(await post(JSON_TYPE, query, variables), JSON_TYPE, legacyStatus, code)
    })
  }

  it('given no token, when a field that needs one is asked for, then 401 with a Bearer challenge under both media types', async () => {
    for (const accept of MEDIA_TYPES) {
      const answer = await post(accept, '{ viewer { workspace { id } } }', {}, null)
      expectRefusal(answer, accept, 401, 'TOKEN_MISSING')
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="affgraph"')
    }
  })

  it('given a token that was never issued, when a field that needs one is asked for, then 401 with an invalid_token challenge', async () => {
    const forged = `${tightToken.slice(0, -1)}${tightToken.endsWith('A') ? 'B' : 'A'}`
    for (const accept of MEDIA_TYPES) {
      const answer = await post(accept, '{ viewer { workspace { id } } }', {}, forged)
      expectRefusal(answer, accept, 401, 'TOKEN_INVALID')
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/)
    }
  })

  it('given no token, when the schema is introspected, then 401 INTROSPECTION_DISABLED under both media types', async () => {
    for (const accept of MEDIA_TYPES) {
      const answer = await post(accept, '{ __schema { queryType { name } } }', {}, null)
      expectRefusal(answer, accept, 401, 'INTROSPECTION_DISABLED')
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="affgraph"')
    }
  })

  it('given a GET without the CSRF header, when it names a query, then 403 under both media types and with the header it runs', async () => {
    const url = `${tightUrl}?query=${encodeURIComponent('{ platforms { id } }')}`
    for (const accept of MEDIA_TYPES) {
      const response = await fetch(url, { headers: { accept } })
      expectRefusal(
        {
          status: response.status,
          contentType: response.headers.get('content-type') ?? '',
          headers: response.headers,
          body: (await response.json()) as Answer['body'],
        },
        accept,
        403,
        'CSRF_HEADER_MISSING',
      )
      const allowed = await fetch(url, { headers: { accept, [CSRF_HEADER]: '1' } })
      expect(allowed.status).toBe(200)
    }
  })

  it('given a token out of its token-creation budget, when it creates another, then 429 with Retry-After under both media types', async () => {
    const create = (name: string) =>
      `mutation { createApiToken(input: { name: "${name}" }) { ... on CreateApiTokenSuccess { token } } }`
    const first = await post(GRAPHQL_RESPONSE, create('within budget'))
    expect(first.status, JSON.stringify(first.body.errors)).toBe(200)
    for (const accept of MEDIA_TYPES) {
      const answer = await post(accept, create(`over budget ${accept}`))
      expectRefusal(answer, accept, 429, 'RATE_LIMITED')
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0)
    }
  })

  it('given a body over AFFGRAPH_MAX_BODY_BYTES, when it is posted, then 413 under both media types', async () => {
    for (const accept of MEDIA_TYPES) {
      const answer = await post(accept, `{ platforms { id } } # ${'x'.repeat(5000)}`)
      expect(answer.status).toBe(413)
      expect('data' in answer.body).toBe(false)
    }
  })

  it('given a JSON array of operations, when it is posted, then 400 under both media types (batching is off)', async () => {
    for (const accept of MEDIA_TYPES) {
      const response = await fetch(tightUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${tightToken}` },
        body: JSON.stringify([{ query: '{ platforms { id } }' }, { query: '{ platforms { id } }' }]),
      })
      expect(response.status).toBe(400)
      expect('data' in ((await response.json()) as object)).toBe(false)
    }
  })

  it('given a query within every limit, when it is posted, then 200 with data under both media types', async () => {
    for (const accept of MEDIA_TYPES) {
      const answer = await post(accept, '{ platforms { id } }')
      expect(answer.status).toBe(200)
      expect(answer.contentType.startsWith(accept)).toBe(true)
      expect(answer.body.data).toBeTruthy()
    }
  })
})
