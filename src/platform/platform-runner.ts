import type { Logger } from 'pino'
import type { HttpClientOptions, HttpRequestInfo } from '../http/http-client.ts'
import { createPluginContext } from '../http/plugin-context.ts'
import type { RateLimiterRegistry } from '../http/rate-limiter.ts'
import { OutboundBlockedError, type SsrfGuard } from '../http/ssrf-guard.ts'
import {
  type CheckResult,
  type DateWindow,
  isPlatformError,
  type PaymentRow,
  type PlatformError,
  type PluginCache,
  paymentRowSchema,
  type ReportRow,
  ResponseFormatError,
  reportRowSchema,
} from '../sdk/index.ts'
import type { LoadedPlatform } from './platform-registry.ts'
import { splitWindow } from './window.ts'

export interface PlatformRunnerOptions {
  guard: SsrfGuard
  rateLimiters: RateLimiterRegistry
  logger: Logger
  http: { totalTimeoutMs: number; attempts: number; baseDelayMs?: number; maxDelayMs?: number }
  now?: () => Date
}

export interface RunOptions {
  /** Rate-limit and cache key of the account (its id, or a credential fingerprint before it is saved). */
  accountKey: string
  signal?: AbortSignal
  /** Called once per upstream attempt (sync runs count their requests with it). */
  onRequest?: (info: HttpRequestInfo) => void
  /** Sees each attempt's request and response before redaction: a capture records them and redacts them itself. */
  onExchange?: HttpClientOptions['onExchange']
  /** Told of each secret the plugin registers at run time (an OAuth token), so that a capture replaces it too. */
  onSecret?: (value: string) => void
  /** Answers the plugin's requests instead of the network: a capture being replayed. */
  transport?: HttpClientOptions['transport']
  /**
   * A cache of this call's own, neither read from nor kept for the account's later calls: a capture then records
   * the whole exchange (an OAuth token request included) rather than starting from a cached token.
   */
  isolatedCache?: boolean
}

/**
 * Runs plugin code with a host-built context. Every error leaving here is an SDK error (or the guard's
 * OutboundBlockedError) with secrets already redacted; a plugin bug becomes a ResponseFormatError.
 */
/** The connection's URL fields that hold a parseable URL, in the form's order. */
export function connectionUrls(
  platform: LoadedPlatform,
  connection: Record<string, unknown>,
): { name: string; url: URL }[] {
  const urls: { name: string; url: URL }[] = []
  for (const name of platform.fieldNames) {
    const value = connection[name]
    if (
      platform.definition.connection.fields[name]?.kind === 'url' &&
      typeof value === 'string' &&
      URL.canParse(value)
    )
      urls.push({ name, url: new URL(value) })
  }
  return urls
}

export class PlatformRunner {
  readonly #options: PlatformRunnerOptions
  readonly #caches = new Map<string, PluginCache>()

  constructor(options: PlatformRunnerOptions) {
    this.#options = options
  }

  #context(platform: LoadedPlatform, connection: Record<string, unknown>, run: RunOptions) {
    const secrets = platform.secretFields
      .map((name) => connection[name])
      .filter((v): v is string => typeof v === 'string' && v.length > 0)
    const cacheKey = `${platform.definition.id}:${run.accountKey}`
    const ctx = createPluginContext({
      guard: this.#options.guard,
      rateLimiters: this.#options.rateLimiters,
      platformLimits: platform.definition.limits,
      accountKey: cacheKey,
      secrets,
      logger: this.#options.logger.child({ plugin: platform.definition.id, account: run.accountKey }),
      signal: run.signal,
      onRequest: run.onRequest,
      onExchange: run.onExchange,
      onSecret: run.onSecret,
      transport: run.transport,
      now: this.#options.now,
      cache: run.isolatedCache ? undefined : this.#caches.get(cacheKey),
      timeouts: { totalMs: this.#options.http.totalTimeoutMs },
      retry: {
        attempts: this.#options.http.attempts,
        baseDelayMs: this.#options.http.baseDelayMs,
        maxDelayMs: this.#options.http.maxDelayMs,
      },
    })
    if (!run.isolatedCache) this.#caches.set(cacheKey, ctx.cache)
    return ctx
  }

