import { createPluginContext, type HostPluginContext } from '../../src/http/plugin-context.ts'
import { createRateLimiterRegistry } from '../../src/http/rate-limiter.ts'
import { createSsrfGuard } from '../../src/http/ssrf-guard.ts'
import type { LoadedPlatform } from '../../src/platform/platform-registry.ts'
import { PlatformRunner } from '../../src/platform/platform-runner.ts'
import { loadPlugin } from '../../src/platform/plugin-loader.ts'
import { type ReportRow, rowKey } from '../../src/sdk/index.ts'
import { captureLogs } from './log-capture.ts'

export const sortRows = (rows: ReportRow[]): ReportRow[] =>
  [...rows].sort((a, b) => (rowKey(a) < rowKey(b) ? -1 : rowKey(a) > rowKey(b) ? 1 : 0))

export interface PluginHarness {
  platform: LoadedPlatform
  /** The host's runner (SSRF guard allowing loopback, the platform's own rate limits, fast retries). */
  runner: PlatformRunner
  /** Every log line the host and plugin wrote, for secret sweeps. */
  logs: ReturnType<typeof captureLogs>
  /** The connection as the host stores it: parsed (and transformed) by the plugin's zod schema. */
  parse(input: Record<string, unknown>): Record<string, unknown>
  /**
   * A real host context for calling a plugin's internals directly, with the same HTTP client, guard and limits
   * the server uses. Pass a connection to have its secrets redacted.
   */
  context(connection?: Record<string, unknown>, accountKey?: string): HostPluginContext
}

/**
 * Loads a plugin folder through the host's loader and wraps it in the host's real runner, so a plugin's own tests
 * exercise the same HTTP client, retries, rate limits and redaction as production instead of a hand-made fake.
 */
export async function createPluginHarness(
  folder: string | URL,
  options: { attempts?: number; totalTimeoutMs?: number } = {},
): Promise<PluginHarness> {
  const path = typeof folder === 'string' ? folder : decodeURIComponent(folder.pathname).replace(/\/$/, '')
  const platform = await loadPlugin(path)
  const logs = captureLogs()
  const guard = createSsrfGuard({ allow: ['127.0.0.1'] })
  const rateLimiters = createRateLimiterRegistry()
  const http = {
    totalTimeoutMs: options.totalTimeoutMs ?? 15_000,
    attempts: options.attempts ?? 3,
    baseDelayMs: 20,
    maxDelayMs: 200,
  }
  const runner = new PlatformRunner({ guard, rateLimiters, logger: logs.logger, http })
  return {
    platform,
    runner,
    logs,
    parse: (input) => platform.definition.connection.schema.parse(input) as Record<string, unknown>,
    context(connection = {}, accountKey = 'harness') {
      const secrets = platform.secretFields
        .map((name) => connection[name])
        .filter((v): v is string => typeof v === 'string' && v.length > 0)
      return createPluginContext({
        guard,
        rateLimiters,
        platformLimits: platform.definition.limits,
        accountKey: `${platform.definition.id}:${accountKey}`,
        secrets,
        plugin: platform.definition.id,
        logger: logs.logger,
        timeouts: { totalMs: http.totalTimeoutMs },
        retry: { attempts: http.attempts, baseDelayMs: http.baseDelayMs, maxDelayMs: http.maxDelayMs },
      })
    },
  }
}
