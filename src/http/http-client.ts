import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { pipeline, type Readable } from 'node:stream'
import zlib from 'node:zlib'
import { type Dispatcher, request as undiciRequest } from 'undici'
import { isPlatformError, ResponseFormatError, retryAfterOf, UnavailableError } from '../sdk/errors.ts'
import {
  defaultResponseCheck,
  type HttpClient,
  type HttpRequestOptions,
  type HttpResponse,
  type QueryValue,
} from '../sdk/http.ts'
import { createRateLimiterRegistry, type RateLimiterRegistry, type RateLimiterSpec } from './rate-limiter.ts'
import { createSecretRedactor, type SecretRedactor } from './redact.ts'
import { sleep } from './sleep.ts'
import { OutboundBlockedError, type SsrfGuard } from './ssrf-guard.ts'

function readVersion(): string {
  try {
    const pkg: unknown = createRequire(import.meta.url)('../../package.json')
    if (pkg && typeof pkg === 'object' && 'version' in pkg && typeof pkg.version === 'string')
      return pkg.version
  } catch {
    // A bundled or relocated build has no package.json next to it; the agent string is only informative.
  }
  return '0.0.0'
}

export const AFFGRAPH_VERSION = readVersion()
export const DEFAULT_USER_AGENT = `affgraph/${AFFGRAPH_VERSION}`

export interface HttpTimeouts {
  /** TCP (and TLS) connection establishment. */
  connectMs: number
  /** From sending the request to the end of the response headers. */
  headersMs: number
  /** Longest silence between two chunks of the body. */
  bodyMs: number
  /**
   * One attempt as a whole (connect, redirects, headers and body), timed exactly; `timeoutMs` of a request
   * overrides it. undici checks `headersMs` and `bodyMs` on a coarse tick (up to about a second late), so this is
   * the deadline to rely on for short limits.
   */
  totalMs: number
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
  /** A Retry-After longer than this is not waited for: the RateLimitError goes to the caller at once. */
  maxRetryAfterMs: number
}

export interface HttpRequestInfo {
  method: string
  host: string
  /** Undefined when no response arrived. */
  status: number | undefined
  attempt: number
  /** Time on the network for this attempt, rate-limit waits excluded. */
  durationMs: number
  /** `code` of the error this attempt ended with. */
  error?: string
}

/** What the network errors people meet mean, in their words; the code stays beside them for a bug report. */
const NETWORK_WORDS: Record<string, string> = {
  ENOTFOUND: 'no such host name (check the address)',
  EAI_AGAIN: 'the host name could not be looked up just now (DNS); the next sync tries again',
  ECONNREFUSED: 'nothing accepts connections at that address (check the address and port)',
  ECONNRESET: 'the connection was dropped by the other side',
  EHOSTUNREACH: 'no route to that host from this server',
  ENETUNREACH: 'this server has no network route out',
  ETIMEDOUT: 'the connection timed out',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate cannot be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another host name',
}

/** A request as the host puts it on the wire: the plugin's options applied, the host's headers added. */
export interface OutgoingRequest {
  method: string
  url: URL
  /** Lower-cased names. */
  headers: Record<string, string>
  body: string | undefined
}

/** A response as the client reads it off the wire, redirects followed and the body decoded. */
export interface TransportResponse {
  status: number
  /** Lower-cased names. */
  headers: Record<string, string>
  /** The final URL. */
  url: string
  text: string
}

/** One attempt of one request: what was sent, what came back or how it failed, and when. */
export interface HttpExchange {
  request: OutgoingRequest
  /** Absent when no response arrived (connection refused, timeout, reset). */
  response?: TransportResponse
  /** The error the attempt ended with: the network's, or the one the request's `check` threw on the response. */
  error?: unknown
  attempt: number
  /** `performance.now()` when the attempt began. */
  startedAt: number
  /** Time on the network for this attempt, rate-limit waits excluded. */
  durationMs: number
}

