import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getIntrospectionQuery } from 'graphql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extractWebDocuments } from '../../scripts/web-documents.ts'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { DOCUMENT_NOT_TRUSTED, documentIdOf } from '../../src/security/trusted-documents.ts'
import { GRAPHIQL_DEFAULT_QUERY } from '../../src/web/graphiql.ts'
import { WEB_DOCUMENTS } from '../../src/web/web-documents.generated.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { bearer, type GqlResponse, send } from './graphql-helpers.ts'

const LISTED = 'query MyWorkspace {\n  viewer { workspace { name } }\n}\n'
const LISTED_ID = documentIdOf(LISTED)
const UNLISTED = 'query TokenName { viewer { token { name } } }'

const dir = mkdtempSync(join(tmpdir(), 'affgraph-trusted-'))
const manifestPath = join(dir, 'trusted-documents.json')
writeFileSync(manifestPath, JSON.stringify({ [LISTED_ID]: LISTED }))

/** POSTs any body, e.g. an id without a query. */
async function post(
  t: TestApp,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GqlResponse<Record<string, unknown>>> {
  const response = await t.app.fetch('http://affgraph.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, text, body: JSON.parse(text) }
}

const codesOf = (response: GqlResponse<unknown>) =>
  (response.body.errors ?? []).map((e) => e.extensions?.code)

function expectRefused(response: GqlResponse<unknown>) {
  expect(response.status, response.text).toBe(400)
  expect(codesOf(response)).toEqual([DOCUMENT_NOT_TRUSTED])
  expect(response.body.data).toBeUndefined()
}

function expectWorkspaceName(response: GqlResponse<unknown>, name: string) {
  expect(response.status, response.text).toBe(200)
  expect(response.body.errors, response.text).toBeUndefined()
  expect(response.body.data).toEqual({ viewer: { workspace: { name } } })
}

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('trusted documents off (the default)', () => {
  let t: TestApp
  let token: string
  beforeAll(async () => {
    t = await createTestApp()
    token = (await t.workspace('trusted-off')).token
  })
  afterAll(() => t?.close())

  it('given no AFFGRAPH_TRUSTED_DOCUMENTS, when an arbitrary query is sent, then it runs', async () => {
    const response = await send(t, UNLISTED, {}, bearer(token))
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ data: { viewer: { token: { name: 'test' } } } })
  })
})

