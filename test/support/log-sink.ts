import { appendFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Every log line the suite produces — in-process loggers and the output of spawned servers and workers — is also
 * appended under the run's log folder, which the log-sweep reporter searches for planted canaries when the run
 * ends. Without the folder (a tool running tests outside our vitest config) this does nothing.
 */
const LOG_DIR_ENV = 'AFFGRAPH_TEST_LOG_DIR'
export const CANARY_FILE = 'canaries.txt'

export function testLogDir(): string | undefined {
  return process.env[LOG_DIR_ENV] || undefined
}

/** Appends `text` to this process's file for `source` (e.g. `logger`, `server-stdout`). */
export function sinkLogText(source: string, text: string): void {
  const dir = testLogDir()
  if (!dir || text.length === 0) return
  appendFileSync(join(dir, `${source}.${process.pid}.log`), text.endsWith('\n') ? text : `${text}\n`)
}

/**
 * Registers a secret that must never be found in any log of the run. The sweep looks for it, and for its
 * URL-encoded and base64 spellings, in every file of the folder.
 */
export function plantCanary(value: string): string {
  const dir = testLogDir()
  if (dir) appendFileSync(join(dir, CANARY_FILE), `${value}\n`)
  return value
}

/** Every spelling of a secret that could carry it out: raw, URL-encoded (both cases), form-encoded, base64. */
export function secretForms(secret: string): string[] {
  const uri = encodeURIComponent(secret)
  return [
    ...new Set([
      secret,
      uri,
      uri.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
      new URLSearchParams({ s: secret }).toString().slice(2),
      Buffer.from(secret).toString('base64').replace(/=+$/, ''),
      Buffer.from(secret).toString('base64url'),
    ]),
  ]
}
