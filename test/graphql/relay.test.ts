import { randomUUID } from 'node:crypto'
import { parse } from 'graphql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildSchema } from '../../src/schema/schema.ts'
import { estimateCost } from '../../src/security/query-cost.ts'
import { sealChangeId } from '../../src/stats/stats.service.ts'
import { insertAccounts } from '../stats/stats-seed.ts'
import { databaseIdOf, globalId } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { bearer, ok, send, USER_ERROR, type UserErrorResult } from './graphql-helpers.ts'

/**
 * Relay conventions end to end: global ids in and out, `node`/`nodes` scoped to the caller's workspace, and
 * connections paged both ways in SQL with typed refusals naming the argument.
 */

let t: TestApp
let a: { id: string; token: string }
let b: { id: string; token: string }
/** A's six accounts, oldest first, as global ids. */
let accounts: string[]
let runId: string
let changeId: string

interface Connection {
  totalCount: number
  edges: { cursor: string; node: { id: string } }[]
  nodes: { id: string }[]
  pageInfo: {
    hasNextPage: boolean
    hasPreviousPage: boolean
    startCursor: string | null
    endCursor: string | null
  }
}

const PAGE = `query($first: Int, $last: Int, $after: String, $before: String) {
  accounts(first: $first, last: $last, after: $after, before: $before) {
    totalCount edges { cursor node { id } } nodes { id }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`

const page = async (variables: Record<string, unknown>) =>
  (await ok<{ accounts: Connection }>(t, a.token, PAGE, variables)).accounts

beforeAll(async () => {
  t = await createTestApp()
  a = await t.workspace('relay-alpha')
  b = await t.workspace('relay-bravo')
  const raw = await insertAccounts(
    t.db,
    a.id,
    Array.from({ length: 6 }, (_, i) => ({ label: `relay ${i + 1}` })),
  )
  // Distinct creation instants, one a second apart, so that "oldest first" has one answer.
  for (const [i, id] of raw.entries()) {
    await t.db.query(
      `update account set created_at = '2026-01-01T00:00:00Z'::timestamptz + ? * interval '1 second' where id = ?`,
      [i, id],
    )
  }
  accounts = raw.map((id) => globalId('Account', id))
  const run = randomUUID()
  await t.db.query(
    `insert into sync_run (id, workspace_id, account_id, kind, window_from, window_to, status, created_at)
     values (?, ?, ?, 'MANUAL', '2026-01-01', '2026-01-02', 'SUCCEEDED', '2026-01-03T00:00:00Z')`,
    [run, a.id, raw[0]],
  )
  runId = globalId('SyncRun', run)
  const [change] = await t.db.query<{ id: string }>(
    `insert into stat_change (workspace_id, account_id, day, brand, campaign, currency, metric, old_value, new_value, detected_at)
     values (?, ?, '2026-01-01', '', '', 'EUR', 'clicks', 1, 2, '2026-01-03T00:00:00Z') returning id::text as id`,
    [a.id, raw[0]],
  )
  changeId = globalId('StatChange', sealChangeId(t.services.keyRing, change!.id))
})

afterAll(async () => {
  await t?.close()
})

