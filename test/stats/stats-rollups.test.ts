import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FX_POLICIES, type FxPolicy } from '../../src/fx/fx-convert.ts'
import {
  COUNT_METRICS,
  METRICS,
  type Metric,
  MONEY_METRICS,
  type ReportRowInput,
  reportRow,
} from '../../src/sdk/index.ts'
import { writeReport } from '../../src/stats/stat-writer.ts'
import {
  addDays,
  buildStatsSql,
  DIMENSIONS,
  GRANULARITIES,
  rollupPiecesOf,
  type StatsQuery,
} from '../../src/stats/stats-sql.ts'
import { ensureWorkspace } from '../../src/workspace/workspace.service.ts'
import { rollupDifferences } from '../support/rollup-check.ts'
import { openTestDatabase, TEST_DATABASE_KIND, type TestDatabase } from '../support/test-database.ts'
import { insertAccounts, insertRates, insertStatRows } from './stats-seed.ts'

/** Every date is fixed: the first day rows may fall on, and how many days they span (crossing a year end). */
const FIRST_DAY = '2025-12-22'
const SPAN = 140
const NOW = new Date('2026-06-01T00:00:00Z')
const dayAt = (i: number) => addDays(FIRST_DAY, i)

/** The raw answer of the one stats statement: every figure as the database wrote it. */
async function answer(db: TestDatabase, workspaceId: string, query: StatsQuery) {
  const { sql, params } = buildStatsSql(query, workspaceId)
  return db.prepared(sql, params)
}

describe('rollup pieces', () => {
  it('given a 90-day range, when decomposed for a total, then whole months come first and whole weeks cover the rest', () => {
    expect(rollupPiecesOf('2026-07-03', '2026-09-30', 'TOTAL')).toEqual({
      months: ['2026-08-01', '2026-09-01'],
      weeks: ['2026-07-06', '2026-07-13', '2026-07-20'],
    })
  })

  it('given weeks that straddle months, when decomposed per month, then no piece crosses a period', () => {
    // 2026-03-30 is a Monday whose week ends in April; 2026-05 is cut by the range.
    expect(rollupPiecesOf('2026-03-02', '2026-05-20', 'MONTH')).toEqual({
      months: ['2026-04-01'],
      weeks: ['2026-03-02', '2026-03-09', '2026-03-16', '2026-03-23', '2026-05-04', '2026-05-11'],
    })
    expect(rollupPiecesOf('2025-12-29', '2026-01-11', 'YEAR')).toEqual({ months: [], weeks: ['2026-01-05'] })
    expect(rollupPiecesOf('2026-03-01', '2026-03-31', 'WEEK').weeks).toEqual([
      '2026-03-02',
      '2026-03-09',
      '2026-03-16',
      '2026-03-23',
    ])
    expect(rollupPiecesOf('2026-03-01', '2026-05-31', 'DAY')).toEqual({ months: [], weeks: [] })
  })
})

