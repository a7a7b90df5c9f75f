import { Writable } from 'node:stream'
import type { Logger } from 'pino'
import { createLogger } from '../../src/logger.ts'
import { sinkLogText } from './log-sink.ts'

/** A real pino logger writing into memory, so tests can sweep every line for secrets. */
export function captureLogs(level = 'debug'): { logger: Logger; lines: string[]; text: () => string } {
  const lines: string[] = []
  const destination = new Writable({
    write(chunk, _encoding, done) {
      const text = String(chunk)
      sinkLogText('logger', text)
      lines.push(...text.split('\n').filter(Boolean))
      done()
    },
  })
  const logger = createLogger({ level, destination })
  return { logger, lines, text: () => lines.join('\n') }
}
