import { AuthError, RateLimitError, ResponseFormatError, UnavailableError } from './errors.ts'

export type QueryValue = string | number | boolean | undefined | null | ReadonlyArray<string | number>

export interface HttpRequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE'
  url: string | URL
  /** Appended to the URL; arrays become repeated parameters (`a=1&a=2`); undefined and null are skipped. */
  query?: Record<string, QueryValue>
  headers?: Record<string, string>
  /** Raw body, or a form (sent as application/x-www-form-urlencoded). */
  body?: string | URLSearchParams
  /** Serialised as JSON with the matching content type. */
  json?: unknown
  /** Whole-request deadline for this call, overriding the host default. */
  timeoutMs?: number
  /**
   * Maps a response to an SDK error by throwing one, or returns for a usable answer. It runs inside the host's
   * retry loop: a thrown RateLimitError or UnavailableError is retried with backoff, anything else is not.
   * Default: `defaultResponseCheck`.
   */
  check?: (response: HttpResponse) => void
  /** Set false for calls that must not be repeated (e.g. a token grant that burns a one-time secret). */
  retry?: boolean
}

export interface HttpResponse {
  status: number
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string>>
  /** The final URL (after permitted redirects). */
  url: string
  text: string
  /** Parses the body as JSON; a malformed or truncated body throws ResponseFormatError. */
  json<T = unknown>(): T
}

/** Host-owned HTTP client: timeouts, retries, rate limits, SSRF guard and secret redaction are applied to every call. */
export interface HttpClient {
  request(options: HttpRequestOptions): Promise<HttpResponse>
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now: Date = new Date()): number | undefined {
  if (!value) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const at = Date.parse(trimmed)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - now.getTime())
}

/**
 * The usual reading of HTTP statuses: 2xx is an answer, 401/403 are credential problems, 429 is a rate limit
 * (honouring Retry-After), 5xx and 408 are transient, any other status is a format problem.
 * Platforms that bend HTTP (errors with 200, rate limits with 403) give their own `check`.
 */
export function defaultResponseCheck(response: HttpResponse): void {
  const { status } = response
  if (status >= 200 && status < 300) return
  if (status === 401 || status === 403)
    throw new AuthError(`the platform refused the credentials (HTTP ${status})`)
  if (status === 429) {
    throw new RateLimitError('the platform is rate limiting requests (HTTP 429)', {
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    })
  }
  if (status >= 500 || status === 408) {
    throw new UnavailableError(`the platform is unavailable (HTTP ${status})`)
  }
  throw new ResponseFormatError(`unexpected HTTP status ${status}`)
}

/**
 * What an error answer says, short and printable, for a message a user reads: the first string among the JSON
 * body's `members` (e.g. `Message`, `error`), or the text itself. Never the whole body.
 */
export function errorExcerpt(response: HttpResponse, members: readonly string[] = [], max = 80): string {
  let text = response.text
  try {
    const body = JSON.parse(text) as Record<string, unknown>
    const found = members.map((m) => body?.[m]).find((v) => typeof v === 'string')
    if (typeof found === 'string') text = found
  } catch {
    // Not JSON: the text itself is quoted.
  }
  const flat = text
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim()
  return flat.length > max ? `${flat.slice(0, max)}…` : flat
}
