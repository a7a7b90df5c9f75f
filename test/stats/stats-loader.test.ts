import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import { REPORT_PATH } from '../../plugins/softswiss/report.ts'
import { addDecimals, type PlatformSimulator } from '../../src/sdk/index.ts'
import { bearer, connectSoftSwiss, ok, send } from '../graphql/graphql-helpers.ts'
import { databaseIdOf, globalId } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'
import { insertAccounts, insertCoverage, insertStatRows } from './stats-seed.ts'

const RANGE = '{ from: "2026-01-01", to: "2026-03-31" }'
// Each account asks for two argument sets (and repeats one), so two stats statements are expected however many
// accounts there are.
const ACCOUNT_FIELDS = `
  id
  monthly: stats(input: { range: ${RANGE}, granularity: MONTH, currency: "EUR" }) {
    rows { nodes { periodStart clicks commission { amount } accountsContributing } } fetchRuns { id }
  }
  total: stats(input: { range: ${RANGE}, currency: "EUR" }) { rows { nodes { clicks commission { amount } } } }
  again: stats(input: { range: ${RANGE}, granularity: MONTH, currency: "EUR" }) { rows { nodes { clicks } } }`
// A per-account report listing every account of the workspace (500 here) with its own stats.
const REPORT = `query Report {
  stats(input: { range: ${RANGE}, groupBy: [ACCOUNT] }) { rows { nodes { account { ${ACCOUNT_FIELDS} } } } }
}`
// One page of the accounts list (at most 100 per page).
const PAGE = `query Page { accounts(first: 100) { nodes { ${ACCOUNT_FIELDS} } } }`

