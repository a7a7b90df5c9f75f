/**
 * Scale: workspaces of 50, 500 and 5,000 accounts, each with three years of daily rows, on PostgreSQL. For each,
 * the 90-day dashboard in EUR grouped by platform and grouped by account, answered by the GraphQL API in-process
 * with the response cache off (every answer computed), warm, median of several runs. The baseline is the same
 * query at 50 accounts: the ratio shows how the time grows with the data (×10 accounts → ×10 rows).
 *
 *   npm run bench -- scale      (PostgreSQL: BENCH_DATABASE_URL or DATABASE_URL, default the local server;
 *                                BENCH_SCALE_SIZES=50,500,5000, BENCH_SCALE_YEARS=3, BENCH_RUNS=5)
 */
import { createApp } from '../src/app.ts'
import type { Database } from '../src/db/database.ts'
import { buildStatsSql } from '../src/stats/stats-sql.ts'
import { ensureWorkspace, issueApiToken } from '../src/workspace/workspace.service.ts'
import { median, openBenchDatabase, storeSimulatedRates, uncachedServices } from './support/bench-database.ts'

const SIZES = (process.env.BENCH_SCALE_SIZES ?? '50,500,5000').split(',').map(Number)
const YEARS = Number(process.env.BENCH_SCALE_YEARS ?? 3)
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const TO = '2026-09-30'
const FROM = `${2026 - YEARS}-10-01`
const DASHBOARD_FROM = '2026-07-03'
const PLATFORMS = ['softswiss', 'myaffiliates', 'income-access', 'clickbank', 'cellxpert', 'netrefer']
const CURRENCIES = ['EUR', 'USD', 'GBP', 'CAD']

const query = (groupBy: string) => `query {
  stats(input: { range: { from: "${DASHBOARD_FROM}", to: "${TO}" }, groupBy: [${groupBy}], currency: "EUR" }) {
    rows { nodes { platformId accountId clicks ftds commission { amount } } }
  }
}`

/** A workspace of `size` accounts with a row per account and day over the years; returns its API token. */
export async function seedScaleWorkspace(db: Database, size: number): Promise<string> {
  const em = db.fork()
  const { workspace } = await ensureWorkspace(em, `scale-${size}`)
  const { token } = await issueApiToken(em, workspace, 'bench')
  await db.query(
    `insert into account (id, workspace_id, platform_id, label, time_zone, status, credentials, connection_state, tags, created_at, updated_at)
     select gen_random_uuid(), ?, (?::text[])[1 + i % 6], 'Account ' || i, 'UTC', 'OK', '{}', '{}', '{}', now(), now()
       from generate_series(0, ?::int - 1) i`,
    [workspace.id, `{${PLATFORMS.join(',')}}`, size],
  )
  await db.query(
    `insert into stat_day (account_id, day, brand, campaign, currency, workspace_id, clicks, signups, ftds, deposits,
                           net_revenue, commission, synced_at)
     select a.id, d::date, 'Main', '', (?::text[])[1 + (hashtext(a.id::text) & 3)], a.workspace_id, c, c / 10, c / 40,
            round((c * 7.31)::numeric, 2), round((c * 2.17 - 40)::numeric, 2), round((c * 0.93)::numeric, 2), now()
       from account a
      cross join generate_series(?::date, ?::date, interval '1 day') d
      cross join lateral (select 50 + (hashtext(a.id::text || d::text) & 511) as c) v
      where a.workspace_id = ?`,
    [`{${CURRENCIES.join(',')}}`, FROM, TO, workspace.id],
  )
  await db.query(
    `insert into sync_coverage (account_id, from_day, to_day, synced_at)
     select id, ?, ?, now() from account where workspace_id = ?`,
    [FROM, TO, workspace.id],
  )
  return token
}

export async function main(): Promise<void> {
  const bench = await openBenchDatabase('affgraph_bench_scale')
  try {
    const services = await uncachedServices(bench)
    await storeSimulatedRates(bench.db, '2026-06-01', TO)
    const tokens = new Map<number, string>()
    const seeded = performance.now()
    for (const size of SIZES) tokens.set(size, await seedScaleWorkspace(bench.db, size))
    await bench.db.query('vacuum analyze')
    const rows = Number((await bench.db.query<{ n: unknown }>('select count(*) as n from stat_day'))[0]!.n)
    console.log(
      `seeded ${rows.toLocaleString('en')} daily rows (${SIZES.join(' / ')} accounts × ${YEARS} years) in ${Math.round((performance.now() - seeded) / 1000)} s`,
    )

    const app = createApp(services)
    const timeOf = async (size: number, groupBy: string) => {
      const run = async () => {
        const response = await app.fetch('http://bench/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(size)}` },
          body: JSON.stringify({ query: query(groupBy) }),
        })
        const body = (await response.json()) as {
          data?: { stats: { rows: { nodes: unknown[] } } }
          errors?: unknown
        }
        if (!body.data) throw new Error(`stats failed: ${JSON.stringify(body.errors)}`)
        return body.data.stats.rows.nodes.length
      }
      await run()
      await run()
      const times: number[] = []
      let resultRows = 0
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now()
        resultRows = await run()
        times.push(performance.now() - t)
      }
      return { ms: median(times), resultRows }
    }
    const table: Record<string, Record<string, string | number>> = {}
    const base: Record<string, number> = {}
    for (const size of SIZES) {
      for (const groupBy of ['PLATFORM', 'ACCOUNT']) {
        const { ms, resultRows } = await timeOf(size, groupBy)
        base[groupBy] ??= ms
        table[`${size} accounts, by ${groupBy.toLowerCase()}`] = {
          'rows read': Math.round(size * 90),
          'result rows': resultRows,
          'median ms': Math.round(ms),
          [`× the ${SIZES[0]}-account time`]: Number((ms / base[groupBy]!).toFixed(1)),
        }
      }
    }
    console.table(table)
    const largest = SIZES.at(-1)!
    const byAccount = table[`${largest} accounts, by account`]?.['median ms']
    console.log(
      `scale: 90 days of ${largest.toLocaleString('en')} accounts grouped by account, warm, uncached: ${byAccount} ms (target ≤ 500 ms on PostgreSQL)`,
    )

    // The same statement the API runs for that query, timed alone with the rollups read and without: what the
    // month and week sums save (here only accounts reporting in EUR, the report currency, can use them).
    const workspaceId = (
      await bench.db.query<{ id: string }>('select id from workspace where name = ?', [`scale-${largest}`])
    )[0]!.id
    const statementMs = async (rollups: boolean) => {
      const { sql, params } = buildStatsSql(
        {
          from: DASHBOARD_FROM,
          to: TO,
          granularity: 'TOTAL',
          groupBy: ['ACCOUNT'],
          currency: 'EUR',
          fx: { policy: 'DAILY' },
          metrics: ['clicks', 'ftds', 'commission'],
          totals: false,
          accounts: false,
          native: false,
          conversions: false,
          rollups,
        },
        workspaceId,
      )
      await bench.db.prepared(sql, params)
      const times: number[] = []
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now()
        await bench.db.prepared(sql, params)
        times.push(performance.now() - t)
      }
      return Math.round(median(times))
    }
    const [on, off] = [await statementMs(true), await statementMs(false)]
    console.log(
      `scale: the ${largest.toLocaleString('en')}-account by-account statement alone: ${on} ms with rollups, ${off} ms reading every day`,
    )
  } finally {
    await bench.drop()
  }
}

if (import.meta.filename === process.argv[1]) await main()