describe(`stats with and without rollups on ${TEST_DATABASE_KIND}`, () => {
  let db: TestDatabase
  const workspaces: string[] = []
  /** [workspace index, account id] of every account. */
  const accounts: [number, string][] = []

  beforeAll(async () => {
    db = await openTestDatabase()
    for (const name of ['rollups-a', 'rollups-b']) {
      const { workspace } = await ensureWorkspace(db.fork(), name)
      workspaces.push(workspace.id)
    }
    const first = await insertAccounts(db, workspaces[0]!, [
      { platformId: 'softswiss', programName: 'North', tags: ['eu'] },
      { platformId: 'netrefer', programName: 'North', tags: ['eu', 'us'] },
      { platformId: 'netrefer', baseUrl: 'https://south.example/x' },
    ])
    const second = await insertAccounts(db, workspaces[1]!, [
      { platformId: 'softswiss', tags: ['us'] },
      { platformId: 'softswiss', programName: 'West' },
    ])
    for (const id of first) accounts.push([0, id])
    for (const id of second) accounts.push([1, id])
    // Rates on most weekdays but not all, so that some days go without one (NO_RATE); SEK never has one.
    const rates: { day: string; currency: string; rate: string }[] = []
    for (let i = 10; i < SPAN - 10; i++) {
      const day = dayAt(i)
      const weekday = new Date(`${day}T00:00:00Z`).getUTCDay()
      if (weekday === 0 || weekday === 6 || (i >= 60 && i < 70)) continue
      rates.push({ day, currency: 'USD', rate: (1.25 + (i % 5) * 0.125).toString() })
      rates.push({ day, currency: 'GBP', rate: (0.8 + (i % 4) * 0.025).toString() })
    }
    await insertRates(db, rates)
  })
  afterAll(async () => {
    await db?.close()
  })

  const decimal = fc
    .tuple(fc.integer({ min: -99_999, max: 99_999 }), fc.constantFrom(0, 1, 2, 3))
    .map(([n, scale]) => {
      if (scale === 0) return String(n)
      const digits = String(Math.abs(n)).padStart(scale + 1, '0')
      return `${n < 0 ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`
    })
  const figures = fc.record(
    Object.fromEntries([
      ...COUNT_METRICS.map((m) => [m, fc.option(fc.nat(5000), { nil: null, freq: 3 })]),
      ...MONEY_METRICS.map((m) => [m, fc.option(decimal, { nil: null, freq: 3 })]),
    ]) as Record<Metric, fc.Arbitrary<number | string | null>>,
  )
  const row = fc.record({
    day: fc.nat(SPAN - 1),
    brand: fc.constantFrom('', 'A', 'B'),
    campaign: fc.constantFrom('', 'c1'),
    currency: fc.constantFrom('EUR', 'EUR', 'USD', 'GBP', 'SEK', ''),
    figures,
  })
  const account = fc.nat(4)
  const window = fc.tuple(fc.nat(SPAN - 1), fc.nat(40))
  const write = fc.oneof(
    fc.record({
      kind: fc.constant('report' as const),
      account,
      window,
      rows: fc.array(row, { maxLength: 14 }),
    }),
    fc.record({ kind: fc.constant('insert' as const), account, rows: fc.array(row, { maxLength: 10 }) }),
    fc.record({
      kind: fc.constant('update' as const),
      account,
      window,
      clicks: fc.integer({ min: -3, max: 9 }),
    }),
    fc.record({ kind: fc.constant('move' as const), account, window }),
    fc.record({ kind: fc.constant('delete' as const), account, window }),
  )
  const query = fc.record({
    workspace: fc.nat(1),
    from: fc.nat(SPAN + 9),
    length: fc.nat(SPAN),
    granularity: fc.constantFrom(...GRANULARITIES),
    groupBy: fc.subarray([...DIMENSIONS]),
    accounts: fc.option(fc.subarray([0, 1, 2], { minLength: 1 }), { nil: null }),
    platforms: fc.option(fc.subarray(['softswiss', 'netrefer'], { minLength: 1 }), { nil: null }),
    tags: fc.option(fc.subarray(['eu', 'us', 'none'], { minLength: 1 }), { nil: null }),
    brands: fc.option(fc.subarray(['', 'A', 'Z'], { minLength: 1 }), { nil: null }),
    campaigns: fc.option(fc.subarray(['', 'c1'], { minLength: 1 }), { nil: null }),
    currency: fc.constantFrom(null, 'EUR', 'USD'),
    policy: fc.constantFrom(...FX_POLICIES),
    fixedDate: fc.nat(SPAN - 1),
    metrics: fc.option(fc.subarray([...METRICS], { minLength: 1 }), { nil: null, freq: 3 }),
    totals: fc.boolean(),
    counting: fc.boolean(),
    native: fc.boolean(),
    conversions: fc.boolean(),
  })

  type Write = typeof write extends fc.Arbitrary<infer T> ? T : never
  type Query = typeof query extends fc.Arbitrary<infer T> ? T : never

  type Row = typeof row extends fc.Arbitrary<infer T> ? T : never
  const seedRows = (accountId: string, list: Row[]) =>
    list.map((x) => ({
      accountId,
      day: dayAt(x.day),
      brand: x.brand,
      campaign: x.campaign,
      currency: x.currency,
      ...x.figures,
    }))

  async function apply(op: Write): Promise<void> {
    const [ws, accountId] = accounts[op.account]!
    const workspaceId = workspaces[ws]!
    switch (op.kind) {
      case 'report': {
        const [start, length] = op.window
        const from = dayAt(start)
        const to = dayAt(start + length)
        await writeReport(db.fork(), {
          workspaceId,
          accountId,
          window: { from, to },
          now: NOW,
          rows: op.rows.map((r) =>
            reportRow({
              date: addDays(from, r.day % (length + 1)),
              brand: r.brand || null,
              campaign: r.campaign || null,
              currency: r.currency || null,
              ...(r.figures as Omit<ReportRowInput, 'date'>),
            }),
          ),
        })
        return
      }
      case 'insert': {
        // Straight SQL, as seeds and benchmarks write: rows already stored are left as they are.
        const fresh = new Map<string, ReturnType<typeof seedRows>[number]>()
        for (const r of seedRows(accountId, op.rows))
          fresh.set([r.day, r.brand, r.campaign, r.currency].join('|'), r)
        const stored = await db.query<{ k: string }>(
          `select day::text || '|' || brand || '|' || campaign || '|' || currency as k from stat_day where account_id = ?`,
          [accountId],
        )
        for (const { k } of stored) fresh.delete(k)
        if (fresh.size) await insertStatRows(db, workspaceId, [...fresh.values()])
        return
      }
      case 'update': {
        const [start, length] = op.window
        await db.query(
          `update stat_day set clicks = clicks + ?, commission = case when clicks % 3 = 0 then null else commission * 2 end
            where account_id = ? and day between ? and ?`,
          [op.clicks, accountId, dayAt(start), dayAt(start + length)],
        )
        return
      }
      case 'move': {
        // Moves days past the end of their own window, onto keys nobody holds: an update that changes the key.
        const [start, length] = op.window
        await db.query(
          `update stat_day s set day = s.day + ?::int
            where s.account_id = ? and s.day between ? and ?
              and not exists (select 1 from stat_day t where t.account_id = s.account_id and t.day = s.day + ?::int
                                and t.brand = s.brand and t.campaign = s.campaign and t.currency = s.currency)`,
          [length + 1, accountId, dayAt(start), dayAt(start + length), length + 1],
        )
        return
      }
      case 'delete': {
        const [start, length] = op.window
        await db.query('delete from stat_day where account_id = ? and day between ? and ?', [
          accountId,
          dayAt(start),
          dayAt(start + length),
        ])
        return
      }
    }
  }

  function statsQuery(q: Query): StatsQuery {
    const from = addDays(FIRST_DAY, q.from - 5)
    const ids = accounts.filter(([ws]) => ws === q.workspace).map(([, id]) => id)
    return {
      from,
      to: addDays(from, q.length),
      granularity: q.granularity,
      groupBy: q.groupBy,
      filter: {
        accountIds: q.accounts?.map((i) => ids[i % ids.length]!) ?? null,
        platformIds: q.platforms,
        tags: q.tags,
        brands: q.brands,
        campaigns: q.campaigns,
      },
      currency: q.currency,
      fx: q.currency
        ? { policy: q.policy as FxPolicy, date: q.policy === 'FIXED_DATE' ? dayAt(q.fixedDate) : null }
        : null,
      // As the API plans it: native amounts and conversions bring every money metric with them.
      metrics:
        q.metrics && (q.native || q.conversions) ? [...new Set([...q.metrics, ...MONEY_METRICS])] : q.metrics,
      totals: q.totals,
      accounts: q.counting,
      native: q.native,
      conversions: q.conversions,
    }
  }

  it('given random days written by the writer and by plain SQL, when any query is asked with and without rollups, then the answers are identical and the rollups equal sums recomputed from the days', async () => {
    let compared = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(write, { minLength: 1, maxLength: 6 }),
        fc.array(query, { minLength: 1, maxLength: 4 }),
        async (writes, queries) => {
          for (const op of writes) await apply(op)
          for (const q of queries) {
            const base = statsQuery(q)
            const workspaceId = workspaces[q.workspace]!
            const withRollups = await answer(db, workspaceId, { ...base, rollups: true })
            const withoutRollups = await answer(db, workspaceId, { ...base, rollups: false })
            expect(withRollups).toEqual(withoutRollups)
            compared += withRollups.length
          }
          expect(await rollupDifferences(db)).toBe(0)
        },
      ),
      { seed: 15, numRuns: Number(process.env.AFFGRAPH_ROLLUP_RUNS ?? 150) },
    )
    // A property that only ever compared empty answers would prove nothing.
    expect(compared).toBeGreaterThan(100)
    const rolled = await db.query<{ n: unknown }>('select count(*) as n from stat_rollup')
    expect(Number(rolled[0]!.n)).toBeGreaterThan(0)
  }, 600_000)
})