interface AccountNode {
  id: string
  monthly: {
    rows: {
      nodes: {
        periodStart: string
        clicks: number
        commission: { amount: string }
        accountsContributing: number
      }[]
    }
    fetchRuns: unknown[]
  }
  total: { rows: { nodes: { clicks: number; commission: { amount: string } }[] } }
  again: { rows: { nodes: { clicks: number }[] } }
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
    expect(node.monthly.rows.nodes).toEqual([
      { periodStart: '2026-01-01', clicks: 3, commission: { amount: '1.50' }, accountsContributing: 1 },
      { periodStart: '2026-02-01', clicks: 4, commission: { amount: '0.25' }, accountsContributing: 1 },
    ])
    expect(node.monthly.fetchRuns).toEqual([])
    expect(node.total.rows.nodes).toEqual([{ clicks: 7, commission: { amount: '1.75' } }])
    expect(node.again.rows.nodes.map((r) => r.clicks)).toEqual([3, 4])
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
      return recordStatements(() =>
        ok<{ stats: { rows: { nodes: { account: AccountNode }[] } } }>(t, token, REPORT),
      )
    }

    const five = await run(small.token)
    const fiveHundred = await run(large.token)

    expectAnswers(
      five.result.stats.rows.nodes.map((r) => r.account),
      small.ids,
    )
    expectAnswers(
      fiveHundred.result.stats.rows.nodes.map((r) => r.account),
      large.ids,
    )
    expect(fiveHundred.statements.length).toBe(five.statements.length)
    // The report itself, then one statement per distinct input of Account.stats (the repeated input shares its
    // statement though it selects other figures) and one account lookup for all accounts; no coverage lookup, as
    // nothing asks to fetch.
    expect(kinds(fiveHundred.statements)).toEqual(kinds(five.statements))
    expect(kinds(fiveHundred.statements)).toMatchObject({ stats: 3, coverage: 0 })
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
    expect(kinds(hundred.statements)).toMatchObject({ stats: 2, coverage: 0 })
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

  const reports = () => sim.log.filter((r) => r.path === REPORT_PATH).length
  const truth = (from: string, to: string) => {
    const rows = sim.truth(sim.accounts[0]!.key, { from, to })
    return {
      clicks: rows.reduce((sum, r) => sum + (r.clicks ?? 0), 0),
      ftds: rows.reduce((sum, r) => sum + (r.ftds ?? 0), 0),
      commission: { exactAmount: addDecimals(...rows.map((r) => r.commission ?? '0')) },
    }
  }
  const RUN = 'fetchRuns { id kind status requests rowsWritten errorCode window { from to } account { id } }'
  interface FetchRun {
    id: string
    kind: string
    status: string
    requests: number
    rowsWritten: number
    errorCode: string | null
    window: { from: string; to: string }
    account: { id: string }
  }
  interface Answer {
    rows: { nodes: { clicks: number; commission: { exactAmount: string }; ftds: number }[] }
    fetchRuns: FetchRun[]
  }

  it('given an account never synced, when two aliases ask to fetch overlapping ranges, then one upstream window is fetched, recorded as one ON_DEMAND run, and the figures equal the platform truth', async () => {
    const ws = await t.workspace('on-demand')
    const account = await connectSoftSwiss(t, ws.token, sim.accounts[0]!.connection, { label: 'on demand' })
    const reportsBefore = reports()
    const callsBefore = sim.log.length

    const data = await ok<{ account: { a: Answer; b: Answer } }>(
      t,
      ws.token,
      `query($id: ID!) {
        account(id: $id) {
          a: stats(input: { range: { from: "2026-01-05", to: "2026-01-20" }, fetchMissing: true }) {
            rows { nodes { clicks ftds commission { exactAmount } } } ${RUN}
          }
          b: stats(input: { range: { from: "2026-01-12", to: "2026-01-28" }, fetchMissing: true }) {
            rows { nodes { clicks ftds commission { exactAmount } } } ${RUN}
          }
        }
      }`,
      { id: account.id },
    )

    expect(reports() - reportsBefore).toBe(1)
    const [run] = data.account.a.fetchRuns
    expect(data.account.a.fetchRuns).toHaveLength(1)
    expect(data.account.b.fetchRuns).toEqual(data.account.a.fetchRuns)
    expect(run).toMatchObject({
      kind: 'ON_DEMAND',
      status: 'SUCCEEDED',
      requests: sim.log.length - callsBefore,
      errorCode: null,
      window: { from: '2026-01-05', to: '2026-01-28' },
      account: { id: account.id },
    })
    expect(run!.rowsWritten).toBeGreaterThan(0)
    const coverage = await t.db.query<{ from_day: string; to_day: string }>(
      'select from_day::text as from_day, to_day::text as to_day from sync_coverage where account_id = ?',
      [databaseIdOf(account.id)],
    )
    expect(coverage).toEqual([{ from_day: '2026-01-05', to_day: '2026-01-28' }])
    expect(data.account.a.rows.nodes).toEqual([truth('2026-01-05', '2026-01-20')])
    expect(data.account.b.rows.nodes).toEqual([truth('2026-01-12', '2026-01-28')])

    // The fetch is in the account's run history like any sync, and asking again fetches nothing.
    const again = await ok<{ account: { stats: Answer } }>(
      t,
      ws.token,
      `query($id: ID!) { account(id: $id) {
        stats(input: { range: { from: "2026-01-06", to: "2026-01-27" }, fetchMissing: true }) { rows { nodes { clicks } } ${RUN} }
      } }`,
      { id: account.id },
    )
    expect(again.account.stats.fetchRuns).toEqual([])
    expect(reports() - reportsBefore).toBe(1)
    const stored = await t.db.query<{ id: string; kind: string; status: string; rows_written: number }>(
      'select id, kind, status, rows_written from sync_run where account_id = ? and kind = ?',
      [databaseIdOf(account.id), 'ON_DEMAND'],
    )
    expect(stored).toEqual([
      { id: databaseIdOf(run!.id), kind: 'ON_DEMAND', status: 'SUCCEEDED', rows_written: run!.rowsWritten },
    ])
  })

  it('given an account never synced, when stats are asked without fetchMissing, then only stored days answer and the platform is not called', async () => {
    const ws = await t.workspace('stored-only')
    const account = await connectSoftSwiss(t, ws.token, sim.accounts[0]!.connection, { label: 'stored only' })
    const reportsBefore = reports()

    const data = await ok<{ account: { stats: Answer }; stats: Answer }>(
      t,
      ws.token,
      `query($id: ID!) {
        account(id: $id) { stats(input: { range: { from: "2026-02-01", to: "2026-02-10" } }) { rows { nodes { clicks } } ${RUN} } }
        stats(input: { range: { from: "2026-02-01", to: "2026-02-10" } }) { rows { nodes { clicks } } ${RUN} }
      }`,
      { id: account.id },
    )

    expect(reports()).toBe(reportsBefore)
    expect(data.account.stats).toEqual({ rows: { nodes: [] }, fetchRuns: [] })
    expect(data.stats).toEqual({ rows: { nodes: [] }, fetchRuns: [] })
  })

  it('given Query.stats and Account.stats with the same input, when both fetch, then they answer the same figures and the fetch is made once', async () => {
    const ws = await t.workspace('one-api')
    const account = await connectSoftSwiss(t, ws.token, sim.accounts[0]!.connection, { label: 'one api' })
    const reportsBefore = reports()
    const input = '{ range: { from: "2026-03-01", to: "2026-03-20" }, granularity: WEEK, fetchMissing: true }'

    const first = await ok<{ stats: Answer & { totals: unknown } }>(
      t,
      ws.token,
      `{ stats(input: ${input}) { rows { nodes { clicks ftds commission { exactAmount } } } totals { clicks ftds commission { exactAmount } } ${RUN} } }`,
    )
    const second = await ok<{ account: { stats: Answer & { totals: unknown } } }>(
      t,
      ws.token,
      `query($id: ID!) { account(id: $id) {
        stats(input: ${input}) { rows { nodes { clicks ftds commission { exactAmount } } } totals { clicks ftds commission { exactAmount } } ${RUN} }
      } }`,
      { id: account.id },
    )

    expect(first.stats.fetchRuns.map((r) => [r.status, r.window, r.account.id])).toEqual([
      ['SUCCEEDED', { from: '2026-03-01', to: '2026-03-20' }, account.id],
    ])
    expect(second.account.stats.fetchRuns).toEqual([])
    expect(reports() - reportsBefore).toBe(1)
    expect(second.account.stats.rows.nodes).toEqual(first.stats.rows.nodes)
    expect(second.account.stats.totals).toEqual(first.stats.totals)
    expect(first.stats.totals).toEqual(truth('2026-03-01', '2026-03-20'))
    expect(first.stats.rows.nodes.length).toBeGreaterThan(1)
  })

  it('given an account whose credentials cannot be read, when its stats ask to fetch, then the answer holds the stored days and a FAILED run saying why', async () => {
    const ws = await t.workspace('fetch-fails')
    const [id] = await insertAccounts(t.db, ws.id, [{ label: 'unreadable' }])
    await insertStatRows(t.db, ws.id, [{ accountId: id!, day: '2026-04-02', currency: 'EUR', clicks: 5 }])

    const data = await ok<{ stats: Answer }>(
      t,
      ws.token,
      `{ stats(input: { range: { from: "2026-04-01", to: "2026-04-03" }, fetchMissing: true }) { rows { nodes { clicks } } ${RUN} } }`,
    )

    expect(data.stats.rows.nodes).toEqual([{ clicks: 5 }])
    expect(data.stats.fetchRuns).toHaveLength(1)
    expect(data.stats.fetchRuns[0]).toMatchObject({ kind: 'ON_DEMAND', status: 'FAILED', rowsWritten: 0 })
    expect(data.stats.fetchRuns[0]!.errorCode).toEqual(expect.any(String))
    const stored = await t.db.query<{ status: string; error_code: string }>(
      'select status, error_code from sync_run where account_id = ?',
      [id],
    )
    expect(stored).toEqual([{ status: 'FAILED', error_code: data.stats.fetchRuns[0]!.errorCode }])
  })

  it('given more accounts than one request may fetch, when stats ask to fetch them all, then the input is refused naming fetchMissing and nothing is fetched', async () => {
    const ws = await t.workspace('fetch-too-many')
    await insertAccounts(
      t.db,
      ws.id,
      Array.from({ length: 101 }, (_, i) => ({ label: `many ${i}` })),
    )

    const response = await send(
      t,
      '{ stats(input: { range: { from: "2026-04-01", to: "2026-04-03" }, fetchMissing: true }) { rows { nodes { clicks } } } }',
      {},
      bearer(ws.token),
    )

    expect(response.body.data).toBeNull()
    expect(response.body.errors?.[0]?.extensions).toMatchObject({
      code: 'INVALID_ARGUMENT',
      fields: [{ path: ['input', 'fetchMissing'], message: expect.stringContaining('at most 100 accounts') }],
    })
    const runs = await t.db.query<{ n: number }>(
      'select count(*)::int as n from sync_run where workspace_id = ?',
      [ws.id],
    )
    expect(runs).toEqual([{ n: 0 }])
  })
})
