import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config.ts'

const USAGE = `usage:
  npm run capture -- --account <account id> [--from YYYY-MM-DD --to YYYY-MM-DD] --out <file | ->

Fetches the account's report once, recording every request and response its plugin makes, and writes the capture
file (credentials, tokens, cookies and the account's identifiers replaced by placeholders) for a bug report.
Without --from/--to, the account's lookback window. Stores nothing.`

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/

class UsageError extends Error {}

/**
 * PGlite keeps a `postmaster.pid` in its data directory while a process has it open and removes it on close; two
 * processes on one directory would corrupt it, so the command refuses rather than open it beside a server.
 */
function embeddedDatabaseInUse(pgliteDir: string): boolean {
  return existsSync(join(pgliteDir, 'postmaster.pid'))
}

const EMBEDDED_IN_USE_MESSAGE = (dir: string) =>
  `the embedded database in ${dir} is open in another process (a running affgraph server?), and two processes ` +
  'cannot share it. Record the capture from the web page instead (Accounts → "Record a capture"), or with the ' +
  'recordCapture mutation; or stop the server and run this again. If no server is running, the last one did not ' +
  'shut down cleanly: start it and stop it once.'

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      account: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string' },
    },
  })
  if (!values.account || !UUID.test(values.account))
    throw new UsageError('--account must be an account id (a UUID)')
  if (!values.out) throw new UsageError('--out is required: a file name, or - for standard output')
  if ((values.from === undefined) !== (values.to === undefined))
    throw new UsageError('give both --from and --to, or neither')
  for (const name of ['from', 'to'] as const) {
    const value = values[name]
    if (value !== undefined && (!ISO_DAY.test(value) || Number.isNaN(Date.parse(value))))
      throw new UsageError(`--${name} must be a day, YYYY-MM-DD`)
  }
  const range = values.from && values.to ? { from: values.from, to: values.to } : null
  return { accountId: values.account, range, out: values.out }
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>
  try {
    args = parse(process.argv.slice(2))
  } catch (error) {
    process.stderr.write(`affgraph capture: ${(error as Error).message}\n\n${USAGE}\n`)
    return 2
  }
  const config = loadConfig()
  const pgliteDir = join(config.dataDir, 'pglite')
  if (!config.databaseUrl && embeddedDatabaseInUse(pgliteDir)) {
    process.stderr.write(`affgraph capture: ${EMBEDDED_IN_USE_MESSAGE(pgliteDir)}\n`)
    return 3
  }
  // Loaded only now: a usage error or a refusal answers at once, without loading the plugins and the database.
  const [
    { Account },
    { createAppServices },
    { CaptureWindowError, captureWindow, recordAccountCapture },
    { createLogger },
  ] = await Promise.all([
    import('../account/account.entity.ts'),
    import('../bootstrap.ts'),
    import('../capture/capture.service.ts'),
    import('../logger.ts'),
  ])
  // Logs go to stderr so that `--out -` leaves stdout to the file.
  const logger = createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    destination: process.stderr as never,
  })
  const services = await createAppServices(config, { logger })
  try {
    // The operator holds the master key and the database: any workspace's account may be captured.
    const account = await services.db.fork().findOne(Account, { id: args.accountId }, { filters: false })
    if (!account) {
      process.stderr.write(`affgraph capture: no account ${args.accountId} in this database\n`)
      return 1
    }
    let window: ReturnType<typeof captureWindow>
    try {
      window = captureWindow(services, account, args.range)
    } catch (error) {
      if (!(error instanceof CaptureWindowError)) throw error
      process.stderr.write(`affgraph capture: ${error.message}\n`)
      return 2
    }
    const outcome = await recordAccountCapture(services, account, window)
    if (!outcome.ok) {
      process.stderr.write(`affgraph capture: ${outcome.error.message}\n`)
      return 1
    }
    const { capture } = outcome
    if (args.out === '-') process.stdout.write(capture.content)
    else await writeFile(resolve(args.out), capture.content)
    const result = capture.error
      ? `the fetch failed (${capture.error.code}: ${capture.error.message}); the capture holds every request up to the failure`
      : `${capture.rows} rows`
    process.stderr.write(
      `Recorded ${capture.file.exchanges.length} requests of ${account.platformId} for ${window.from} … ${window.to}: ${result}.\n` +
        `${args.out === '-' ? 'Wrote the capture to standard output' : `Wrote ${resolve(args.out)}`}. Credentials, tokens, ` +
        "cookies and the account's identifiers are placeholders; read it before you attach it to a bug report.\n",
    )
    return 0
  } finally {
    await services.db.close()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`affgraph capture: ${(error as Error).message}\n`)
    process.exit(1)
  },
)