describe('node and nodes', () => {
  const NODE = `query($id: ID!) { node(id: $id) { __typename id } }`

  it('given ids of each Node type, when node(id) is asked by the owner, then each object comes back under its own id', async () => {
    const [token] = await t.db.query<{ id: string }>(
      'select id::text as id from api_token where workspace_id = ? limit 1',
      [a.id],
    )
    const member = (
      await ok<{ addMember: { member: { id: string } } }>(
        t,
        a.token,
        'mutation { addMember(input: { email: "relay@alpha.example" }) { ... on AddMemberSuccess { member { id } } } }',
      )
    ).addMember.member.id
    const ids: [string, string][] = [
      ['Account', accounts[0]!],
      ['ApiToken', globalId('ApiToken', token!.id)],
      ['Member', member],
      ['SyncRun', runId],
      ['StatChange', changeId],
      ['Workspace', globalId('Workspace', a.id)],
    ]
    for (const [type, id] of ids) {
      const data = await ok<{ node: { __typename: string; id: string } | null }>(t, a.token, NODE, { id })
      expect(data.node, type).toEqual({ __typename: type, id })
    }
    const many = await ok<{ nodes: ({ id: string } | null)[] }>(
      t,
      a.token,
      'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
      { ids: [...ids.map(([, id]) => id), globalId('Account', randomUUID())] },
    )
    expect(many.nodes).toEqual([...ids.map(([, id]) => ({ id })), null])
  })

  it("given A's ids, when B asks node and nodes, then the answers are byte for byte those for unknown ids", async () => {
    const unknown = globalId('Account', randomUUID())
    const of = async (id: string) => (await send(t, NODE, { id }, bearer(b.token))).text
    const nothing = await of(unknown)
    expect(JSON.parse(nothing)).toEqual({ data: { node: null } })
    for (const id of [accounts[0]!, runId, changeId, globalId('Workspace', a.id)])
      expect(await of(id)).toBe(nothing)
    const list = await send(
      t,
      'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
      { ids: [accounts[1], runId] },
      bearer(b.token),
    )
    expect(list.body).toEqual({ data: { nodes: [null, null] } })
  })

  it('given ids that are no global ids, or name no Node type, when node is asked, then a typed error, or null', async () => {
    const response = await send(t, NODE, { id: 'bm90IGFuIGlk!' }, bearer(a.token))
    expect(response.body.errors?.[0]?.extensions).toMatchObject({
      code: 'INVALID_ARGUMENT',
      fields: [{ path: ['id'] }],
    })
    const platform = await ok<{ node: unknown }>(t, a.token, NODE, {
      id: Buffer.from('Platform:softswiss').toString('base64'),
    })
    expect(platform.node).toBeNull()
    const forged = await ok<{ node: unknown }>(t, a.token, NODE, { id: globalId('Account', 'not-a-uuid') })
    expect(forged.node).toBeNull()
    const tooMany = await send(
      t,
      'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
      { ids: Array.from({ length: 101 }, () => accounts[0]) },
      bearer(a.token),
    )
    expect(tooMany.body.errors?.[0]?.extensions).toMatchObject({
      code: 'INVALID_ARGUMENT',
      fields: [{ path: ['ids'] }],
    })
  })
})

describe('ids in arguments', () => {
  const UPDATE = `mutation($input: UpdateAccountInput!) { updateAccount(input: $input) { __typename ${USER_ERROR} } }`

  it('given a malformed id or an id of another type, when a mutation takes it, then InvalidArgumentError names the input path', async () => {
    for (const [accountId, message] of [
      ['not-an-id', 'not a global id'],
      [globalId('Workspace', a.id), 'the id of a Workspace, not of an Account'],
      [runId, 'the id of a SyncRun, not of an Account'],
    ] as const) {
      const data = await ok<{ updateAccount: UserErrorResult }>(t, a.token, UPDATE, {
        input: { accountId, label: 'x' },
      })
      expect(data.updateAccount).toMatchObject({
        __typename: 'InvalidArgumentError',
        code: 'INVALID_ARGUMENT',
        fields: [{ path: ['input', 'accountId'], message: expect.stringContaining(message) }],
      })
    }
  })

  it('given a wrong id in a list of a query filter, when the query runs, then INVALID_ARGUMENT names its position', async () => {
    const response = await send(
      t,
      'query($f: StatChangesFilterInput) { changes(filter: $f) { totalCount } }',
      { f: { accountIds: [accounts[0], runId] } },
      bearer(a.token),
    )
    expect(response.body.errors?.[0]?.extensions).toMatchObject({
      code: 'INVALID_ARGUMENT',
      fields: [{ path: ['filter', 'accountIds', '1'] }],
    })
  })

  it('given a revision, when it is read, then its account id is the global id and filtering by it finds it', async () => {
    const data = await ok<{ changes: { nodes: { id: string; accountId: string }[] } }>(
      t,
      a.token,
      'query($f: StatChangesFilterInput) { changes(filter: $f) { nodes { id accountId } } }',
      { f: { accountIds: [accounts[0]] } },
    )
    expect(data.changes.nodes).toEqual([{ id: changeId, accountId: accounts[0] }])
    expect(databaseIdOf(data.changes.nodes[0]!.accountId)).toBe(databaseIdOf(accounts[0]!))
  })
})