export interface HttpClientOptions {
  guard: SsrfGuard
  timeouts?: Partial<HttpTimeouts>
  retry?: Partial<RetryPolicy>
  /** Limits every attempt (and every redirect hop) waits for; a function derives them from the target URL. */
  limiters?: readonly RateLimiterSpec[] | ((url: URL) => readonly RateLimiterSpec[])
  /** Where `limiters` are counted; share one registry so that every client sees the same limits. */
  rateLimiters?: RateLimiterRegistry
  secrets?: SecretRedactor
  signal?: AbortSignal
  userAgent?: string
  maxBodyBytes?: number
  /** Called once per attempt, for metrics and logs; it must not throw (errors are swallowed). */
  onRequest?: (info: HttpRequestInfo) => void
  /**
   * Called once per attempt with the whole request and response, before any redaction: for captures, which
   * redact on their own. It must not throw (errors are swallowed).
   */
  onExchange?: (exchange: HttpExchange) => void
  /**
   * Answers every attempt instead of the network (a capture being replayed). The SSRF guard, rate limits and
   * redirects are the network's business and are skipped; checks, retries and redaction run as usual.
   */
  transport?: (request: OutgoingRequest) => Promise<TransportResponse>
}

export const DEFAULT_TIMEOUTS: Readonly<HttpTimeouts> = {
  connectMs: 10_000,
  headersMs: 30_000,
  bodyMs: 60_000,
  totalMs: 120_000,
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
}

export const DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024
export const MAX_REDIRECTS = 3

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])
/**
 * What a request may still carry once a redirect has taken it to another origin. Plugins put credentials in
 * headers of their own choosing (`x-api-key`, `affiliateid`, …), so an allowlist is the only rule that holds for
 * every plugin, present and future; `content-type` goes too, as no body follows a request to another origin.
 */
const CROSS_ORIGIN_HEADERS = new Set(['accept', 'accept-language', 'accept-encoding', 'user-agent'])

/**
 * A 307 or 308 to another origin, which would have to send the request body (an OAuth form with a client secret
 * or a password, say) to that origin: not followed.
 */
export class RedirectRefusedError extends ResponseFormatError {
  readonly fromHost: string
  readonly toHost: string
  constructor(status: number, from: URL, to: URL) {
    super(
      `${from.host} answered HTTP ${status}, which would resend the request body to another host (${to.host}); ` +
        `the redirect was not followed so that no credential leaves ${from.host}`,
    )
    this.fromHost = from.host
    this.toHost = to.host
  }
}

export function buildUrl(base: string | URL, query: Record<string, QueryValue> | undefined): URL {
  const url = new URL(base)
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue
    if (Array.isArray(value)) for (const item of value) url.searchParams.append(name, String(item))
    else url.searchParams.append(name, String(value))
  }
  return url
}

function headerString(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value.join(', ') : value
}

function effectivePort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80')
}

/** Credentials follow a redirect only to the same host and port, or from http to https on the same host. */
function keepsCredentials(from: URL, to: URL): boolean {
  if (from.hostname !== to.hostname) return false
  if (from.protocol === 'https:' && to.protocol !== 'https:') return false
  if (effectivePort(from) === effectivePort(to)) return true
  return from.protocol === 'http:' && to.protocol === 'https:' && !from.port && !to.port
}

function errorCode(error: unknown): string | undefined {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string')
    return error.code
  return undefined
}

function findBlocked(error: unknown): OutboundBlockedError | undefined {
  let current = error
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof OutboundBlockedError) return current
    current = current instanceof Error ? current.cause : undefined
  }
  return undefined
}

function decodeText(bytes: Buffer, contentType: string | undefined): string {
  const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes)
  } catch {
    return new TextDecoder('utf-8').decode(bytes)
  }
}

class BodyTooLarge extends ResponseFormatError {}

