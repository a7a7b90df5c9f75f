import { Writable } from 'node:stream'
import type { Logger } from 'pino'
import { createLogger } from '../../src/logger.ts'

/** A real pino logger writing into memory, so tests can sweep every line for secrets. */
export function captureLogs(level = 'debug'): { logger: Logger; lines: string[]; text: () => string } {
  const lines: string[] = []
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean))
      done()
    },
  })
  const logger = createLogger({ level, destination })
  return { logger, lines, text: () => lines.join('\n') }
}