describe('connections', () => {
  it('given six accounts, when paged forward two at a time, then edges and nodes agree and every page says where it is', async () => {
    const first = await page({ first: 2 })
    expect(first.nodes.map((n) => n.id)).toEqual(accounts.slice(0, 2))
    expect(first.edges.map((e) => e.node.id)).toEqual(accounts.slice(0, 2))
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false })
    expect(first.pageInfo.startCursor).toBe(first.edges[0]!.cursor)
    expect(first.pageInfo.endCursor).toBe(first.edges[1]!.cursor)
    expect(first.totalCount).toBe(6)
    const second = await page({ first: 2, after: first.pageInfo.endCursor })
    expect(second.nodes.map((n) => n.id)).toEqual(accounts.slice(2, 4))
    expect(second.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true })
    const rest = await page({ first: 5, after: second.pageInfo.endCursor })
    expect(rest.nodes.map((n) => n.id)).toEqual(accounts.slice(4))
    expect(rest.pageInfo.hasNextPage).toBe(false)
  })

  it('given six accounts, when paged back from the end with last and before, then pages come in list order, newest page first', async () => {
    const end = await page({ last: 2 })
    expect(end.nodes.map((n) => n.id)).toEqual(accounts.slice(4))
    expect(end.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false })
    const before = await page({ last: 3, before: end.pageInfo.startCursor })
    expect(before.nodes.map((n) => n.id)).toEqual(accounts.slice(1, 4))
    expect(before.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true })
    const start = await page({ last: 3, before: before.pageInfo.startCursor })
    expect(start.nodes.map((n) => n.id)).toEqual(accounts.slice(0, 1))
    expect(start.pageInfo.hasPreviousPage).toBe(false)
    const between = await page({
      after: start.pageInfo.endCursor,
      before: end.pageInfo.startCursor,
      first: 10,
    })
    expect(between.nodes.map((n) => n.id)).toEqual(accounts.slice(1, 4))
  })

  it('given paging arguments Relay leaves undefined or out of bounds, when sent, then INVALID_ARGUMENT names the argument', async () => {
    for (const [variables, path] of [
      [{ first: 1, last: 1 }, 'last'],
      [{ first: -1 }, 'first'],
      [{ last: -2 }, 'last'],
      [{ first: 101 }, 'first'],
      [{ last: 1000 }, 'last'],
      [{ after: 'bm8' }, 'after'],
      [{ before: accounts[0] }, 'before'],
    ] as const) {
      const response = await send(t, PAGE, variables, bearer(a.token))
      expect(response.body.errors?.[0]?.extensions, JSON.stringify(variables)).toMatchObject({
        code: 'INVALID_ARGUMENT',
        fields: [{ path: [path] }],
      })
    }
  })

  it('given every connection, when asked for its first item and its last, then each answers in its own order', async () => {
    const data = await ok<Record<string, { nodes: unknown[]; totalCount: number }>>(
      t,
      a.token,
      `{ tokens: apiTokens(last: 1) { totalCount nodes { id } }
         members(first: 1) { totalCount nodes { id } }
         changes(last: 1) { totalCount nodes { id } }
         accounts(first: 1) { totalCount nodes { id syncRuns(last: 1) { totalCount nodes { id } } } } }`,
    )
    expect(data.tokens!.nodes).toHaveLength(1)
    expect(data.changes).toEqual({ totalCount: 1, nodes: [{ id: changeId }] })
    expect(data.accounts).toMatchObject({ nodes: [{ syncRuns: { totalCount: 1, nodes: [{ id: runId }] } }] })
  })
})

describe('query cost of connections', () => {
  it('given last instead of first, or neither, when an operation is priced, then the page size multiplies the selection', () => {
    const schema = buildSchema(t.registry)
    const cost = (query: string) => estimateCost(schema, parse(query), null, {}, { accountsAssumed: 10 })
    const byFirst = cost('{ accounts(first: 40) { nodes { id label } } }')
    expect(cost('{ accounts(last: 40) { nodes { id label } } }')).toBe(byFirst)
    expect(byFirst).toBeGreaterThan(40)
    // Without either, the default page (50 accounts) is what runs.
    expect(cost('{ accounts { nodes { id label } } }')).toBeGreaterThan(byFirst)
    expect(cost('{ nodes(ids: ["a", "b", "c"]) { id } }')).toBe(4)
  })
})
