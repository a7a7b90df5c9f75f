import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config.ts'
import { openDatabase } from '../db/database.ts'
import { createHttpClient } from '../http/http-client.ts'
import { createSsrfGuard } from '../http/ssrf-guard.ts'
import { createLogger } from '../logger.ts'
import type { EcbFile } from './ecb-format.ts'
import { ECB_BASE_URL, fetchAndStoreEcbRates, type ImportResult, importRatesFile } from './fx.service.ts'

const USAGE = `usage:
  npm run fx -- import <file>                                  eurofxref XML, CSV or the eurofxref-hist ZIP
  npm run fx -- fetch [--file daily|hist-90d|hist] [--url <base URL>]   default: daily from ${ECB_BASE_URL}`

const FILES: readonly EcbFile[] = ['daily', 'hist-90d', 'hist']

function summary(result: ImportResult): string {
  const range = result.firstDay === result.lastDay ? result.firstDay : `${result.firstDay}..${result.lastDay}`
  return `${result.source}: ${result.rates} rates on ${result.days} day${result.days === 1 ? '' : 's'} (${range}): ${result.inserted} inserted, ${result.updated} updated, ${result.unchanged} unchanged`
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>
  try {
    parsed = parseCommandLine()
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`)
    return 2
  }
  const { values, positionals } = parsed
  const command = positionals[0]
  const file = (values.file ?? 'daily') as EcbFile
  const valid =
    (command === 'import' && positionals.length === 2 && !values.file && !values.url) ||
    (command === 'fetch' && positionals.length === 1 && FILES.includes(file))
  if (!valid) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  const config = loadConfig()
  // Logs go to stderr so that stdout carries only the result line.
  const logger = createLogger({ level: config.logLevel, destination: process.stderr as never }).child({
    component: 'fx',
  })
  const db = await openDatabase({ url: config.databaseUrl, pgliteDir: join(config.dataDir, 'pglite') })
  try {
    if (command === 'import') {
      const path = positionals[1]!
      const result = await importRatesFile(db, path)
      logger.info({ path, ...result }, 'rates imported')
      process.stdout.write(`${summary(result)}\n`)
      return 0
    }
    const guard = createSsrfGuard({ allow: config.outboundAllowlist })
    try {
      const http = createHttpClient({
        guard,
        timeouts: { totalMs: config.http.totalTimeoutMs },
        retry: { attempts: config.http.attempts },
        onRequest: (info) => logger.debug(info, 'request'),
      })
      const result = await fetchAndStoreEcbRates(db, { http, baseUrl: values.url, file })
      logger.info(result, 'rates fetched')
      process.stdout.write(`${summary(result)}\n`)
      return 0
    } finally {
      await guard.close()
    }
  } finally {
    await db.close()
  }
}

function parseCommandLine() {
  return parseArgs({
    allowPositionals: true,
    options: { file: { type: 'string' }, url: { type: 'string' } },
  })
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const code = error && typeof error === 'object' && 'code' in error ? ` [${String(error.code)}]` : ''
    process.stderr.write(`affgraph fx: ${(error as Error).message}${code}\n`)
    process.exit(1)
  },
)
