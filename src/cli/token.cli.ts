import { parseArgs } from 'node:util'
import { createAppServices } from '../bootstrap.ts'
import { loadConfig } from '../config.ts'
import { createLogger } from '../logger.ts'
import { ApiToken } from '../workspace/workspace.entity.ts'
import { ensureWorkspace, issueApiToken } from '../workspace/workspace.service.ts'

const USAGE = `usage:
  npm run token -- create --workspace <name> [--name <token name>]   prints the new token alone on its last line
  npm run token -- list --workspace <name>
  npm run token -- revoke --workspace <name> --prefix <prefix>`

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { workspace: { type: 'string' }, name: { type: 'string' }, prefix: { type: 'string' } },
  })
  const command = positionals[0]
  if (!command || !values.workspace || !['create', 'list', 'revoke'].includes(command)) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  const config = loadConfig()
  // Logs go to stderr so that stdout carries only what scripts read.
  const logger = createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    destination: process.stderr as never,
  })
  const services = await createAppServices(config, { logger })
  try {
    const em = services.db.fork()
    const { workspace, created } = await ensureWorkspace(em, values.workspace)
    em.setFilterParams('workspace', { id: workspace.id })
    if (command === 'create') {
      const { token, record } = await issueApiToken(em, workspace, values.name ?? 'cli')
      process.stdout.write(
        `${created ? `Created workspace "${workspace.name}".\n` : ''}API token "${record.name}" for workspace "${workspace.name}" (shown once; affgraph keeps only its hash):\n${token}\n`,
      )
    } else if (command === 'list') {
      for (const t of await em.find(ApiToken, {}, { orderBy: { createdAt: 'asc' } })) {
        process.stdout.write(
          `${t.prefix}\t${t.name}\tcreated ${t.createdAt.toISOString()}\t${t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'active'}\n`,
        )
      }
    } else {
      const token = values.prefix ? await em.findOne(ApiToken, { prefix: values.prefix }) : null
      if (!token) {
        process.stderr.write('no such token in this workspace\n')
        return 1
      }
      token.revokedAt ??= new Date()
      await em.flush()
      process.stdout.write(`revoked ${token.prefix}\n`)
    }
    return 0
  } finally {
    await services.db.close()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`affgraph token: ${(error as Error).message}\n`)
    process.exit(1)
  },
)
