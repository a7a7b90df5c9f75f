import { AsyncLocalStorage } from 'node:async_hooks'
import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { Plugin } from 'graphql-yoga'
import pino, { type DestinationStream, type Logger } from 'pino'

/**
 * Paths whose values never reach a log line, whatever their content. Values inside free text (an upstream error
 * body, a URL) are scrubbed earlier, by the redactor of the plugin context that knows the account's secrets.
 */
export const REDACTED_LOG_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  'headers["proxy-authorization"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["proxy-authorization"]',
  '*.headers["set-cookie"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  '*.token',
  '*.password',
  '*.secret',
  '*.apiKey',
  '*.clientSecret',
  '*.securityKey',
  '*.accessToken',
  '*.refreshToken',
  '*.credentials',
  '*.webhookUrl',
  '*.signingSecret',
  'token',
  'password',
  'secret',
  'apiKey',
  'clientSecret',
  'securityKey',
  'accessToken',
  'refreshToken',
  'credentials',
  'webhookUrl',
  'signingSecret',
  'connection',
  '*.connection',
  // GraphQL variables and an imported CSV carry connection secrets wholesale.
  'variables',
  '*.variables',
  'csv',
  '*.csv',
]

const requestScope = new AsyncLocalStorage<{ requestId: string }>()
const requestIds = new WeakMap<Request, string>()

/** The id of the request being served: the caller's `x-request-id` (at most 64 characters) or a new UUID. */
export function requestIdOf(request: Request): string {
  const scoped = requestScope.getStore()?.requestId
  if (scoped) return scoped
  let id = requestIds.get(request)
  if (!id) {
    id = request.headers.get('x-request-id')?.trim().slice(0, 64) || randomUUID()
    requestIds.set(request, id)
  }
  return id
}

/**
 * Standard output written in the background: under load, lines written while a write is in flight are joined
 * into one write instead of one blocking write each; pino flushes what is pending when the process exits.
 * For servers only: a command that prints its result on stdout must keep its lines in order, so it logs
 * synchronously (the default).
 */
export function backgroundStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: false })
}

export function createLogger(options: {
  level: string
  destination?: DestinationStream
  base?: Record<string, unknown>
  /** Connection field names the loaded plugins declare secret (e.g. `securityKey`): redacted like `token`. */
  secretFields?: readonly string[]
}): Logger {
  const secretPaths = [...new Set(options.secretFields ?? [])]
    .filter((name) => /^[A-Za-z_$][\w$]*$/.test(name))
    .flatMap((name) => [name, `*.${name}`])
  return pino(
    {
      level: options.level,
      base: { service: 'affgraph', ...options.base },
      redact: { paths: [...new Set([...REDACTED_LOG_PATHS, ...secretPaths])], censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Services shared by every request (the platform runner, the sync engine) log through the process logger;
      // while they work for a request, their lines carry its id too, unless a request child already bound it.
      mixin: (object, _level, logger) => {
        const requestId = requestScope.getStore()?.requestId
        if (!requestId || 'requestId' in object) return {}
        // The bound fields as pino keeps them (serialised once, when the child was made): a string search
        // instead of parsing them back on every line.
        const bound = (logger as unknown as Record<symbol, unknown>)[pino.symbols.chindingsSym]
        if (typeof bound === 'string' ? bound.includes('"requestId":') : 'requestId' in logger.bindings())
          return {}
        return { requestId }
      },
    },
    options.destination,
  )
}

/**
 * Runs each request in a scope that knows its id, returns the id in an `x-request-id` header and writes one
 * access line per request that reaches the GraphQL endpoint or later plugins (not health checks or scrapes).
 */
export function useRequestLogging(logger: Logger): Plugin {
  // The access line's fields are fixed (id, method, path, status, duration) and never hold a secret: redaction,
  // which walks every configured path on every line, would be most of the line's cost.
  const log = logger.child({ component: 'http' }, { redact: [] })
  const started = new WeakMap<Request, { at: number; path: string }>()
  return {
    instrumentation: {
      request: ({ request }, wrapped) => requestScope.run({ requestId: requestIdOf(request) }, wrapped),
    },
    onRequest({ request, url }) {
      started.set(request, { at: performance.now(), path: url.pathname })
    },
    onResponse({ request, response }) {
      const requestId = requestIdOf(request)
      try {
        response.headers.set('x-request-id', requestId)
      } catch {
        // Responses with immutable headers (Response.error()) go out without it.
      }
      const start = started.get(request)
      if (!start) return
      // Only the path: a GET query string can hold a whole operation with its variables.
      log.info(
        {
          requestId,
          method: request.method,
          path: start.path,
          status: response.status,
          durationMs: Math.round(performance.now() - start.at),
        },
        'request served',
      )
    },
  }
}