async function readBody(response: Dispatcher.ResponseData, maxBytes: number, host: string): Promise<Buffer> {
  const tooLarge = () => new BodyTooLarge(`the response from ${host} is larger than ${maxBytes} bytes`)
  const declared = Number(headerString(response.headers['content-length']))
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.body.destroy()
    throw tooLarge()
  }
  const encoding = headerString(response.headers['content-encoding'])?.trim().toLowerCase()
  let decoder: zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | undefined
  if (encoding === 'gzip' || encoding === 'x-gzip') decoder = zlib.createGunzip()
  else if (encoding === 'deflate') decoder = zlib.createInflate()
  else if (encoding === 'br') decoder = zlib.createBrotliDecompress()
  let source: Readable = response.body
  if (decoder) {
    pipeline(response.body, decoder, () => {})
    source = decoder
  }
  const chunks: Buffer[] = []
  let total = 0
  try {
    for await (const chunk of source) {
      const buffer = chunk as Buffer
      total += buffer.length
      // Counted after decompression too, so a small compressed bomb cannot exhaust memory.
      if (total > maxBytes) throw tooLarge()
      chunks.push(buffer)
    }
  } catch (error) {
    response.body.destroy()
    decoder?.destroy()
    const code = errorCode(error)
    // Z_BUF_ERROR ("unexpected end of file") is a body cut short, which the caller classifies as transient.
    if (
      code === 'Z_DATA_ERROR' ||
      code?.startsWith('ERR__ERROR') ||
      code === 'ERR_BROTLI_DECOMPRESSION_FAILED'
    ) {
      throw new ResponseFormatError(`the ${encoding} response from ${host} could not be decompressed`, {
        cause: error,
      })
    }
    throw error
  }
  return Buffer.concat(chunks, total)
}