  /**
   * The first URL field of a connection whose target the SSRF guard refuses (scheme, credentials, an address or a
   * name that resolves to one that is not public), decided before any plugin code runs so that the refusal names
   * the field the user typed. Requests are still checked one by one, for redirects and names that move later.
   */
  async refusedUrlField(
    platform: LoadedPlatform,
    connection: Record<string, unknown>,
  ): Promise<{ field: string; error: OutboundBlockedError } | undefined> {
    for (const { name, url } of connectionUrls(platform, connection)) {
      try {
        await this.#options.guard.checkTarget(url)
      } catch (error) {
        if (error instanceof OutboundBlockedError) return { field: name, error }
        throw error
      }
    }
    return undefined
  }

  async check(
    platform: LoadedPlatform,
    connection: Record<string, unknown>,
    run: RunOptions,
  ): Promise<CheckResult> {
    const ctx = this.#context(platform, connection, run)
    try {
      return (await platform.definition.check(ctx, connection)) ?? {}
    } catch (error) {
      throw normalizeError(error, ctx.redactError)
    }
  }

  /** The whole inclusive window, cut into the pieces the platform allows, each row validated. */
  async fetchReport(
    platform: LoadedPlatform,
    connection: Record<string, unknown>,
    window: DateWindow,
    run: RunOptions,
  ): Promise<ReportRow[]> {
    const ctx = this.#context(platform, connection, run)
    const rows: ReportRow[] = []
    try {
      for (const piece of splitWindow(window, platform.definition.limits)) {
        const got = await platform.definition.fetchReport(ctx, connection, piece)
        for (const row of got) {
          const parsed = reportRowSchema.safeParse(row)
          if (!parsed.success)
            throw new ResponseFormatError(
              `plugin returned an invalid row: ${parsed.error.issues[0]?.message}`,
            )
          if (parsed.data.date < piece.from || parsed.data.date > piece.to) {
            throw new ResponseFormatError(
              `plugin returned a row for ${parsed.data.date}, outside ${piece.from}…${piece.to}`,
            )
          }
          rows.push(parsed.data)
        }
      }
      return rows
    } catch (error) {
      throw normalizeError(error, ctx.redactError)
    }
  }

  /** Payments of the inclusive window, cut into the platform's payment windows, each row validated. */
  async fetchPayments(
    platform: LoadedPlatform,
    connection: Record<string, unknown>,
    window: DateWindow,
    run: RunOptions,
  ): Promise<PaymentRow[]> {
    const capability = platform.definition.capabilities.payments
    const fetch = platform.definition.fetchPayments
    if (!capability || !fetch) return []
    const ctx = this.#context(platform, connection, run)
    const rows: PaymentRow[] = []
    try {
      for (const piece of splitWindow(window, {
        maxWindowDays: capability.maxWindowDays,
        monthAlignedWindows: capability.monthAligned ?? false,
      })) {
        for (const row of await fetch.call(platform.definition, ctx, connection, piece)) {
          const parsed = paymentRowSchema.safeParse(row)
          if (!parsed.success)
            throw new ResponseFormatError(
              `plugin returned an invalid payment: ${parsed.error.issues[0]?.message}`,
            )
          rows.push(parsed.data)
        }
      }
      return rows
    } catch (error) {
      throw normalizeError(error, ctx.redactError)
    }
  }
}

function normalizeError(error: unknown, redact: (e: unknown) => unknown): PlatformError | Error {
  const redacted = redact(error)
  if (isPlatformError(redacted)) return redacted
  const code = redacted instanceof Error ? (redacted as { code?: unknown }).code : undefined
  // The host's own refusals and outages are not plugin bugs: they keep their code (and stay retryable).
  if (code === 'OUTBOUND_BLOCKED' || code === 'RATE_LIMIT_STORE_UNAVAILABLE') return redacted as Error
  const message = redacted instanceof Error ? redacted.message : String(redacted)
  return new ResponseFormatError(`the plugin failed: ${message}`)
}
