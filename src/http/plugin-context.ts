import type { PlatformLimits, PluginCache, PluginContext, PluginLogger } from '../sdk/platform.ts'
import { createHttpClient, type HttpClientOptions } from './http-client.ts'
import type { RateLimiterRegistry, RateLimiterSpec } from './rate-limiter.ts'
import { createSecretRedactor, type SecretRedactor } from './redact.ts'
import type { SsrfGuard } from './ssrf-guard.ts'

/** The part of a pino logger the plugin context writes through (a pino `Logger` fits). */
export interface HostLogger {
  debug(data: object, message?: string): void
  info(data: object, message?: string): void
  warn(data: object, message?: string): void
  error(data: object, message?: string): void
  child?(bindings: Record<string, unknown>): HostLogger
  /** pino's current bindings: keys already bound are not bound twice. */
  bindings?(): Record<string, unknown>
}

export interface PluginContextOptions
  extends Pick<
    HttpClientOptions,
    'timeouts' | 'retry' | 'userAgent' | 'maxBodyBytes' | 'onRequest' | 'onExchange' | 'transport'
  > {
  guard: SsrfGuard
  /** Shared by every context of the process, so host and account limits hold across concurrent calls. */
  rateLimiters: RateLimiterRegistry
  /** Stable id of the connected account: the per-account limit is keyed by it and logs carry it. */
  accountKey: string
  /** The account's secret connection values; each is redacted from errors and logs (see MIN_SECRET_LENGTH). */
  secrets: readonly string[]
  /** Plugin id, added to every log line. */
  plugin?: string
  platformLimits?: PlatformLimits
  /**
   * Key of the per-host limit; default `host:<host[:port]>` of each request, so per-program hosts of one
   * platform are limited separately. A string shares one limit across every host the plugin calls.
   */
  hostKey?: string | ((url: URL) => string)
  logger?: HostLogger
  signal?: AbortSignal
  now?: () => Date
  /** Give a per-account cache that outlives the call (e.g. for an OAuth token); default: a fresh one. */
  cache?: PluginCache
  /** Told of each value the plugin registers with `ctx.registerSecret` (captures replace them too). */
  onSecret?: (value: string) => void
}

/** The plugin's view plus what the host needs to clean up after it (e.g. redacting errors it throws). */
export interface HostPluginContext extends PluginContext {
  readonly redactor: SecretRedactor
  /** `redactor.redactError` with this account's secrets, for errors thrown by plugin code itself. */
  redactError<E>(error: E): E
}

export interface MemoryCacheOptions {
  /** Milliseconds clock; default `Date.now`. */
  now?: () => number
  /** Oldest entries are dropped beyond this; default 1000. */
  maxEntries?: number
}

export function createMemoryCache(options: MemoryCacheOptions = {}): PluginCache {
  const now = options.now ?? Date.now
  const maxEntries = options.maxEntries ?? 1000
  const entries = new Map<string, { value: unknown; expiresAt: number }>()
  return {
    get<T = unknown>(key: string): T | undefined {
      const entry = entries.get(key)
      if (!entry) return undefined
      if (entry.expiresAt <= now()) {
        entries.delete(key)
        return undefined
      }
      return entry.value as T
    },
    set(key, value, ttlMs) {
      entries.delete(key)
      if (!(ttlMs > 0)) return
      entries.set(key, { value, expiresAt: now() + ttlMs })
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next()
        if (oldest.done) break
        entries.delete(oldest.value)
      }
    },
    delete(key) {
      entries.delete(key)
    },
  }
}

const MAX_LOG_DEPTH = 6

function redactLogValue(value: unknown, redactor: SecretRedactor, depth: number): unknown {
  if (typeof value === 'string') return redactor.redact(value)
  if (value === null || typeof value !== 'object' || depth > MAX_LOG_DEPTH) return value
  if (value instanceof Error) return redactor.redactError(value)
  if (Array.isArray(value)) return value.map((item) => redactLogValue(item, redactor, depth + 1))
  if (value instanceof Date || value instanceof URL) return redactor.redact(value.toString())
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) out[key] = redactLogValue(item, redactor, depth + 1)
  return out
}

function createPluginLogger(
  logger: HostLogger | undefined,
  bindings: Record<string, unknown>,
  redactor: SecretRedactor,
): PluginLogger {
  if (!logger) {
    const ignore = () => {}
    return { debug: ignore, info: ignore, warn: ignore, error: ignore }
  }
  const bound = logger.bindings?.() ?? {}
  const missing = Object.fromEntries(Object.entries(bindings).filter(([key]) => !(key in bound)))
  const target = logger.child && Object.keys(missing).length > 0 ? logger.child(missing) : logger
  const extra = logger.child ? {} : missing
  const write =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, data?: Record<string, unknown>): void => {
      const payload = data === undefined ? {} : (redactLogValue(data, redactor, 0) as Record<string, unknown>)
      target[level]({ ...payload, ...extra }, redactor.redact(String(message)))
    }
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
}

export function createPluginContext(options: PluginContextOptions): HostPluginContext {
  const redactor = createSecretRedactor(options.secrets)
  const signal = options.signal ?? new AbortController().signal
  const limits = options.platformLimits
  const hostKey = options.hostKey
  const accountKey = options.accountKey

  const limiters = (url: URL): RateLimiterSpec[] => {
    const specs: RateLimiterSpec[] = []
    if (limits?.perHost) {
      const key = typeof hostKey === 'string' ? hostKey : hostKey ? hostKey(url) : `host:${url.host}`
      specs.push({ key, limit: limits.perHost })
    }
    if (limits?.perAccount) specs.push({ key: `account:${accountKey}`, limit: limits.perAccount })
    return specs
  }

  const http = createHttpClient({
    guard: options.guard,
    rateLimiters: options.rateLimiters,
    limiters,
    secrets: redactor,
    signal,
    timeouts: options.timeouts,
    retry: options.retry,
    userAgent: options.userAgent,
    maxBodyBytes: options.maxBodyBytes,
    onRequest: options.onRequest,
    onExchange: options.onExchange,
    transport: options.transport,
  })

  const bindings: Record<string, unknown> = { account: accountKey }
  if (options.plugin) bindings.plugin = options.plugin

  return {
    http,
    log: createPluginLogger(options.logger, bindings, redactor),
    signal,
    now: options.now ?? (() => new Date()),
    cache: options.cache ?? createMemoryCache(),
    registerSecret: (value) => {
      redactor.add(value)
      options.onSecret?.(value)
    },
    excerpt: (text, maxLength) => redactor.excerpt(text, maxLength),
    redactor,
    redactError: (error) => redactor.redactError(error),
  }
}
