/**
 * Benchmark 2: SQL statements per dashboard request for 5, 50 and 500 accounts. The request lists every account of
 * the workspace with two stats series each (a monthly one and a total, one of them asked twice), the shape of a
 * portfolio dashboard. Counted: every statement the ORM sends (raw SQL included) while the request runs.
 *
 *   npm run bench -- statements      (DATABASE_URL selects PostgreSQL; default: embedded PGlite in memory)
 */
import { createApp } from '../src/app.ts'
import { createAppServices } from '../src/bootstrap.ts'
import { loadConfig } from '../src/config.ts'
import { generateMasterKeyEntry, parseMasterKeys } from '../src/crypto/master-key.ts'
import { openDatabase } from '../src/db/database.ts'
import { createLogger } from '../src/logger.ts'
import { ensureWorkspace, issueApiToken, TOKEN_LOOKUP_SQL } from '../src/workspace/workspace.service.ts'

const SIZES = [5, 50, 500]
const RANGE = '{ from: "2026-01-01", to: "2026-06-30" }'
const DASHBOARD = `query Dashboard {
  stats(input: { range: ${RANGE}, groupBy: [ACCOUNT] }) {
    rows { nodes {
      account {
        id label status
        monthly: stats(input: { range: ${RANGE}, granularity: MONTH, currency: "EUR" }) { rows { periodStart clicks commission { amount } } }
        total: stats(input: { range: ${RANGE}, currency: "EUR" }) { rows { clicks commission { amount } } }
        again: stats(input: { range: ${RANGE}, granularity: MONTH, currency: "EUR" }) { rows { ftds } }
      }
    } }
  }
}`

export async function main(): Promise<void> {
  const config = loadConfig({
    ...process.env,
    AFFGRAPH_SYNC: 'off',
    AFFGRAPH_FX_FETCH: 'false',
    AFFGRAPH_LOG_LEVEL: 'warn',
    // Statements of a computed answer: from the response cache the repeat would run none.
    AFFGRAPH_RESPONSE_CACHE: 'false',
  })
  const db = await openDatabase({ url: config.databaseUrl, pgliteDir: 'memory://' })
  const services = await createAppServices(config, {
    db,
    logger: createLogger({ level: 'warn' }),
    keyRing: parseMasterKeys(generateMasterKeyEntry('bench')),
  })
  const app = createApp(services)
  const results: Record<string, number> = {}
  for (const size of SIZES) {
    const em = db.fork()
    const { workspace } = await ensureWorkspace(em, `dashboard-${size}`)
    const { token } = await issueApiToken(em, workspace, 'bench')
    await db.query(
      `insert into account (id, workspace_id, platform_id, label, time_zone, status, credentials, connection_state, tags, created_at, updated_at)
       select gen_random_uuid(), ?, 'softswiss', 'Account ' || i, 'UTC', 'OK', '{}', '{}', '{}', now(), now()
         from generate_series(1, ?) i`,
      [workspace.id, size],
    )
    await db.query(
      `insert into stat_day (account_id, day, brand, campaign, currency, workspace_id, clicks, ftds, commission, synced_at)
       select a.id, d::date, 'Main', '', 'EUR', a.workspace_id, 10, 1, 2.5, now()
         from account a cross join generate_series('2026-01-01'::date, '2026-06-30'::date, interval '1 day') d
        where a.workspace_id = ?`,
      [workspace.id],
    )
    // Already synced: the request answers from storage and never calls a platform.
    await db.query(
      `insert into sync_coverage (account_id, from_day, to_day, synced_at)
       select id, '2026-01-01', '2026-06-30', now() from account where workspace_id = ?`,
      [workspace.id],
    )
    await db.query('analyze')
    const run = () =>
      app.fetch('http://bench/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: DASHBOARD }),
      })
    await run() // warm-up
    const statements: string[] = []
    const previous = db.orm.config.get('onQuery')
    db.orm.config.set('onQuery', (sql: string, params: readonly unknown[]) => {
      // Not the dashboard's: the token's record (from the process's token cache, read again at most every 10 s)
      // and the address's failed-authentication budget (re-read at most once a second).
      if (sql !== TOKEN_LOOKUP_SQL && !sql.includes('from rate_limit_state')) statements.push(sql)
      return previous(sql, params)
    })
    const started = performance.now()
    const response = await run()
    const body = (await response.json()) as {
      data?: { stats: { rows: { nodes: unknown[] } } }
      errors?: unknown
    }
    const ms = performance.now() - started
    db.orm.config.set('onQuery', previous)
    if (!body.data || body.data.stats.rows.nodes.length !== size)
      throw new Error(`dashboard failed: ${JSON.stringify(body.errors)}`)
    if (process.env.BENCH_SHOW_STATEMENTS)
      for (const sql of statements) console.log(`  ${sql.replace(/\s+/g, ' ').slice(0, 110)}`)
    results[size] = statements.length
    console.log(`${size} accounts: ${statements.length} SQL statements, ${Math.round(ms)} ms`)
  }
  await db.close()
  const counts = SIZES.map((s) => results[s]!)
  const constant = counts.every((c) => c === counts[0])
  console.log(
    `statements per dashboard request: ${SIZES.map((s, i) => `${s} → ${counts[i]}`).join(', ')} — ${constant ? 'constant' : 'NOT constant'} (target: constant)`,
  )
  if (!constant) process.exitCode = 1
}

if (import.meta.filename === process.argv[1]) await main()