describe('trusted documents on', () => {
  let t: TestApp
  let token: string
  beforeAll(async () => {
    t = await createTestApp({ env: { AFFGRAPH_TRUSTED_DOCUMENTS: manifestPath } })
    token = (await t.workspace('trusted-on')).token
  })
  afterAll(() => t?.close())

  it('given a listed document, when asked for by documentId alone, then it runs', async () => {
    expectWorkspaceName(await post(t, { documentId: LISTED_ID }, bearer(token)), 'trusted-on')
    expectWorkspaceName(await post(t, { documentId: `sha256:${LISTED_ID}` }, bearer(token)), 'trusted-on')
  })

  it('given a listed document, when asked for by extensions.persistedQuery.sha256Hash, then it runs', async () => {
    const extensions = { persistedQuery: { version: 1, sha256Hash: LISTED_ID } }
    expectWorkspaceName(await post(t, { extensions }, bearer(token)), 'trusted-on')
  })

  it('given a listed document, when asked for by id over GET, then it runs', async () => {
    const url = new URL('http://affgraph.test/graphql')
    url.searchParams.set('documentId', LISTED_ID)
    const response = await t.app.fetch(url, {
      headers: { ...bearer(token), accept: 'application/json', 'x-graphql-yoga-csrf': '1' },
    })
    const text = await response.text()
    expectWorkspaceName({ status: response.status, text, body: JSON.parse(text) }, 'trusted-on')
  })

  it('given a listed document, when its text is sent as is or reformatted with a comment, then it runs', async () => {
    expectWorkspaceName(await send(t, LISTED, {}, bearer(token)), 'trusted-on')
    const reformatted = '# mine\nquery MyWorkspace { viewer {\n workspace { name } } }'
    expectWorkspaceName(await send(t, reformatted, {}, bearer(token)), 'trusted-on')
  })

  it('given an unlisted operation, when sent as text, then it is refused with 400 and DOCUMENT_NOT_TRUSTED', async () => {
    expectRefused(await send(t, UNLISTED, {}, bearer(token)))
    expectRefused(
      await send(t, UNLISTED, {}, { ...bearer(token), accept: 'application/graphql-response+json' }),
    )
    // Without a token too: an unlisted operation learns nothing about authentication.
    expectRefused(await send(t, UNLISTED))
    // A listed document with one more field is another document.
    expectRefused(await send(t, 'query MyWorkspace { viewer { workspace { name id } } }', {}, bearer(token)))
  })

  it('given an id nobody listed, when sent, then it is refused with 400 and DOCUMENT_NOT_TRUSTED', async () => {
    expectRefused(await post(t, { documentId: documentIdOf(UNLISTED) }, bearer(token)))
    const extensions = { persistedQuery: { version: 1, sha256Hash: documentIdOf(UNLISTED) } }
    expectRefused(await post(t, { extensions }, bearer(token)))
  })

  it('given introspection mixed with data fields, when sent as text, then it is refused', async () => {
    expectRefused(
      await send(t, '{ __schema { queryType { name } } viewer { token { name } } }', {}, bearer(token)),
    )
    expectRefused(await send(t, '{ __typename ...F } fragment F on Query { viewer { token { name } } }'))
  })

  it("given the web page's documents, when sent as the page sends them, then each one gets past the list", async () => {
    const documents = Object.values(WEB_DOCUMENTS)
    expect(documents.length).toBeGreaterThanOrEqual(10)
    for (const document of documents) {
      const response = await send(t, document, {}, bearer(token))
      // Mutations without their variables fail validation, which shows they were let through to it.
      expect(codesOf(response), `${document}\n${response.text}`).not.toContain(DOCUMENT_NOT_TRUSTED)
    }
  })

  it("given the web page's reads, when sent with the page's variables, then they answer", async () => {
    const byName = (name: string) => Object.values(WEB_DOCUMENTS).find((d) => d.includes(name))!
    const runs: [string, Record<string, unknown>][] = [
      ['viewer {', {}],
      ['{ platforms {\n', {}],
      ['{ platforms { id name connectionFields', {}],
      ['query Accounts(', {}],
      ['query ConnectForm(', { name: 'SoftSwissConnectionInput' }],
      ['query Stats(', { input: { range: { from: '2026-03-01', to: '2026-03-31' }, groupBy: [] } }],
    ]
    for (const [name, variables] of runs) {
      const response = await send(t, byName(name), variables, bearer(token))
      expect(response.status, response.text).toBe(200)
      expect(response.body.errors, response.text).toBeUndefined()
    }
  })

  it('given GraphiQL, when it loads the schema and runs its first tab, then both answer', async () => {
    const introspection = await send<{ __schema: { types: unknown[] } }>(
      t,
      getIntrospectionQuery({ oneOf: true, specifiedByUrl: true, inputValueDeprecation: true }),
      {},
      bearer(token),
    )
    expect(introspection.status).toBe(200)
    expect(introspection.body.data?.__schema.types.length).toBeGreaterThan(50)
    const firstTab = await send(t, GRAPHIQL_DEFAULT_QUERY)
    expect(firstTab.status, firstTab.text).toBe(200)
    expect(firstTab.body.errors).toBeUndefined()
    const page = await t.app.fetch('http://affgraph.test/graphql', { headers: { accept: 'text/html' } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('graphiql-options')
  })

  it('given neither a query nor an id, when sent, then it is refused with 400 BAD_REQUEST', async () => {
    const response = await post(t, { variables: {} }, bearer(token))
    expect(response.status).toBe(400)
    expect(codesOf(response)).toEqual(['BAD_REQUEST'])
  })
})

describe('the web page documents file', () => {
  it('given web/*.js, when its documents are read again, then src/web/web-documents.generated.ts lists exactly them', () => {
    expect(WEB_DOCUMENTS, 'stale: run node --import tsx scripts/web-documents.ts').toEqual(
      extractWebDocuments(),
    )
  })
})

describe('AFFGRAPH_TRUSTED_DOCUMENTS', () => {
  const load = (contents: string | null) => {
    const path = join(dir, `manifest-${Math.random().toString(36).slice(2)}.json`)
    if (contents !== null) writeFileSync(path, contents)
    return () => loadConfig({ NODE_ENV: 'test', AFFGRAPH_TRUSTED_DOCUMENTS: path })
  }

  it('given a valid manifest, when the configuration is read, then it holds the documents', () => {
    expect(load(JSON.stringify({ [LISTED_ID]: LISTED }))().trustedDocuments).toEqual({ [LISTED_ID]: LISTED })
    expect(loadConfig({ NODE_ENV: 'test' }).trustedDocuments).toBeNull()
  })

  it.each([
    ['a missing file', null, /cannot read the manifest file \(ENOENT\)/],
    ['a file that is not JSON', '{ "a": ', /not valid JSON/],
    ['a JSON array', '["{ viewer { id } }"]', /JSON object of/],
    ['a document that is not a string', '{ "a": 1 }', /JSON object of|expected string/],
    ['a document that does not parse', '{ "a": "query {" }', /document "a" is not GraphQL/],
    [
      'a document with no operation',
      '{ "a": "fragment F on Query { __typename }" }',
      /document "a" holds no operation/,
    ],
  ])(
    'given %s, when the configuration is read, then boot stops with an error naming the variable',
    (_, contents, reason) => {
      const read = load(contents)
      expect(read).toThrow(ConfigError)
      expect(read).toThrow(/AFFGRAPH_TRUSTED_DOCUMENTS: /)
      expect(read).toThrow(reason)
    },
  )
})