describe(`rollup maintenance on ${TEST_DATABASE_KIND}`, () => {
  let db: TestDatabase
  let workspaceId: string
  let accountId: string
  const MONTH = `select kind, period_start::text as period_start, currency, clicks::text as clicks, commission::text as commission
    from stat_rollup where kind = 'month' order by period_start, currency`
  const rows = (clicks: number, commission: string | null) => [
    reportRow({ date: '2026-03-02', currency: 'EUR', clicks: 10, commission: '1.50' }),
    reportRow({ date: '2026-03-03', currency: 'EUR', clicks, commission }),
  ]

  beforeAll(async () => {
    db = await openTestDatabase()
    const { workspace } = await ensureWorkspace(db.fork(), 'rollup-maintenance')
    workspaceId = workspace.id
    ;[accountId] = (await insertAccounts(db, workspaceId, [{}])) as [string]
    await writeReport(db.fork(), {
      workspaceId,
      accountId,
      window: { from: '2026-03-01', to: '2026-03-31' },
      rows: rows(5, '2.25'),
      now: NOW,
    })
  })
  afterAll(async () => {
    await db?.close()
  })

  it('given a stored month, when a revision is written, then the month rollup shows it inside the same transaction', async () => {
    const em = db.fork()
    const seen = await em.transactional(async (tx) => {
      await writeReport(tx, {
        workspaceId,
        accountId,
        window: { from: '2026-03-01', to: '2026-03-31' },
        rows: rows(7, null),
        now: NOW,
      })
      return tx.getConnection().execute(MONTH, [], 'all', tx.getTransactionContext())
    })
    expect(seen).toEqual([
      { kind: 'month', period_start: '2026-03-01', currency: 'EUR', clicks: '17', commission: '1.5' },
    ])
    expect(await rollupDifferences(db)).toBe(0)
  })

  it('given a stored month, when a write is rolled back, then the rollups are as before', async () => {
    const before = await db.query(MONTH)
    await expect(
      db.fork().transactional(async (tx) => {
        await writeReport(tx, {
          workspaceId,
          accountId,
          window: { from: '2026-03-01', to: '2026-03-31' },
          rows: rows(1000, '999'),
          now: NOW,
        })
        const inside = await tx.getConnection().execute(MONTH, [], 'all', tx.getTransactionContext())
        expect(inside[0]).toMatchObject({ clicks: '1010' })
        throw new Error('abandoned')
      }),
    ).rejects.toThrow('abandoned')
    expect(await db.query(MONTH)).toEqual(before)
    expect(before).toHaveLength(1)
  })

  it('given a rollup altered behind the triggers, when stats are asked, then the answer with rollups shows it and the one without does not', async () => {
    const query: StatsQuery = { from: '2026-03-01', to: '2026-03-31', granularity: 'TOTAL', groupBy: [] }
    await db.query(`update stat_rollup set clicks = clicks + 100 where kind = 'month'`)
    expect((await answer(db, workspaceId, query))[0]).toMatchObject({ clicks: '117' })
    expect((await answer(db, workspaceId, { ...query, rollups: false }))[0]).toMatchObject({ clicks: '17' })
    // Touching a day recomputes its groups from stat_day, which repairs the altered one.
    await db.query(`update stat_day set clicks = clicks where day = '2026-03-02'`)
    expect(await rollupDifferences(db)).toBe(0)
    expect((await answer(db, workspaceId, query))[0]).toMatchObject({ clicks: '17' })
  })

  it('given stored days, when stat_day is truncated, then the rollups are emptied with it', async () => {
    expect(Number((await db.query<{ n: unknown }>('select count(*) as n from stat_rollup'))[0]!.n)).toBe(2)
    await db.query('truncate stat_day')
    expect(await db.query('select * from stat_rollup')).toEqual([])
  })
})
