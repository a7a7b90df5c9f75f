import { join } from 'node:path'
import type { Logger } from 'pino'
import { startAlertDelivery } from './alerts/alert-delivery.ts'
import type { AppServices } from './app-services.ts'
import { type Clock, shiftedClock, systemClock } from './clock.ts'
import type { Config } from './config.ts'
import { type MasterKeyRing, resolveMasterKeyRing } from './crypto/master-key.ts'
import { type Database, openDatabase } from './db/database.ts'
import { startFxUpdates } from './fx/fx-updates.ts'
import { createRateLimiterRegistry } from './http/rate-limiter.ts'
import { createSsrfGuard, type HostResolver } from './http/ssrf-guard.ts'
import { createLogger } from './logger.ts'
import { createMetrics } from './observability/metrics.ts'
import type { PlatformRegistry } from './platform/platform-registry.ts'
import { PlatformRunner } from './platform/platform-runner.ts'
import { BUNDLED_PLUGIN_DIR, loadPlugins } from './platform/plugin-loader.ts'
import { createPostgresRateLimiterStore } from './sync/pg-rate-limiter-store.ts'
import { SyncEngine, type SyncEngineOptions } from './sync/sync-engine.ts'

export interface BootstrapOverrides {
  logger?: Logger
  db?: Database
  registry?: PlatformRegistry
  keyRing?: MasterKeyRing
  /** Retry pacing for outbound calls (tests shorten it). */
  httpRetry?: { baseDelayMs?: number; maxDelayMs?: number }
  /** DNS for the SSRF guard (tests point names at chosen addresses); the system resolver when unset. */
  outboundResolve?: HostResolver
  /** "Now" for calendar decisions; the system clock when unset. */
  clock?: Clock
  /** What this process is, as another process finding the embedded database taken is told. */
  role?: string
}

export async function loadMasterKeys(config: Config, logger: Logger): Promise<MasterKeyRing> {
  const keyFilePath = join(config.dataDir, 'master.key')
  const { ring, source, created } = await resolveMasterKeyRing({ envValue: config.masterKey, keyFilePath })
  if (source === 'file') {
    logger.warn(
      { keyFile: keyFilePath, created },
      'AFFGRAPH_MASTER_KEY is not set: credentials are encrypted with the generated key file beside the data. ' +
        'Back it up (without it stored credentials cannot be read) or set AFFGRAPH_MASTER_KEY.',
    )
  }
  return ring
}

/** Starts the sync engine as configured: queue and schedule, and work in this process unless told otherwise. */
export async function startSync(
  services: AppServices,
  overrides: Partial<SyncEngineOptions> = {},
): Promise<SyncEngine> {
  const { sync } = services.config
  const engine = new SyncEngine(services, {
    work: sync.mode === 'on',
    schedule: sync.mode !== 'off',
    concurrency: sync.concurrency,
    retryLimit: sync.retryLimit,
    retryDelaySeconds: sync.retryDelaySeconds,
    pollingIntervalSeconds: sync.pollingIntervalSeconds,
    jobTimeoutSeconds: sync.jobTimeoutSeconds,
    circuitThreshold: 5,
    circuitOpenSeconds: 120,
    ...overrides,
  })
  await engine.start()
  services.sync = engine
  // Alerts leave from the same processes that sync, on the same queue connection; its stop closes both.
  await startAlertDelivery(services, engine.boss, { work: overrides.work ?? sync.mode === 'on' })
  if (services.config.fx.fetch && sync.mode === 'on') await startFxUpdates(services, engine.boss)
  return engine
}

/** Everything a server, worker or CLI command needs, opened in dependency order. */
export async function createAppServices(
  config: Config,
  overrides: BootstrapOverrides = {},
): Promise<AppServices> {
  const registry = overrides.registry ?? (await loadPlugins([BUNDLED_PLUGIN_DIR, ...config.pluginDirs]))
  // Loaded first so that every secret field a plugin declares is redacted by name in the logs.
  const logger =
    overrides.logger ??
    createLogger({ level: config.logLevel, secretFields: registry.all().flatMap((p) => p.secretFields) })
  const keyRing = overrides.keyRing ?? (await loadMasterKeys(config, logger))
  const db =
    overrides.db ??
    (await openDatabase({
      url: config.databaseUrl,
      pgliteDir: join(config.dataDir, 'pglite'),
      lockRole: overrides.role,
    }))
  // AFFGRAPH_NOW held when the process started, not when its configuration was read a second or two later: a
  // process spawned by another that passes its own "now" then shares that process's clock to within milliseconds.
  const clock =
    overrides.clock ?? (config.now ? shiftedClock(config.now, performance.timeOrigin) : systemClock)
  const runner = new PlatformRunner({
    // Plugins' ctx.now() ("yesterday" for a check call, no future days) follows the same clock as the host.
    now: () => clock.now(),
    guard: createSsrfGuard({ allow: config.outboundAllowlist, resolve: overrides.outboundResolve }),
    // On PostgreSQL the limits live in the database, where every worker process sees them.
    rateLimiters: createRateLimiterRegistry({
      ...(db.kind === 'postgresql' ? { store: createPostgresRateLimiterStore(db) } : {}),
      timeScale: config.rateLimitTimeScale,
    }),
    logger: logger.child({ component: 'platform' }),
    http: {
      totalTimeoutMs: config.http.totalTimeoutMs,
      attempts: config.http.attempts,
      ...overrides.httpRetry,
    },
  })
  return {
    config,
    clock,
    db,
    registry,
    keyRing,
    runner,
    logger,
    metrics: createMetrics(),
    sync: null,
  }
}
