import type { AppServices } from './app-services.ts'
import { createAppServices, startSync } from './bootstrap.ts'
import { ConfigError, loadConfig } from './config.ts'
import { configureCrashPoints } from './sync/crash-points.ts'
import type { SyncEngine } from './sync/sync-engine.ts'

/**
 * A sync worker without the HTTP API: run any number of these, on any machine that reaches the same PostgreSQL,
 * and they share the queue, the rate limits and the circuit state. Set AFFGRAPH_SYNC=schedule-only on the API
 * servers to leave all fetching to workers.
 */
async function main(): Promise<void> {
  const config = loadConfig()
  configureCrashPoints(config.crashPoints)
  const services = await createAppServices(config, { role: 'worker' })
  const engine = await startWhenDatabaseAnswers(services)
  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    services.logger.info({ signal }, 'worker stopping: no new jobs, finishing running ones')
    await engine.stop(config.shutdownTimeoutMs)
    await services.db.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown('SIGINT'))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  // After the handlers: whoever acts on this line (a supervisor, a test) may signal at once.
  services.logger.info(
    { concurrency: config.sync.concurrency, database: services.db.kind },
    'affgraph worker started',
  )
}

/** How long a starting worker waits for a database that is restarting (a failover, an upgrade, a crash). */
const START_PATIENCE_MS = 60_000

/** Errors of a database that is going away or coming back, as opposed to one that refuses us for good. */
function isTransientDatabaseError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown }
  if (
    typeof e?.code === 'string' &&
    ['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET'].includes(e.code)
  )
    return true
  return /connection terminated|connection refused|terminating connection|the database system is (starting up|shutting down|in recovery)/i.test(
    String(e?.message ?? ''),
  )
}

/**
 * Starts syncing, waiting out a database restart: a worker started while PostgreSQL restarts would otherwise exit
 * and leave its share of the queue to the others until a supervisor noticed.
 */
async function startWhenDatabaseAnswers(services: AppServices): Promise<SyncEngine> {
  const giveUpAt = Date.now() + START_PATIENCE_MS
  for (let attempt = 1; ; attempt++) {
    try {
      return await startSync(services, { work: true, schedule: true })
    } catch (error) {
      if (!isTransientDatabaseError(error) || Date.now() > giveUpAt) throw error
      await services.sync?.stop(1_000).catch(() => undefined)
      services.sync = null
      services.logger.warn(
        { attempt, err: { message: (error as Error).message } },
        'database not answering while the worker starts; trying again',
      )
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 500 * attempt)))
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `affgraph worker: ${error instanceof ConfigError ? error.message : ((error as Error)?.stack ?? String(error))}\n`,
  )
  process.exit(1)
})
