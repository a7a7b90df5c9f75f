/**
 * Dashboard reads over HTTP: the 90-day dashboard (by platform, in EUR) of a workspace of 50 accounts, under
 * autocannon, in the same run: served from the response cache (the same answer asked again); computed every time
 * (the server started with AFFGRAPH_RESPONSE_CACHE=false, each request in flight asking a 90-day window of its
 * own); `{ __typename }` with a token on that server (the request path alone); the dashboard's statement alone,
 * prepared (the database's ceiling); and a bare graphql-yoga answering `{ ping }`, the baseline of the ratios.
 * Then it proves invalidation: a sync writes new figures and the next answer shows them.
 *
 *   npm run bench -- dashboard      (PostgreSQL: BENCH_DATABASE_URL or DATABASE_URL, default the local server;
 *                                    BENCH_DASHBOARD_DURATION seconds per run, BENCH_DASHBOARD_CONNECTIONS)
 */
import autocannon from 'autocannon'
import pg from 'pg'
import { createApp } from '../src/app.ts'
import { generateMasterKeyEntry, parseMasterKeys } from '../src/crypto/master-key.ts'
import { PREPARED_POOL_SIZE, SERVING_SETTINGS } from '../src/db/database.ts'
import { parseGlobalId } from '../src/schema/global-ids.ts'
import { reportRow } from '../src/sdk/index.ts'
import { writeReport } from '../src/stats/stat-writer.ts'
import { makeTempDir, postGraphQL, startServer } from '../test/server/support/affgraph-process.ts'
import { runBaseline, seedLoadData } from './load.bench.ts'
import { openBenchDatabase, storeSimulatedRates, uncachedServices } from './support/bench-database.ts'
import { profileEnv, summariseProfile } from './support/cpu-profile.ts'

const LAST_DAY = '2026-09-30'
const FROM = '2026-07-03'
const DASHBOARD = `query Dashboard($from: Date!, $to: Date!) {
  stats(input: { range: { from: $from, to: $to }, groupBy: [PLATFORM], currency: "EUR" }) {
    rows { nodes { platformId clicks signups ftds deposits { amount } netRevenue { amount } commission { amount } epc } }
    totals { clicks commission { amount } }
  }
}`

const envNumber = (name: string, fallback: number) => Number(process.env[name] || fallback)

interface Fired {
  requestsPerSecond: number
  p50: number
  p99: number
  non2xx: number
  errors: number
}

/** 90-day windows ending on one of the last 200 days: each request in flight asks a range of its own. */
const WINDOWS = 200
const windowAt = (n: number) => {
  const to = new Date(Date.parse(`${LAST_DAY}T00:00:00Z`) - (n % WINDOWS) * 86_400_000)
  const from = new Date(to.getTime() - 89 * 86_400_000)
  return { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) }
}

/**
 * `same`: every request asks the one dashboard; `distinct`: consecutive requests ask other 90-day windows, so no two
 * requests in flight share a statement (the server joins identical statements in flight) — each is computed.
 */
async function fire(
  url: string,
  token: string,
  connections: number,
  duration: number,
  query = DASHBOARD,
  ranges: 'same' | 'distinct' = 'same',
): Promise<Fired> {
  let sent = 0
  const result = await autocannon({
    url,
    connections,
    duration,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables: query === DASHBOARD ? { from: FROM, to: LAST_DAY } : {} }),
    ...(ranges === 'distinct'
      ? {
          requests: [
            {
              setupRequest: (request) => ({
                ...request,
                body: JSON.stringify({ query, variables: windowAt(sent++) }),
              }),
            },
          ],
        }
      : {}),
  })
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }
}

type Dashboard = { stats: { totals: { clicks: number } } }

/**
 * What the database alone gives for this answer: the statement the API runs for the dashboard (captured from one
 * in-process request), prepared under the API's settings, from as many clients as the API's statement pool has
 * connections, for the same duration. Computing every answer, the API cannot serve faster than this.
 */
async function sqlCeiling(
  bench: Awaited<ReturnType<typeof openBenchDatabase>>,
  token: string,
  duration: number,
): Promise<{ statementsPerSecond: number; clients: number }> {
  const services = await uncachedServices(bench)
  const captured: { sql: string; params: readonly unknown[] }[] = []
  const prepared = bench.db.prepared.bind(bench.db)
  bench.db.prepared = (sql, params) => {
    captured.push({ sql, params })
    return prepared(sql, params)
  }
  try {
    const answer = await createApp(services).fetch('http://bench/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: DASHBOARD, variables: { from: FROM, to: LAST_DAY } }),
    })
    if (!answer.ok) throw new Error(`dashboard failed in-process: ${answer.status}`)
  } finally {
    bench.db.prepared = prepared
  }
  const statement = captured.find((c) => c.sql.includes('stat_day'))
  if (!statement) throw new Error('the dashboard ran no stats statement')
  const clients = await Promise.all(
    Array.from({ length: PREPARED_POOL_SIZE }, async () => {
      const client = new pg.Client({
        connectionString: bench.url,
        options: Object.entries(SERVING_SETTINGS)
          .map(([name, value]) => `-c ${name}=${value}`)
          .join(' '),
      })
      await client.connect()
      return client
    }),
  )
  let done = 0
  const until = performance.now() + duration * 1000
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < until) {
        await client.query({ name: 'dashboard', text: statement.sql, values: [...statement.params] })
        done++
      }
      await client.end()
    }),
  )
  return { statementsPerSecond: done / duration, clients: clients.length }
}

