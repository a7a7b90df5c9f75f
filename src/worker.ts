import { createAppServices, startSync } from './bootstrap.ts'
import { ConfigError, loadConfig } from './config.ts'
import { configureCrashPoints } from './sync/crash-points.ts'

/**
 * A sync worker without the HTTP API: run any number of these, on any machine that reaches the same PostgreSQL,
 * and they share the queue, the rate limits and the circuit state. Set AFFGRAPH_SYNC=schedule-only on the API
 * servers to leave all fetching to workers.
 */
async function main(): Promise<void> {
  const config = loadConfig()
  configureCrashPoints(config.crashPoints)
  const services = await createAppServices(config, { role: 'worker' })
  const engine = await startSync(services, { work: true, schedule: true })
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

main().catch((error: unknown) => {
  process.stderr.write(
    `affgraph worker: ${error instanceof ConfigError ? error.message : ((error as Error)?.stack ?? String(error))}\n`,
  )
  process.exit(1)
})
