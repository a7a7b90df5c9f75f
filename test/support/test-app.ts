import type { Logger } from 'pino'
import { type AffgraphApp, createApp } from '../../src/app.ts'
import type { AppServices } from '../../src/app-services.ts'
import { type BootstrapOverrides, createAppServices } from '../../src/bootstrap.ts'
import { loadConfig } from '../../src/config.ts'
import { generateMasterKeyEntry, parseMasterKeys } from '../../src/crypto/master-key.ts'
import type { PlatformRegistry } from '../../src/platform/platform-registry.ts'
import { BUNDLED_PLUGIN_DIR, loadPlugins } from '../../src/platform/plugin-loader.ts'
import { ensureWorkspace, issueApiToken } from '../../src/workspace/workspace.service.ts'
import { captureLogs } from './log-capture.ts'
import { plantCanary } from './log-sink.ts'
import { suiteClock } from './test-clock.ts'
import { openTestDatabase, type TestDatabase } from './test-database.ts'

export interface TestApp {
  app: AffgraphApp
  services: AppServices
  db: TestDatabase
  logs: { lines: string[]; text: () => string }
  registry: PlatformRegistry
  /** A workspace with a token, created on demand. */
  workspace(name: string): Promise<{ id: string; token: string }>
  /** POST a GraphQL operation through `app.fetch` (no port). */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<{
    status: number
    body: { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }
  }>
  close(): Promise<void>
}

export interface TestAppOptions {
  pluginDirs?: string[]
  logger?: Logger
  env?: Record<string, string>
  /** Passed to createAppServices, e.g. `outboundResolve` to point test names at chosen addresses. */
  overrides?: Pick<BootstrapOverrides, 'outboundResolve' | 'clock'>
}

/** A real app: real database (PGlite or PostgreSQL), real plugins, real HTTP client allowed to reach loopback. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const capture = captureLogs()
  const db = await openTestDatabase()
  const config = loadConfig({
    NODE_ENV: 'test',
    AFFGRAPH_DATA_DIR: '/nonexistent-affgraph-test-dir',
    AFFGRAPH_OUTBOUND_ALLOWLIST: '127.0.0.1',
    AFFGRAPH_HTTP_RETRIES: '3',
    AFFGRAPH_HTTP_TIMEOUT_MS: '10000',
    // No machine here reaches the ECB; tests that need rates store them or run the ECB simulator.
    AFFGRAPH_FX_FETCH: 'false',
    ...options.env,
  })
  const registry = await loadPlugins([BUNDLED_PLUGIN_DIR, ...(options.pluginDirs ?? [])])
  const services = await createAppServices(config, {
    db,
    registry,
    logger: options.logger ?? capture.logger,
    keyRing: parseMasterKeys(generateMasterKeyEntry('test')),
    httpRetry: { baseDelayMs: 20, maxDelayMs: 200 },
    clock: suiteClock,
    ...options.overrides,
  })
  const app = createApp(services)
  const tokens = new Map<string, { id: string; token: string }>()
  return {
    app,
    services,
    db,
    registry,
    logs: capture,
    async workspace(name) {
      const known = tokens.get(name)
      if (known) return known
      const em = db.fork()
      const { workspace } = await ensureWorkspace(em, name)
      const { token } = await issueApiToken(em, workspace, 'test')
      // A bearer token is a secret like any credential: the end-of-run log sweep must not find it anywhere.
      plantCanary(token)
      const entry = { id: workspace.id, token }
      tokens.set(name, entry)
      return entry
    },
    async gql(query, variables, token) {
      const response = await app.fetch('http://affgraph.test/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      })
      return { status: response.status, body: await response.json() }
    },
    close: () => db.close(),
  }
}