export async function main(): Promise<void> {
  const duration = envNumber('BENCH_DASHBOARD_DURATION', 15)
  const connections = envNumber('BENCH_DASHBOARD_CONNECTIONS', 50)
  const bench = await openBenchDatabase('affgraph_bench_dashboard')
  const dataDir = await makeTempDir('dashboard')
  const masterKey = generateMasterKeyEntry('dashboard')
  try {
    const [workspace] = await seedLoadData(
      bench.db,
      { workspaces: 1, accounts: 50, days: 365 },
      parseMasterKeys(masterKey),
    )
    await storeSimulatedRates(bench.db, '2025-09-01', LAST_DAY)
    const serve = async (cache: boolean) =>
      startServer({
        dataDir: dataDir.path,
        env: {
          DATABASE_URL: bench.url,
          AFFGRAPH_MASTER_KEY: masterKey,
          AFFGRAPH_SYNC: 'off',
          AFFGRAPH_FX_FETCH: 'false',
          AFFGRAPH_LOG_LEVEL: 'info',
          AFFGRAPH_RESPONSE_CACHE: String(cache),
          ...(await profileEnv(cache ? 'dashboard-cached' : 'dashboard-uncached')),
        },
      })
    const token = workspace!.token
    const results: Record<string, Fired> = {}

    const cached = await serve(true)
    let invalidation = ''
    try {
      const first = await postGraphQL<Dashboard>(
        cached.graphqlUrl,
        DASHBOARD,
        { from: FROM, to: LAST_DAY },
        token,
      )
      if (!first.data) throw new Error(`dashboard failed: ${JSON.stringify(first.errors)}`)
      results['affgraph, response cache'] = await fire(cached.graphqlUrl, token, connections, duration)
      // A sync of one account revises one day: the next answer must show it, not the cached one.
      const before = first.data.stats.totals.clicks
      // Seeded ids are the API's global ids; the tables hold the database id.
      const accountId = parseGlobalId(workspace!.accountIds[0]!)!.id
      const stored = await bench.db.query<{ clicks: number; brand: string; currency: string }>(
        'select clicks, brand, currency from stat_day where account_id = ? and day = ?',
        [accountId, LAST_DAY],
      )
      const written = performance.now()
      await writeReport(bench.db.fork(), {
        workspaceId: (
          await bench.db.query<{ workspace_id: string }>('select workspace_id from account where id = ?', [
            accountId,
          ])
        )[0]!.workspace_id,
        accountId,
        window: { from: LAST_DAY, to: LAST_DAY },
        rows: stored.map((r) =>
          reportRow({
            date: LAST_DAY,
            brand: r.brand,
            currency: r.currency,
            clicks: Number(r.clicks) + 1000,
          }),
        ),
      })
      let after = before
      while (after === before && performance.now() - written < 10_000) {
        const answer = await postGraphQL<Dashboard>(
          cached.graphqlUrl,
          DASHBOARD,
          { from: FROM, to: LAST_DAY },
          token,
        )
        after = answer.data?.stats.totals.clicks ?? before
      }
      const expected = before + 1000 * stored.length
      invalidation =
        after === expected
          ? `after a sync wrote new figures (clicks ${before} → ${expected}), the next answer showed them ${Math.round(performance.now() - written)} ms after the write committed`
          : `INVALIDATION FAILED: clicks ${before} before the write, ${after} after (expected ${expected})`
    } finally {
      await cached.stop()
    }

    const uncached = await serve(false)
    try {
      results['affgraph, computed every time'] = await fire(
        uncached.graphqlUrl,
        token,
        connections,
        duration,
        DASHBOARD,
        'distinct',
      )
      // The request path alone (token, limits, parse, validate, execute, log), with nothing to compute.
      results['affgraph, { __typename } with a token'] = await fire(
        uncached.graphqlUrl,
        token,
        connections,
        duration,
        '{ __typename }',
      )
    } finally {
      await uncached.stop()
    }
    await summariseProfile('dashboard-cached')
    await summariseProfile('dashboard-uncached')
    const ceiling = await sqlCeiling(bench, token, duration)
    const bare = await runBaseline(connections, duration)
    results['bare graphql-yoga'] = {
      requestsPerSecond: bare.requestsPerSecond,
      p50: bare.latencyMs.p50,
      p99: bare.latencyMs.p99,
      non2xx: bare.non2xx,
      errors: bare.errors + bare.timeouts,
    }
    console.table(
      Object.fromEntries(
        Object.entries(results).map(([name, r]) => [
          name,
          {
            'req/s': Math.round(r.requestsPerSecond),
            p50: r.p50,
            p99: r.p99,
            non2xx: r.non2xx,
            errors: r.errors,
          },
        ]),
      ),
    )
    const base = bare.requestsPerSecond
    const ratio = (name: string) => (results[name]!.requestsPerSecond / base).toFixed(3)
    console.log(
      `dashboard (90 days by platform in EUR, 50 accounts, ${connections} connections × ${duration} s) against bare yoga: cached ${ratio('affgraph, response cache')}× (target ≥ 0.8×), uncached ${ratio('affgraph, computed every time')}× (target ≥ 0.3× on PostgreSQL), { __typename } with a token ${ratio('affgraph, { __typename } with a token')}×`,
    )
    const uncachedRate = results['affgraph, computed every time']!.requestsPerSecond
    console.log(
      `the same statement alone, prepared, from ${ceiling.clients} clients: ${Math.round(ceiling.statementsPerSecond)} statements/s = ${(ceiling.statementsPerSecond / base).toFixed(3)}× bare yoga; computed every time, affgraph serves ${(uncachedRate / ceiling.statementsPerSecond).toFixed(2)}× of that ceiling`,
    )
    console.log(`response cache: ${invalidation}`)
    if (invalidation.startsWith('INVALIDATION FAILED')) process.exitCode = 1
  } finally {
    await dataDir.remove()
    await bench.drop()
  }
}

if (import.meta.filename === process.argv[1]) await main()
