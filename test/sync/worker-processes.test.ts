import { type ChildProcess, spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Account } from '../../src/account/account.entity.ts'
import { connectAccount } from '../../src/account/account.service.ts'
import type { AppServices } from '../../src/app-services.ts'
import { createAppServices } from '../../src/bootstrap.ts'
import { loadConfig } from '../../src/config.ts'
import { generateMasterKeyEntry } from '../../src/crypto/master-key.ts'
import { openDatabase } from '../../src/db/database.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { SyncRun } from '../../src/sync/sync.entity.ts'
import { SyncEngine } from '../../src/sync/sync-engine.ts'
import { ensureWorkspace } from '../../src/workspace/workspace.service.ts'
import { captureLogs } from '../support/log-capture.ts'
import { sinkLogText } from '../support/log-sink.ts'
import { createScratchPostgresDatabase, TEST_DATABASE_URL } from '../support/test-database.ts'

const ROOT = new URL('../..', import.meta.url).pathname

/**
 * Several worker processes on one PostgreSQL share the queue: every window is synced once, and no account is ever
 * fetched by two workers at the same time. Needs a PostgreSQL server (PGlite serves a single process).
 */
describe.skipIf(!TEST_DATABASE_URL)('worker processes sharing one PostgreSQL', () => {
  let scratch: { url: string; drop: () => Promise<void> }
  let services: AppServices
  let sims: PlatformSimulator[] = []
  const workers: ChildProcess[] = []
  const masterKey = generateMasterKeyEntry('w1')
  const accountIds: string[] = []

  beforeAll(async () => {
    scratch = (await createScratchPostgresDatabase())!
    const env = {
      NODE_ENV: 'test',
      DATABASE_URL: scratch.url,
      AFFGRAPH_MASTER_KEY: masterKey,
      AFFGRAPH_OUTBOUND_ALLOWLIST: '127.0.0.1',
      AFFGRAPH_SYNC: 'off',
    }
    const config = loadConfig(env)
    const db = await openDatabase({ url: scratch.url })
    services = await createAppServices(config, { db, logger: captureLogs().logger })
    // Queue only: this process enqueues, the workers work.
    const engine = new SyncEngine(services, {
      work: false,
      schedule: false,
      concurrency: 1,
      retryLimit: 2,
      retryDelaySeconds: 1,
      pollingIntervalSeconds: 1,
      circuitThreshold: 5,
      circuitOpenSeconds: 60,
    })
    await engine.start()
    services.sync = engine
    const platform = services.registry.get('softswiss')!
    sims = await Promise.all(
      [0, 1].map((i) =>
        platform.definition.simulator.create({
          seed: `workers-${i}`,
          accounts: 3,
          pageSize: 500,
          latencyMs: 20,
        }),
      ),
    )
    const em = db.fork()
    const { workspace } = await ensureWorkspace(em, 'workers')
    em.setFilterParams('workspace', { id: workspace.id })
    services.sync = null // connect without auto-backfill; the test queues its own windows
    for (const sim of sims) {
      for (const simAccount of sim.accounts) {
        const connection = platform.definition.connection.schema.parse(simAccount.connection) as Record<
          string,
          unknown
        >
        const outcome = await connectAccount(
          services,
          em,
          { workspaceId: workspace.id, workspaceName: 'workers', tokenId: '' },
          platform,
          connection,
          {},
        )
        if (!outcome.ok) throw new Error(outcome.error.message)
        accountIds.push(outcome.account.id)
      }
    }
    services.sync = engine
    // Connected without a backfill, these accounts would be due for a periodic sync at the workers' first
    // scheduler tick; push that out so the queue holds exactly the windows this test puts there.
    await db.query(`update "account" set "next_sync_at" = now() + interval '1 day'`)
    for (let i = 0; i < 2; i++) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
        cwd: ROOT,
        env: {
          ...process.env,
          ...env,
          AFFGRAPH_SYNC: 'on',
          AFFGRAPH_WORKER_CONCURRENCY: '3',
          AFFGRAPH_SYNC_POLL_SECONDS: '1',
          AFFGRAPH_LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => sinkLogText('worker-stdout', chunk))
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => sinkLogText('worker-stderr', chunk))
      workers.push(child)
    }
  }, 120_000)

  afterAll(async () => {
    for (const w of workers) w.kill('SIGTERM')
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))),
    )
    await services?.sync?.stop(5_000)
    await services?.db.close()
    await Promise.all(sims.map((s) => s.close()))
    await scratch?.drop()
  })

  it('given six accounts with five windows each, when two worker processes run, then every window syncs once and no account runs twice at a time', async () => {
    const em = services.db.fork()
    const windows = [0, 1, 2, 3, 4].map((k) => {
      const end = Date.parse('2026-10-31T00:00:00Z') - k * 10 * 86_400_000
      const day = (t: number) => new Date(t).toISOString().slice(0, 10)
      return { from: day(end - 9 * 86_400_000), to: day(end) }
    })
    for (const id of accountIds) {
      const account = await em.findOneOrFail(Account, { id }, { filters: false, populate: ['workspace'] })
      for (const window of windows) await services.sync!.enqueue(em, account, window, 'MANUAL')
    }
    const deadline = Date.now() + 90_000
    let runs: SyncRun[] = []
    while (Date.now() < deadline) {
      runs = await services.db.fork().find(SyncRun, {}, { filters: false })
      if (runs.length === 30 && runs.every((r) => r.status === 'SUCCEEDED')) break
      await new Promise((r) => setTimeout(r, 500))
    }
    expect(runs.filter((r) => r.status === 'SUCCEEDED').length).toBe(30)
    expect(runs.every((r) => r.attempts === 1)).toBe(true)
    for (const id of accountIds) {
      const mine = runs
        .filter((r) => r.account.id === id)
        .map((r) => [r.startedAt!.getTime(), r.finishedAt!.getTime()] as const)
        .sort((a, b) => a[0] - b[0])
      for (let i = 1; i < mine.length; i++)
        expect(mine[i]![0], 'runs of one account overlap').toBeGreaterThanOrEqual(mine[i - 1]![1])
    }
    const days = await services.db.query<{ n: unknown }>('select count(*) as n from stat_day')
    let expected = 0
    for (const sim of sims)
      for (const a of sim.accounts) for (const w of windows) expected += sim.truth(a.key, w).length
    expect(Number(days[0]!.n)).toBe(expected)
  }, 120_000)
})
