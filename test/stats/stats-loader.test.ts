import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import { REPORT_PATH } from '../../plugins/softswiss/report.ts'
import { addDecimals, type PlatformSimulator } from '../../src/sdk/index.ts'
import { connectSoftSwiss, ok } from '../graphql/graphql-helpers.ts'
import { databaseIdOf, globalId } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'
import { insertAccounts, insertCoverage, insertStatRows } from './stats-seed.ts'

const RANGE = '{ from: "2026-01-01", to: "2026-03-31" }'
// Each account asks for two argument sets (and repeats one), so two stats statements are expected however many
// accounts there are.
const ACCOUNT_FIELDS = `
  id
  monthly: stats(range: ${RANGE}, granularity: MONTH, currency: "EUR") {
    rows { periodStart clicks commission accountsContributing } fetchError { code }
  }
  total: stats(range: ${RANGE}, currency: "EUR") { rows { clicks commission } }
  again: stats(range: ${RANGE}, granularity: MONTH, currency: "EUR") { rows { clicks } }`
// A per-account report listing every account of the workspace (500 here) with its own stats.
const REPORT = `query Report {
  stats(input: { range: ${RANGE}, groupBy: [ACCOUNT] }) { rows { account { ${ACCOUNT_FIELDS} } } }
}`
// One page of the accounts list (at most 100 per page).
const PAGE = `query Page { accounts(first: 100) { nodes { ${ACCOUNT_FIELDS} } } }`

interface AccountNode {
  id: string
  monthly: {
    rows: { periodStart: string; clicks: number; commission: string; accountsContributing: number }[]
    fetchError: unknown
  }
  total: { rows: { clicks: number; commission: string }[] }
  again: { rows: { clicks: number }[] }
}

let t: TestApp

/**
 * Every statement MikroORM sends during `fn` (ORM queries and raw SQL alike go through its `onQuery` hook).
 * A token's first use of the minute also records `last_used_at`: callers warm the token up first so that both
 * sides of a comparison start alike.
 */
async function recordStatements<T>(fn: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const statements: string[] = []
  const config = t.db.orm.config
  const previous = config.get('onQuery')
  config.set('onQuery', (sql: string, params: readonly unknown[]) => {
    statements.push(sql)
    return previous(sql, params)
  })
  try {
    return { result: await fn(), statements }
  } finally {
    config.set('onQuery', previous)
  }
}

async function portfolio(accounts: number) {
  const ws = await t.workspace(`portfolio-${accounts}`)
  const ids = await insertAccounts(
    t.db,
    ws.id,
    Array.from({ length: accounts }, (_, i) => ({ label: `p${i}` })),
  )
  // Already synced: the platform is never called (the accounts carry dummy credentials).
  await insertCoverage(t.db, ids, '2026-01-01', '2026-03-31')
  await insertStatRows(
    t.db,
    ws.id,
    ids.flatMap((accountId) => [
      { accountId, day: '2026-01-15', currency: 'EUR', clicks: 3, commission: '1.5' },
      { accountId, day: '2026-02-15', currency: 'EUR', clicks: 4, commission: '0.25' },
    ]),
  )
  return { token: ws.token, ids: ids.map((id) => globalId('Account', id)) }
}

function expectAnswers(nodes: AccountNode[], ids: string[]) {
  expect(nodes.map((n) => n.id).sort()).toEqual([...ids].sort())
  for (const node of nodes) {
    expect(node.monthly.rows).toEqual([
      { periodStart: '2026-01-01', clicks: 3, commission: '1.5', accountsContributing: 1 },
      { periodStart: '2026-02-01', clicks: 4, commission: '0.25', accountsContributing: 1 },
    ])
    expect(node.monthly.fetchError).toBeNull()
    expect(node.total.rows).toEqual([{ clicks: 7, commission: '1.75' }])
    expect(node.again.rows.map((r) => r.clicks)).toEqual([3, 4])
  }
}

/** Statements by what they do; on PostgreSQL each stats statement is preceded by its `set_config` tuning. */
const kinds = (statements: string[]) => ({
  stats: statements.filter((s) => s.includes('from stat_day s')).length,
  coverage: statements.filter((s) => s.includes('from sync_coverage')).length,
  total: statements.length,
})

beforeAll(async () => {
  t = await createTestApp()
})

afterAll(async () => {
  await t?.close()
})

