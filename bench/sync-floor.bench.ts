/**
 * Benchmark 3: sync 200 accounts against simulators that answer after 100 ms and enforce nothing themselves, with
 * the platform's own per-host and per-account limits applied by affgraph. Compares the wall time with the floor
 * those limits allow, and the upstream requests with the minimum the reports need.
 *
 *   npm run bench -- sync        (DATABASE_URL selects PostgreSQL; default: embedded PGlite in memory)
 */
import { Account } from '../src/account/account.entity.ts'
import { connectAccount } from '../src/account/account.service.ts'
import { createAppServices } from '../src/bootstrap.ts'
import { loadConfig } from '../src/config.ts'
import { generateMasterKeyEntry, parseMasterKeys } from '../src/crypto/master-key.ts'
import { openDatabase } from '../src/db/database.ts'
import { createLogger } from '../src/logger.ts'
import type { PlatformSimulator } from '../src/sdk/index.ts'
import { SyncRun } from '../src/sync/sync.entity.ts'
import { SyncEngine } from '../src/sync/sync-engine.ts'
import { ensureWorkspace } from '../src/workspace/workspace.service.ts'

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 200)
const HOSTS = Number(process.env.BENCH_HOSTS ?? 4)
const LATENCY_MS = 100
const WINDOW = { from: '2026-09-01', to: '2026-09-30' }

export async function runSyncFloorBenchmark(): Promise<Record<string, number>> {
  const config = loadConfig({
    ...process.env,
    AFFGRAPH_OUTBOUND_ALLOWLIST: '127.0.0.1',
    AFFGRAPH_SYNC: 'off',
    AFFGRAPH_LOG_LEVEL: 'warn',
  })
  const db = await openDatabase({ url: config.databaseUrl, pgliteDir: 'memory://' })
  const services = await createAppServices(config, {
    db,
    logger: createLogger({ level: 'warn' }),
    keyRing: parseMasterKeys(generateMasterKeyEntry('bench')),
  })
  const platform = services.registry.get('softswiss')!
  const perHost = Math.ceil(ACCOUNTS / HOSTS)
  const sims: PlatformSimulator[] = []
  for (let h = 0; h < HOSTS; h++) {
    sims.push(
      await platform.definition.simulator.create({
        seed: `bench-${h}`,
        accounts: perHost,
        pageSize: 1000,
        latencyMs: LATENCY_MS,
      }),
    )
  }
  const em = db.fork()
  const { workspace } = await ensureWorkspace(em, 'bench')
  em.setFilterParams('workspace', { id: workspace.id })
  const principal = { workspaceId: workspace.id, workspaceName: 'bench', tokenId: '' }
  const accounts: Account[] = []
  for (const sim of sims) {
    for (const a of sim.accounts) {
      const connection = platform.definition.connection.schema.parse(a.connection) as Record<string, unknown>
      const outcome = await connectAccount(services, em, principal, platform, connection, {})
      if (!outcome.ok) throw new Error(outcome.error.message)
      accounts.push(outcome.account)
    }
  }
  // Connecting made one check request per account; the benchmark counts only what the sync sends.
  const before = sims.map((s) => s.log.length)

  const engine = new SyncEngine(services, {
    work: true,
    schedule: false,
    concurrency: Number(process.env.BENCH_CONCURRENCY ?? 250),
    retryLimit: 3,
    retryDelaySeconds: 1,
    pollingIntervalSeconds: 0.5,
    circuitThreshold: 50,
    circuitOpenSeconds: 60,
  })
  await engine.start()
  services.sync = engine
  const started = performance.now()
  const fresh = await em.find(
    Account,
    { id: { $in: accounts.map((a) => a.id) } },
    { filters: false, populate: ['workspace'] },
  )
  await engine.enqueueMany(
    em,
    fresh.map((account) => ({ account, window: WINDOW, kind: 'MANUAL' as const })),
  )
  const enqueuedMs = performance.now() - started
  if (process.env.BENCH_VERBOSE) console.error(`enqueued in ${Math.round(enqueuedMs)} ms`)
  for (;;) {
    const runs = await db.fork().find(SyncRun, {}, { filters: false })
    if (process.env.BENCH_VERBOSE) {
      const done = runs.filter((r) => r.status === 'SUCCEEDED').length
      console.error(
        `${Math.round(performance.now() - started)} ms: ${done} done, ${sims.map((s, i) => s.log.length - before[i]!).join('/')} requests`,
      )
      await new Promise((r) => setTimeout(r, 2000))
    }
    if (
      runs.length === accounts.length &&
      runs.every((r) => r.status === 'SUCCEEDED' || r.status === 'FAILED')
    )
      break
    await new Promise((r) => setTimeout(r, 100))
  }
  const wallMs = performance.now() - started
  const runs = await db.fork().find(SyncRun, {}, { filters: false })
  const failed = runs.filter((r) => r.status !== 'SUCCEEDED').length

  // The minimum: per account, one attributes lookup (the plugin learns the instance's column names) and one report
  // page (1,000 rows per page covers a 30-day window here).
  const sent = sims.map((s, i) => s.log.length - before[i]!)
  const minimumPerHost = sims.map((s) => s.accounts.length * 2)
  const limit = platform.definition.limits.perHost!
  // Floor: each host must spread its requests at `requests` per `intervalMs`; hosts run in parallel. The first
  // `requests` of a host may go at once, and the last answer still takes one latency to arrive.
  const floorMs = Math.max(
    ...minimumPerHost.map(
      (n) => Math.max(0, Math.ceil(n / limit.requests) - 1) * limit.intervalMs + LATENCY_MS,
    ),
  )
  await engine.stop(5_000)
  await Promise.all(sims.map((s) => s.close()))
  await db.close()
  const result = {
    accounts: accounts.length,
    hosts: HOSTS,
    failedRuns: failed,
    wallMs: Math.round(wallMs),
    floorMs,
    wallOverFloor: Number((wallMs / floorMs).toFixed(3)),
    requests: sent.reduce((a, b) => a + b, 0),
    minimumRequests: minimumPerHost.reduce((a, b) => a + b, 0),
  }
  return result
}

export async function main(): Promise<void> {
  const result = await runSyncFloorBenchmark()
  console.log(JSON.stringify(result, null, 2))
  console.log(
    `sync floor: ${result.accounts} accounts on ${result.hosts} hosts — wall ${result.wallMs} ms vs floor ${result.floorMs} ms = ${result.wallOverFloor}× (target ≤ 1.15×); requests ${result.requests} vs minimum ${result.minimumRequests}`,
  )
}

if (import.meta.filename === process.argv[1]) await main()
