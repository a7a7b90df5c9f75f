import pino, { type DestinationStream, type Logger } from 'pino'

/**
 * Paths whose values never reach a log line, whatever their content. Values inside free text (an upstream error
 * body, a URL) are scrubbed earlier, by the redactor of the plugin context that knows the account's secrets.
 */
export const REDACTED_LOG_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.token',
  '*.password',
  '*.secret',
  '*.apiKey',
  '*.clientSecret',
  '*.credentials',
  'token',
  'password',
  'secret',
  'apiKey',
  'credentials',
  'connection',
  '*.connection',
]

export function createLogger(options: {
  level: string
  destination?: DestinationStream
  base?: Record<string, unknown>
}): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'affgraph', ...options.base },
      redact: { paths: REDACTED_LOG_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  )
}