describe(`Account.stats through the request-scoped loader on ${TEST_DATABASE_KIND}`, () => {
  it('given 5 and 500 accounts, when a report lists every account with its own stats, then the request runs the same number of SQL statements', async () => {
    const small = await portfolio(5)
    const large = await portfolio(500)
    const run = async (token: string) => {
      await ok(t, token, '{ __typename }')
      return recordStatements(() => ok<{ stats: { rows: { account: AccountNode }[] } }>(t, token, REPORT))
    }

    const five = await run(small.token)
    const fiveHundred = await run(large.token)

    expectAnswers(
      five.result.stats.rows.map((r) => r.account),
      small.ids,
    )
    expectAnswers(
      fiveHundred.result.stats.rows.map((r) => r.account),
      large.ids,
    )
    expect(fiveHundred.statements.length).toBe(five.statements.length)
    // The report itself, then one statement per distinct argument set of Account.stats (the repeated alias is
    // served from the loader's cache), one coverage lookup and one account lookup for all accounts.
    expect(kinds(fiveHundred.statements)).toEqual(kinds(five.statements))
    expect(kinds(fiveHundred.statements)).toMatchObject({ stats: 3, coverage: 1 })
  })

  it('given a page of 5 and one of 100 accounts, when each asks for its stats, then the request runs the same number of SQL statements', async () => {
    const small = await t.workspace('portfolio-5')
    const page = await portfolio(100)
    const run = async (token: string) => {
      await ok(t, token, '{ __typename }')
      return recordStatements(() => ok<{ accounts: { nodes: AccountNode[] } }>(t, token, PAGE))
    }

    const five = await run(small.token)
    const hundred = await run(page.token)

    expect(five.result.accounts.nodes).toHaveLength(5)
    expectAnswers(hundred.result.accounts.nodes, page.ids)
    expect(hundred.statements.length).toBe(five.statements.length)
    expect(kinds(hundred.statements)).toMatchObject({ stats: 2, coverage: 1 })
  })
})

describe(`Account.stats fetching never-synced days on ${TEST_DATABASE_KIND}`, () => {
  let sim: PlatformSimulator

  beforeAll(async () => {
    // One currency, so that the figures without a report currency are one row per range.
    sim = await softswiss.simulator.create({
      seed: 'stats-on-demand',
      accounts: [
        { key: 'solo', brands: ['Brand A', 'Brand B'], currencies: ['EUR'], campaigns: ['main', 'promo'] },
      ],
      pageSize: 10_000,
    })
  })
  afterAll(async () => {
    await sim?.close()
  })

  it('given an account never synced, when two aliases ask for overlapping ranges, then one upstream window is fetched and the figures equal the platform truth', async () => {
    const ws = await t.workspace('on-demand')
    const account = await connectSoftSwiss(t, ws.token, sim.accounts[0]!.connection, { label: 'on demand' })
    const reportsBefore = sim.log.filter((r) => r.path === REPORT_PATH).length

    const data = await ok<{
      account: {
        a: { rows: { clicks: number; commission: string; ftds: number }[]; fetchError: unknown }
        b: { rows: { clicks: number; commission: string; ftds: number }[]; fetchError: unknown }
      }
    }>(
      t,
      ws.token,
      `query($id: ID!) {
        account(id: $id) {
          a: stats(range: { from: "2026-01-05", to: "2026-01-20" }) { rows { clicks ftds commission } fetchError { code message } }
          b: stats(range: { from: "2026-01-12", to: "2026-01-28" }) { rows { clicks ftds commission } fetchError { code message } }
        }
      }`,
      { id: account.id },
    )

    expect(data.account.a.fetchError).toBeNull()
    expect(data.account.b.fetchError).toBeNull()
    expect(sim.log.filter((r) => r.path === REPORT_PATH).length - reportsBefore).toBe(1)
    const coverage = await t.db.query<{ from_day: string; to_day: string }>(
      'select from_day::text as from_day, to_day::text as to_day from sync_coverage where account_id = ?',
      [databaseIdOf(account.id)],
    )
    expect(coverage).toEqual([{ from_day: '2026-01-05', to_day: '2026-01-28' }])

    const truth = (from: string, to: string) => {
      const rows = sim.truth(sim.accounts[0]!.key, { from, to })
      return {
        clicks: rows.reduce((sum, r) => sum + (r.clicks ?? 0), 0),
        ftds: rows.reduce((sum, r) => sum + (r.ftds ?? 0), 0),
        commission: addDecimals(...rows.map((r) => r.commission ?? '0')),
      }
    }
    expect(data.account.a.rows).toEqual([truth('2026-01-05', '2026-01-20')])
    expect(data.account.b.rows).toEqual([truth('2026-01-12', '2026-01-28')])

    // Asking again fetches nothing: the window is covered now.
    await ok(
      t,
      ws.token,
      `query($id: ID!) { account(id: $id) { stats(range: { from: "2026-01-06", to: "2026-01-27" }) { rows { clicks } } } }`,
      {
        id: account.id,
      },
    )
    expect(sim.log.filter((r) => r.path === REPORT_PATH).length - reportsBefore).toBe(1)
  })
})
