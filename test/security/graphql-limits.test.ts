import { readFileSync } from 'node:fs'
import { Kind, Lexer, parse, Source, TokenKind } from 'graphql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import { REPORT_PATH } from '../../plugins/softswiss/report.ts'
import { createApp } from '../../src/app.ts'
import type { GraphQLLimits } from '../../src/config.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { bearer, type GqlResponse, ok, send } from '../graphql/graphql-helpers.ts'
import { globalId } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

// Tight limits, so that each boundary is reached by a short document. The scheduler is off: the only upstream
// report requests are those of `Account.stats` resolvers, which is how a test sees whether a resolver ran.
const MAX_DEPTH = 7
const MAX_ALIASES = 3
const MAX_DIRECTIVES = 4
const MAX_TOKENS = 80
const MAX_COST = 40
const TIGHT: GraphQLLimits = {
  maxDepth: MAX_DEPTH,
  maxAliases: MAX_ALIASES,
  maxDirectives: MAX_DIRECTIVES,
  maxTokens: MAX_TOKENS,
  maxCost: MAX_COST,
  costAccountsAssumed: 25,
}
const CONNECT = `mutation($input: ConnectAccountInput!) {
  connectAccount(input: $input) { ... on ConnectAccountSuccess { account { id } } }
}`

let tight: TestApp
let defaults: TestApp
let sim: PlatformSimulator
let token: string
let defaultToken: string
let accountId: string

beforeAll(async () => {
  sim = await softswiss.simulator.create({ seed: 'graphql-limits', accounts: 1 })
  defaults = await createTestApp({ env: { AFFGRAPH_SYNC: 'off' } })
  // The same services and database behind a second app whose only difference is its limits.
  const services = defaults.services
  tight = {
    ...defaults,
    app: createApp({ ...services, config: { ...services.config, graphqlLimits: TIGHT } }),
  }
  token = (await tight.workspace('limits')).token
  defaultToken = token
  const data = await ok<{ connectAccount: { account: { id: string } } }>(tight, token, CONNECT, {
    input: { connection: { softSwiss: sim.accounts[0]!.connection } },
  })
  accountId = data.connectAccount.account.id
})

afterAll(async () => {
  await sim?.close()
  await tight?.close()
  await defaults?.close()
})

const reports = () => sim.log.filter((r) => r.path === REPORT_PATH).length

/** Days of 2024 no earlier request asked for, so that an `Account.stats` over them must call the platform. */
let nextDay = Date.UTC(2024, 0, 1)
function freshRange(days = 5): string {
  const from = new Date(nextDay).toISOString().slice(0, 10)
  const to = new Date(nextDay + (days - 1) * 86_400_000).toISOString().slice(0, 10)
  nextDay += days * 86_400_000
  return `{ from: "${from}", to: "${to}" }`
}

/** The side effect that shows resolvers ran: this account's stats over days never fetched. */
const statsOf = (range: string) =>
  `stats(input: { range: ${range}, fetchMissing: true }) { rows { nodes { clicks } } }`

function tokenCount(document: string): number {
  const lexer = new Lexer(new Source(document))
  let n = 0
  while (lexer.advance().kind !== TokenKind.EOF) n++
  return n
}

/**
 * `account(id) { stats(input) { rows { nodes { account { stats(input) { rows { … } } } } } } }`, cut so that its
 * deepest field (`__typename`) is at exactly `depth`.
 */
