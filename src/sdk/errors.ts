/**
 * The only errors a plugin may throw. The host maps each class to an account status and decides on retries:
 * AuthError is never retried (retrying a rejected key can lock the user out at the program),
 * RateLimitError and UnavailableError are transient, ResponseFormatError means the platform changed or a bug.
 */
export type PlatformErrorCode =
  | 'PLATFORM_AUTH'
  | 'PLATFORM_RATE_LIMITED'
  | 'PLATFORM_UNAVAILABLE'
  | 'PLATFORM_RESPONSE_FORMAT'

export interface PlatformErrorOptions {
  /** Connection field the user should fix, when one can be named (e.g. `token`, `baseUrl`). */
  field?: string
  cause?: unknown
}

/**
 * A plugin loaded from outside the repository may get its own copy of this module (as CommonJS, say), whose error
 * classes `instanceof` cannot see as the host's; a registry-wide symbol marks them the same in every copy.
 */
const PLATFORM_ERROR_MARK = Symbol.for('affgraph.platform-error')

export abstract class PlatformError extends Error {
  abstract readonly code: PlatformErrorCode
  abstract readonly transient: boolean
  readonly field: string | undefined
  constructor(message: string, options: PlatformErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.field = options.field
    Object.defineProperty(this, PLATFORM_ERROR_MARK, { value: true })
  }
}

/** The platform refused the credentials or their permissions; the user must act. */
export class AuthError extends PlatformError {
  readonly code = 'PLATFORM_AUTH' as const
  readonly transient = false
  override readonly name = 'AuthError'
}

/** The platform asked us to slow down. `retryAfterMs` comes from the platform when it says so. */
export class RateLimitError extends PlatformError {
  readonly code = 'PLATFORM_RATE_LIMITED' as const
  readonly transient = true
  override readonly name = 'RateLimitError'
  readonly retryAfterMs: number | undefined
  constructor(message: string, options: PlatformErrorOptions & { retryAfterMs?: number } = {}) {
    super(message, options)
    this.retryAfterMs = options.retryAfterMs
  }
}

/** Network failure, timeout, 5xx or a maintenance page: worth trying again later. */
export class UnavailableError extends PlatformError {
  readonly code = 'PLATFORM_UNAVAILABLE' as const
  readonly transient = true
  override readonly name = 'UnavailableError'
}

/** The answer did not have the shape the plugin expects. */
export class ResponseFormatError extends PlatformError {
  readonly code = 'PLATFORM_RESPONSE_FORMAT' as const
  readonly transient = false
  override readonly name = 'ResponseFormatError'
}

export function isPlatformError(error: unknown): error is PlatformError {
  return (
    error instanceof PlatformError ||
    (typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[PLATFORM_ERROR_MARK] === true)
  )
}

/** The platform's own wait, for a rate-limit error from any copy of the SDK. */
export function retryAfterOf(error: unknown): number | undefined {
  if (!isPlatformError(error) || error.code !== 'PLATFORM_RATE_LIMITED') return undefined
  const ms = (error as RateLimitError).retryAfterMs
  return typeof ms === 'number' ? ms : undefined
}
