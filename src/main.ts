import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { createApp } from './app.ts'
import { createAppServices, startSync } from './bootstrap.ts'
import { startAdminSocket } from './cli/admin-socket.ts'
import { ConfigError, loadConfig } from './config.ts'
import { startKeyRotationOnStart } from './crypto/key-rotation-on-start.ts'
import { EmbeddedDatabaseBusyError } from './db/embedded-lock.ts'
import { backgroundStdout, createLogger } from './logger.ts'
import { BUNDLED_PLUGIN_DIR, loadPlugins, PluginLoadError } from './platform/plugin-loader.ts'
import { tokenCacheOf } from './security/request-auth.ts'

/** Milliseconds since the process started, for the start-up phases printed once listening. */
const sinceStart = () => Math.round(performance.now())

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { demo: { type: 'boolean', default: false } },
    allowPositionals: false,
  })
  const phases: Record<string, number> = { modulesLoaded: sinceStart() }
  let config = loadConfig()
  // The demo's simulators are loaded only for a demo.
  const demo = values.demo
    ? await import('./demo/demo.ts').then(({ startDemo }) =>
        startDemo.simulators({
          portBase: config.demoPortBase,
          revisionSeconds: config.demoRevisionSeconds,
        }),
      )
    : null
  if (demo) {
    config = {
      ...config,
      outboundAllowlist: [...config.outboundAllowlist, ...demo.allow],
      fx: { ...config.fx, url: demo.fxUrl },
    }
  }

  const registry = await loadPlugins([BUNDLED_PLUGIN_DIR, ...config.pluginDirs])
  phases.pluginsLoaded = sinceStart()
  const logger = createLogger({
    level: config.logLevel,
    secretFields: registry.all().flatMap((p) => p.secretFields),
    destination: backgroundStdout(),
  })
  const services = await createAppServices(config, { registry, logger, role: 'server' })
  phases.databaseOpen = sinceStart()
  // Commands that need the embedded database (npm run token, npm run capture) reach it through this server.
  const admin = services.db.embeddedLock
    ? await startAdminSocket(services, config.dataDir, services.db.embeddedLock)
    : null
  if (config.sync.mode !== 'off') await startSync(services)
  phases.syncStarted = sinceStart()
  const app = createApp(services)
  const server = createServer(app)
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new ConfigError(
              `port ${config.port} on ${config.host} is in use by another program: stop it, or set PORT to a free port`,
            )
          : error,
      ),
    )
    server.listen(config.port, config.host, resolve)
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
  let keyRotation: ReturnType<typeof startKeyRotationOnStart> | null = null
  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    services.logger.info({ signal }, 'shutting down')
    // No new connections; requests in flight finish (idle keep-alive sockets close at once) before the database
    // closes under them, within the same deadline as the syncs.
    const drained = new Promise<void>((resolve) => server.close(() => resolve()))
    // A keep-alive socket whose request finishes after close() would otherwise hold the server open.
    const sweep = setInterval(() => server.closeIdleConnections(), 100)
    server.closeIdleConnections()
    const deadline = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs)
    // Running syncs get a deadline to finish; unfinished ones stay in the queue for the next start.
    await Promise.all([drained, services.sync?.stop(config.shutdownTimeoutMs)])
    clearInterval(sweep)
    clearTimeout(deadline)
    await keyRotation?.stop()
    await demo?.close()
    await admin?.close()
    // Last use of the tokens seen since the last background write: recorded before the database closes.
    const tokens = tokenCacheOf(services)
    tokens.close()
    await tokens.flushLastUse().catch(() => undefined)
    await services.db.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown('SIGINT'))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  // Only now say so: the line goes out on another thread, and a test (or a supervisor) that acts on it must
  // find the handlers in place, whatever pause the main thread takes between the two.
  services.logger.info(
    {
      url: `http://${shown}:${port}/graphql`,
      database: services.db.kind,
      ...(services.db.fromTemplate ? { createdFrom: 'template' } : {}),
      platforms: services.registry.all().map((p) => p.definition.id),
      startupMs: { ...phases, listening: sinceStart() },
    },
    'affgraph is listening',
  )

  // After the handlers: a Ctrl-C while the demo seeds (its first syncs take seconds) shuts down cleanly.
  if (demo) await demo.seed(services, `http://${shown}:${port}/graphql`)
  if (!closing && config.keyRotation.onStart) keyRotation = startKeyRotationOnStart(services)
}

main().catch((error: unknown) => {
  // Start-up problems are the operator's to fix: say what and where, without a stack trace for known ones.
  if (
    error instanceof ConfigError ||
    error instanceof PluginLoadError ||
    error instanceof EmbeddedDatabaseBusyError ||
    (error as { code?: string }).code?.startsWith?.('MASTER_KEY')
  ) {
    process.stderr.write(`affgraph: ${(error as Error).message}\n`)
  } else {
    process.stderr.write(`affgraph: failed to start: ${(error as Error)?.stack ?? String(error)}\n`)
  }
  process.exit(1)
})