function chainOfDepth(depth: number, range: string): string {
  const cycle = [
    `stats(input: { range: ${range}, groupBy: [ACCOUNT], fetchMissing: true })`,
    'rows',
    'nodes',
    'account',
  ]
  const fields = [`account(id: "${accountId}")`]
  for (let i = 0; fields.length < depth - 1; i++) fields.push(cycle[i % cycle.length]!)
  return `{ ${fields.map((f) => `${f} { `).join('')}__typename${' }'.repeat(fields.length)} }`
}

const aliased = (n: number, range: string) =>
  `{ account(id: "${accountId}") { ${statsOf(range)} ${Array.from({ length: n }, (_, i) => `a${i}: id`).join(' ')} } }`

const directed = (n: number, range: string) =>
  `{ account(id: "${accountId}") { ${statsOf(range)} ${'id @include(if: true) '.repeat(n)}} }`

function ofTokens(n: number, range: string): string {
  const base = `{ account(id: "${accountId}") { ${statsOf(range)} } }`
  const padding = n - tokenCount(base)
  expect(padding).toBeGreaterThanOrEqual(0)
  // __typename costs nothing: only the token count moves.
  return `{ account(id: "${accountId}") { ${statsOf(range)}${' __typename'.repeat(padding)} } }`
}

/** `account` costs 1, its `stats` one per day (one account), `rows`, `nodes` and `clicks` 1 each. */
const costOfDays = (days: number) => 1 + days + 3

async function expectAccepted(document: string): Promise<void> {
  const before = reports()
  const response = await send(tight, document, {}, bearer(token))
  expect(response.body.errors, response.text).toBeUndefined()
  expect(reports(), 'the stats resolver called the platform').toBeGreaterThan(before)
}

async function expectRefused(document: string, code: string, limit: number): Promise<GqlResponse<unknown>> {
  const before = reports()
  const response = await send(tight, document, {}, bearer(token))
  expect(response.body.data ?? null, response.text).toBeNull()
  expect(response.body.errors?.map((e) => e.extensions?.code)).toEqual([code])
  expect(response.body.errors?.[0]?.extensions?.limit).toBe(limit)
  expect(response.body.errors?.[0]?.message).toContain(`limit of ${limit} exceeded`)
  expect(reports(), 'no resolver ran: the platform was never called').toBe(before)
  return response
}

describe('limits at their boundaries, each refused before any resolver runs', () => {
  it('given AFFGRAPH_MAX_DEPTH, when a query nests fields that deep, then it runs, and one level deeper is refused with QUERY_TOO_DEEP', async () => {
    const atLimit = chainOfDepth(MAX_DEPTH, freshRange())
    expect(parse(atLimit).definitions[0]?.kind).toBe(Kind.OPERATION_DEFINITION)
    await expectAccepted(atLimit)
    await expectRefused(chainOfDepth(MAX_DEPTH + 1, freshRange()), 'QUERY_TOO_DEEP', MAX_DEPTH)
  })

  it('given AFFGRAPH_MAX_ALIASES, when a query has that many aliases, then it runs, and one more is refused with TOO_MANY_ALIASES', async () => {
    await expectAccepted(aliased(MAX_ALIASES, freshRange()))
    await expectRefused(aliased(MAX_ALIASES + 1, freshRange()), 'TOO_MANY_ALIASES', MAX_ALIASES)
  })

  it('given AFFGRAPH_MAX_DIRECTIVES, when a query has that many directives, then it runs, and one more is refused with TOO_MANY_DIRECTIVES', async () => {
    await expectAccepted(directed(MAX_DIRECTIVES, freshRange()))
    await expectRefused(directed(MAX_DIRECTIVES + 1, freshRange()), 'TOO_MANY_DIRECTIVES', MAX_DIRECTIVES)
  })

  it('given AFFGRAPH_MAX_TOKENS, when a document has that many tokens, then it runs, and one more is refused with TOO_MANY_TOKENS', async () => {
    const atLimit = ofTokens(MAX_TOKENS, freshRange())
    expect(tokenCount(atLimit)).toBe(MAX_TOKENS)
    await expectAccepted(atLimit)
    await expectRefused(ofTokens(MAX_TOKENS + 1, freshRange()), 'TOO_MANY_TOKENS', MAX_TOKENS)
  })

  it('given AFFGRAPH_MAX_COST, when an account is asked for a range that costs exactly the limit, then it runs, and one day more is refused with QUERY_TOO_COSTLY', async () => {
    const days = MAX_COST - costOfDays(0)
    expect(costOfDays(days)).toBe(MAX_COST)
    await expectAccepted(`{ account(id: "${accountId}") { ${statsOf(freshRange(days))} } }`)
    const refused = await expectRefused(
      `{ account(id: "${accountId}") { ${statsOf(freshRange(days + 1))} } }`,
      'QUERY_TOO_COSTLY',
      MAX_COST,
    )
    expect(refused.body.errors?.[0]?.extensions?.cost).toBe(MAX_COST + 1)
  })

  it('given a range passed in variables, when it is priced, then the variables count as if written inline', async () => {
    const days = MAX_COST - costOfDays(0)
    const query = `query($range: StatsRangeInput!) { account(id: "${accountId}") { stats(input: { range: $range, fetchMissing: true }) { rows { nodes { clicks } } } } }`
    const range = (n: number) => {
      const from = new Date(nextDay).toISOString().slice(0, 10)
      const to = new Date(nextDay + (n - 1) * 86_400_000).toISOString().slice(0, 10)
      nextDay += n * 86_400_000
      return { from, to }
    }
    const before = reports()
    const refused = await send(tight, query, { range: range(days + 1) }, bearer(token))
    expect(refused.body.errors?.[0]?.extensions?.code, refused.text).toBe('QUERY_TOO_COSTLY')
    expect(reports()).toBe(before)
    const accepted = await send(tight, query, { range: range(days) }, bearer(token))
    expect(accepted.body.errors, accepted.text).toBeUndefined()
    expect(reports()).toBeGreaterThan(before)
  })

  it('given a page size, when account stats are asked under a page of accounts, then the page size multiplies their cost', async () => {
    const range = freshRange(10)
    const one = `{ accounts(first: 1) { nodes { ${statsOf(range)} } } }`
    const ten = `{ accounts(first: 10) { nodes { ${statsOf(range)} } } }`
    const accepted = await send(tight, one, {}, bearer(token))
    expect(accepted.body.errors, accepted.text).toBeUndefined()
    const refused = await send(tight, ten, {}, bearer(token))
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({
      code: 'QUERY_TOO_COSTLY',
      // `accounts`, then per account of the page its `nodes` entry (in place of `account`) and the stats below.
      cost: 1 + 10 * costOfDays(10),
    })
  })
})

describe('default limits', () => {
  const STATS_DASHBOARD = readWebQuery('stats.js', 'STATS')
  const REFUSALS = [
    'QUERY_TOO_DEEP',
    'TOO_MANY_ALIASES',
    'TOO_MANY_DIRECTIVES',
    'TOO_MANY_TOKENS',
    'QUERY_TOO_COSTLY',
    'INTROSPECTION_DISABLED',
  ]

  it('given every GraphQL document the web app sends, when each is sent with a token, then no limit refuses it', async () => {
    const documents = webDocuments()
    expect(documents.length).toBeGreaterThanOrEqual(8)
    for (const document of documents) {
      const response = await send(defaults, document, {}, bearer(defaultToken))
      const codes = (response.body.errors ?? []).map((e) => e.extensions?.code)
      expect(
        codes.filter((c) => REFUSALS.includes(String(c))),
        `${document}\n${response.text}`,
      ).toEqual([])
    }
  })

  it("given the web app's dashboard query over 90 days of every account by day, when it runs, then it answers", async () => {
    const response = await send(
      defaults,
      STATS_DASHBOARD,
      {
        input: {
          range: { from: '2026-01-01', to: '2026-03-31' },
          granularity: 'DAY',
          groupBy: ['ACCOUNT'],
          currency: 'EUR',
          fx: { policy: 'DAILY' },
        },
      },
      bearer(defaultToken),
    )
    expect(response.body.errors, response.text).toBeUndefined()
    expect(response.body.data).toHaveProperty('stats.rows.nodes')
  })

  it('given the dashboard query over ten years of every account by day, when it is sent, then QUERY_TOO_COSTLY and nothing runs', async () => {
    const response = await send(
      defaults,
      STATS_DASHBOARD,
      {
        input: { range: { from: '2016-01-01', to: '2025-12-31' }, granularity: 'DAY', groupBy: ['ACCOUNT'] },
      },
      bearer(defaultToken),
    )
    expect(response.body.data ?? null).toBeNull()
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', limit: 50_000 })
    // 3653 days × 25 accounts assumed, before the selection is added.
    expect(Number(response.body.errors?.[0]?.extensions?.cost)).toBeGreaterThan(3653 * 25)
  })

  it('given ten years of stats naming their accounts, when 13 accounts are named, then it runs, and 14 are refused', async () => {
    const query =
      'query($ids: [ID!]) { stats(input: { range: { from: "2016-01-01", to: "2025-12-31" }, filter: { accountIds: $ids } }) { totals { clicks } } }'
    const ids = (n: number) => Array.from({ length: n }, () => globalId('Account', crypto.randomUUID()))
    // 3653 days × 13 accounts + 13 × (totals + clicks) = 47 515; with 14 accounts 51 170.
    const accepted = await send(defaults, query, { ids: ids(13) }, bearer(defaultToken))
    expect(accepted.body.errors, accepted.text).toBeUndefined()
    const refused = await send(defaults, query, { ids: ids(14) }, bearer(defaultToken))
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', cost: 51_170 })
  })
})

describe('batching and multi-operation documents', () => {
  const CREATE = (name: string) =>
    `mutation Create { createApiToken(input: { name: "${name}" }) { ... on CreateApiTokenSuccess { token } } }`
  const tokenNames = async () =>
    (
      await ok<{ apiTokens: { nodes: { name: string }[] } }>(
        defaults,
        defaultToken,
        '{ apiTokens { nodes { name } } }',
      )
    ).apiTokens.nodes.map((t) => t.name)

  it('given a JSON array of operations, when it is posted, then 400 and none of them runs', async () => {
    const response = await defaults.app.fetch('http://affgraph.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(defaultToken) },
      body: JSON.stringify([{ query: CREATE('batched-1') }, { query: CREATE('batched-2') }]),
    })
    expect(response.status).toBe(400)
    expect(await response.text()).toMatch(/batching is not supported/i)
    expect(await tokenNames()).not.toContain('batched-1')
    expect(await tokenNames()).not.toContain('batched-2')
  })

  it('given a document with a query and a mutation, when the query is named, then only the query runs', async () => {
    const document = `query Read { viewer { workspace { name } } } ${CREATE('multi-op')}`
    const response = await defaults.app.fetch('http://affgraph.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(defaultToken) },
      body: JSON.stringify({ query: document, operationName: 'Read' }),
    })
    const body = (await response.json()) as { data?: Record<string, unknown> }
    expect(Object.keys(body.data ?? {})).toEqual(['viewer'])
    expect(await tokenNames()).not.toContain('multi-op')
  })

  it('given a document with two operations and no operation name, when it is posted, then nothing runs', async () => {
    const response = await send(
      defaults,
      `query Read { viewer { workspace { name } } } ${CREATE('unnamed-op')}`,
      {},
      bearer(defaultToken),
    )
    expect(response.body.data ?? null).toBeNull()
    expect(response.body.errors?.[0]?.message).toMatch(/could not determine what operation/i)
    expect(await tokenNames()).not.toContain('unnamed-op')
  })
})

/** Every GraphQL document in the web app's modules: string constants that parse as an operation. */
function webDocuments(): string[] {
  const documents: string[] = []
  for (const file of [
    'accounts.js',
    'alerts.js',
    'app.js',
    'connect.js',
    'destinations.js',
    'import.js',
    'stats.js',
  ]) {
    const text = readFileSync(new URL(`../../web/${file}`, import.meta.url), 'utf8')
    for (const match of text.matchAll(/const [A-Z_]+ = (?:`([^`]*)`|'([^'\n]*)')/g)) {
      const candidate = match[1] ?? match[2] ?? ''
      try {
        if (parse(candidate).definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION))
          documents.push(candidate)
      } catch {
        // Not GraphQL (a CSS class list, a storage key…).
      }
    }
  }
  return documents
}

function readWebQuery(file: string, name: string): string {
  const text = readFileSync(new URL(`../../web/${file}`, import.meta.url), 'utf8')
  const match = new RegExp(`const ${name} = \`([^\`]*)\``).exec(text)
  if (!match?.[1]) throw new Error(`web/${file} has no ${name} query`)
  return match[1]
}
