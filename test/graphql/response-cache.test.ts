import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { responseCacheOf } from '../../src/schema/response-cache.ts'
import { reportRow } from '../../src/sdk/index.ts'
import { writeReport } from '../../src/stats/stat-writer.ts'
import { insertAccounts, insertCoverage } from '../stats/stats-seed.ts'
import { globalId } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'
import { bearer, send } from './graphql-helpers.ts'

const STATS = `query Stats($from: Date!, $to: Date!) {
  stats(input: { range: { from: $from, to: $to }, groupBy: [ACCOUNT] }) { rows { nodes { accountId clicks } } totals { clicks } }
}`
const RANGE = { from: '2026-03-01', to: '2026-03-31' }

let t: TestApp
let a: { id: string; token: string; account: string }
let b: { id: string; token: string; account: string }

async function workspaceWithAccount(name: string) {
  const ws = await t.workspace(name)
  const [account] = await insertAccounts(t.db, ws.id, [{ label: `${name} account` }])
  await insertCoverage(t.db, [account!], '2026-03-01', '2026-03-31')
  return { ...ws, account: account! }
}

/** A sync's write of one day: the path every platform's figures take into storage. */
function sync(ws: { id: string; account: string }, clicks: number) {
  return writeReport(t.db.fork(), {
    workspaceId: ws.id,
    accountId: ws.account,
    window: { from: '2026-03-10', to: '2026-03-10' },
    rows: [reportRow({ date: '2026-03-10', currency: 'EUR', clicks })],
  })
}

const clicksOf = (response: { body: { data?: unknown } }) =>
  (response.body.data as { stats: { totals: { clicks: number } } }).stats.totals.clicks

/** GET, as a browser revalidating: the CSRF header, and If-None-Match when an ETag is known. */
function get(token: string, etag?: string) {
  const url = new URL('http://affgraph.test/graphql')
  url.searchParams.set('query', STATS)
  url.searchParams.set('variables', JSON.stringify(RANGE))
  return t.app.fetch(url, {
    headers: {
      ...bearer(token),
      accept: 'application/json',
      'x-graphql-yoga-csrf': '1',
      ...(etag ? { 'if-none-match': etag } : {}),
    },
  })
}

beforeAll(async () => {
  t = await createTestApp()
  await t.db.changes.start()
  a = await workspaceWithAccount('cache-a')
  b = await workspaceWithAccount('cache-b')
  await sync(a, 5)
  await sync(b, 7)
})

afterAll(async () => {
  await t?.close()
})

describe(`response cache on ${TEST_DATABASE_KIND}`, () => {
  it('given a read answered once, when asked again, then the same answer comes from the cache with an ETag', async () => {
    const cache = responseCacheOf(t.services)
    const first = await send(t, STATS, RANGE, bearer(a.token))
    const hits = cache.hits
    const second = await send(t, STATS, RANGE, bearer(a.token))
    expect(clicksOf(first)).toBe(5)
    expect(second.text).toBe(first.text)
    expect(cache.hits).toBe(hits + 1)
    const response = await get(a.token)
    expect(response.status).toBe(200)
    expect(response.headers.get('etag')).toMatch(/^[\w-]{20,}$/)
  })

  it('given an ETag, when the data has not changed, then a revalidation gets 304; after a sync writes, 200 with the new figures', async () => {
    const etag = (await get(a.token)).headers.get('etag')!
    expect((await get(a.token, etag)).status).toBe(304)
    await sync(a, 9)
    const fresh = await get(a.token, etag)
    expect(fresh.status).toBe(200)
    expect(
      ((await fresh.json()) as { data: { stats: { totals: { clicks: number } } } }).data.stats.totals.clicks,
    ).toBe(9)
    expect(clicksOf(await send(t, STATS, RANGE, bearer(a.token)))).toBe(9)
  })

  it("given cached answers of two workspaces, when one workspace's data changes, then only its answers are recomputed", async () => {
    const cache = responseCacheOf(t.services)
    await send(t, STATS, RANGE, bearer(a.token))
    await send(t, STATS, RANGE, bearer(b.token))
    await sync(b, 8)
    const hits = cache.hits
    expect(clicksOf(await send(t, STATS, RANGE, bearer(a.token)))).toBe(9)
    expect(cache.hits).toBe(hits + 1)
    expect(clicksOf(await send(t, STATS, RANGE, bearer(b.token)))).toBe(8)
    expect(cache.hits).toBe(hits + 1)
  })

  it('given a cached account list, when a tag is edited, then the next list shows the tag', async () => {
    const LIST = '{ accounts(first: 10) { nodes { id tags } } }'
    const before = await send<{ accounts: { nodes: { tags: string[] }[] } }>(t, LIST, {}, bearer(a.token))
    expect(before.body.data?.accounts.nodes[0]?.tags).toEqual([])
    const edited = await send(
      t,
      'mutation($input: UpdateAccountInput!) { updateAccount(input: $input) { __typename } }',
      { input: { accountId: globalId('Account', a.account), tags: ['vip'] } },
      bearer(a.token),
    )
    expect(edited.text).toContain('UpdateAccountSuccess')
    const after = await send<{ accounts: { nodes: { tags: string[] }[] } }>(t, LIST, {}, bearer(a.token))
    expect(after.body.data?.accounts.nodes[0]?.tags).toEqual(['vip'])
  })

  it('given an answer cached for a token, when the token is revoked, then the cached answer is refused to it', async () => {
    const created = await send<{ createApiToken: { token: string; apiToken: { id: string } } }>(
      t,
      'mutation { createApiToken(input: { name: "soon revoked" }) { ... on CreateApiTokenSuccess { token apiToken { id } } } }',
      {},
      bearer(a.token),
    )
    const { token, apiToken } = created.body.data!.createApiToken
    expect((await send(t, STATS, RANGE, bearer(token))).status).toBe(200)
    const etag = (await get(token)).headers.get('etag')!
    await send(
      t,
      'mutation($id: ID!) { revokeApiToken(input: { id: $id }) { __typename } }',
      { id: apiToken.id },
      bearer(a.token),
    )
    expect((await send(t, STATS, RANGE, bearer(token))).status).toBe(401)
    expect((await get(token, etag)).status).not.toBe(304)
  })
})

describe(`response cache and writes on ${TEST_DATABASE_KIND}`, () => {
  it('given the same mutation sent twice with the same variables, when the second arrives, then it runs again and is not answered from the cache', async () => {
    const cache = responseCacheOf(t.services)
    // A check refused before any request writes nothing, so no change would empty the cache between the two.
    const check = `mutation($input: ConnectionInput!) {
      testConnection(input: $input) { __typename ... on OutboundBlockedError { code } }
    }`
    const input = { softSwiss: { baseUrl: 'http://10.0.0.1', token: 'a'.repeat(32) } }
    const hits = cache.hits
    const first = await send(t, check, { input }, bearer(a.token))
    const second = await send(t, check, { input }, bearer(a.token))
    expect(first.status, first.text).toBe(200)
    expect(second.text).toBe(first.text)
    expect(first.text).toContain('OUTBOUND_BLOCKED')
    expect(cache.hits).toBe(hits)
  })
})
