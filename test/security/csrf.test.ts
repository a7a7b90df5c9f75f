import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CSRF_HEADER } from '../../src/security/csrf.ts'
import { bearer, ok } from '../graphql/graphql-helpers.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

const QUERY = '{ platforms { id } }'
const ENDPOINT = 'http://affgraph.test/graphql'

let t: TestApp
let token: string

beforeAll(async () => {
  t = await createTestApp({ env: { AFFGRAPH_SYNC: 'off', AFFGRAPH_GRAPHIQL: 'true' } })
  token = (await t.workspace('csrf')).token
})

afterAll(async () => {
  await t?.close()
})

async function fetchJson(init: RequestInit & { url?: string }) {
  const response = await t.app.fetch(init.url ?? ENDPOINT, init)
  const text = await response.text()
  return {
    status: response.status,
    text,
    body: JSON.parse(text) as { data?: unknown; errors?: { extensions?: { code?: string } }[] },
  }
}

function expectCsrfRefusal(response: Awaited<ReturnType<typeof fetchJson>>): void {
  expect(response.status, response.text).toBe(403)
  expect(response.body.errors?.map((e) => e.extensions?.code)).toEqual(['CSRF_HEADER_MISSING'])
  expect(response.body.data ?? null).toBeNull()
}

const tokenNames = async () =>
  (
    await ok<{ apiTokens: { nodes: { name: string }[] } }>(t, token, '{ apiTokens { nodes { name } } }')
  ).apiTokens.nodes.map((a) => a.name)

describe('requests a cross-site page could send without a preflight', () => {
  it('given a GET without the CSRF header, when it is received, then 403 CSRF_HEADER_MISSING', async () => {
    expectCsrfRefusal(await fetchJson({ url: `${ENDPOINT}?query=${encodeURIComponent(QUERY)}` }))
  })

  it('given a GET with the CSRF header, when it is received, then it answers', async () => {
    const response = await fetchJson({
      url: `${ENDPOINT}?query=${encodeURIComponent(QUERY)}`,
      headers: { [CSRF_HEADER]: '1' },
    })
    expect(response.status).toBe(200)
    expect(response.body.data).toHaveProperty('platforms')
  })

  it('given a text/plain POST holding a JSON body, when it is received, then 403', async () => {
    expectCsrfRefusal(
      await fetchJson({
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query: QUERY }),
      }),
    )
  })

  it('given a form-encoded POST of a mutation with a valid token, when it is received, then 403 and the mutation did not run', async () => {
    const response = await fetchJson({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...bearer(token) },
      body: new URLSearchParams({
        query:
          'mutation { createApiToken(input: { name: "forged" }) { ... on CreateApiTokenSuccess { token } } }',
      }).toString(),
    })
    expectCsrfRefusal(response)
    expect(await tokenNames()).not.toContain('forged')
  })

  it('given a multipart POST, when it is received, then 403', async () => {
    const form = new FormData()
    form.set('operations', JSON.stringify({ query: QUERY }))
    expectCsrfRefusal(await fetchJson({ method: 'POST', body: form }))
  })
})

describe('clients that are not affected', () => {
  it('given a GET naming no operation (a link to /graphql), when it is received, then it is not refused as a forgery', async () => {
    const response = await t.app.fetch(ENDPOINT, { headers: { accept: '*/*' } })
    expect(response.status).not.toBe(403)
    expect(await response.text()).not.toContain('CSRF_HEADER_MISSING')
  })

  it('given an application/json POST without the header (the web app, GraphiQL, any GraphQL client), when it is received, then it answers', async () => {
    const response = await fetchJson({
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
      },
      body: JSON.stringify({ query: QUERY }),
    })
    expect(response.status).toBe(200)
    expect(response.body.data).toHaveProperty('platforms')
  })

  it('given a browser opening /graphql, when GraphiQL is on, then its page loads without the header', async () => {
    const response = await t.app.fetch(ENDPOINT, { headers: { accept: 'text/html' } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/text\/html/)
    expect(await response.text()).toMatch(/graphiql/i)
  })
})
