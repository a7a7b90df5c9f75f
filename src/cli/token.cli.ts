import { join } from 'node:path'
import { createAppServices } from '../bootstrap.ts'
import { loadConfig } from '../config.ts'
import { embeddedLockHolder } from '../db/embedded-lock.ts'
import { createLogger } from '../logger.ts'
import { callAdminSocket } from './admin-socket.ts'
import { runTokenCommand, tokenUsageError } from './token-command.ts'

const io = {
  out: (text: string) => process.stdout.write(text),
  err: (text: string) => process.stderr.write(text),
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2)
  const usage = tokenUsageError(argv)
  if (usage) {
    io.err(`${usage}\n`)
    return 2
  }
  const config = loadConfig()
  if (!config.databaseUrl) {
    // The embedded database belongs to one process. A running server does the work itself, so the token exists
    // where the server looks for it; any other holder is waited for by the user, never opened behind its back.
    const holder = await embeddedLockHolder(join(config.dataDir, 'pglite'))
    if (holder?.adminSocket) {
      const reply = await callAdminSocket(holder.adminSocket, { command: 'token', argv })
      io.out(reply.stdout)
      io.err(reply.stderr)
      return reply.code
    }
  }
  // Logs go to stderr so that stdout carries only what scripts read.
  const logger = createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    destination: process.stderr as never,
  })
  const services = await createAppServices(config, { logger, role: 'npm run token' })
  try {
    return await runTokenCommand(services, argv, io)
  } finally {
    await services.db.close()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A busy embedded database says who holds it and what to do; nothing else needs a stack here either.
    process.stderr.write(`affgraph token: ${(error as Error).message}\n`)
    process.exit(1)
  },
)
