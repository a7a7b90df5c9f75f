import { parseArgs } from 'node:util'
import { Account } from '../account/account.entity.ts'
import type { AppServices } from '../app-services.ts'
import { CaptureWindowError, captureWindow, recordAccountCapture } from '../capture/capture.service.ts'
import { isUuid } from '../db/uuid.ts'
import { parseGlobalId, toGlobalId } from '../schema/global-ids.ts'
import type { CommandOutput } from './token-command.ts'

export const CAPTURE_USAGE = `usage:
  npm run capture -- --account <account id> [--from YYYY-MM-DD --to YYYY-MM-DD] --out <file | ->

Fetches the account's report once, recording every request and response its plugin makes, and writes the capture
file (credentials, tokens, cookies and the account's identifiers replaced by placeholders) for a bug report.
Without --from/--to, the account's lookback window. Stores nothing. Works whether the server runs or not.`

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/

export interface CaptureArgs {
  accountId: string
  range: { from: string; to: string } | null
  /** A file name, or `-` for standard output; the command's own process writes it, never the server. */
  out: string
}

/** The arguments, or the reason they are wrong (checked before any database is opened). */
export function parseCaptureArgs(argv: string[]): CaptureArgs | { usage: string } {
  let values: Record<string, string | undefined>
  try {
    ;({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        account: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        out: { type: 'string' },
      },
    }))
  } catch (error) {
    return { usage: (error as Error).message }
  }
  // The id as the API and the web page show it (`Account.id`, a global id).
  const account = values.account ? parseGlobalId(values.account) : null
  if (account?.typename !== 'Account' || !isUuid(account.id))
    return { usage: '--account must be an account id, as `Account.id` shows it' }
  if (!values.out) return { usage: '--out is required: a file name, or - for standard output' }
  if ((values.from === undefined) !== (values.to === undefined))
    return { usage: 'give both --from and --to, or neither' }
  for (const name of ['from', 'to'] as const) {
    const value = values[name]
    if (value !== undefined && (!ISO_DAY.test(value) || Number.isNaN(Date.parse(value))))
      return { usage: `--${name} must be a day, YYYY-MM-DD` }
  }
  const range = values.from && values.to ? { from: values.from, to: values.to } : null
  return { accountId: account.id, range, out: values.out }
}

/**
 * Records the capture and writes the file's content to `io.out`, what happened to `io.err`. Runs in the command's
 * process, or inside a running server that owns the embedded database (reached through its admin socket).
 */
export async function runCaptureCommand(
  services: AppServices,
  argv: string[],
  io: CommandOutput,
): Promise<number> {
  const args = parseCaptureArgs(argv)
  if ('usage' in args) {
    io.err(`affgraph capture: ${args.usage}\n\n${CAPTURE_USAGE}\n`)
    return 2
  }
  // The operator holds the master key and the database: any workspace's account may be captured.
  const account = await services.db.fork().findOne(Account, { id: args.accountId }, { filters: false })
  if (!account) {
    io.err(`affgraph capture: no account ${toGlobalId('Account', args.accountId)} in this database\n`)
    return 1
  }
  let window: ReturnType<typeof captureWindow>
  try {
    window = captureWindow(services, account, args.range)
  } catch (error) {
    if (!(error instanceof CaptureWindowError)) throw error
    io.err(`affgraph capture: ${error.message}\n`)
    return 2
  }
  const outcome = await recordAccountCapture(services, account, window)
  if (!outcome.ok) {
    io.err(`affgraph capture: ${outcome.error.message}\n`)
    return 1
  }
  const { capture } = outcome
  io.out(capture.content)
  const result = capture.error
    ? `the fetch failed (${capture.error.code}: ${capture.error.message}); the capture holds every request up to the failure`
    : `${capture.rows} rows`
  io.err(
    `Recorded ${capture.file.exchanges.length} requests of ${account.platformId} for ${window.from} … ${window.to}: ${result}.\n`,
  )
  return 0
}