/** Defaults overridden only by values actually given: `{ baseDelayMs: undefined }` keeps the default. */
function withDefaults<T extends object>(defaults: Readonly<T>, given: Partial<T> | undefined): T {
  const out = { ...defaults }
  for (const [key, value] of Object.entries(given ?? {})) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value
  }
  return out
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const timeouts = withDefaults<HttpTimeouts>(DEFAULT_TIMEOUTS, options.timeouts)
  const retry = withDefaults<RetryPolicy>(DEFAULT_RETRY, options.retry)
  const redactor = options.secrets ?? createSecretRedactor()
  const rateLimiters = options.rateLimiters ?? createRateLimiterRegistry()
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT
  const signal = options.signal
  const dispatcher = options.guard.dispatcher({
    connectMs: timeouts.connectMs,
    headersMs: timeouts.headersMs,
    bodyMs: timeouts.bodyMs,
  })
  const limitersFor = (url: URL): readonly RateLimiterSpec[] => {
    const limiters = options.limiters
    if (!limiters) return []
    return typeof limiters === 'function' ? limiters(url) : limiters
  }

  const report = (info: HttpRequestInfo): void => {
    try {
      options.onRequest?.(info)
    } catch {
      // Metrics must never break a request.
    }
  }

  const recordExchange = (exchange: HttpExchange): void => {
    try {
      options.onExchange?.(exchange)
    } catch {
      // A capture must never break a request.
    }
  }

  const makeResponse = (
    status: number,
    headers: Record<string, string>,
    url: URL,
    text: string,
  ): HttpResponse => ({
    status,
    headers,
    url: url.toString(),
    text,
    json<T = unknown>(): T {
      if (text.trim() === '')
        throw new ResponseFormatError(`the response from ${url.host} is empty where JSON was expected`)
      try {
        return JSON.parse(text) as T
      } catch (error) {
        // The parser's own message quotes the body, so only a redacted copy travels as the cause.
        throw new ResponseFormatError(
          `the response from ${url.host} is not valid JSON (${text.length} characters)`,
          {
            cause: redactor.redactError(error),
          },
        )
      }
    },
  })

  interface Outgoing {
    method: string
    url: URL
    headers: Record<string, string>
    body: string | undefined
  }

  /** One attempt: every redirect hop, under one deadline that does not run while waiting for rate limits. */
  const attemptOnce = async (
    first: Outgoing,
    timeoutMs: number,
    stats: { networkMs: number },
  ): Promise<HttpResponse> => {
    let { method, url, body } = first
    const headers = { ...first.headers }
    let budget = timeoutMs
    for (let redirects = 0; ; redirects++) {
      options.guard.checkUrl(url)
      await rateLimiters.acquireAll(limitersFor(url), signal)
      signal?.throwIfAborted()

      const hop = new AbortController()
      const onCallerAbort = () => hop.abort(signal?.reason)
      signal?.addEventListener('abort', onCallerAbort, { once: true })
      let deadlineHit = false
      const timer = setTimeout(
        () => {
          deadlineHit = true
          hop.abort(new Error('deadline'))
        },
        Math.max(1, Math.ceil(budget)),
      )
      const hopStarted = performance.now()
      let phase: 'headers' | 'body' = 'headers'
      try {
        const response = await undiciRequest(url, {
          dispatcher,
          method: method as Dispatcher.HttpMethod,
          headers,
          body,
          signal: hop.signal,
        })
        const location = headerString(response.headers.location)
        if (REDIRECT_STATUSES.has(response.statusCode) && location) {
          await response.body.dump().catch(() => {})
          if (redirects >= MAX_REDIRECTS) {
            throw new ResponseFormatError(`${first.url.host} redirected more than ${MAX_REDIRECTS} times`)
          }
          let next: URL
          try {
            next = new URL(location, url)
          } catch (error) {
            throw new ResponseFormatError(`${url.host} redirected to an invalid location`, { cause: error })
          }
          const crossOrigin = !keepsCredentials(url, next)
          const status = response.statusCode
          if (crossOrigin && body !== undefined && (status === 307 || status === 308)) {
            throw new RedirectRefusedError(status, url, next)
          }
          if (
            status === 303 ||
            ((status === 301 || status === 302) && (method === 'POST' || (crossOrigin && body !== undefined)))
          ) {
            method = 'GET'
            body = undefined
            delete headers['content-type']
            delete headers['content-length']
          }
          if (crossOrigin) {
            for (const [name, value] of Object.entries(headers)) {
              // A harmless header can still hold a secret (a key pasted into a custom user agent, say).
              if (!CROSS_ORIGIN_HEADERS.has(name) || redactor.redact(value) !== value) delete headers[name]
            }
          }
          url = next
          continue
        }
        phase = 'body'
        const bytes = await readBody(response, maxBodyBytes, url.host)
        const responseHeaders: Record<string, string> = {}
        for (const [name, value] of Object.entries(response.headers)) {
          const text = headerString(value)
          if (text !== undefined) responseHeaders[name.toLowerCase()] = text
        }
        const text = decodeText(bytes, responseHeaders['content-type'])
        return makeResponse(response.statusCode, Object.freeze(responseHeaders), url, text)
      } catch (error) {
        throw classify(error, { host: url.host, phase, deadlineHit, timeoutMs })
      } finally {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onCallerAbort)
        const spent = performance.now() - hopStarted
        budget -= spent
        stats.networkMs += spent
      }
    }
  }

  const classify = (
    error: unknown,
    context: { host: string; phase: 'headers' | 'body'; deadlineHit: boolean; timeoutMs: number },
  ): unknown => {
    if (signal?.aborted) return signal.reason
    const blocked = findBlocked(error)
    if (blocked) return blocked
    if (isPlatformError(error)) return error
    const { host } = context
    if (context.deadlineHit) {
      return new UnavailableError(`${host} did not complete the response within ${context.timeoutMs} ms`, {
        cause: error,
      })
    }
    const code = errorCode(error)
    switch (code) {
      case 'UND_ERR_INVALID_ARG':
        // A malformed request (e.g. a header with a line break) is a bug in the caller, not a network fault.
        return error
      case 'UND_ERR_CONNECT_TIMEOUT':
        return new UnavailableError(`connecting to ${host} timed out after ${timeouts.connectMs} ms`, {
          cause: error,
        })
      case 'UND_ERR_HEADERS_TIMEOUT':
        return new UnavailableError(`${host} sent no response headers within ${timeouts.headersMs} ms`, {
          cause: error,
        })
      case 'UND_ERR_BODY_TIMEOUT':
        return new UnavailableError(`${host} stopped sending the response body for ${timeouts.bodyMs} ms`, {
          cause: error,
        })
    }
    if (context.phase === 'body') {
      return new UnavailableError(`the response from ${host} was cut short`, { cause: error })
    }
    // Users read this on the account's card: the error code alone ("EAI_AGAIN") tells them nothing.
    const why = code ? NETWORK_WORDS[code] : undefined
    return new UnavailableError(
      `could not reach ${host}${why ? `: ${why}` : ''}${code ? ` (${code})` : ''}`,
      { cause: error },
    )
  }

  /** Milliseconds to wait before the next attempt, or undefined when the error must go to the caller now. */
  const retryDelay = (error: unknown, attempt: number, attempts: number): number | undefined => {
    if (!isPlatformError(error) || !error.transient) return undefined
    const retryAfter = retryAfterOf(error)
    // A long Retry-After is better served by the job queue rescheduling than by holding a worker.
    if (retryAfter !== undefined && retryAfter > retry.maxRetryAfterMs) return undefined
    if (attempt >= attempts) return undefined
    // Full jitter: spreads the retries of many workers hit by the same outage.
    const backoff = Math.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1))
    return retryAfter === undefined ? backoff : Math.max(retryAfter, backoff)
  }

  const prepare = (request: HttpRequestOptions): Outgoing => {
    if (request.json !== undefined && request.body !== undefined) {
      throw new TypeError('give either `json` or `body`, not both')
    }
    const headers: Record<string, string> = {
      'user-agent': userAgent,
      'accept-encoding': 'gzip, deflate, br',
    }
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value
    let body: string | undefined
    if (request.json !== undefined) {
      body = JSON.stringify(request.json)
      headers['content-type'] ??= 'application/json'
    } else if (request.body instanceof URLSearchParams) {
      body = request.body.toString()
      headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8'
    } else {
      body = request.body
    }
    // A body implies a write; plugins that send one with GET must say so explicitly.
    const method = request.method ?? (body === undefined ? 'GET' : 'POST')
    return { method, url: buildUrl(request.url, request.query), headers, body }
  }

  const replayed = async (
    outgoing: OutgoingRequest,
    transport: NonNullable<HttpClientOptions['transport']>,
  ): Promise<HttpResponse> => {
    const answer = await transport({ ...outgoing, headers: { ...outgoing.headers } })
    return makeResponse(answer.status, Object.freeze({ ...answer.headers }), new URL(answer.url), answer.text)
  }

  /*
   * The retry loop is written out rather than delegated to p-retry: p-retry computes its own delays
   * (exponential with a 1-2x random factor, not full jitter) and has no way to take a per-error delay, so
   * honouring Retry-After would mean sleeping in `onFailedAttempt` on top of its own backoff.
   */
  const run = async (request: HttpRequestOptions): Promise<HttpResponse> => {
    signal?.throwIfAborted()
    const outgoing = prepare(request)
    const check = request.check ?? defaultResponseCheck
    const attempts = request.retry === false ? 1 : Math.max(1, Math.floor(retry.attempts))
    const timeoutMs = request.timeoutMs ?? timeouts.totalMs
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted()
      const stats = { networkMs: 0 }
      const startedAt = performance.now()
      let response: HttpResponse | undefined
      try {
        response = options.transport
          ? await replayed(outgoing, options.transport)
          : await attemptOnce(outgoing, timeoutMs, stats)
        check(response)
        report({
          method: outgoing.method,
          host: outgoing.url.host,
          status: response.status,
          attempt,
          durationMs: stats.networkMs,
        })
        recordExchange({ request: outgoing, response, attempt, startedAt, durationMs: stats.networkMs })
        return response
      } catch (error) {
        report({
          method: outgoing.method,
          host: outgoing.url.host,
          status: response?.status,
          attempt,
          durationMs: stats.networkMs,
          error: errorCode(error) ?? (error instanceof Error ? error.name : 'UNKNOWN'),
        })
        recordExchange({
          request: outgoing,
          response,
          error,
          attempt,
          startedAt,
          durationMs: stats.networkMs,
        })
        if (signal?.aborted) throw signal.reason
        const delay = retryDelay(error, attempt, attempts)
        if (delay === undefined) throw error
        await sleep(delay, signal)
      }
    }
  }

  return {
    async request(request) {
      const authorization = Object.entries(request.headers ?? {}).find(
        ([name]) => name.toLowerCase() === 'authorization',
      )?.[1]
      const extraSecrets = authorization ? [authorization, authorization.replace(/^\S+\s+/, '')] : []
      try {
        return await run(request)
      } catch (error) {
        throw redactor.redactError(error, extraSecrets)
      }
    },
  }
}
