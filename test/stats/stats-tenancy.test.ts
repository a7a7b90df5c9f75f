import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { reportRow } from '../../src/sdk/index.ts'
import { writeReport } from '../../src/stats/stat-writer.ts'
import { bearer, ok, send } from '../graphql/graphql-helpers.ts'
import { databaseIdOf, globalId } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'
import { insertAccounts, insertCoverage } from './stats-seed.ts'

const STATS = `query Stats($input: StatsInput!) {
  stats(input: $input) {
    rows { nodes { accountId tag clicks commission { amount } } }
    totals { clicks commission { amount } accountsContributing native { currency commission { amount } } }
  }
}`
const CHANGES = `query Changes($filter: StatChangesFilterInput, $first: Int, $after: String) {
  changes(filter: $filter, first: $first, after: $after) {
    nodes { id accountId account { id label } day brand campaign currency metric oldValue newValue detectedAt }
    pageInfo { hasNextPage endCursor }
  }
}`
const ACCOUNT_STATS = `query AccountStats($id: ID!) {
  account(id: $id) { id stats(input: { range: { from: "2026-03-01", to: "2026-03-31" } }) { rows { nodes { clicks commission { amount } } } } }
}`

interface ChangeNode {
  id: string
  accountId: string
  account: { id: string; label: string } | null
  day: string
  brand: string | null
  campaign: string | null
  currency: string | null
  metric: string
  oldValue: string | null
  newValue: string | null
  detectedAt: string
}
interface ChangesData {
  changes: { nodes: ChangeNode[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }
}
interface StatsData {
  stats: {
    rows: {
      nodes: {
        accountId: string | null
        tag: string | null
        clicks: number | null
        commission: { amount: string } | null
      }[]
    }
    totals: {
      clicks: number | null
      commission: { amount: string } | null
      accountsContributing: number
      native: unknown[]
    }
  }
}

let t: TestApp
let a: { id: string; token: string }
let b: { id: string; token: string }
let accountA: string

const window = { from: '2026-03-01', to: '2026-03-02' }

beforeAll(async () => {
  t = await createTestApp()
  a = await t.workspace('tenant-a')
  b = await t.workspace('tenant-b')
  const [stored] = await insertAccounts(t.db, a.id, [{ label: 'A main', tags: ['shared-tag'] }])
  accountA = globalId('Account', stored!)
  await insertAccounts(t.db, b.id, [{ label: 'B main', tags: ['shared-tag'] }])
  // Two reports of the same window: the second revises figures, which records changes.
  await writeReport(t.db.fork(), {
    workspaceId: a.id,
    accountId: stored!,
    window,
    rows: [
      reportRow({ date: '2026-03-01', brand: 'X', currency: 'EUR', clicks: 10, ftds: 2, commission: '12.5' }),
      reportRow({ date: '2026-03-02', brand: 'X', currency: 'EUR', clicks: 20, ftds: 1, commission: '3' }),
    ],
    now: new Date('2026-03-03T08:00:00Z'),
  })
  await writeReport(t.db.fork(), {
    workspaceId: a.id,
    accountId: stored!,
    window,
    rows: [
      reportRow({ date: '2026-03-01', brand: 'X', currency: 'EUR', clicks: 10, ftds: 1, commission: '10.5' }),
      reportRow({ date: '2026-03-02', brand: 'X', currency: 'EUR', clicks: 21, ftds: 1, commission: '3' }),
    ],
    now: new Date('2026-03-04T08:00:00Z'),
  })
  await insertCoverage(t.db, [accountA], '2026-03-01', '2026-03-31')
})

afterAll(async () => {
  await t?.close()
})

const march = { from: '2026-03-01', to: '2026-03-31' }

describe(`stats tenancy on ${TEST_DATABASE_KIND}`, () => {
  it("given workspace A's stats, when A asks, then A sees them", async () => {
    const data = await ok<StatsData>(t, a.token, STATS, { input: { range: march } })
    expect(data.stats.totals).toMatchObject({
      clicks: 31,
      commission: { amount: '13.50' },
      accountsContributing: 1,
    })
  })

  it("given workspace A's stats, when B asks, even naming A's account or tag, then B sees none of them", async () => {
    for (const input of [
      { range: march },
      { range: march, filter: { accountIds: [accountA] }, groupBy: ['ACCOUNT'] },
      { range: march, filter: { tags: ['shared-tag'] }, groupBy: ['TAG'], currency: 'EUR' },
    ]) {
      const data = await ok<StatsData>(t, b.token, STATS, { input })
      expect(data.stats.rows.nodes).toEqual([])
      expect(data.stats.totals).toMatchObject({
        clicks: null,
        commission: null,
        accountsContributing: 0,
        native: [],
      })
    }
  })

  it("given A's account id, when B asks for its stats, then the account does not exist for B", async () => {
    const asB = await ok<{ account: unknown }>(t, b.token, ACCOUNT_STATS, { id: accountA })
    expect(asB.account).toBeNull()
    const asA = await ok<{ account: { stats: { rows: { nodes: unknown[] } } } }>(t, a.token, ACCOUNT_STATS, {
      id: accountA,
    })
    expect(asA.account.stats.rows.nodes).toEqual([{ clicks: 31, commission: { amount: '13.50' } }])
  })

  it('given a reversed range, when Account.stats runs, then INVALID_ARGUMENT names the argument', async () => {
    const response = await send(
      t,
      `query($id: ID!) { account(id: $id) { stats(input: { range: { from: "2026-03-31", to: "2026-03-01" }, currency: "EUR" }) { rows { nodes { clicks } } } } }`,
      { id: accountA },
      bearer(a.token),
    )
    const error = response.body.errors?.[0]
    expect(error?.extensions?.code).toBe('INVALID_ARGUMENT')
    expect(error?.extensions?.fields).toEqual([expect.objectContaining({ path: ['input', 'range', 'to'] })])
  })

  it('given a currency that is no ISO 4217 code, when Account.stats runs, then the CurrencyCode scalar refuses it naming the argument', async () => {
    const response = await send(
      t,
      `query($id: ID!, $currency: CurrencyCode) { account(id: $id) { stats(input: { range: { from: "2026-03-01", to: "2026-03-31" }, currency: $currency }) { rows { nodes { clicks } } } } }`,
      { id: accountA, currency: 'euro' },
      bearer(a.token),
    )
    const error = response.body.errors?.[0]
    expect(error?.extensions?.code).toBe('BAD_USER_INPUT')
    expect(error?.extensions?.fields).toEqual([
      { path: ['currency'], message: expect.stringMatching(/^CurrencyCode must be an upper-case ISO 4217/) },
    ])
    // Written into the document instead, the value fails validation with the same words.
    const literal = await send(
      t,
      `query($id: ID!) { account(id: $id) { stats(input: { range: { from: "2026-03-01", to: "2026-03-31" }, currency: "euro" }) { rows { nodes { clicks } } } } }`,
      { id: accountA },
      bearer(a.token),
    )
    expect(literal.body.errors?.[0]?.message).toMatch(/CurrencyCode must be an upper-case ISO 4217/)
  })

  it('given revised figures, when A lists changes, then each revision is there, newest first, with old and new values', async () => {
    const data = await ok<ChangesData>(t, a.token, CHANGES, {})
    const summary = data.changes.nodes.map((n) => [n.day, n.metric, n.oldValue, n.newValue])
    expect(summary).toEqual(
      expect.arrayContaining([
        ['2026-03-01', 'FTDS', '2', '1'],
        ['2026-03-01', 'COMMISSION', '12.5', '10.5'],
        ['2026-03-02', 'CLICKS', '20', '21'],
      ]),
    )
    expect(summary).toHaveLength(3)
    expect(data.changes.nodes[0]).toMatchObject({
      accountId: accountA,
      account: { id: accountA, label: 'A main' },
      brand: 'X',
      campaign: null,
      currency: 'EUR',
      detectedAt: '2026-03-04T08:00:00.000Z',
    })
    // Ids are opaque: the table's global sequence would tell a tenant how many revisions all tenants had.
    const sequence = await t.db.query<{ id: string }>('select id::text as id from stat_change')
    const ids = data.changes.nodes.map((n) => n.id)
    expect(new Set(ids).size).toBe(3)
    for (const id of ids) {
      // A global id around the sealed row number: the number itself never shows.
      const sealed = databaseIdOf(id)
      expect(Buffer.from(id, 'base64').toString().startsWith('StatChange:')).toBe(true)
      expect(sealed).toMatch(/^[\w-]{22}$/)
      expect(sequence.map((r) => r.id)).not.toContain(sealed)
      expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toMatch(/^chg:|^\d+$/)
    }
  })

  it('given filters and a page size, when A pages through changes, then pages follow each other and filters apply', async () => {
    const first = await ok<ChangesData>(t, a.token, CHANGES, { first: 2 })
    expect(first.changes.nodes).toHaveLength(2)
    expect(first.changes.pageInfo.hasNextPage).toBe(true)
    const second = await ok<ChangesData>(t, a.token, CHANGES, {
      first: 2,
      after: first.changes.pageInfo.endCursor,
    })
    expect(second.changes.nodes).toHaveLength(1)
    expect(second.changes.pageInfo.hasNextPage).toBe(false)
    const seen = new Set([...first.changes.nodes, ...second.changes.nodes].map((n) => n.id))
    expect(seen.size).toBe(3)

    const ftds = await ok<ChangesData>(t, a.token, CHANGES, { filter: { metrics: ['FTDS'] } })
    expect(ftds.changes.nodes.map((n) => n.metric)).toEqual(['FTDS'])
    const day2 = await ok<ChangesData>(t, a.token, CHANGES, {
      filter: { from: '2026-03-02', to: '2026-03-02', accountIds: [accountA] },
    })
    expect(day2.changes.nodes.map((n) => n.metric)).toEqual(['CLICKS'])
  })

  it("given A's revisions, when B lists changes, even filtered by A's account, then B sees none", async () => {
    for (const filter of [undefined, { accountIds: [accountA] }, { metrics: ['FTDS'], from: '2026-03-01' }]) {
      const data = await ok<ChangesData>(t, b.token, CHANGES, { filter })
      expect(data.changes.nodes).toEqual([])
    }
  })
})
