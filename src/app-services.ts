import type { Logger } from 'pino'
import type { Clock } from './clock.ts'
import type { Config } from './config.ts'
import type { MasterKeyRing } from './crypto/master-key.ts'
import type { Database } from './db/database.ts'
import type { AppMetrics } from './observability/metrics.ts'
import type { PlatformRegistry } from './platform/platform-registry.ts'
import type { PlatformRunner } from './platform/platform-runner.ts'
import type { SyncEngine } from './sync/sync-engine.ts'

/** What the GraphQL layer and the CLI commands share; built once per process in `createAppServices`. */
export interface AppServices {
  config: Config
  /** "Now" for everything calendar-based; the system clock in production, injected by tests. */
  clock: Clock
  db: Database
  registry: PlatformRegistry
  keyRing: MasterKeyRing
  runner: PlatformRunner
  logger: Logger
  /** Counters of this process; served at /metrics by the API (see useMetrics). */
  metrics: AppMetrics
  /** Started by the server and by workers; null in processes that never sync (CLI commands, some tests). */
  sync: SyncEngine | null
}

/** One instance per set of services (one per process in production), made on first use. */
export function perServices<T extends object>(
  create: (services: AppServices) => T,
): (services: AppServices) => T {
  const made = new WeakMap<AppServices, T>()
  return (services) => {
    let instance = made.get(services)
    if (!instance) {
      instance = create(services)
      made.set(services, instance)
    }
    return instance
  }
}
