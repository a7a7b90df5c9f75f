import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { loadConfig } from '../config.ts'
import { embeddedLockHolder } from '../db/embedded-lock.ts'
import { callAdminSocket } from './admin-socket.ts'
import { CAPTURE_USAGE, parseCaptureArgs } from './capture-command.ts'

const EMBEDDED_IN_USE_MESSAGE = (dir: string, holder: string) =>
  `the embedded database in ${dir} is open in another process (${holder}), and two processes cannot share it. ` +
  'Wait for it to finish, or record the capture from the web page (Accounts → "Record a capture") or with the ' +
  'recordCapture mutation of a running server.'

async function main(): Promise<number> {
  const argv = process.argv.slice(2)
  const args = parseCaptureArgs(argv)
  if ('usage' in args) {
    process.stderr.write(`affgraph capture: ${args.usage}\n\n${CAPTURE_USAGE}\n`)
    return 2
  }
  const config = loadConfig()
  let reply: { code: number; stdout: string; stderr: string }
  const holder = config.databaseUrl ? null : await embeddedLockHolder(join(config.dataDir, 'pglite'))
  if (holder?.adminSocket) {
    // A running server owns the embedded database: it records the capture, this process writes the file.
    reply = await callAdminSocket(holder.adminSocket, { command: 'capture', argv }, 10 * 60_000)
  } else if (holder) {
    process.stderr.write(
      `affgraph capture: ${EMBEDDED_IN_USE_MESSAGE(join(config.dataDir, 'pglite'), `${holder.role}, pid ${holder.pid}`)}\n`,
    )
    return 3
  } else {
    // Loaded only now: a usage error or a refusal answers at once, without loading the plugins and the database.
    const [{ createAppServices }, { createLogger }, { runCaptureCommand }] = await Promise.all([
      import('../bootstrap.ts'),
      import('../logger.ts'),
      import('./capture-command.ts'),
    ])
    // Logs go to stderr so that `--out -` leaves stdout to the file.
    const logger = createLogger({
      level: config.logLevel === 'info' ? 'warn' : config.logLevel,
      destination: process.stderr as never,
    })
    const services = await createAppServices(config, { logger, role: 'npm run capture' })
    reply = { code: 0, stdout: '', stderr: '' }
    try {
      reply.code = await runCaptureCommand(services, argv, {
        out: (text) => {
          reply.stdout += text
        },
        err: (text) => {
          reply.stderr += text
        },
      })
    } finally {
      await services.db.close()
    }
  }
  process.stderr.write(reply.stderr)
  if (reply.code !== 0) return reply.code
  if (args.out === '-') process.stdout.write(reply.stdout)
  else await writeFile(resolve(args.out), reply.stdout, { mode: 0o600 })
  process.stderr.write(
    `${args.out === '-' ? 'Wrote the capture to standard output' : `Wrote ${resolve(args.out)}`}. Credentials, tokens, ` +
      "cookies and the account's identifiers are placeholders; read it before you attach it to a bug report.\n",
  )
  return 0
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`affgraph capture: ${(error as Error).message}\n`)
    process.exit(1)
  },
)
